// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "present/diff.h"
#include "present/stackload.h"
#include "testutil.h"

/* A stack row as leakd's JSON writes it: in libfoo at offset off, called from main. */
static char *row(char *buf, size_t size, const char *level, unsigned long bytes,
		 unsigned long count, unsigned long off, unsigned long pc)
{
	snprintf(buf, size,
		 "{\"pid\":%lu,\"comm\":\"srv\",\"level\":\"%s\",\"id\":\"0x%lx\",\"bytes\":%lu,"
		 "\"%s\":%lu,\"total_bytes\":%lu,\"total_count\":%lu,\"freed_bytes\":0,"
		 "\"freed_count\":0,\"overflow\":false,\"preexisting\":false,\"cut\":[],"
		 "\"frames\":[{\"pc\":\"0x%lx\",\"function\":\"grow\",\"function_offset\":12,"
		 "\"file\":\"foo.c\",\"line\":7,\"module\":\"libfoo.so\",\"unwound_by\":\"table\","
		 "\"path\":\"/usr/lib/libfoo.so\",\"offset\":\"0x%lx\",\"build_id\":\"abcd\","
		 "\"inlined\":[{\"function\":\"inner\",\"file\":\"foo.h\",\"line\":3}]},"
		 "{\"pc\":\"0x%lx\",\"function\":\"main\",\"module\":\"srv\","
		 "\"unwound_by\":\"frame_pointer\",\"path\":\"/usr/bin/srv\",\"offset\":\"0x40\","
		 "\"build_id\":\"\"}]}",
		 pc >> 12, level, pc, bytes, strcmp(level, "heap") ? "mappings" : "allocs", count,
		 bytes, count, pc, off, pc + 0x1000);
	return buf;
}

