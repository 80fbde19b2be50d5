// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * /proc/PID/maps parsing on literal text (every kind of line, malformed ones),
 * lookups at the edges of entries, map_files paths, and this test's own maps.
 * Run once under valgrind (CK_FORK=no) to see that refused text leaks nothing.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/procfs.h"
#include "base/procmaps.h"
#include "testutil.h"

static const char maps_text[] =
	"55d4c8a00000-55d4c8a02000 r--p 00000000 fd:01 1048602                    /usr/bin/cat\n"
	"55d4c8a02000-55d4c8a07000 r-xp 00002000 fd:01 1048602                    /usr/bin/cat\n"
	"55d4ca0c1000-55d4ca0e2000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f1e2c000000-7f1e2c021000 rw-p 00000000 00:00 0 \n"
	"7f1e2c021000-7f1e2c022000 ---p 00000000 00:00 0\n"
	"7f1e2d000000-7f1e2d001000 rw-s 00000000 00:01 1234                 /dev/zero (deleted)\n"
	"7f1e2e000000-7f1e2e010000 r-xp 0001a000 103:02 393222              /opt/my app/lib x.so\n"
	"7f1e2f000000-7f1e2f001000 r--p 00000000 08:02 393223               /tmp/gone (deleted)\n"
	"7ffc1a1b0000-7ffc1a1d1000 rw-p 00000000 00:00 0                          [stack]\n"
	"7ffc1a1f2000-7ffc1a1f6000 r--p 00000000 00:00 0                          [vvar]\n"
	"7ffc1a1f6000-7ffc1a1f8000 r-xp 00000000 00:00 0                          [vdso]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

#define ck_entry(e, s, en, off, ino, ma, mi)                                  \
	do {                                                                  \
		ck_assert_uint_eq((e)->start, (s));                           \
		ck_assert_uint_eq((e)->end, (en));                            \
		ck_assert_uint_eq((e)->offset, (off));                        \
		ck_assert_uint_eq((e)->inode, (ino));                         \
		ck_assert_uint_eq(major((e)->dev), (ma));                     \
		ck_assert_uint_eq(minor((e)->dev), (mi));                     \
	} while (0)

#define ck_perms(e, r, w, x, s)                                               \
	do {                                                                  \
		ck_assert_int_eq((e)->readable, (r));                         \
		ck_assert_int_eq((e)->writable, (w));                         \
		ck_assert_int_eq((e)->exec, (x));                             \
		ck_assert_int_eq((e)->shared, (s));                           \
	} while (0)

START_TEST(parse_every_kind)
{
	struct proc_maps m;
	const struct map_entry *v;

	ck_assert_int_eq(procmaps__parse(maps_text, &m), 0);
	ck_assert_uint_eq(m.n, 12);
	v = m.v;
	ck_entry(&v[0], 0x55d4c8a00000, 0x55d4c8a02000, 0, 1048602, 0xfd, 1);
	ck_perms(&v[0], 1, 0, 0, 0);
	ck_assert_str_eq(v[0].path, "/usr/bin/cat");
	ck_assert(!v[0].deleted);
	ck_entry(&v[1], 0x55d4c8a02000, 0x55d4c8a07000, 0x2000, 1048602, 0xfd, 1);
	ck_perms(&v[1], 1, 0, 1, 0);
	ck_entry(&v[2], 0x55d4ca0c1000, 0x55d4ca0e2000, 0, 0, 0, 0);
	ck_perms(&v[2], 1, 1, 0, 0);
	ck_assert_str_eq(v[2].path, "[heap]");
	/* Anonymous, with and without the trailing blank. */
	ck_entry(&v[3], 0x7f1e2c000000, 0x7f1e2c021000, 0, 0, 0, 0);
	ck_assert_ptr_null(v[3].path);
	ck_perms(&v[4], 0, 0, 0, 0);
	ck_assert_ptr_null(v[4].path);
	ck_assert(!v[4].deleted);
	/* Shared anonymous memory: the kernel's shmem file. */
	ck_entry(&v[5], 0x7f1e2d000000, 0x7f1e2d001000, 0, 1234, 0, 1);
	ck_perms(&v[5], 1, 1, 0, 1);
	ck_assert_str_eq(v[5].path, "/dev/zero");
	ck_assert(v[5].deleted);
	/* Spaces inside the path; a device major past 255. */
	ck_entry(&v[6], 0x7f1e2e000000, 0x7f1e2e010000, 0x1a000, 393222, 0x103, 2);
	ck_assert_str_eq(v[6].path, "/opt/my app/lib x.so");
	ck_assert(!v[6].deleted);
	ck_assert_str_eq(v[7].path, "/tmp/gone");
	ck_assert(v[7].deleted);
	ck_assert_str_eq(v[8].path, "[stack]");
	ck_assert_str_eq(v[9].path, "[vvar]");
	ck_assert_str_eq(v[10].path, "[vdso]");
	ck_perms(&v[10], 1, 0, 1, 0);
	ck_entry(&v[11], 0xffffffffff600000ULL, 0xffffffffff601000ULL, 0, 0, 0, 0);
	ck_perms(&v[11], 0, 0, 1, 0);
	ck_assert_str_eq(v[11].path, "[vsyscall]");
	procmaps__destroy(&m);
	ck_assert_ptr_null(m.v);
	ck_assert_uint_eq(m.n, 0);
	procmaps__destroy(&m);
	procmaps__destroy(NULL);
}
END_TEST

