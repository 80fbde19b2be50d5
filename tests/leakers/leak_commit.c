// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Memory that is reserved first and committed later, as V8, the JVM and glibc's
 * thread arenas make it, and a heap that grows by brk.  Driven line by line from
 * stdin like leak_ctl: says "ready PID", then for each command does it and says
 * its figures and "ok":
 *   reserve MB        one PROT_NONE, MAP_NORESERVE range of MB MiB (reserve_range)
 *   commit PAGES      the next PAGES pages of it made read-write and touched
 *                     (commit_step): says the bytes committed in all
 *   decommit PAGES    the last PAGES committed pages made PROT_NONE (decommit_step)
 *   discard PAGES     the last PAGES committed pages released with MADV_DONTNEED
 *                     and left alone (discard_step)
 *   fixed PAGES       the next PAGES pages mapped read-write with MAP_FIXED over the
 *                     reservation and touched (fixed_commit)
 *   unfix PAGES       the last PAGES committed pages mapped back PROT_NONE with
 *                     MAP_FIXED, as V8 decommits (fixed_decommit)
 *   noreserve MB      a read-write MAP_NORESERVE mapping of MB MiB, one page of it
 *                     touched (noreserve_map)
 *   brk KB N          N blocks of KB KiB from malloc, small enough for the brk heap
 *                     (brk_grow): says the bytes the heap grew by, page-rounded
 *   arena KB N        in a new thread, N blocks of KB KiB from malloc (arena_grow):
 *                     glibc gives the thread an arena of its own, reserved and
 *                     committed as it grows
 *   exit              ends
 * The figures are the ground truth: what leakd must show for each function.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "truth.h"

#define PAGE 4096UL

static char *base;
static size_t reserved, next_page, committed;

NOINLINE int reserve_range(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	base = p;
	reserved = bytes;
	keep(p);
	return 0;
}

NOINLINE int commit_step(size_t pages)
{
	char *at = base + next_page * PAGE;

	if ((next_page + pages) * PAGE > reserved ||
	    mprotect(at, pages * PAGE, PROT_READ | PROT_WRITE))
		return -1;
	memset(at, 7, pages * PAGE);
	next_page += pages;
	committed += pages * PAGE;
	return 0;
}

/* The last pages committed go: the next commit starts after them all the same. */
NOINLINE int decommit_step(size_t pages)
{
	if (pages * PAGE > committed ||
	    mprotect(base + next_page * PAGE - pages * PAGE, pages * PAGE, PROT_NONE))
		return -1;
	committed -= pages * PAGE;
	next_page -= pages;
	return 0;
}

NOINLINE int discard_step(size_t pages)
{
	if (pages * PAGE > committed ||
	    madvise(base + next_page * PAGE - pages * PAGE, pages * PAGE, MADV_DONTNEED))
		return -1;
	committed -= pages * PAGE;
	/* Those pages stay accessible but are never touched again: skip them. */
	return 0;
}

NOINLINE int fixed_commit(size_t pages)
{
	char *at = base + next_page * PAGE;

	if ((next_page + pages) * PAGE > reserved ||
	    mmap(at, pages * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != at)
		return -1;
	memset(at, 8, pages * PAGE);
	next_page += pages;
	committed += pages * PAGE;
	return 0;
}

NOINLINE int fixed_decommit(size_t pages)
{
	char *at = base + next_page * PAGE - pages * PAGE;

	if (pages * PAGE > committed ||
	    mmap(at, pages * PAGE, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) != at)
		return -1;
	committed -= pages * PAGE;
	next_page -= pages;
	return 0;
}

NOINLINE int noreserve_map(size_t bytes)
{
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	p[0] = 1;
	keep(p);
	return 0;
}

static uintptr_t brk_now(void)
{
	return ((uintptr_t)sbrk(0) + PAGE - 1) & ~(PAGE - 1);
}

NOINLINE uintptr_t brk_grow(long kb, long n)
{
	uintptr_t before = brk_now();

	for (long i = 0; i < n; i++) {
		char *p = malloc(kb * 1024);

		if (!p)
			exit(3);
		p[0] = 1;
		keep(p);
	}
	return brk_now() - before;
}

static long arena_kb, arena_n;

NOINLINE void arena_grow(long kb, long n)
{
	for (long i = 0; i < n; i++) {
		char *p = malloc(kb * 1024);

		if (!p)
			exit(3);
		memset(p, 3, kb * 1024);
		keep(p);
	}
}

static void *arena_thread(void *arg)
{
	arena_grow(arena_kb, arena_n);
	return arg;
}

int main(void)
{
	char line[128];

	/* Large blocks from malloc would be mmap'd: keep them on the brk heap. */
	if (mallopt(M_MMAP_THRESHOLD, 1 << 20) != 1)
		return 2;
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		long a = 0, b = 0;
		int err = 0;

		if (sscanf(line, "reserve %ld", &a) == 1) {
			err = reserve_range((size_t)a << 20);
		} else if (sscanf(line, "commit %ld", &a) == 1) {
			err = commit_step(a);
		} else if (sscanf(line, "decommit %ld", &a) == 1) {
			err = decommit_step(a);
		} else if (sscanf(line, "discard %ld", &a) == 1) {
			err = discard_step(a);
		} else if (sscanf(line, "fixed %ld", &a) == 1) {
			err = fixed_commit(a);
		} else if (sscanf(line, "unfix %ld", &a) == 1) {
			err = fixed_decommit(a);
		} else if (sscanf(line, "noreserve %ld", &a) == 1) {
			err = noreserve_map((size_t)a << 20);
		} else if (sscanf(line, "brk %ld %ld", &a, &b) == 2) {
			printf("%lu ", (unsigned long)brk_grow(a, b));
		} else if (sscanf(line, "arena %ld %ld", &a, &b) == 2) {
			pthread_t th;

			arena_kb = a;
			arena_n = b;
			err = pthread_create(&th, NULL, arena_thread, NULL) ||
			      pthread_join(th, NULL);
		} else if (!strncmp(line, "exit", 4)) {
			break;
		} else {
			printf("what? %s", line);
			fflush(stdout);
			continue;
		}
		if (err) {
			printf("failed: %s", line);
			fflush(stdout);
			continue;
		}
		printf("%zu ok\n", committed);
		fflush(stdout);
	}
	return 0;
}
