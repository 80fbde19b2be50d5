/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Helpers the unit tests share: commands, the machine's libc, temporary trees, JSON. */
#ifndef LEAKD_TESTUTIL_H
#define LEAKD_TESTUTIL_H

#include <check.h>
#include <ftw.h>
#include <limits.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

/* Runs a shell command; the test fails if it does. */
static void __attribute__((format(printf, 1, 2), unused)) run(const char *fmt, ...)
{
	char cmd[4 * PATH_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ck_assert(n > 0 && (size_t)n < sizeof(cmd));
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

static __attribute__((unused)) int find_libc(struct dl_phdr_info *info, size_t size, void *data)
{
	const char *slash = strrchr(info->dlpi_name, '/');

	(void)size;
	if (!slash || strcmp(slash, "/libc.so.6"))
		return 0;
	*(const char **)data = info->dlpi_name;
	return 1;
}

/* The libc this test runs with; a sanitizer runtime may interpose its functions. */
static __attribute__((unused)) const char *libc_path(void)
{
	const char *path = NULL;

	ck_assert_int_eq(dl_iterate_phdr(find_libc, &path), 1);
	return path;
}

static __attribute__((unused)) int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* A path formatted into buf; the test fails if it does not fit. */
static void __attribute__((format(printf, 3, 4), unused))
fmt_path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	ck_assert(n > 0 && (size_t)n < size);
}

/* Where the test binary is (and the data files built with it), and the test's own
 * temporary directory: set by test_dirs. */
static char data_dir[PATH_MAX] __attribute__((unused));
static char tmp_dir[PATH_MAX] __attribute__((unused));

/* Sets data_dir and makes a fresh tmp_dir for test `name`; -1 if it cannot. */
static int __attribute__((unused)) test_dirs(const char *name)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char self[PATH_MAX];
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -1;
	self[n] = 0;
	snprintf(data_dir, sizeof(data_dir), "%s", dirname(self));
	n = snprintf(tmp_dir, sizeof(tmp_dir), "%s/test_%s.XXXXXX", tmp, name);
	if (n <= 0 || n >= (ssize_t)sizeof(tmp_dir) || !mkdtemp(tmp_dir))
		return -1;
	return 0;
}

static void __attribute__((unused)) data_file(char *buf, size_t size, const char *name)
{
	fmt_path(buf, size, "%s/%s", data_dir, name);
}

static void __attribute__((unused)) tmp_file(char *buf, size_t size, const char *name)
{
	fmt_path(buf, size, "%s/%s", tmp_dir, name);
}

/* Removes a temporary tree, files first. */
static void __attribute__((unused)) rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Python's json module, on the bytes decoded as strict UTF-8: 0 when it parses. */
static int __attribute__((unused)) python_parses(const char *text)
{
	FILE *p = popen("python3 -c 'import json,sys; "
			"json.loads(sys.stdin.buffer.read().decode(\"utf-8\"))' 2>/dev/null", "w");
	int st;

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(fwrite(text, 1, strlen(text), p), strlen(text));
	st = pclose(p);
	ck_assert_int_ne(st, -1);
	return st;
}

/* A copy of a file, executable. */
static __attribute__((unused)) void copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n;
	int in, out;

	in = open(from, O_RDONLY);
	ck_assert_int_ge(in, 0);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	ck_assert_int_ge(out, 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ck_assert_int_eq(write(out, buf, n), n);
	ck_assert_int_eq(n, 0);
	close(in);
	close(out);
}

/* Overwrites bytes of a file in place. */
static __attribute__((unused)) void patch(const char *path, uint64_t off, const void *bytes, size_t len)
{
	int fd = open(path, O_WRONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, bytes, len, off), (ssize_t)len);
	close(fd);
}

/*
 * How much slower than a release build this one may be: the factor on time bounds
 * (LEAKD_TEST_TIME_SCALE, set for sanitizer builds; at least 1).
 */
static double __attribute__((unused)) time_scale(void)
{
	const char *v = getenv("LEAKD_TEST_TIME_SCALE");
	double f = v ? strtod(v, NULL) : 1.0;

	return f > 1.0 ? f : 1.0;
}

/* Runs the suite, removes tmp_dir if test_dirs made one; main's exit status. */
static int __attribute__((unused)) run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (tmp_dir[0])
		rm_tree(tmp_dir);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
