// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Perf maps written by the test: lookups and offsets, later lines over earlier
 * ones (against a model of every address), lines appended and half-written,
 * garbage, the bounds, files replaced, and finding the file of a process
 * through a /proc tree made in a temporary directory (pid namespaces, owners,
 * symbolic links within the process's root) and through the real /proc.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stacks/perfmap.h"
#include "testutil.h"

static void write_file(const char *path, const char *mode, const char *text, size_t len)
{
	FILE *f = fopen(path, mode);

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static void append(const char *path, const char *text)
{
	write_file(path, "a", text, strlen(text));
}

static struct perfmap *open_map(const char *name, char *path, size_t size)
{
	struct perfmap *m;

	tmp_file(path, size, name);
	unlink(path);
	m = perfmap__open(path);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(perfmap__path(m), path);
	return m;
}

static void expect(const struct perfmap *m, uint64_t addr, const char *name, uint64_t off)
{
	uint64_t got = UINT64_MAX;
	const char *n = perfmap__lookup(m, addr, &got);

	if (!name) {
		ck_assert_msg(!n, "%#lx: %s, expected nothing", addr, n);
		return;
	}
	ck_assert_msg(n && !strcmp(n, name), "%#lx: %s, expected %s", addr, n, name);
	ck_assert_msg(got == off, "%#lx: offset %#lx, expected %#lx", addr, got, off);
}

START_TEST(lookup_and_offsets)
{
	struct perfmap_stats st;
	char path[PATH_MAX];
	struct perfmap *m;

	m = open_map("basic.map", path, sizeof(path));
	ck_assert_int_eq(perfmap__refresh(m), -ENOENT);
	append(path, "7f0000001000 100 LazyCompile:~main /app/index.js:1:1\n"
		     "7f0000002000 80 instance void [System.Private.CoreLib] Foo::Bar(int)\n");
	ck_assert_int_eq(perfmap__refresh(m), 2);
	expect(m, 0x7f0000001000, "LazyCompile:~main /app/index.js:1:1", 0);
	expect(m, 0x7f00000010ff, "LazyCompile:~main /app/index.js:1:1", 0xff);
	expect(m, 0x7f0000001100, NULL, 0);
	expect(m, 0x7f0000000fff, NULL, 0);
	expect(m, 0x7f0000002010, "instance void [System.Private.CoreLib] Foo::Bar(int)", 0x10);
	expect(m, 0x7f0000002080, NULL, 0);
	ck_assert_ptr_null(perfmap__lookup(m, 0, NULL));
	ck_assert_ptr_nonnull(perfmap__lookup(m, 0x7f0000001001, NULL));
	perfmap__stats(m, &st);
	ck_assert_uint_eq(st.lines, 2);
	ck_assert_uint_eq(st.garbage, 0);
	ck_assert_uint_eq(st.dropped, 0);
	ck_assert_uint_eq(st.entries, 2);
	ck_assert_uint_eq(st.bytes, strlen("LazyCompile:~main /app/index.js:1:1") + 1 +
					    strlen("instance void [System.Private.CoreLib] "
						   "Foo::Bar(int)") + 1);
	ck_assert_uint_gt(perfmap__memory(m), st.bytes);
	perfmap__free(m);
	perfmap__free(NULL);
}
END_TEST

START_TEST(later_lines_win)
{
	char path[PATH_MAX];
	struct perfmap *m;

	m = open_map("overlap.map", path, sizeof(path));
	/* In one batch: inside, over the tail, the same range twice. */
	append(path, "1000 1000 old\n"
		     "1400 100 inside\n"
		     "1800 1000 tail\n"
		     "3000 10 first\n"
		     "3000 10 second\n");
	ck_assert_int_eq(perfmap__refresh(m), 5);
	expect(m, 0x1000, "old", 0);
	expect(m, 0x13ff, "old", 0x3ff);
	expect(m, 0x1400, "inside", 0);
	expect(m, 0x14ff, "inside", 0xff);
	/* What is left of old still counts from old's start. */
	expect(m, 0x1500, "old", 0x500);
	expect(m, 0x17ff, "old", 0x7ff);
	expect(m, 0x1800, "tail", 0);
	expect(m, 0x27ff, "tail", 0xfff);
	expect(m, 0x2800, NULL, 0);
	expect(m, 0x3005, "second", 5);
	/* Across refreshes: a later batch over an earlier one. */
	append(path, "1200 400 moved\n");
	ck_assert_int_eq(perfmap__refresh(m), 1);
	expect(m, 0x11ff, "old", 0x1ff);
	expect(m, 0x1200, "moved", 0);
	expect(m, 0x1450, "moved", 0x250);
	expect(m, 0x15ff, "moved", 0x3ff);
	expect(m, 0x1600, "old", 0x600);
	perfmap__free(m);
}
END_TEST

/*
 * Random lines over a small space, appended in random batches, against a model
 * that paints every address with the latest line over it.  Enough lines that
 * the recent index is merged into the base (and covered entries forgotten).
 */
START_TEST(later_lines_win_model)
{
	enum { SPACE = 1 << 16, LINES = 150000 };
	struct perfmap_stats st;
	uint32_t *owner, *start;
	char path[PATH_MAX], line[64], *batch;
	size_t blen = 0, bcap = 1 << 20;
	struct perfmap *m;
	unsigned int i, next_check = 0, checks = 0;
	uint64_t a;

	owner = calloc(SPACE, sizeof(*owner));
	start = calloc(LINES + 1, sizeof(*start));
	batch = malloc(bcap);
	ck_assert(owner && start && batch);
	m = open_map("model.map", path, sizeof(path));
	srand(42);
	for (i = 1; i <= LINES; i++) {
		uint32_t s = rand() % SPACE, size = 1 + rand() % 256;
		int n;

		if (s + size > SPACE)
			size = SPACE - s;
		start[i] = s;
		for (a = s; a < s + size; a++)
			owner[a] = i;
		n = snprintf(line, sizeof(line), "%x %x L%u\n", 0x10000 + s, size, i);
		ck_assert(n > 0 && (size_t)n < sizeof(line));
		ck_assert_uint_lt(blen + n, bcap);
		memcpy(batch + blen, line, n);
		blen += n;
		if (i == LINES || rand() % 5000 == 0) {
			write_file(path, "a", batch, blen);
			blen = 0;
			ck_assert_int_gt(perfmap__refresh(m), 0);
			if (i < next_check && i != LINES)
				continue;
			next_check = i + LINES / 8;
			checks++;
			for (a = 0; a < SPACE; a++) {
				uint64_t off;
				const char *name = perfmap__lookup(m, 0x10000 + a, &off);
				char want[32];

				if (!owner[a]) {
					ck_assert_ptr_null(name);
					continue;
				}
				snprintf(want, sizeof(want), "L%u", owner[a]);
				ck_assert_msg(name && !strcmp(name, want), "%#lx: %s, not %s",
					      0x10000 + a, name, want);
				ck_assert_uint_eq(off, a - start[owner[a]]);
			}
		}
	}
	ck_assert_uint_ge(checks, 4);
	perfmap__stats(m, &st);
	ck_assert_uint_eq(st.lines, LINES);
	ck_assert_uint_eq(st.garbage, 0);
	ck_assert_uint_eq(st.dropped, 0);
	/* Covered lines were forgotten on merging: far fewer entries than lines. */
	ck_assert_uint_lt(st.entries, LINES / 2);
	perfmap__free(m);
	free(batch);
	free(start);
	free(owner);
}
END_TEST

START_TEST(appended_and_partial_lines)
{
	struct perfmap_stats st;
	char path[PATH_MAX];
	struct perfmap *m;
	int i;

	m = open_map("append.map", path, sizeof(path));
	/* The writer is in the middle of its second line. */
	append(path, "1000 10 a\n2000 10 b");
	ck_assert_int_eq(perfmap__refresh(m), 1);
	expect(m, 0x1000, "a", 0);
	expect(m, 0x2000, NULL, 0);
	/* Unchanged: nothing read. */
	ck_assert_int_eq(perfmap__refresh(m), 0);
	append(path, "cd\n3000 10 e\n");
	ck_assert_int_eq(perfmap__refresh(m), 2);
	expect(m, 0x2000, "bcd", 0);
	expect(m, 0x3009, "e", 9);
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(perfmap__refresh(m), 0);
	perfmap__stats(m, &st);
	ck_assert_uint_eq(st.lines, 3);
	ck_assert_uint_eq(st.entries, 3);
	ck_assert_uint_eq(st.resets, 0);
	perfmap__free(m);
}
END_TEST

START_TEST(garbage_skipped_and_counted)
{
	static const char text[] =
		"\n"					/* empty */
		"zzz 10 x\n"				/* not hex */
		"1000\n"				/* no size */
		"1000 10\n"				/* no name */
		"1000 10 \n"				/* empty name */
		"1000 0 empty\n"			/* no bytes */
		"ffffffffffffff00 1000 wraps\n"		/* past the end of the space */
		"12345678901234567 10 long\n"		/* more than 64 bits */
		"1000x 10 suffix\n"			/* no blank after START */
		"-1000 10 negative\n"
		"4000 10 nul\0byte\n"
		"2000\t10\ttabs and spaces \n"		/* good */
		"0x3000 0x10 prefixed\n"		/* good */
		"5000 10 crlf\r\n";			/* good */
	struct perfmap_stats st;
	char path[PATH_MAX], *huge;
	struct perfmap *m;

	m = open_map("garbage.map", path, sizeof(path));
	write_file(path, "w", text, sizeof(text) - 1);
	ck_assert_int_eq(perfmap__refresh(m), 14);
	expect(m, 0x2004, "tabs and spaces ", 4);
	expect(m, 0x3000, "prefixed", 0);
	expect(m, 0x5000, "crlf", 0);
	expect(m, 0x1000, NULL, 0);
	expect(m, 0x4000, NULL, 0);
	perfmap__stats(m, &st);
	ck_assert_uint_eq(st.lines, 14);
	ck_assert_uint_eq(st.garbage, 11);
	ck_assert_uint_eq(st.entries, 3);

	/* A line longer than any name, across refreshes, then good lines again. */
	huge = malloc(3 * PERFMAP_LINE_MAX);
	ck_assert_ptr_nonnull(huge);
	memset(huge, 'x', 3 * PERFMAP_LINE_MAX);
	memcpy(huge, "6000 10 ", 8);
	write_file(path, "a", huge, 3 * PERFMAP_LINE_MAX);
	ck_assert_int_eq(perfmap__refresh(m), 1);
	write_file(path, "a", huge, PERFMAP_LINE_MAX);
	ck_assert_int_eq(perfmap__refresh(m), 0);
	append(path, "xyz\n7000 10 after\n");
	ck_assert_int_eq(perfmap__refresh(m), 1);
	expect(m, 0x6000, NULL, 0);
	expect(m, 0x7000, "after", 0);
	perfmap__stats(m, &st);
	ck_assert_uint_eq(st.lines, 16);
	ck_assert_uint_eq(st.garbage, 12);
	ck_assert_uint_eq(st.entries, 4);
	free(huge);
	perfmap__free(m);
}
END_TEST

static void append_ranges(const char *path, const char *prefix, int first, int n)
{
	char line[64];
	int i;

	for (i = first; i < first + n; i++) {
		snprintf(line, sizeof(line), "%x 10 %s%d\n", 0x100000 + i * 0x10, prefix, i);
		append(path, line);
	}
}

START_TEST(entry_bound)
{
	struct perfmap_stats st;
	char path[PATH_MAX], name[16];
	struct perfmap *m;
	int i;

	m = open_map("bound.map", path, sizeof(path));
	ck_assert_int_eq(perfmap__set_limits(m, 0, 100), -EINVAL);
	ck_assert_int_eq(perfmap__set_limits(m, 100, 0), -EINVAL);
	ck_assert_int_eq(perfmap__set_limits(m, 100, 1ULL << 33), -EINVAL);
	ck_assert_int_eq(perfmap__set_limits(m, 100, 1 << 20), 0);
	/* 150 ranges: the newest kept, an eighth of the bound forgotten at a time. */
	append_ranges(path, "A", 0, 150);
	ck_assert_int_eq(perfmap__refresh(m), 150);
	perfmap__stats(m, &st);
	ck_assert_uint_le(st.entries, 100);
	ck_assert_uint_ge(st.entries, 100 - 100 / 8);
	ck_assert_uint_eq(st.dropped, 150 - st.entries);
	ck_assert_uint_eq(st.dropped % 12, 0);
	for (i = 0; i < 150; i++) {
		snprintf(name, sizeof(name), "A%d", i);
		expect(m, 0x100000 + i * 0x10 + 1, (size_t)i < st.dropped ? NULL : name, 1);
	}
	perfmap__free(m);

	/* Lines that cover earlier ones make room for themselves. */
	m = open_map("bound2.map", path, sizeof(path));
	ck_assert_int_eq(perfmap__set_limits(m, 100, 1 << 20), 0);
	append_ranges(path, "A", 0, 60);
	ck_assert_int_eq(perfmap__refresh(m), 60);
	append_ranges(path, "B", 0, 60);
	ck_assert_int_eq(perfmap__refresh(m), 60);
	perfmap__stats(m, &st);
	ck_assert_uint_eq(st.dropped, 0);
	for (i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "B%d", i);
		expect(m, 0x100000 + i * 0x10 + 3, name, 3);
	}
	/*
	 * 50 more: the 20 A lines still counted but covered go first; when the bound
	 * is reached again, the 12 oldest B lines.
	 */
	append_ranges(path, "C", 60, 50);
	ck_assert_int_eq(perfmap__refresh(m), 50);
	perfmap__stats(m, &st);
	ck_assert_uint_eq(st.dropped, 12);
	ck_assert_uint_eq(st.entries, 98);
	for (i = 0; i < 110; i++) {
		snprintf(name, sizeof(name), "%c%d", i < 60 ? 'B' : 'C', i);
		expect(m, 0x100000 + i * 0x10 + 2, i < 12 ? NULL : name, 2);
	}
	perfmap__free(m);
}
END_TEST

START_TEST(byte_bound)
{
	struct perfmap_stats st;
	char path[PATH_MAX];
	struct perfmap *m;

	m = open_map("bytes.map", path, sizeof(path));
	/*
	 * "name-00000" and its NUL: 11 bytes; five fit in 64.  Each more makes the
	 * oldest go (to fit in 7/8 of 64); a name longer than the bound is dropped.
	 */
	ck_assert_int_eq(perfmap__set_limits(m, 1000, 64), 0);
	append(path, "1000 10 name-00000\n2000 10 name-00001\n3000 10 name-00002\n"
		     "4000 10 name-00003\n5000 10 name-00004\n6000 10 name-00005\n"
		     "7000 10 a-name-much-longer-than-64-bytes-in-all-xxxxxxxxxxxxxxxxxxxxxxxxxx\n"
		     "8000 10 name-00007\n");
	ck_assert_int_eq(perfmap__refresh(m), 8);
	perfmap__stats(m, &st);
	ck_assert_uint_eq(st.entries, 5);
	ck_assert_uint_eq(st.bytes, 55);
	ck_assert_uint_eq(st.dropped, 3);
	expect(m, 0x1000, NULL, 0);
	expect(m, 0x2000, NULL, 0);
	expect(m, 0x3000, "name-00002", 0);
	expect(m, 0x6000, "name-00005", 0);
	expect(m, 0x7000, NULL, 0);
	expect(m, 0x8000, "name-00007", 0);
	perfmap__free(m);
}
END_TEST

START_TEST(replaced_and_truncated)
{
	struct perfmap_stats st;
	char path[PATH_MAX], other[PATH_MAX];
	struct perfmap *m;

	m = open_map("replace.map", path, sizeof(path));
	append(path, "1000 10 first-process\n2000 10 gone\n");
	ck_assert_int_eq(perfmap__refresh(m), 2);
	/* A new file under the name (a new process, same pid in its namespace). */
	fmt_path(other, sizeof(other), "%s.new", path);
	write_file(other, "w", "1000 10 second-process\n", 23);
	ck_assert_int_eq(rename(other, path), 0);
	ck_assert_int_eq(perfmap__refresh(m), 1);
	expect(m, 0x1000, "second-process", 0);
	expect(m, 0x2000, NULL, 0);
	/* Rewritten in place, shorter. */
	ck_assert_int_eq(truncate(path, 0), 0);
	append(path, "3000 10 x\n");
	ck_assert_int_eq(perfmap__refresh(m), 1);
	expect(m, 0x1000, NULL, 0);
	expect(m, 0x3000, "x", 0);
	perfmap__stats(m, &st);
	ck_assert_uint_eq(st.resets, 2);
	ck_assert_uint_eq(st.entries, 1);
	/* Gone: the error, and what was read stays. */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(perfmap__refresh(m), -ENOENT);
	expect(m, 0x3000, "x", 0);
	/* Not a regular file: refused at once (a FIFO would block a reader). */
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(perfmap__refresh(m), -EINVAL);
	perfmap__free(m);
}
END_TEST

/* A /proc of one process: proc/PID/status and proc/PID/root. */
static void fake_proc(char *proc, size_t size, int pid, const char *status)
{
	char path[PATH_MAX], cmd[3 * PATH_MAX];

	fmt_path(proc, size, "%s/proc", tmp_dir);
	fmt_path(path, sizeof(path), "%s/%d/root/tmp", proc, pid);
	fmt_path(cmd, sizeof(cmd), "rm -rf '%s/%d' && mkdir -p '%s'", proc, pid, path);
	ck_assert_int_eq(system(cmd), 0);
	fmt_path(path, sizeof(path), "%s/%d/status", proc, pid);
	write_file(path, "w", status, strlen(status));
}

START_TEST(process_in_a_pid_namespace)
{
	char proc[PATH_MAX], path[PATH_MAX], want[PATH_MAX];
	struct perfmap *m;

	fake_proc(proc, sizeof(proc), 4242,
		  "Name:\tnode\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\n"
		  "Uid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\n"
		  "NStgid:\t4242\t17\nNSpid:\t4242\t17\nNSpgid:\t4242\t17\n");
	m = perfmap__new_at(proc, 4242);
	ck_assert_ptr_nonnull(m);
	fmt_path(want, sizeof(want), "%s/4242/root/tmp/perf-17.map", proc);
	ck_assert_str_eq(perfmap__path(m), want);
	ck_assert_int_eq(perfmap__refresh(m), -ENOENT);
	append(want, "1000 10 in-container\n");
	/* Owned by root: accepted. */
	ck_assert_int_eq(perfmap__refresh(m), 1);
	expect(m, 0x1000, "in-container", 0);
	/* By the process's user: accepted; by another: refused. */
	ck_assert_int_eq(chown(want, 1000, 1000), 0);
	append(want, "2000 10 more\n");
	ck_assert_int_eq(perfmap__refresh(m), 1);
	ck_assert_int_eq(chown(want, 1001, 1001), 0);
	append(want, "3000 10 planted\n");
	ck_assert_int_eq(perfmap__refresh(m), -EPERM);
	expect(m, 0x2000, "more", 0);
	expect(m, 0x3000, NULL, 0);
	/* The file a symbolic link: refused. */
	fmt_path(path, sizeof(path), "%s/4242/root/tmp/elsewhere", proc);
	ck_assert_int_eq(rename(want, path), 0);
	ck_assert_int_eq(symlink("elsewhere", want), 0);
	ck_assert_int_eq(perfmap__refresh(m), -ELOOP);
	perfmap__free(m);
}
END_TEST

static bool have_openat2(void)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC };
	long fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));

	if (fd >= 0)
		close(fd);
	return fd >= 0 || errno != ENOSYS;
}