START_TEST(parse_edges_of_text)
{
	struct proc_maps m;

	ck_assert_int_eq(procmaps__parse("", &m), 0);
	ck_assert_uint_eq(m.n, 0);
	procmaps__destroy(&m);
	/* Blank lines skipped; the last line needs no newline. */
	ck_assert_int_eq(procmaps__parse("\n1000-2000 r-xp 00000000 08:01 7 /a\n\n"
					 "3000-4000 rw-p 00000000 00:00 0", &m), 0);
	ck_assert_uint_eq(m.n, 2);
	ck_entry(&m.v[1], 0x3000, 0x4000, 0, 0, 0, 0);
	ck_assert_ptr_null(m.v[1].path);
	ck_assert_str_eq(m.v[0].path, "/a");
	procmaps__destroy(&m);
	/* A path that merely ends in "(deleted)", and one that is only that. */
	ck_assert_int_eq(procmaps__parse("1000-2000 r--p 00000000 08:01 7 /x(deleted)\n", &m), 0);
	ck_assert_str_eq(m.v[0].path, "/x(deleted)");
	ck_assert(!m.v[0].deleted);
	procmaps__destroy(&m);
}
END_TEST

START_TEST(parse_many_lines)
{
	struct proc_maps m;
	size_t cap = 300 * 64, len = 0;
	char *text = malloc(cap);
	int i, n;

	ck_assert_ptr_nonnull(text);
	/* Past the first growth of the entry array. */
	for (i = 0; i < 300; i++) {
		n = snprintf(text + len, cap - len, "%x-%x rw-p 00000000 00:00 0\n",
			     (i + 1) * 0x1000, (i + 1) * 0x1000 + 0x800);
		ck_assert(n > 0 && (size_t)n < cap - len);
		len += n;
	}
	ck_assert_int_eq(procmaps__parse(text, &m), 0);
	ck_assert_uint_eq(m.n, 300);
	ck_assert_uint_eq(m.v[299].start, 300 * 0x1000);
	ck_assert_ptr_eq(procmaps__find(&m, 0x12c7ff), &m.v[299]);
	ck_assert_ptr_null(procmaps__find(&m, 0x12c800));
	ck_assert_ptr_eq(procmaps__find(&m, 0x96000), &m.v[149]);
	procmaps__destroy(&m);
	free(text);
}
END_TEST

START_TEST(parse_malformed)
{
	static const char *const bad[] = {
		"garbage\n",
		"1000-2000\n",
		"1000-2000 r-xp 00000000 08:01\n",
		"1000-2000 r-xp 00000000 08:01\n7 /after/newline\n",
		"1000-2000 r-xp zz 08:01 7 /a\n",
		"1000-2000 r-xp 00000000 0801 7 /a\n",
		"2000-1000 r--p 00000000 00:00 0\n",
		"1000 2000 r--p 00000000 00:00 0\n",
		"1000-2000 r-xp 00000000 08:01 7 /a\nnot a line\n",
		("1000-2000 r-xp 00000000 08:01 7 /a\n3000-4000 r-xp 00000000 08:01 7 /b\n"
		 "5000-6000 rwxps 00000000 00:00 0\n"),
	};
	struct proc_maps m = { .v = (void *)1, .n = 99 };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(procmaps__parse(bad[i], &m) == -EINVAL, "accepted: %s", bad[i]);
		/* Untouched on failure. */
		ck_assert_ptr_eq(m.v, (void *)1);
		ck_assert_uint_eq(m.n, 99);
	}
}
END_TEST

/*
 * Once a bug, kept as a test: a permission field shorter than 4 characters is accepted, and the bytes of
 * perms[] past its terminator are read unset.
 */
