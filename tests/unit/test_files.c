// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Whole files read into memory: what a user can name is bounded and never blocks;
 * leakd's own written whole or not at all.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
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

/* Entries of dir, . and .. aside. */
static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

START_TEST(atomic_write)
{
	struct iovec v[2] = { { "head:", 5 }, { "rows", 4 } };
	char path[128], missing[160], *buf;
	struct stat st;
	size_t len;

	path_of(path, sizeof(path), "state");
	ck_assert_int_eq(write_file_atomic(path, v, 2, 0600), 0);
	ck_assert_int_eq(read_regular_file(path, 64, &buf, &len), 0);
	ck_assert_str_eq(buf, "head:rows");
	free(buf);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	/* Over an older file, whole; mode as asked; nothing else left beside it. */
	ck_assert_int_eq(write_file_atomic(path, v + 1, 1, 0644), 0);
	ck_assert_int_eq(read_regular_file(path, 64, &buf, &len), 0);
	ck_assert_str_eq(buf, "rows");
	free(buf);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0644);
	ck_assert_int_eq(entries(), 1);
	/* Where it cannot be written, the old file stays and no temporary is left. */
	ck_assert_int_lt(snprintf(missing, sizeof(missing), "%s/no/such", dir),
			 (int)sizeof(missing));
	ck_assert_int_eq(write_file_atomic(missing, v, 2, 0600), -ENOENT);
	ck_assert_int_eq(entries(), 1);
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

	for (const char *n = "ten\0big\0fifo\0state\0"; *n; n += strlen(n) + 1) {
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
	tcase_add_test(tc, atomic_write);
	tcase_add_test(tc, proc_files);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