START_TEST(links_resolve_within_the_process_root)
{
	char proc[PATH_MAX], path[PATH_MAX], dir[PATH_MAX];
	struct perfmap *m;

	fake_proc(proc, sizeof(proc), 4343,
		  "Name:\tdotnet\nUid:\t0\t0\t0\t0\nNSpid:\t4343\n");
	/* Its /tmp is a link to /var/tmp: its own, not the host's. */
	fmt_path(path, sizeof(path), "%s/4343/root/tmp", proc);
	ck_assert_int_eq(rmdir(path), 0);
	ck_assert_int_eq(symlink("/leakd-test-var-tmp", path), 0);
	fmt_path(dir, sizeof(dir), "%s/4343/root/leakd-test-var-tmp", proc);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	fmt_path(path, sizeof(path), "%s/perf-4343.map", dir);
	append(path, "1000 10 inside\n");
	ck_assert_int_ne(access("/leakd-test-var-tmp", F_OK), 0);
	m = perfmap__new_at(proc, 4343);
	ck_assert_ptr_nonnull(m);
	if (have_openat2()) {
		ck_assert_int_eq(perfmap__refresh(m), 1);
		expect(m, 0x1000, "inside", 0);
	} else {
		/* Without openat2() no link is followed at all. */
		fprintf(stderr, "test_perfmap: no openat2(): links refused\n");
		ck_assert_int_eq(perfmap__refresh(m), -ELOOP);
	}
	perfmap__free(m);
	/* No such process. */
	errno = 0;
	ck_assert_ptr_null(perfmap__new_at(proc, 4444));
	ck_assert_int_eq(errno, ESRCH);
}
END_TEST