START_TEST(parse_short_perms)
{
	static const char *const bad[] = {
		"1000-2000 r 00000000 08:01 7 /a\n",
		"1000-2000 r-x 00000000 08:01 7 /a\n",
	};
	struct proc_maps m;
	size_t i;
	int err;

	for (i = 0; i < 2; i++) {
		err = procmaps__parse(bad[i], &m);
		if (!err)
			procmaps__destroy(&m);
		ck_assert_msg(err == -EINVAL, "accepted: %s", bad[i]);
	}
}
END_TEST

START_TEST(find_edges)
{
	struct proc_maps m;

	ck_assert_int_eq(procmaps__parse(maps_text, &m), 0);
	ck_assert_ptr_null(procmaps__find(&m, 0));
	ck_assert_ptr_null(procmaps__find(&m, 0x55d4c89fffff));
	ck_assert_ptr_eq(procmaps__find(&m, 0x55d4c8a00000), &m.v[0]);
	ck_assert_ptr_eq(procmaps__find(&m, 0x55d4c8a01fff), &m.v[0]);
	/* The end is exclusive: the next entry starts there. */
	ck_assert_ptr_eq(procmaps__find(&m, 0x55d4c8a02000), &m.v[1]);
	ck_assert_ptr_eq(procmaps__find(&m, 0x55d4c8a06fff), &m.v[1]);
	/* A gap. */
	ck_assert_ptr_null(procmaps__find(&m, 0x55d4c8a07000));
	ck_assert_ptr_null(procmaps__find(&m, 0x55d4ca0c0fff));
	ck_assert_ptr_eq(procmaps__find(&m, 0x55d4ca0c1000), &m.v[2]);
	ck_assert_ptr_eq(procmaps__find(&m, 0x7f1e2c021000), &m.v[4]);
	ck_assert_ptr_null(procmaps__find(&m, 0x7f1e2c022000));
	ck_assert_ptr_eq(procmaps__find(&m, 0x7ffc1a1f7fff), &m.v[10]);
	ck_assert_ptr_eq(procmaps__find(&m, 0xffffffffff600000ULL), &m.v[11]);
	ck_assert_ptr_eq(procmaps__find(&m, 0xffffffffff600fffULL), &m.v[11]);
	ck_assert_ptr_null(procmaps__find(&m, 0xffffffffff601000ULL));
	ck_assert_ptr_null(procmaps__find(&m, UINT64_MAX));
	procmaps__destroy(&m);
	ck_assert_ptr_null(procmaps__find(&m, 0x1000));
}
END_TEST

START_TEST(is_file)
{
	struct proc_maps m;
	struct map_entry e = { .inode = 0, .path = "/a" };

	ck_assert_int_eq(procmaps__parse(maps_text, &m), 0);
	ck_assert(map_entry__is_file(&m.v[0]));
	ck_assert(map_entry__is_file(&m.v[1]));
	ck_assert(!map_entry__is_file(&m.v[2]));
	ck_assert(!map_entry__is_file(&m.v[3]));
	ck_assert(!map_entry__is_file(&m.v[4]));
	ck_assert(map_entry__is_file(&m.v[6]));
	ck_assert(map_entry__is_file(&m.v[7]));
	ck_assert(!map_entry__is_file(&m.v[8]));
	ck_assert(!map_entry__is_file(&m.v[9]));
	ck_assert(!map_entry__is_file(&m.v[10]));
	ck_assert(!map_entry__is_file(&m.v[11]));
	ck_assert(!map_entry__is_file(&e));
	procmaps__destroy(&m);
}
END_TEST

