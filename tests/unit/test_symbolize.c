// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The symbolizer on this test's own executable: symbols read only when a frame is
 * first named, closed again when idle and read again when next asked for; stacks
 * kept unnamed by a stack list are named later the same way.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/procmaps.h"
#include "leakd/events.h"
#include "present/report.h"
#include "present/snapshot.h"
#include "stacks/symbolize.h"
#include "testutil.h"

#define SEC 1000000000ULL

/* A function of this executable with a symbol of its own name. */
int symbolize_target_fn(int x);

__attribute__((noinline, used)) int symbolize_target_fn(int x)
{
	return x * 3 + 1;
}

/* The kernel's record of a frame at pc in this process, as the BPF side places it. */
static struct leakd_frame frame_of(uintptr_t pc)
{
	struct leakd_frame f = { .pc = pc, .flags = LEAKD_FRAME_EXACT };
	const struct map_entry *e;
	struct proc_maps maps;

	ck_assert_int_eq(procmaps__read(getpid(), &maps), 0);
	e = procmaps__find(&maps, pc);
	ck_assert_ptr_nonnull(e);
	ck_assert(e->exec && e->inode);
	f.offset = pc - e->start + e->offset;
	f.ino = e->inode;
	f.dev = major(e->dev) << 20 | minor(e->dev);
	procmaps__destroy(&maps);
	return f;
}

static const char *function_of(struct symbolizer *s, const struct stack_frame *f)
{
	struct frame_desc d[SYMBOLIZE_MAX_CHAIN];
	int n = symbolizer__describe(s, f, d, SYMBOLIZE_MAX_CHAIN);

	ck_assert_int_ge(n, 1);
	return d[n - 1].function;
}

START_TEST(lazy_symbols)
{
	struct leakd_frame kf = frame_of((uintptr_t)symbolize_target_fn);
	struct symbolizer *s = symbolizer__new(64);
	struct symbolizer_stats st;
	struct stack_frame *f;
	struct frame_desc d;

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(symbolizer__trim(s, 1000 * SEC, 60 * SEC), 0);
	ck_assert_int_eq(symbolizer__refresh_proc(s, getpid()), 0);
	symbolizer__stats(s, &st);
	ck_assert_uint_gt(st.modules, 0);
	/* Every module learnt, none read. */
	ck_assert_uint_eq(st.modules_symbols, 0);
	f = symbolizer__normalize(s, getpid(), &kf, 1);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_ne(f[0].module, 0);

	/* The symbol table alone names it, and reads only that module. */
	symbolizer__symbol(s, &f[0], &d);
	ck_assert_str_eq(d.function, "symbolize_target_fn");
	symbolizer__stats(s, &st);
	ck_assert_uint_eq(st.modules_symbols, 1);
	ck_assert_uint_eq(st.debuginfo_open, 0);
	ck_assert_str_eq(function_of(s, &f[0]), "symbolize_target_fn");

	/* Used a moment ago: kept. */
	ck_assert_int_eq(symbolizer__trim(s, 1030 * SEC, 60 * SEC), 0);
	symbolizer__stats(s, &st);
	ck_assert_uint_eq(st.modules_symbols, 1);
	/* Idle past the bound: closed; named again, read again. */
	ck_assert_int_ge(symbolizer__trim(s, 1061 * SEC, 60 * SEC), 1);
	symbolizer__stats(s, &st);
	ck_assert_uint_eq(st.modules_symbols, 0);
	ck_assert_uint_eq(st.debuginfo_open, 0);
	ck_assert_str_eq(function_of(s, &f[0]), "symbolize_target_fn");
	symbolizer__stats(s, &st);
	ck_assert_uint_eq(st.modules_symbols, 1);
	ck_assert_uint_eq(st.modules_unreadable, 0);
	free(f);
	symbolizer__free(s);
}
END_TEST

START_TEST(stacks_named_later)
{
	struct leakd_frame kf = frame_of((uintptr_t)symbolize_target_fn);
	struct tables_limits lim = { .max_allocs = 16, .max_stacks = 16, .max_maps = 16 };
	struct symbolizer *s = symbolizer__new(64);
	struct stack_list l = { 0 };
	struct symbolizer_stats st;
	struct report_row r = { 0 };
	struct proc_stack *ps;
	struct proc_mem *p;
	struct tables t;

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(tables__init(&t, &lim), 0);
	p = tables__add_proc(&t, getpid(), 1);
	ck_assert_ptr_nonnull(p);
	ps = proc_mem__stack(p, 0x51);
	ck_assert_ptr_nonnull(ps);
	stack__set_frames(ps, symbolizer__normalize(s, getpid(), &kf, 1), 1, 0);
	r.proc = p;
	r.stack = ps;
	r.level = LEVEL_MAP;
	r.bytes = 4096;

	/* Kept unnamed: nothing read. */
	ck_assert_int_eq(stack_list__add(&l, NULL, &r, false), 0);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_ptr_null(l.v[0].frames);
	ck_assert_uint_eq(l.v[0].nr_frames, 1);
	symbolizer__stats(s, &st);
	ck_assert_uint_eq(st.modules_symbols, 0);
	/* The process gone, its frames are still named. */
	tables__destroy(&t);
	ck_assert_int_eq(stack_list__name(&l, s), 0);
	ck_assert_ptr_nonnull(l.v[0].frames);
	ck_assert_ptr_null(l.v[0].raw);
	ck_assert_str_eq(l.v[0].frames[0].real.function, "symbolize_target_fn");
	ck_assert(l.v[0].has_owner);
	ck_assert_int_eq(l.v[0].owner, RUNTIME_OTHER);
	ck_assert_uint_eq(l.v[0].bytes, 4096);
	/* Named once. */
	ck_assert_int_eq(stack_list__name(&l, s), 0);
	ck_assert_str_eq(l.v[0].frames[0].real.function, "symbolize_target_fn");
	stack_list__free(&l);
	symbolizer__free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("symbolize");
	TCase *tc = tcase_create("symbolize");

	tcase_add_test(tc, lazy_symbols);
	tcase_add_test(tc, stacks_named_later);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
