// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "model/history.h"
#include "testutil.h"

#define SEC 1000000000ULL
#define KiB 1024ULL
#define MiB (1024 * KiB)

static void add(struct history *h, uint64_t t, uint64_t bytes, uint64_t count)
{
	uint64_t v[2] = { bytes, count };

	history__add(h, t, v);
}

static struct trend_opts opts(uint64_t window_s)
{
	struct trend_opts o;

	trend_opts__defaults(&o);
	o.window_ns = window_s * SEC;
	return o;
}

START_TEST(thinning_keeps_recent_points_and_bounds_memory)
{
	struct history h;
	uint64_t t;

	ck_assert_int_eq(history__init(&h, 16, 2), 0);
	for (t = 0; t < 1000; t++)
		add(&h, t * SEC, t, 1);
	ck_assert_uint_le(h.n, 16);
	ck_assert_uint_gt(h.thinned, 0);
	/* The latest point is always the last one added; times stay in order. */
	ck_assert_uint_eq(h.t[h.n - 1], 999 * SEC);
	ck_assert_uint_eq(history__value(&h, h.n - 1, 0), 999);
	for (uint32_t i = 1; i < h.n; i++) {
		ck_assert_uint_gt(h.t[i], h.t[i - 1]);
		/* Values stay with their times. */
		ck_assert_uint_eq(history__value(&h, i, 0) * SEC, h.t[i]);
	}
	/* The newer half is still at full resolution. */
	ck_assert_uint_eq(h.t[h.n - 2], 998 * SEC);
	ck_assert_uint_eq(history__memory(&h), 16 * 3 * sizeof(uint64_t));
	history__destroy(&h);
}
END_TEST

START_TEST(steady_leak_is_growing_with_its_rate)
{
	struct trend_opts o = opts(60);
	struct history h;
	struct trend tr;
	uint64_t t;

	ck_assert_int_eq(history__init(&h, 128, 2), 0);
	/* 32 KiB a second, sampled every second, on top of 1 MiB. */
	for (t = 0; t <= 60; t++)
		add(&h, t * SEC, MiB + t * 32 * KiB, 10 + t);
	history__trend(&h, 0, 60 * SEC, &o, &tr);
	ck_assert_int_eq(tr.cls, TREND_GROWING);
	ck_assert(fabs(tr.per_hour - 32.0 * KiB * 3600) < 1);
	ck_assert(fabs(tr.recent_per_hour - 32.0 * KiB * 3600) < 1);
	ck_assert(tr.fit > 0.999);
	ck_assert_int_eq(tr.delta, 60 * 32 * KiB);
	ck_assert_uint_eq(tr.points, 61);
	/* The count grows as steadily. */
	history__trend(&h, 1, 60 * SEC, &o, &tr);
	ck_assert(fabs(tr.per_hour - 3600.0) < 1e-6);
	/* No such value. */
	history__trend(&h, 2, 60 * SEC, &o, &tr);
	ck_assert_uint_eq(tr.points, 0);
	history__destroy(&h);
}
END_TEST

START_TEST(cache_that_fills_then_stays_is_plateaued)
{
	struct trend_opts o = opts(60);
	struct history h;
	struct trend tr;
	uint64_t t;

	ck_assert_int_eq(history__init(&h, 128, 2), 0);
	/* 8 MiB over the first 20 s, then flat. */
	for (t = 0; t <= 60; t++)
		add(&h, t * SEC, (t < 20 ? t : 20) * (8 * MiB / 20), t);
	history__trend(&h, 0, 60 * SEC, &o, &tr);
	ck_assert_int_eq(tr.cls, TREND_PLATEAUED);
	ck_assert(tr.recent_per_hour == 0);
	history__destroy(&h);
}
END_TEST

START_TEST(one_step_is_plateaued_not_growing)
{
	struct trend_opts o = opts(60);
	struct history h;
	struct trend tr;
	uint64_t t;

	ck_assert_int_eq(history__init(&h, 128, 2), 0);
	/* 30 MiB at once, at 10 s, then flat: what drill-down must not pick. */
	for (t = 0; t <= 60; t++)
		add(&h, t * SEC, 4 * MiB + (t >= 10 ? 30 * MiB : 0), t);
	history__trend(&h, 0, 60 * SEC, &o, &tr);
	ck_assert_int_eq(tr.cls, TREND_PLATEAUED);
	history__destroy(&h);
}
END_TEST

START_TEST(startup_table_is_stable_and_does_not_rank)
{
	struct trend_opts o = opts(60);
	struct history h;
	struct trend tr;
	uint64_t t;

	ck_assert_int_eq(history__init(&h, 128, 2), 0);
	/* 8 MiB from the first point on; a little noise below the tolerance. */
	for (t = 0; t <= 60; t++)
		add(&h, t * SEC, 8 * MiB + (t % 3) * 100, 1);
	history__trend(&h, 0, 60 * SEC, &o, &tr);
	ck_assert_int_eq(tr.cls, TREND_STABLE);
	ck_assert(!trend__ranks(&tr));
	history__destroy(&h);
}
END_TEST