START_TEST(open_path)
{
	static const char want[] = "/proc/42/map_files/7f1e2e000000-7f1e2e010000";
	struct proc_maps m;
	char buf[PATH_MAX], tiny[8];

	ck_assert_int_eq(procmaps__parse(maps_text, &m), 0);
	ck_assert_int_eq(map_entry__open_path(&m.v[6], 42, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, want);
	/* Exactly room for it, then one byte short. */
	ck_assert_int_eq(map_entry__open_path(&m.v[6], 42, buf, sizeof(want)), 0);
	ck_assert_str_eq(buf, want);
	ck_assert_int_eq(map_entry__open_path(&m.v[6], 42, buf, sizeof(want) - 1), -ENAMETOOLONG);
	ck_assert_int_eq(map_entry__open_path(&m.v[6], 42, tiny, sizeof(tiny)), -ENAMETOOLONG);
	ck_assert_int_eq(map_entry__open_path(&m.v[11], 1, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "/proc/1/map_files/ffffffffff600000-ffffffffff601000");
	procmaps__destroy(&m);
}
END_TEST

/* A mapping that went while its process lives, and a process that went. */
START_TEST(gone)
{
	pid_t child = fork();
	int status;

	ck_assert_int_ge(child, 0);
	if (!child)
		_exit(0);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert_int_eq(map_entry__gone(getpid()), 0);
	ck_assert_int_eq(map_entry__gone(child), -ESRCH);
}
END_TEST

static int code_here(int x)
{
	return x * 3;
}

START_TEST(read_own_maps)
{
	const struct map_entry *e;
	char exe[PATH_MAX], real[PATH_MAX], path[PATH_MAX];
	struct proc_maps m;
	ssize_t n;
	int local = code_here(1);

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ck_assert_int_gt(n, 0);
	exe[n] = 0;
	ck_assert_int_eq(procmaps__read(getpid(), &m), 0);
	ck_assert_uint_gt(m.n, 5);
	e = procmaps__find(&m, (uint64_t)(uintptr_t)code_here);
	ck_assert_ptr_nonnull(e);
	ck_assert(e->exec);
	ck_assert(e->readable);
	ck_assert(!e->writable);
	ck_assert(map_entry__is_file(e));
	ck_assert_str_eq(e->path, exe);
	/* Its map_files link leads to the same file. */
	ck_assert_int_eq(map_entry__open_path(e, getpid(), path, sizeof(path)), 0);
	n = readlink(path, real, sizeof(real) - 1);
	ck_assert_int_gt(n, 0);
	real[n] = 0;
	ck_assert_str_eq(real, exe);
	e = procmaps__find(&m, (uint64_t)(uintptr_t)&local);
	ck_assert_ptr_nonnull(e);
	ck_assert(e->writable);
	ck_assert(!map_entry__is_file(e));
	procmaps__destroy(&m);
	ck_assert_int_eq(procmaps__read(INT32_MAX, &m), -ENOENT);
}
END_TEST

static int smaps_noreserve(const char *text, uint64_t start)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret;

	ck_assert_ptr_nonnull(f);
	ret = procfs_smaps_noreserve(f, start);
	fclose(f);
	return ret;
}

START_TEST(smaps_noreserve_flag)
{
	static const char text[] =
		"55d0c0a00000-55d0c0a21000 rw-p 00000000 00:00 0                          [heap]\n"
		"Size:                132 kB\n"
		"AnonHugePages:         0 kB\n"
		"VmFlags: rd wr mr mw me ac sd\n"
		"7f0000000000-7f1000000000 rw-p 00000000 00:00 0 \n"
		"Size:          67108864 kB\n"
		"FilePmdMapped:         0 kB\n"
		"VmFlags: rd wr mr mw me nr sd\n"
		"7f2000000000-7f2000001000 ---p 00000000 00:00 0 \n"
		"Size:                  4 kB\n";

	ck_assert_int_eq(smaps_noreserve(text, 0x55d0c0a00000ULL), 0);
	ck_assert_int_eq(smaps_noreserve(text, 0x7f0000000000ULL), 1);
	/* No VmFlags line (an old kernel): not known to be reserved. */
	ck_assert_int_eq(smaps_noreserve(text, 0x7f2000000000ULL), 0);
	ck_assert_int_eq(smaps_noreserve(text, 0x7f0000001000ULL), -ENOENT);
	ck_assert_int_eq(smaps_noreserve("", 0x1000), -ENOENT);
	/* This process's own: a MAP_NORESERVE mapping made here is one. */
	{
		void *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		void *q = mmap(NULL, 1 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		ck_assert(p != MAP_FAILED && q != MAP_FAILED);
		ck_assert_int_eq(procfs_noreserve(getpid(), (uintptr_t)p), 1);
		ck_assert_int_eq(procfs_noreserve(getpid(), (uintptr_t)q), 0);
		munmap(p, 1 << 20);
		munmap(q, 1 << 20);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("procmaps");
	TCase *tc = tcase_create("procmaps");

	tcase_add_test(tc, parse_every_kind);
	tcase_add_test(tc, parse_edges_of_text);
	tcase_add_test(tc, parse_many_lines);
	tcase_add_test(tc, parse_malformed);
	tcase_add_test(tc, parse_short_perms);
	tcase_add_test(tc, find_edges);
	tcase_add_test(tc, is_file);
	tcase_add_test(tc, open_path);
	tcase_add_test(tc, gone);
	tcase_add_test(tc, read_own_maps);
	tcase_add_test(tc, smaps_noreserve_flag);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
