// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The report: ranking of stacks (order, ties, top N, minimum age, a large table
 * against a full sort), when a report is incomplete, and its text and JSON forms.
 */
#include <check.h>
#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakd/events.h"
#include "present/report.h"
#include "stacks/symbolize.h"
#include "model/tables.h"
#include "testutil.h"

#define PID 1234
#define TID 1

static struct tables t;

static struct proc_mem *setup(uint64_t max_stacks)
{
	struct tables_limits l = { .max_allocs = 1 << 22, .max_stacks = max_stacks,
				   .max_maps = 16 };
	struct proc_mem *p;

	ck_assert_int_eq(tables__init(&t, &l), 0);
	p = tables__add_proc(&t, PID, 1);
	ck_assert_ptr_nonnull(p);
	return p;
}

static void teardown(void)
{
	tables__destroy(&t);
}

static void alloc(struct proc_mem *p, uint64_t addr, uint64_t size, uint64_t stack, uint64_t ts)
{
	proc_mem__alloc(p, TID, LEAKD_FN_MALLOC, addr, size, stack, 0, ts);
}

#define ck_row(rows, i, sid, b, c)                                            \
	do {                                                                  \
		ck_assert_uint_eq((rows)[i].stack->id, (sid));                \
		ck_assert_uint_eq((rows)[i].bytes, (b));                      \
		ck_assert_uint_eq((rows)[i].count, (c));                      \
	} while (0)

/*
 * 0x31: 300 in 1; 0x21: 100 in 2; 0x11 and 0x41: 100 in 1 (tie: lower id first);
 * 0x61: malloc(0), outstanding but empty; 0x51: all freed.
 */
static struct proc_mem *five_stacks(void)
{
	struct proc_mem *p = setup(100);

	alloc(p, 0x1000, 100, 0x41, 1);
	alloc(p, 0x2000, 5, 0x51, 1);
	alloc(p, 0x3000, 0, 0x61, 1);
	alloc(p, 0x4000, 50, 0x21, 1);
	alloc(p, 0x5000, 300, 0x31, 1);
	alloc(p, 0x6000, 100, 0x11, 1);
	alloc(p, 0x7000, 50, 0x21, 1);
	proc_mem__dealloc(p, TID, 0x2000);
	return p;
}

START_TEST(rank_order_and_ties)
{
	struct proc_mem *p = five_stacks();
	struct report_row *rows;

	ck_assert_int_eq(report__rank(p, 0, 0, 10, &rows), 5);
	ck_row(rows, 0, 0x31, 300, 1);
	ck_row(rows, 1, 0x21, 100, 2);
	ck_row(rows, 2, 0x11, 100, 1);
	ck_row(rows, 3, 0x41, 100, 1);
	ck_row(rows, 4, 0x61, 0, 1);
	free(rows);
	ck_assert_int_eq(report__rank(p, 100, 0, 10, &rows), 5);
	ck_row(rows, 4, 0x61, 0, 1);
	free(rows);
	ck_assert_int_eq(report__rank(p, 5, 0, 10, &rows), 5);
	ck_row(rows, 3, 0x41, 100, 1);
	free(rows);
	ck_assert_int_eq(report__rank(p, 3, 0, 10, &rows), 3);
	ck_row(rows, 0, 0x31, 300, 1);
	ck_row(rows, 1, 0x21, 100, 2);
	ck_row(rows, 2, 0x11, 100, 1);
	free(rows);
	ck_assert_int_eq(report__rank(p, 1, 0, 10, &rows), 1);
	ck_row(rows, 0, 0x31, 300, 1);
	free(rows);
	teardown();
}
END_TEST

START_TEST(rank_nothing_outstanding)
{
	struct proc_mem *p = setup(100);
	struct report_row *rows;

	ck_assert_int_eq(report__rank(p, 10, 0, 10, &rows), 0);
	free(rows);
	alloc(p, 0x1000, 10, 0x11, 1);
	proc_mem__dealloc(p, TID, 0x1000);
	ck_assert_int_eq(report__rank(p, 0, 0, 10, &rows), 0);
	free(rows);
	ck_assert_int_eq(report__rank(p, 0, 1, 10, &rows), 0);
	free(rows);
	teardown();
}
END_TEST

