/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* FNV-1a: the one small hash leakd keys its tables by (files, modules, names, rules, stacks). */
#ifndef LEAKD_BASE_FNV_H
#define LEAKD_BASE_FNV_H

#include <stddef.h>
#include <stdint.h>

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static inline uint64_t fnv_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		h = (h ^ *c++) * FNV_PRIME;
	return h;
}

/* The characters of s, not its terminator. */
static inline uint64_t fnv_str(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * FNV_PRIME;
	return h;
}

/* A whole word at once (dev, inode): cheaper than its bytes, as good for a table key. */
static inline uint64_t fnv_word(uint64_t h, uint64_t v)
{
	return (h ^ v) * FNV_PRIME;
}

#endif