/* The pid a process sees for itself: the last of NSpid. */
static int own_nspid(pid_t pid)
{
	char path[64], line[256];
	int nspid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		char *p = line + 6, *end;

		if (strncmp(line, "NSpid:", 6))
			continue;
		for (;;) {
			long v = strtol(p, &end, 10);

			if (end == p)
				break;
			nspid = v;
			p = end;
		}
	}
	fclose(f);
	ck_assert_int_gt(nspid, 0);
	return nspid;
}

START_TEST(real_process_even_after_exit)
{
	char path[PATH_MAX];
	struct perfmap *m;
	pid_t child;
	int status;

	child = fork();
	ck_assert_int_ge(child, 0);
	if (!child) {
		pause();
		_exit(0);
	}
	m = perfmap__new(child);
	ck_assert_ptr_nonnull(m);
	fmt_path(path, sizeof(path), "/proc/%d/root/tmp/perf-%d.map", (int)child,
		 own_nspid(child));
	ck_assert_str_eq(perfmap__path(m), path);
	fmt_path(path, sizeof(path), "/tmp/perf-%d.map", own_nspid(child));
	unlink(path);
	append(path, "1000 10 jitted\n");
	ck_assert_int_eq(perfmap__refresh(m), 1);
	/* The process exits; its last lines are still read, through its root. */
	ck_assert_int_eq(kill(child, SIGKILL), 0);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	append(path, "2000 10 last-words\n");
	ck_assert_int_eq(perfmap__refresh(m), 1);
	expect(m, 0x1000, "jitted", 0);
	expect(m, 0x2000, "last-words", 0);
	perfmap__free(m);
	unlink(path);
	errno = 0;
	ck_assert_ptr_null(perfmap__new(child));
	ck_assert_int_eq(errno, ESRCH);
}
END_TEST

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * A million lines as a long-running JIT writes them, code space reused, then
 * lookups: more code objects stay live than the default bound holds.
 */
