/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The one binary heap: an array of fixed-size elements ordered by a "before"
 * predicate, the element that comes before all others at index 0.  The caller
 * owns the array and its count; these only move elements.
 */
#ifndef LEAKD_HEAP_H
#define LEAKD_HEAP_H

#include <stdbool.h>
#include <stddef.h>

/* Whether a goes above b (nearer the root). */
typedef bool (*heap_before)(const void *a, const void *b, void *ctx);

/* Restores order after element i moved up (a push at the end: i = n - 1). */
void heap_sift_up(void *base, size_t size, size_t i, heap_before before, void *ctx);
/* Restores order after element i moved down (the root replaced), among n. */
void heap_sift_down(void *base, size_t n, size_t size, size_t i, heap_before before, void *ctx);

#endif