START_TEST(burst_at_first_sight_is_stable)
{
	struct trend_opts o = opts(60);
	struct history h;
	struct trend tr;
	uint64_t t;

	ck_assert_int_eq(history__init(&h, 128, 2), 0);
	/* Seen first half allocated, whole at the next point, then flat: start-up. */
	add(&h, 0, 3 * MiB, 3);
	for (t = 1; t <= 60; t++)
		add(&h, t * SEC, 8 * MiB, 8);
	history__trend(&h, 0, 60 * SEC, &o, &tr);
	ck_assert_int_eq(tr.cls, TREND_STABLE);
	history__destroy(&h);
	/* The same burst later in its life is a step: plateaued. */
	ck_assert_int_eq(history__init(&h, 128, 2), 0);
	for (t = 0; t <= 60; t++)
		add(&h, t * SEC, t < 5 ? 3 * MiB : 8 * MiB, 8);
	history__trend(&h, 0, 60 * SEC, &o, &tr);
	ck_assert_int_eq(tr.cls, TREND_PLATEAUED);
	history__destroy(&h);
}
END_TEST

START_TEST(shrinking)
{
	struct trend_opts o = opts(60);
	struct history h;
	struct trend tr;
	uint64_t t;

	ck_assert_int_eq(history__init(&h, 128, 2), 0);
	for (t = 0; t <= 60; t++)
		add(&h, t * SEC, 64 * MiB - t * MiB, 100 - t);
	history__trend(&h, 0, 60 * SEC, &o, &tr);
	ck_assert_int_eq(tr.cls, TREND_SHRINKING);
	ck_assert(tr.per_hour < 0);
	history__destroy(&h);
}
END_TEST

START_TEST(short_history_is_unknown_not_extrapolated)
{
	struct trend_opts o = opts(3600);
	struct history h;
	struct trend tr;
	uint64_t t;

	ck_assert_int_eq(history__init(&h, 128, 2), 0);
	/* 20 s of a process that gained 300 MiB: no rate per hour from that. */
	for (t = 0; t <= 20; t++)
		add(&h, t * SEC, t * 15 * MiB, t);
	history__trend(&h, 0, 20 * SEC, &o, &tr);
	ck_assert_int_eq(tr.cls, TREND_UNKNOWN);
	ck_assert(tr.per_hour == 0);
	ck_assert(!trend__ranks(&tr));
	/* Two points only, even over a long span. */
	history__destroy(&h);
	ck_assert_int_eq(history__init(&h, 128, 2), 0);
	add(&h, 0, 0, 0);
	add(&h, 3000 * SEC, 100 * MiB, 1);
	history__trend(&h, 0, 3000 * SEC, &o, &tr);
	ck_assert_int_eq(tr.cls, TREND_UNKNOWN);
	history__destroy(&h);
}
END_TEST

START_TEST(one_outlier_does_not_move_the_slope)
{
	struct trend_opts o = opts(60);
	struct history h;
	struct trend tr;
	uint64_t t;

	ck_assert_int_eq(history__init(&h, 128, 2), 0);
	for (t = 0; t <= 60; t++)
		add(&h, t * SEC, t == 30 ? 900 * MiB : t * MiB, t);
	history__trend(&h, 0, 60 * SEC, &o, &tr);
	ck_assert_int_eq(tr.cls, TREND_GROWING);
	ck_assert(fabs(tr.per_hour - 3600.0 * MiB) < 1);
	history__destroy(&h);
}
END_TEST

START_TEST(bad_widths)
{
	struct history h;

	ck_assert_int_eq(history__init(&h, 8, 0), -EINVAL);
	ck_assert_int_eq(history__init(&h, 8, HISTORY_MAX_VALUES + 1), -EINVAL);
	history__destroy(&h);
}
END_TEST

START_TEST(ranking_order)
{
	struct trend grow_fast = { .cls = TREND_GROWING, .per_hour = 100 };
	struct trend grow_slow = { .cls = TREND_GROWING, .per_hour = 10 };
	struct trend plateau = { .cls = TREND_PLATEAUED, .per_hour = 1000 };
	struct trend shrink = { .cls = TREND_SHRINKING, .per_hour = -5 };

	ck_assert_int_lt(trend__cmp(&grow_fast, &grow_slow), 0);
	ck_assert_int_lt(trend__cmp(&grow_slow, &plateau), 0);
	ck_assert_int_lt(trend__cmp(&plateau, &shrink), 0);
	ck_assert_int_gt(trend__cmp(&shrink, &grow_fast), 0);
	ck_assert_int_eq(trend__cmp(&grow_fast, &grow_fast), 0);
	ck_assert_str_eq(trend_class__name(TREND_PLATEAUED), "plateaued");
	ck_assert_str_eq(trend_class__name(TREND__COUNT), "?");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("history");
	TCase *tc = tcase_create("history");

	tcase_add_test(tc, thinning_keeps_recent_points_and_bounds_memory);
	tcase_add_test(tc, steady_leak_is_growing_with_its_rate);
	tcase_add_test(tc, cache_that_fills_then_stays_is_plateaued);
	tcase_add_test(tc, one_step_is_plateaued_not_growing);
	tcase_add_test(tc, startup_table_is_stable_and_does_not_rank);
	tcase_add_test(tc, burst_at_first_sight_is_stable);
	tcase_add_test(tc, shrinking);
	tcase_add_test(tc, short_history_is_unknown_not_extrapolated);
	tcase_add_test(tc, one_outlier_does_not_move_the_slope);
	tcase_add_test(tc, bad_widths);
	tcase_add_test(tc, ranking_order);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