START_TEST(a_million_lines)
{
	enum { LINES = 1000000 };
	struct perfmap_stats st;
	char path[PATH_MAX], *text;
	size_t len = 0, cap = (size_t)LINES * 80, i, found = 0;
	double t0, t1, t2, t3;
	struct perfmap *m;
	uint64_t last = 0;
	char want[64];
	int n;

	text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	srand(9);
	for (i = 0; i < LINES; i++) {
		/* Code space reused: 1 GiB of addresses, objects of 64 B to 4 KiB. */
		uint64_t start = 0x3e0000000000ULL + (((uint64_t)rand() << 8) % (1ULL << 30));

		n = snprintf(text + len, cap - len, "%lx %x LazyCompile:*fn%zu /app/lib.js:%zu:7\n",
			     start, 64 + rand() % 4032, i, i % 5000);
		last = start;
		ck_assert(n > 0 && (size_t)n < cap - len);
		len += n;
	}
	m = open_map("million.map", path, sizeof(path));
	write_file(path, "w", text, len);
	t0 = now();
	ck_assert_int_eq(perfmap__refresh(m), LINES);
	t1 = now();
	for (i = 0; i < 1000000; i++)
		found += perfmap__lookup(m, 0x3e0000000000ULL + (((uint64_t)rand() << 8) %
								   (1ULL << 30)),
					 NULL) != NULL;
	t2 = now();
	for (i = 0; i < 10000; i++)
		ck_assert_int_eq(perfmap__refresh(m), 0);
	t3 = now();
	perfmap__stats(m, &st);
	fprintf(stderr,
		"test_perfmap: %d lines (%zu MiB) read in %.3f s; %lu entries kept, %lu dropped, "
		"%zu KiB; %.0f lookups/s (%zu found); refresh without news %.1f us\n",
		LINES, len >> 20, t1 - t0, st.entries, st.dropped, perfmap__memory(m) >> 10,
		1e6 / (t2 - t1), found, (t3 - t2) / 10000 * 1e6);
	ck_assert_uint_eq(st.lines, LINES);
	ck_assert_uint_eq(st.garbage, 0);
	ck_assert_uint_le(st.entries, PERFMAP_MAX_ENTRIES);
	ck_assert_uint_le(st.bytes, PERFMAP_MAX_BYTES);
	ck_assert_uint_gt(st.dropped, 0);
	ck_assert_uint_le(st.dropped + st.entries, LINES);
	ck_assert_uint_lt(perfmap__memory(m), 64u << 20);
	ck_assert_uint_gt(found, 1000000 / 4);
	/* The newest lines are the ones kept. */
	snprintf(want, sizeof(want), "LazyCompile:*fn%d /app/lib.js:%d:7", LINES - 1,
		 (LINES - 1) % 5000);
	expect(m, last, want, 0);
	ck_assert_msg(t1 - t0 < 8.0 * time_scale(), "reading took %.1f s", t1 - t0);
	ck_assert_msg(t2 - t1 < 2.0 * time_scale(), "lookups took %.1f s", t2 - t1);
	ck_assert_msg(t3 - t2 < 1.0 * time_scale(), "refreshes took %.1f s", t3 - t2);
	free(text);
	perfmap__free(m);
	unlink(path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("perfmap");
	TCase *file = tcase_create("file");
	TCase *proc = tcase_create("proc");
	TCase *scale = tcase_create("scale");

	if (test_dirs("perfmap"))
		return EXIT_FAILURE;

	tcase_set_timeout(file, 60);
	tcase_add_test(file, lookup_and_offsets);
	tcase_add_test(file, later_lines_win);
	tcase_add_test(file, later_lines_win_model);
	tcase_add_test(file, appended_and_partial_lines);
	tcase_add_test(file, garbage_skipped_and_counted);
	tcase_add_test(file, entry_bound);
	tcase_add_test(file, byte_bound);
	tcase_add_test(file, replaced_and_truncated);
	suite_add_tcase(s, file);
	tcase_add_test(proc, process_in_a_pid_namespace);
	tcase_add_test(proc, links_resolve_within_the_process_root);
	tcase_add_test(proc, real_process_even_after_exit);
	suite_add_tcase(s, proc);
	tcase_set_timeout(scale, 60);
	tcase_add_test(scale, a_million_lines);
	suite_add_tcase(s, scale);

	return run_suite(s);
}