START_TEST(rank_min_age)
{
	struct proc_mem *p = setup(100);
	struct report_row *rows;

	alloc(p, 0x1000, 10, 0x11, 100);	/* age 900 at 1000 */
	alloc(p, 0x2000, 20, 0x11, 500);	/* age 500 */
	alloc(p, 0x3000, 40, 0x11, 950);	/* age 50 */
	alloc(p, 0x4000, 1000, 0x21, 990);	/* age 10 */
	alloc(p, 0x5000, 5, 0x31, 2000);	/* from the future: no age */
	ck_assert_int_eq(report__rank(p, 0, 500, 1000, &rows), 1);
	ck_row(rows, 0, 0x11, 30, 2);
	free(rows);
	ck_assert_int_eq(report__rank(p, 0, 1, 1000, &rows), 2);
	ck_row(rows, 0, 0x21, 1000, 1);
	ck_row(rows, 1, 0x11, 70, 3);
	free(rows);
	ck_assert_int_eq(report__rank(p, 0, 900, 1000, &rows), 1);
	ck_row(rows, 0, 0x11, 10, 1);
	free(rows);
	ck_assert_int_eq(report__rank(p, 0, 901, 1000, &rows), 0);
	free(rows);
	/* Later, everything is old enough. */
	ck_assert_int_eq(report__rank(p, 1, 10, 5000, &rows), 1);
	ck_row(rows, 0, 0x21, 1000, 1);
	free(rows);
	ck_assert_int_eq(report__rank(p, 0, 10, 5000, &rows), 3);
	ck_row(rows, 2, 0x31, 5, 1);
	free(rows);
	teardown();
}
END_TEST

struct expect {
	uint64_t id, bytes, count;
};

