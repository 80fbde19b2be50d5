// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <check.h>
#include <stdlib.h>

#include "model/histories.h"
#include "testutil.h"

#define SEC 1000000000ULL

START_TEST(stacks_get_histories_within_the_limit)
{
	struct histories_limits l = { .max_series = 3, .points = 16 };
	struct tables_limits tl = { .max_allocs = 1000, .max_stacks = 100, .max_maps = 100 };
	struct histories hs;
	struct tables t;
	struct proc_mem *a, *b;
	const struct history *h;

	ck_assert_int_eq(tables__init(&t, &tl), 0);
	ck_assert_int_eq(histories__init(&hs, &l), 0);
	a = tables__add_proc(&t, 100, 1);
	b = tables__add_proc(&t, 200, 1);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	/* a: stack 11 grows by 100 a second, stack 13 allocates and frees at once. */
	for (uint64_t s = 0; s < 10; s++) {
		proc_mem__alloc(a, 1, 1, 0x1000 + s * 16, 100, 11, 0, s * SEC);
		proc_mem__alloc(a, 1, 1, 0x9000, 50, 13, 0, s * SEC);
		proc_mem__dealloc(a, 1, 0x9000);
		histories__sample(&hs, a, s * SEC);
	}
	/* Stacks are indexed in the order they were first seen: 11 is 0, 13 is 1. */
	h = histories__get(&hs, 100, 0, LEVEL_HEAP);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(h->n, 10);
	ck_assert_uint_eq(history__value(h, 9, HIST_BYTES), 1000);
	ck_assert_uint_eq(history__value(h, 9, HIST_COUNT), 10);
	/* A stack that never held memory at a level has no history there. */
	ck_assert_ptr_null(histories__get(&hs, 100, 1, LEVEL_HEAP));
	ck_assert_ptr_null(histories__get(&hs, 100, 0, LEVEL_MAP));
	ck_assert_uint_eq(hs.series.count, 1);

	/* b: three stacks, room for two more series. */
	proc_mem__alloc(b, 1, 1, 0x1000, 10, 21, 0, 0);
	proc_mem__alloc(b, 1, 1, 0x2000, 10, 23, 0, 0);
	proc_mem__alloc(b, 1, 1, 0x3000, 10, 25, 0, 0);
	histories__sample(&hs, b, 0);
	ck_assert_uint_eq(hs.series.count, 3);
	ck_assert_uint_eq(hs.dropped, 1);
	ck_assert_uint_gt(histories__memory(&hs), 0);

	histories__forget_proc(&hs, 200);
	ck_assert_uint_eq(hs.series.count, 1);
	ck_assert_ptr_null(histories__get(&hs, 200, 0, LEVEL_HEAP));
	ck_assert_ptr_nonnull(histories__get(&hs, 100, 0, LEVEL_HEAP));
	histories__forget_proc(&hs, 100);
	ck_assert_uint_eq(hs.series.count, 0);

	histories__destroy(&hs);
	tables__destroy(&t);
}
END_TEST

START_TEST(levels_keep_apart)
{
	struct histories_limits l = { .max_series = 10, .points = 8 };
	struct tables_limits tl = { .max_allocs = 1000, .max_stacks = 100, .max_maps = 100 };
	struct histories hs;
	struct tables t;
	struct proc_mem *a;

	ck_assert_int_eq(tables__init(&t, &tl), 0);
	ck_assert_int_eq(histories__init(&hs, &l), 0);
	a = tables__add_proc(&t, 7, 1);
	/* Stack 0 at the heap and mapping levels, stack 1 at the heap: none mixed. */
	proc_mem__alloc(a, 1, 1, 0x1000, 64, 11, 0, 0);
	proc_mem__alloc(a, 1, 1, 0x2000, 32, 13, 0, 0);
	proc_mem__mmap(a, 0x100000, 0x4000, 11, 0, 0);
	histories__sample(&hs, a, 0);
	ck_assert_uint_eq(history__value(histories__get(&hs, 7, 0, LEVEL_HEAP), 0, HIST_BYTES), 64);
	ck_assert_uint_eq(history__value(histories__get(&hs, 7, 1, LEVEL_HEAP), 0, HIST_BYTES), 32);
	ck_assert_uint_eq(history__value(histories__get(&hs, 7, 0, LEVEL_MAP), 0, HIST_BYTES),
			  0x4000);
	ck_assert_ptr_null(histories__get(&hs, 7, 1, LEVEL_MAP));
	/* Every other level of both stacks: nothing (a level once aliased the next stack). */
	for (int lv = LEVEL_MAP + 1; lv < LEVEL__COUNT; lv++) {
		ck_assert_ptr_null(histories__get(&hs, 7, 0, lv));
		ck_assert_ptr_null(histories__get(&hs, 7, 1, lv));
	}
	ck_assert_uint_eq(hs.series.count, 3);
	histories__destroy(&hs);
	tables__destroy(&t);
}
END_TEST

