// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Whole files read into memory: what a user can name is bounded and never blocks. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/files.h"
#include "testutil.h"

static char dir[] = "/tmp/leakd-files-XXXXXX";

static void path_of(char *buf, size_t size, const char *name)
{
	ck_assert_int_lt(snprintf(buf, size, "%s/%s", dir, name), (int)size);
}

static void write_bytes(const char *path, size_t n)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < n; i++)
		fputc('a' + i % 26, f);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(regular_within_bound)
{
	char path[128], *buf;
	size_t len;

	path_of(path, sizeof(path), "ten");
	write_bytes(path, 10);
	ck_assert_int_eq(read_regular_file(path, 10, &buf, &len), 0);
	ck_assert_uint_eq(len, 10);
	ck_assert_str_eq(buf, "abcdefghij");
	free(buf);
	/* Past the bound by one byte, and a large file past a small bound. */
	ck_assert_int_eq(read_regular_file(path, 9, &buf, &len), -EFBIG);
	path_of(path, sizeof(path), "big");
	write_bytes(path, 100000);
	ck_assert_int_eq(read_regular_file(path, 65536, &buf, &len), -EFBIG);
	ck_assert_int_eq(read_regular_file(path, 100000, &buf, &len), 0);
	ck_assert_uint_eq(len, 100000);
	ck_assert_uint_eq(strlen(buf), 100000);
	free(buf);
}
END_TEST

START_TEST(not_regular)
{
	char path[128], *buf;
	size_t len;

	/* A FIFO with no writer: refused at once, not waited on. */
	path_of(path, sizeof(path), "fifo");
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(read_regular_file(path, 4096, &buf, &len), -EINVAL);
	ck_assert_int_eq(read_regular_file(dir, 4096, &buf, &len), -EINVAL);
	ck_assert_int_eq(read_regular_file("/dev/zero", 4096, &buf, &len), -EINVAL);
	path_of(path, sizeof(path), "absent");
	ck_assert_int_eq(read_regular_file(path, 4096, &buf, &len), -ENOENT);
}
END_TEST

START_TEST(proc_files)
{
	char *buf;
	size_t len;

	/* /proc files say size 0: read_file reads them to their end. */
	ck_assert_int_eq(read_file("/proc/self/maps", &buf, &len), 0);
	ck_assert_uint_gt(len, 0);
	ck_assert_uint_eq(strlen(buf), len);
	free(buf);
}
END_TEST

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char path[128];

	for (const char *n = "ten\0big\0fifo\0"; *n; n += strlen(n) + 1) {
		path_of(path, sizeof(path), n);
		unlink(path);
	}
	rmdir(dir);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

int main(void)
{
	Suite *s = suite_create("files");
	TCase *tc = tcase_create("read");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, regular_within_bound);
	tcase_add_test(tc, not_regular);
	tcase_add_test(tc, proc_files);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
