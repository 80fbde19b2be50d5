// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sampler/freeset.h"
#include "testutil.h"

#define BITS 12

static struct freeset *new_set(unsigned int bits)
{
	struct freeset *s = calloc(1, sizeof(*s));

	ck_assert_ptr_nonnull(s);
	s->bits = bits;
	s->slots = calloc(1ULL << bits, sizeof(uint64_t));
	ck_assert_ptr_nonnull(s->slots);
	return s;
}

static void free_set(struct freeset *s)
{
	free(s->slots);
	free(s);
}

START_TEST(insert_take)
{
	struct freeset *s = new_set(BITS);
	uint64_t a;

	ck_assert(!freeset__maybe(s, 0x1000));
	ck_assert(!freeset__take(s, 0x1000));
	for (a = 1; a <= 1000; a++)
		ck_assert_int_eq(freeset__insert(s, a * 0x40), 0);
	ck_assert_uint_eq(s->live, 1000);
	for (a = 1; a <= 1000; a++) {
		ck_assert(freeset__maybe(s, a * 0x40));
		ck_assert(freeset__has(s, a * 0x40));
	}
	/* Blocks never inserted are not found, whatever the filter says. */
	for (a = 1001; a <= 3000; a++)
		ck_assert(!freeset__take(s, a * 0x40));
	for (a = 1; a <= 1000; a += 2)
		ck_assert(freeset__take(s, a * 0x40));
	ck_assert_uint_eq(s->live, 500);
	for (a = 1; a <= 1000; a++)
		ck_assert(freeset__has(s, a * 0x40) == !(a % 2));
	/* A block is taken once: a second free of it is not a sampled free. */
	ck_assert(!freeset__take(s, 0x40));
	for (a = 2; a <= 1000; a += 2)
		ck_assert(freeset__take(s, a * 0x40));
	ck_assert_uint_eq(s->live, 0);
	/* Empty again: the fast test says no at once. */
	ck_assert(!freeset__maybe(s, 0x80));
	free_set(s);
}
END_TEST

/* Removed slots are reused, and lookups past them still find what lies beyond. */
START_TEST(tombstones)
{
	struct freeset *s = new_set(BITS);
	uint64_t a, round;

	for (round = 0; round < 50; round++) {
		for (a = 1; a <= 2000; a++)
			ck_assert_int_eq(freeset__insert(s, (round << 32) + a * 16), 0);
		for (a = 1; a <= 2000; a++)
			ck_assert(freeset__take(s, (round << 32) + a * 16));
	}
	ck_assert_uint_eq(s->live, 0);
	ck_assert_uint_eq(s->full, 0);
	free_set(s);
}
END_TEST

/* A full neighbourhood refuses and counts: the sampler then reports nothing. */
START_TEST(full)
{
	struct freeset *s = new_set(6);	/* 64 slots */
	int refused = 0;
	uint64_t a;

	for (a = 1; a <= 100; a++)
		refused += freeset__insert(s, a * 16) != 0;
	ck_assert_int_eq(refused, 100 - 64);
	ck_assert_uint_eq(s->full, 100 - 64);
	ck_assert_uint_eq(s->live, 64);
	ck_assert_int_ne(freeset__insert(s, 0), 0);	/* not an address */
	free_set(s);
}
END_TEST

struct worker {
	struct freeset *s;
	uint64_t base;
	int found;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	uint64_t a;

	for (int r = 0; r < 200; r++) {
		for (a = 1; a <= 200; a++)
			ck_assert_int_eq(freeset__insert(w->s, w->base + a * 16), 0);
		for (a = 1; a <= 200; a++)
			w->found += freeset__take(w->s, w->base + a * 16);
	}
	return NULL;
}

/* Threads inserting and taking their own addresses never lose or invent one. */
START_TEST(concurrent)
{
	struct freeset *s = new_set(14);
	struct worker w[4];
	pthread_t th[4];
	int i;

	for (i = 0; i < 4; i++) {
		w[i] = (struct worker){ .s = s, .base = (uint64_t)(i + 1) << 40 };
		ck_assert_int_eq(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(w[i].found, 200 * 200);
	}
	ck_assert_uint_eq(s->live, 0);
	free_set(s);
}
END_TEST

static double ns_per(struct timespec a, struct timespec b, double n)
{
	return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n;
}

/*
 * The cost a free pays to learn that its block was not sampled, with 2048 sampled
 * blocks live (1 GiB of heap at the default interval): printed, never asserted.
 */
START_TEST(cost)
{
	struct freeset *s = new_set(16);
	struct timespec t0, t1;
	volatile int hits = 0;
	uint64_t a, n = 4000000;

	for (a = 1; a <= 2048; a++)
		ck_assert_int_eq(freeset__insert(s, 0x7f0000000000ULL + a * 524288), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (a = 0; a < n; a++)
		if (freeset__maybe(s, 0x560000000000ULL + a * 64))
			hits += freeset__take(s, 0x560000000000ULL + a * 64);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_eq(hits, 0);
	printf("freeset: %.2f ns per unsampled free with 2048 samples live\n",
	       ns_per(t0, t1, n));
	free_set(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("freeset");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, insert_take);
	tcase_add_test(tc, tombstones);
	tcase_add_test(tc, full);
	tcase_add_test(tc, concurrent);
	tcase_add_test(tc, cost);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