static int cmp_expect(const void *pa, const void *pb)
{
	const struct expect *a = pa, *b = pb;

	if (a->bytes != b->bytes)
		return a->bytes > b->bytes ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

START_TEST(rank_many_against_sort)
{
	const uint32_t n = 100000;
	struct expect *e = calloc(n, sizeof(*e));
	struct report_row *rows;
	uint64_t addr = 0x10000;
	struct proc_mem *p;
	uint32_t i, j, live = 0;
	int got;

	ck_assert_ptr_nonnull(e);
	p = setup(n + 10);
	srand(99);
	for (i = 0; i < n; i++) {
		/* Few distinct figures, so ties at every rank; ids in scrambled order. */
		uint32_t k = (i * 7919u) % n, allocs = rand() % 4;

		e[i].id = (uint64_t)(k + 1) << 4 | 1;
		for (j = 0; j < allocs; j++) {
			uint64_t size = (rand() % 64) * 16;

			alloc(p, addr, size, e[i].id, 1);
			addr += 0x100;
			e[i].bytes += size;
			e[i].count++;
		}
		if (!allocs)
			proc_mem__stack(p, e[i].id);
		live += allocs > 0;
	}
	ck_assert_uint_eq(p->nr_stacks, n);
	qsort(e, n, sizeof(*e), cmp_expect);
	ck_assert_int_eq(report__rank(p, 10, 0, 1, &rows), 10);
	for (i = 0; i < 10; i++)
		ck_row(rows, i, e[i].id, e[i].bytes, e[i].count);
	free(rows);
	ck_assert_int_eq(report__rank(p, 1000, 0, 1, &rows), 1000);
	for (i = 0; i < 1000; i++)
		ck_row(rows, i, e[i].id, e[i].bytes, e[i].count);
	free(rows);
	got = report__rank(p, 0, 0, 1, &rows);
	ck_assert_int_eq(got, live);
	for (i = 0; i < live; i++)
		ck_row(rows, i, e[i].id, e[i].bytes, e[i].count);
	free(rows);
	/* With a minimum age the figures come from the blocks: the same here. */
	ck_assert_int_eq(report__rank(p, 10, 1, 2, &rows), 10);
	for (i = 0; i < 10; i++)
		ck_row(rows, i, e[i].id, e[i].bytes, e[i].count);
	free(rows);
	free(e);
	teardown();
}
END_TEST

START_TEST(incomplete_when_lost)
{
	struct proc_mem *p = setup(100);
	struct report_meta m = { 0 };
	int c;

	ck_assert(!report__incomplete(&m, p));
	for (c = 0; c < LEAKD_CNT__COUNT; c++) {
		memset(&m, 0, sizeof(m));
		m.counters[c] = 1;
		ck_assert_msg(report__incomplete(&m, p) == (c < LEAKD_DROP__COUNT),
			      "counter %d", c);
	}
	memset(&m, 0, sizeof(m));
	m.missed_runs = 1;
	ck_assert(report__incomplete(&m, p));
	m.missed_runs = 0;
	p->losses.allocs_dropped = 1;
	ck_assert(report__incomplete(&m, p));
	p->losses.allocs_dropped = 0;
	p->losses.stacks_merged = 2;
	ck_assert(report__incomplete(&m, p));
	p->losses.stacks_merged = 0;
	/* Notes are not losses. */
	p->notes.unmatched_frees = 5;
	p->notes.replaced_allocs = 5;
	p->notes.realloc_unparked = 5;
	p->notes.unmatched_unmaps = 5;
	ck_assert(!report__incomplete(&m, p));
	teardown();
}
END_TEST

/* Once a bug, kept as a test: a full mapping table (losses.maps_dropped) does not make the report incomplete. */
START_TEST(incomplete_when_maps_dropped)
{
	struct proc_mem *p = setup(100);
	struct report_meta m = { 0 };

	p->losses.maps_dropped = 1;
	ck_assert(report__incomplete(&m, p));
	teardown();
}
END_TEST

static char *print(const struct report_opts *o, const struct report_meta *m,
		   const struct proc_mem *p)
{
	struct symbolizer *s = symbolizer__new(16);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(report__print(f, o, m, p, s), 0);
	fclose(f);
	symbolizer__free(s);
	return buf;
}

#define ck_has(text, needle) \
	ck_assert_msg(strstr((text), (needle)), "no '%s' in:\n%s", (needle), (text))
#define ck_lacks(text, needle) \
	ck_assert_msg(!strstr((text), (needle)), "'%s' in:\n%s", (needle), (text))

START_TEST(json_report)
{
	struct proc_mem *p = five_stacks();
	struct report_opts o = { .top = 2, .format = OUTPUT_JSON };
	struct report_meta m = { .now_ns = 10, .wall = 1700000000, .final = true,
				 .reason = "exit" };
	const char *rows_at;
	char *s;

	memcpy(p->comm, "a\"b\\c\x01\xff", 8);
	s = print(&o, &m, p);
	ck_assert_uint_eq(s[strlen(s) - 1], '\n');
	/* One line. */
	ck_assert_ptr_eq(strchr(s, '\n'), s + strlen(s) - 1);
	ck_has(s, "{\"type\":\"report\",\"time\":1700000000,\"final\":true,\"reason\":\"exit\","
		  "\"pid\":1234,");
	ck_has(s, "\"comm\":\"a\\\"b\\\\c\\u0001\\ufffd\"");
	ck_has(s, "\"complete\":true");
	ck_has(s, "\"mode\":\"exact\"");
	ck_lacks(s, "sample_interval");
	ck_has(s, "\"live_bytes\":600,\"live_allocs\":6,\"total_allocs\":7,\"total_frees\":1,");
	ck_has(s, "\"nr_stacks\":6");
	ck_has(s, "\"ringbuf_alloc\":0");
	ck_has(s, "\"stack_table_full\":0");
	rows_at = strstr(s, "\"stacks\":[");
	ck_assert_ptr_nonnull(rows_at);
	ck_has(rows_at, "\"level\":\"heap\",\"id\":\"0x31\",\"bytes\":300,\"allocs\":1,"
			"\"total_bytes\":300,\"total_count\":1,\"freed_bytes\":0,\"freed_count\":0,"
			"\"overflow\":false,\"preexisting\":false,\"cut\":[],\"frames\":[]}");
	ck_has(rows_at, "\"level\":\"heap\",\"id\":\"0x21\",\"bytes\":100,\"allocs\":2,");
	ck_lacks(rows_at, "0x11");
	ck_assert_int_eq(python_parses(s), 0);
	free(s);

	/* Losses make it incomplete and are named. */
	m.counters[LEAKD_DROP_RINGBUF_ALLOC] = 3;
	m.counters[LEAKD_CNT_STACK_TRUNCATED] = 4;
	p->losses.stacks_merged = 2;
	o.top = 0;
	o.min_age_ns = 7;
	s = print(&o, &m, p);
	ck_has(s, "\"complete\":false");
	ck_has(s, "\"min_age_ns\":7");
	ck_has(s, "\"ringbuf_alloc\":3");
	ck_has(s, "\"stack_truncated\":4");
	ck_has(s, "\"stack_table_full\":2");
	/* Every allocation is at ts 1, age 9 at 10: all old enough. */
	ck_has(s, "\"id\":\"0x61\",\"bytes\":0,\"allocs\":1,");
	ck_assert_int_eq(python_parses(s), 0);
	free(s);
	teardown();
}
END_TEST

START_TEST(text_report)
{
	struct proc_mem *p = five_stacks();
	struct report_opts o = { .top = 2 };
	struct report_meta m = { .now_ns = 10, .wall = 1700000000 };
	struct proc_stack *s21;
	char *s;

	memcpy(p->comm, "leaker", 7);
	s21 = proc_mem__stack(p, 0x21);
	stack__set_frames(s21, NULL, 0, LEAKD_STACK_TRUNCATED);
	s = print(&o, &m, p);
	ck_has(s, "] pid 1234 (leaker): 600 B in 6 live allocations (7 allocations, 1 frees "
		  "traced)\n");
	ck_has(s, "traced)\n  exact: every allocation traced\n");
	ck_lacks(s, "sampled");
	ck_lacks(s, "INCOMPLETE");
	ck_lacks(s, "final report");
	ck_has(s, "Top 2 stacks with outstanding allocations:\n\n");
	ck_has(s, "300 bytes in 1 allocations from stack (1 allocated, 0 freed since tracing "
		  "began)\n\t[stack not captured]\n\n");
	ck_has(s, "100 bytes in 2 allocations from stack (2 allocated, 0 freed since tracing "
		  "began)\n\t[deeper frames cut: depth limit]\n\n");
	ck_lacks(s, "frees of blocks not seen");
	free(s);

	m.final = true;
	m.reason = "signal";
	m.missed_runs = 9;
	p->losses.allocs_dropped = 8;
	p->notes.unmatched_frees = 4;
	o.min_age_ns = 1500000000;
	s = print(&o, &m, p);
	ck_has(s, "(leaker), final report at signal: ");
	ck_has(s, "  INCOMPLETE: events were lost: bpf_missed_runs=9 alloc_table_full=8\n");
	ck_has(s, "  4 frees of blocks not seen allocated");
	ck_has(s, "  only allocations older than 1.500 s\n");
	ck_has(s, "Top 0 stacks");
	free(s);
	teardown();
}
END_TEST

START_TEST(overflow_stack_in_report)
{
	struct proc_mem *p = setup(1);
	struct report_opts o = { .format = OUTPUT_JSON };
	struct report_meta m = { .now_ns = 10 };
	char *s;

	alloc(p, 0x1000, 10, 0x11, 1);
	alloc(p, 0x2000, 20, 0x21, 1);
	s = print(&o, &m, p);
	ck_has(s, "\"bytes\":20,\"allocs\":1,\"total_bytes\":20,\"total_count\":1,"
		  "\"freed_bytes\":0,\"freed_count\":0,\"overflow\":true");
	ck_has(s, "\"complete\":false");
	free(s);
	o.format = OUTPUT_TEXT;
	s = print(&o, &m, p);
	ck_has(s, "20 bytes in 1 allocations from stack (1 allocated, 0 freed since tracing "
		  "began)\n\t[stacks past the stack table's limit]\n");
	ck_has(s, "stack_table_full=1");
	free(s);
	teardown();
}
END_TEST

/* A sampled process: estimates ranked, printed with their standard errors, and the mode said. */
START_TEST(sampled_report)
{
	struct proc_mem *p = setup(100);
	struct report_opts o = { .top = 0, .format = OUTPUT_JSON };
	struct report_meta m = { .now_ns = 10, .wall = 1700000000, .final = true };
	struct report_row *rows;
	char *s;
	int n;

	p->sample_interval = 512 << 10;
	/* 0x11: two blocks of 100 each standing for 400 (sd of 400 * 300 each). */
	proc_mem__alloc_sampled(p, LEAKD_FN_MALLOC, 0x1000, 100, 400, 0x11, 0, 1);
	proc_mem__alloc_sampled(p, LEAKD_FN_MALLOC, 0x2000, 100, 400, 0x11, 0, 5);
	/* 0x21: one exact-weight block of 600 outranks it; 0x31: freed. */
	proc_mem__alloc_sampled(p, LEAKD_FN_MALLOC, 0x3000, 1000, 1000, 0x21, 0, 1);
	proc_mem__alloc_sampled(p, LEAKD_FN_MALLOC, 0x4000, 10, 20, 0x31, 0, 1);
	proc_mem__dealloc(p, TID, 0x4000);

	n = report__rank(p, 0, 0, 10, &rows);
	ck_assert_int_eq(n, 2);
	ck_row(rows, 0, 0x21, 1000, 1);
	ck_row(rows, 1, 0x11, 800, 8);
	ck_assert_uint_eq(rows[1].samples, 2);
	ck_assert(fabs(rows[1].se_bytes - sqrt(2 * 400.0 * 300)) < 1e-9);
	ck_assert(fabs(rows[1].se_count - sqrt(2 * 12.0)) < 1e-9);
	ck_assert(rows[0].se_bytes == 0);
	free(rows);
	/* Only what is older than 7 at 10: one block of 0x11. */
	n = report__rank(p, 0, 7, 10, &rows);
	ck_assert_int_eq(n, 2);
	ck_row(rows, 1, 0x11, 400, 4);
	ck_assert_uint_eq(rows[1].samples, 1);
	ck_assert(fabs(rows[1].se_bytes - sqrt(400.0 * 300)) < 1e-9);
	free(rows);

	s = print(&o, &m, p);
	ck_has(s, "\"mode\":\"sampled\",\"live_bytes\":1800,\"live_allocs\":9,");
	ck_has(s, "\"sample_interval\":524288,\"live_bytes_se\":");
	ck_has(s, "\"sampled_live\":3");
	ck_has(s, "\"id\":\"0x11\",\"bytes\":800,\"allocs\":8,\"bytes_se\":");
	ck_has(s, "\"samples\":2,\"total_bytes\":800,\"total_count\":8,");
	ck_assert_int_eq(python_parses(s), 0);
	free(s);
	o.format = OUTPUT_TEXT;
	s = print(&o, &m, p);
	ck_has(s, "  sampled every 512.0 KiB on average (3 sampled blocks live): figures are "
		  "estimates ± standard error\n");
	ck_has(s, "800 ± 490 bytes in 8 ± 5 allocations from stack (estimated from 2 sampled; "
		  "about 8 allocated, 0 freed since tracing began)\n");
	free(s);
	teardown();
}
END_TEST

START_TEST(write_error_reported)
{
	struct proc_mem *p = five_stacks();
	struct report_opts o = { .format = OUTPUT_JSON };
	struct report_meta m = { 0 };
	struct symbolizer *s = symbolizer__new(16);
	FILE *f = fopen("/dev/full", "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(report__print(f, &o, &m, p, s), -EIO);
	fclose(f);
	symbolizer__free(s);
	teardown();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("report");
	TCase *rank = tcase_create("rank");
	TCase *print_tc = tcase_create("print");

	tcase_set_timeout(rank, 60);
	tcase_add_test(rank, rank_order_and_ties);
	tcase_add_test(rank, rank_nothing_outstanding);
	tcase_add_test(rank, rank_min_age);
	tcase_add_test(rank, rank_many_against_sort);
	tcase_add_test(rank, incomplete_when_lost);
	tcase_add_test(rank, incomplete_when_maps_dropped);
	suite_add_tcase(s, rank);
	tcase_set_timeout(print_tc, 30);
	tcase_add_test(print_tc, json_report);
	tcase_add_test(print_tc, text_report);
	tcase_add_test(print_tc, sampled_report);
	tcase_add_test(print_tc, overflow_stack_in_report);
	tcase_add_test(print_tc, write_error_reported);
	suite_add_tcase(s, print_tc);
	return run_suite(s);
}