START_TEST(points_are_bounded)
{
	struct histories_limits l = { .max_series = 10, .points = 8 };
	struct tables_limits tl = { .max_allocs = 1000, .max_stacks = 100, .max_maps = 100 };
	struct histories hs;
	struct tables t;
	struct proc_mem *a;
	const struct history *h;

	ck_assert_int_eq(tables__init(&t, &tl), 0);
	ck_assert_int_eq(histories__init(&hs, &l), 0);
	a = tables__add_proc(&t, 7, 1);
	proc_mem__alloc(a, 1, 1, 0x1000, 64, 11, 0, 0);
	for (uint64_t s = 0; s < 100; s++)
		histories__sample(&hs, a, s * SEC);
	h = histories__get(&hs, 7, 0, LEVEL_HEAP);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_le(h->n, 8);
	ck_assert_uint_eq(h->t[h->n - 1], 99 * SEC);
	histories__destroy(&hs);
	tables__destroy(&t);
}
END_TEST

/* A sampled stack's history holds its estimates: each sample stands for its weight. */
START_TEST(sampled_stacks_keep_estimates)
{
	struct histories_limits l = { .max_series = 10, .points = 8 };
	struct tables_limits tl = { .max_allocs = 1000, .max_stacks = 100, .max_maps = 100 };
	const struct history *h;
	struct histories hs;
	struct tables t;
	struct proc_mem *a;

	ck_assert_int_eq(tables__init(&t, &tl), 0);
	ck_assert_int_eq(histories__init(&hs, &l), 0);
	a = tables__add_proc(&t, 9, 1);
	/* Stack 0: one exact block of 64; then two samples of 100 bytes, each for 400. */
	proc_mem__alloc(a, 1, 1, 0x1000, 64, 11, 0, 0);
	proc_mem__alloc_sampled(a, LEAKD_FN_MALLOC, 0x2000, 100, 400, 11, 0, 0);
	histories__sample(&hs, a, 0);
	proc_mem__alloc_sampled(a, LEAKD_FN_MALLOC, 0x3000, 100, 400, 11, 0, SEC);
	histories__sample(&hs, a, SEC);
	h = histories__get(&hs, 9, 0, LEVEL_HEAP);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_eq(history__value(h, 0, HIST_BYTES), 64 + 400);
	ck_assert_uint_eq(history__value(h, 0, HIST_COUNT), 1 + 4);
	ck_assert_uint_eq(history__value(h, 1, HIST_BYTES), 64 + 800);
	ck_assert_uint_eq(history__value(h, 1, HIST_COUNT), 1 + 8);
	/* A sampled block freed takes its estimate with it. */
	proc_mem__dealloc(a, 1, 0x2000);
	histories__sample(&hs, a, 2 * SEC);
	ck_assert_uint_eq(history__value(h, 2, HIST_BYTES), 64 + 400);
	histories__destroy(&hs);
	tables__destroy(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("histories");
	TCase *tc = tcase_create("histories");

	tcase_add_test(tc, stacks_get_histories_within_the_limit);
	tcase_add_test(tc, levels_keep_apart);
	tcase_add_test(tc, sampled_stacks_keep_estimates);
	tcase_add_test(tc, points_are_bounded);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
