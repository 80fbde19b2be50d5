// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "model/growth.h"
#include "testutil.h"

#define SEC 1000000000ULL

START_TEST(steady_growth)
{
	struct series s;
	struct growth g;
	uint64_t t;

	ck_assert_int_eq(series__init(&s, 64), 0);
	/* 1 MiB more every 10 s: 360 MiB an hour. */
	for (t = 0; t < 30; t++)
		series__add(&s, t * 10 * SEC, t << 20);
	series__growth(&s, 0, &g);
	ck_assert_uint_eq(g.samples, 30);
	ck_assert_int_eq(g.delta, 29 << 20);
	ck_assert_uint_eq(g.span_ns, 290 * SEC);
	ck_assert(fabs(g.per_hour - 360.0 * (1 << 20)) < 1);
	ck_assert(g.steady == 1.0);
	/* Only the last minute. */
	series__growth(&s, 230 * SEC, &g);
	ck_assert_uint_eq(g.samples, 7);
	ck_assert_int_eq(g.delta, 6 << 20);
	series__destroy(&s);
}
END_TEST

START_TEST(flat_and_noisy)
{
	struct series s;
	struct growth g;
	uint64_t t;

	ck_assert_int_eq(series__init(&s, 64), 0);
	for (t = 0; t < 20; t++)
		series__add(&s, t * SEC, 1000);
	series__growth(&s, 0, &g);
	ck_assert(g.per_hour == 0);
	ck_assert_int_eq(g.delta, 0);
	ck_assert(g.steady == 0);	/* nothing moved */
	/* Up and down as much: a cache churning, not a leak. */
	for (t = 20; t < 40; t++)
		series__add(&s, t * SEC, t % 2 ? 5000 : 1000);
	series__growth(&s, 20 * SEC, &g);
	ck_assert(g.steady > 0.4 && g.steady < 0.6);
	series__destroy(&s);
}
END_TEST

START_TEST(ring_keeps_the_latest)
{
	struct series s;
	struct growth g;
	uint64_t t;

	ck_assert_int_eq(series__init(&s, 8), 0);
	for (t = 0; t < 100; t++)
		series__add(&s, t * SEC, t);
	series__growth(&s, 0, &g);
	ck_assert_uint_eq(g.samples, 8);
	ck_assert_int_eq(g.delta, 7);
	ck_assert_uint_eq(g.span_ns, 7 * SEC);
	ck_assert(fabs(g.per_hour - 3600) < 1e-6);
	/* Shrinking memory grows negatively. */
	for (t = 100; t < 110; t++)
		series__add(&s, t * SEC, 1000 - t);
	series__growth(&s, 0, &g);
	ck_assert(g.per_hour < 0);
	ck_assert_int_eq(g.delta, -7);
	ck_assert(g.steady == 0);
	series__destroy(&s);
}
END_TEST

START_TEST(too_few_samples)
{
	struct series s;
	struct growth g;

	ck_assert_int_eq(series__init(&s, 4), 0);
	series__growth(&s, 0, &g);
	ck_assert_uint_eq(g.samples, 0);
	series__add(&s, SEC, 5);
	series__growth(&s, 0, &g);
	ck_assert_uint_eq(g.samples, 1);
	ck_assert(g.per_hour == 0);
	ck_assert_int_eq(g.delta, 0);
	series__destroy(&s);
	series__destroy(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("growth");
	TCase *tc = tcase_create("series");

	tcase_add_test(tc, steady_growth);
	tcase_add_test(tc, flat_and_noisy);
	tcase_add_test(tc, ring_keeps_the_latest);
	tcase_add_test(tc, too_few_samples);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
