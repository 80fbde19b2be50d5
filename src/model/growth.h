/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Memory over time: a bounded series of samples per process, and what it says:
 * how fast it grows and how steadily.  Pure arithmetic, unit-tested.
 */
#ifndef LEAKD_GROWTH_H
#define LEAKD_GROWTH_H

#include <stdint.h>

struct series {
	uint64_t *t, *v;	/* ring of (time ns, value) */
	uint32_t cap, n, head;	/* head: the oldest sample */
};

struct growth {
	double per_hour;	/* least-squares slope, units per hour */
	int64_t delta;		/* last sample minus first */
	double steady;		/* rising steps among the steps that moved, 0 to 1 */
	uint32_t samples;
	uint64_t span_ns;	/* first to last sample */
};

int series__init(struct series *s, uint32_t cap);
void series__destroy(struct series *s);
/* Appends a sample; the oldest goes when the ring is full. */
void series__add(struct series *s, uint64_t t_ns, uint64_t v);
/* Growth over the samples at or after since_ns. */
void series__growth(const struct series *s, uint64_t since_ns, struct growth *ret);

#endif
