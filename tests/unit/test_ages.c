// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <check.h>
#include <stdlib.h>

#include "model/ages.h"
#include "testutil.h"

#define SEC 1000000000ULL

START_TEST(ages_of_allocations_and_mappings)
{
	struct tables_limits tl = { .max_allocs = 1000, .max_stacks = 100, .max_maps = 100 };
	struct stack_ages ages[3];
	uint32_t want[3];
	struct tables t;
	struct proc_mem *p;
	uint64_t now = 1000000 * SEC;

	ck_assert_int_eq(tables__init(&t, &tl), 0);
	p = tables__add_proc(&t, 1, 1);
	/* Stack 11 (index 0): allocations 5 s, 30 s, 2 h and 2 d old. */
	proc_mem__alloc(p, 1, 1, 0x1000, 10, 11, 0, now - 5 * SEC);
	proc_mem__alloc(p, 1, 1, 0x2000, 20, 11, 0, now - 30 * SEC);
	proc_mem__alloc(p, 1, 1, 0x3000, 30, 11, 0, now - 7200 * SEC);
	proc_mem__alloc(p, 1, 1, 0x4000, 40, 11, 0, now - 2 * 86400 * SEC);
	/* Stack 13 (index 1): one allocation, freed. */
	proc_mem__alloc(p, 1, 1, 0x5000, 50, 13, 0, now - SEC);
	proc_mem__dealloc(p, 1, 0x5000);
	/* Stack 15 (index 2): a mapping 20 min old. */
	proc_mem__mmap(p, 0x100000, 0x4000, 15, 0, now - 1200 * SEC);

	want[0] = 0;
	want[1] = 1;
	want[2] = 99;	/* no such stack: nothing */
	ck_assert_int_eq(proc_mem__ages(p, LEVEL_HEAP, want, 3, now, ages), 0);
	ck_assert_uint_eq(ages[0].count, 4);
	ck_assert_uint_eq(ages[0].oldest_ns, 2 * 86400 * SEC);
	/* Sorted by time: 2 d, 2 h, 30 s, 5 s; the median is the upper middle one. */
	ck_assert_uint_eq(ages[0].median_ns, 30 * SEC);
	ck_assert_uint_eq(ages[0].counts[0], 1);	/* < 10 s */
	ck_assert_uint_eq(ages[0].counts[1], 1);	/* 10 s - 1 min */
	ck_assert_uint_eq(ages[0].counts[4], 1);	/* 1 h - 6 h */
	ck_assert_uint_eq(ages[0].counts[6], 1);	/* > 1 d */
	ck_assert_uint_eq(ages[0].bytes[6], 40);
	ck_assert_uint_eq(ages[1].count, 0);
	ck_assert_uint_eq(ages[1].oldest_ns, 0);
	ck_assert_uint_eq(ages[2].count, 0);

	want[0] = 2;
	ck_assert_int_eq(proc_mem__ages(p, LEVEL_MAP, want, 1, now, ages), 0);
	ck_assert_uint_eq(ages[0].count, 1);
	ck_assert_uint_eq(ages[0].oldest_ns, 1200 * SEC);
	ck_assert_uint_eq(ages[0].counts[3], 1);	/* 10 min - 1 h */
	ck_assert_uint_eq(ages[0].bytes[3], 0x4000);
	ck_assert_str_eq(age_bucket__name(0), "<10s");
	ck_assert_str_eq(age_bucket__name(AGE_BUCKETS - 1), ">1d");
	ck_assert_str_eq(age_bucket__name(AGE_BUCKETS), "?");
	tables__destroy(&t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ages");
	TCase *tc = tcase_create("ages");

	tcase_add_test(tc, ages_of_allocations_and_mappings);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
