/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The addresses of the sampled blocks that are still live, so that free() can tell
 * in a few nanoseconds whether its block was sampled.  Lock-free: a fixed table
 * of slots with open addressing (linear probing, at most FREESET_PROBES slots from
 * an address's home), empty 0, removed 1; in front of it, per filter bucket, a count
 * of the live addresses there, so that a free of an unsampled block (nearly all)
 * reads one counter and stops.  An address is inserted by the thread that
 * allocated its block and removed by the one that frees it, which the program
 * itself orders after the allocation: the set never sees one address twice at once.
 * Header-only: the sampler inlines it, the unit test includes it.
 */
#ifndef LEAKD_FREESET_H
#define LEAKD_FREESET_H

#include <stdbool.h>
#include <stdint.h>

#define FREESET_EMPTY 0
#define FREESET_REMOVED 1
#define FREESET_PROBES 64
#define FREESET_FILTER_BITS 15

struct freeset {
	uint64_t *slots;		/* 2^bits of them */
	unsigned int bits;
	uint64_t live;			/* addresses in the set */
	uint64_t full;			/* inserts refused: no slot within FREESET_PROBES */
	uint16_t filter[1u << FREESET_FILTER_BITS];
};

static inline uint64_t freeset__hash(uint64_t addr)
{
	/* Blocks are 16-aligned: the low bits carry nothing. */
	return (addr >> 4) * 0x9e3779b97f4a7c15ULL;
}

/*
 * The filter's counter for addr: its low bits folded with the bits above, which
 * spreads both the blocks of a heap and page-aligned ones, with no multiply on the
 * path of every free.
 */
static inline uint16_t *freeset__bucket(struct freeset *s, uint64_t addr)
{
	return &s->filter[((addr >> 4) ^ (addr >> (4 + FREESET_FILTER_BITS))) &
			  ((1u << FREESET_FILTER_BITS) - 1)];
}

/* Whether addr can be in the set; false for sure when it is not. */
static inline bool freeset__maybe(struct freeset *s, uint64_t addr)
{
	return __atomic_load_n(&s->live, __ATOMIC_RELAXED) &&
	       __atomic_load_n(freeset__bucket(s, addr), __ATOMIC_RELAXED);
}

/* 0, or -ENOSPC when no slot is free near addr's home (counted in full). */
static inline int freeset__insert(struct freeset *s, uint64_t addr)
{
	uint64_t h = freeset__hash(addr), mask = (1ULL << s->bits) - 1, i = h >> (64 - s->bits);
	unsigned int k;

	if (addr <= FREESET_REMOVED)
		return -22;
	for (k = 0; k < FREESET_PROBES; k++, i = (i + 1) & mask) {
		uint64_t cur = __atomic_load_n(&s->slots[i], __ATOMIC_RELAXED);

		while (cur <= FREESET_REMOVED) {
			if (__atomic_compare_exchange_n(&s->slots[i], &cur, addr, false,
							__ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
				__atomic_add_fetch(freeset__bucket(s, addr), 1, __ATOMIC_RELAXED);
				__atomic_add_fetch(&s->live, 1, __ATOMIC_RELEASE);
				return 0;
			}
		}
	}
	__atomic_add_fetch(&s->full, 1, __ATOMIC_RELAXED);
	return -28;
}

/* Removes addr; true when it was there (its block was sampled). */
static inline bool freeset__take(struct freeset *s, uint64_t addr)
{
	uint64_t h = freeset__hash(addr), mask = (1ULL << s->bits) - 1, i = h >> (64 - s->bits);
	unsigned int k;

	for (k = 0; k < FREESET_PROBES; k++, i = (i + 1) & mask) {
		uint64_t cur = __atomic_load_n(&s->slots[i], __ATOMIC_ACQUIRE);

		if (cur == addr) {
			__atomic_store_n(&s->slots[i], FREESET_REMOVED, __ATOMIC_RELAXED);
			__atomic_sub_fetch(freeset__bucket(s, addr), 1, __ATOMIC_RELAXED);
			__atomic_sub_fetch(&s->live, 1, __ATOMIC_RELAXED);
			return true;
		}
		if (cur == FREESET_EMPTY)
			return false;
	}
	return false;
}

/* Whether addr is in the set, without removing it. */
static inline bool freeset__has(struct freeset *s, uint64_t addr)
{
	uint64_t h = freeset__hash(addr), mask = (1ULL << s->bits) - 1, i = h >> (64 - s->bits);
	unsigned int k;

	if (!freeset__maybe(s, addr))
		return false;
	for (k = 0; k < FREESET_PROBES; k++, i = (i + 1) & mask) {
		uint64_t cur = __atomic_load_n(&s->slots[i], __ATOMIC_ACQUIRE);

		if (cur == addr)
			return true;
		if (cur == FREESET_EMPTY)
			return false;
	}
	return false;
}

#endif