START_TEST(loads_what_leakd_writes)
{
	struct stack_list l;
	const char *why;
	char a[2048], b[2048], c[2048], doc[8192];

	/* Two JSON lines (periodic then final report): the last one counts. */
	snprintf(doc, sizeof(doc), "{\"type\":\"report\",\"stacks\":[%s]}\n"
		 "{\"type\":\"report\",\"final\":true,\"stacks\":[%s],\"maps\":[%s]}\n",
		 row(a, sizeof(a), "heap", 100, 1, 0x100, 0x7f0000001000),
		 row(b, sizeof(b), "heap", 300, 3, 0x100, 0x7f0000001000),
		 row(c, sizeof(c), "mapping", 4096, 1, 0x200, 0x7f0000002000));
	ck_assert_int_eq(stack_list__load_json(doc, strlen(doc), &l, &why), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_int_eq(l.v[0].level, LEVEL_HEAP);
	ck_assert_uint_eq(l.v[0].bytes, 300);
	ck_assert_uint_eq(l.v[0].count, 3);
	ck_assert_uint_eq(l.v[0].stats.total_count, 3);
	ck_assert_str_eq(l.v[0].comm, "srv");
	ck_assert_uint_eq(l.v[0].nr_frames, 2);
	ck_assert(l.v[0].flags & STACK_HAS_FRAMES);
	ck_assert_str_eq(l.v[0].frames[0].real.function, "grow");
	ck_assert_int_eq(l.v[0].frames[0].real.line, 7);
	ck_assert_uint_eq(l.v[0].frames[0].offset, 0x100);
	ck_assert_str_eq(l.v[0].frames[0].build_id, "abcd");
	ck_assert_uint_eq(l.v[0].frames[0].nr_inlined, 1);
	ck_assert_str_eq(l.v[0].frames[0].inlined[0].function, "inner");
	ck_assert(l.v[0].frames[1].flags & LEAKD_FRAME_FP);
	ck_assert_int_eq(l.v[1].level, LEVEL_MAP);
	ck_assert_uint_eq(l.v[1].count, 1);
	stack_list__free(&l);
}
END_TEST

START_TEST(bad_input_says_why)
{
	static const char *const bad[] = { "", "   \n", "{", "{\"stacks\":[}", "[1,2", "nul\x01l" };
	struct stack_list l;
	const char *why;
	char big[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		ck_assert_int_eq(stack_list__load_json(bad[i], strlen(bad[i]), &l, &why), -EINVAL);
		ck_assert_ptr_nonnull(why);
		ck_assert_uint_eq(l.n, 0);
	}
	/* Valid JSON without stacks: an empty list. */
	ck_assert_int_eq(stack_list__load_json("{\"type\":\"status\"}", 17, &l, &why), 0);
	ck_assert_uint_eq(l.n, 0);
	/* A stack with a frame that is not an object. */
	snprintf(big, sizeof(big), "{\"level\":\"heap\",\"bytes\":1,\"frames\":[3]}");
	ck_assert_int_eq(stack_list__load_json(big, strlen(big), &l, &why), -EINVAL);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_int_eq(stack_list__load_file("/nonexistent/x.json", &l, &why), -ENOENT);
	ck_assert_int_eq(stack_list__load_file("/proc", &l, &why), -EINVAL);
}
END_TEST

static void load(struct stack_list *l, const char *rows)
{
	char doc[16384];
	const char *why;

	snprintf(doc, sizeof(doc), "{\"stacks\":[%s]}", rows);
	ck_assert_int_eq(stack_list__load_json(doc, strlen(doc), l, &why), 0);
}

START_TEST(diff_matches_by_file_offset_not_address)
{
	struct stack_list a, b;
	struct diff_snap d;
	char r1[2048], r2[2048], r3[2048], rows[8192];

	/* Before: leak at offset 0x100 holds 1000, cache at 0x200 holds 5000. */
	snprintf(rows, sizeof(rows), "%s,%s",
		 row(r1, sizeof(r1), "heap", 1000, 10, 0x100, 0x7f0000001000),
		 row(r2, sizeof(r2), "heap", 5000, 5, 0x200, 0x7f0000002000));
	load(&a, rows);
	/*
	 * After, in another process (other addresses): the leak holds 4000, the cache
	 * 3000, and a new stack 700.
	 */
	snprintf(rows, sizeof(rows), "%s,%s,%s",
		 row(r1, sizeof(r1), "heap", 4000, 40, 0x100, 0x5500000001000),
		 row(r2, sizeof(r2), "heap", 3000, 3, 0x200, 0x5500000002000),
		 row(r3, sizeof(r3), "heap", 700, 7, 0x300, 0x5500000003000));
	load(&b, rows);
	ck_assert_uint_eq(stack_snap__key(&a.v[0]), stack_snap__key(&b.v[0]));
	ck_assert_uint_ne(stack_snap__key(&a.v[0]), stack_snap__key(&a.v[1]));

	ck_assert_int_eq(diff__compute(&a, &b, 0, &d), 0);
	ck_assert_uint_eq(d.bytes_a, 6000);
	ck_assert_uint_eq(d.bytes_b, 7700);
	ck_assert_uint_eq(d.n, 3);
	ck_assert_uint_eq(d.grew, 2);
	ck_assert_uint_eq(d.shrank, 1);
	/* Grew most first, shrank last. */
	ck_assert_int_eq(d.rows[0].delta_bytes, 3000);
	ck_assert_int_eq(d.rows[0].delta_count, 30);
	ck_assert_uint_eq(d.rows[0].bytes_a, 1000);
	ck_assert_ptr_eq(d.rows[0].stack, &b.v[0]);
	ck_assert_int_eq(d.rows[1].delta_bytes, 700);
	ck_assert_uint_eq(d.rows[1].bytes_a, 0);
	ck_assert_int_eq(d.rows[2].delta_bytes, -2000);
	diff_snap__free(&d);

	/* A limit keeps the largest changes either way. */
	ck_assert_int_eq(diff__compute(&a, &b, 2, &d), 0);
	ck_assert_uint_eq(d.n, 2);
	ck_assert_uint_eq(d.left_out, 1);
	ck_assert_int_eq(d.rows[0].delta_bytes, 3000);
	ck_assert_int_eq(d.rows[1].delta_bytes, -2000);
	diff_snap__free(&d);

	/* Against itself: nothing changed. */
	ck_assert_int_eq(diff__compute(&b, &b, 0, &d), 0);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(d.unchanged, 3);
	diff_snap__free(&d);
	stack_list__free(&a);
	stack_list__free(&b);
}
END_TEST

START_TEST(same_code_in_several_processes_adds_up)
{
	struct stack_list a, b;
	struct diff_snap d;
	char r1[2048], r2[2048], rows[8192];

	load(&a, row(r1, sizeof(r1), "heap", 100, 1, 0x100, 0x7f0000001000));
	snprintf(rows, sizeof(rows), "%s,%s",
		 row(r1, sizeof(r1), "heap", 100, 1, 0x100, 0x7f0000001000),
		 row(r2, sizeof(r2), "heap", 250, 2, 0x100, 0x7e0000001000));
	load(&b, rows);
	ck_assert_int_eq(diff__compute(&a, &b, 0, &d), 0);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_uint_eq(d.rows[0].bytes_b, 350);
	ck_assert_int_eq(d.rows[0].delta_bytes, 250);
	diff_snap__free(&d);
	stack_list__free(&a);
	stack_list__free(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("diff");
	TCase *tc = tcase_create("diff");

	tcase_add_test(tc, loads_what_leakd_writes);
	tcase_add_test(tc, bad_input_says_why);
	tcase_add_test(tc, diff_matches_by_file_offset_not_address);
	tcase_add_test(tc, same_code_in_several_processes_adds_up);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
