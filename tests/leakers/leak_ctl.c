// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A leaker driven line by line from stdin, for the daemon's tests.  It says
 * "ready PID", then for each command does it and says "ok" (with figures):
 *   malloc N SIZE       N blocks of SIZE bytes from heap_leak(), kept
 *   mmap N SIZE         N anonymous mappings of SIZE bytes from map_leak(), touched
 *   grow KB STEPS MS    in a thread: KB kibibytes more from steady_grow() every MS ms
 *   churn SIZE          in a thread: blocks of SIZE from churn() freed at once, at full
 *                       speed (a fast allocator: events, nothing held)
 *   stop                ends the growth and the churn
 *   fork N              N children that exit at once; says their pids
 *   child               a child that waits, killed when its parent ends; says its pid
 *   nodump              prctl(PR_SET_DUMPABLE, 0): root's alone to inspect
 *   hold N SIZE         N blocks of SIZE bytes from hold_blocks(), kept to be released
 *   check               each held block still has SIZE usable bytes (malloc_usable_size)
 *   release             frees the held blocks (made before an injection, freed after)
 *   seccomp             a seccomp filter that allows every system call
 *   lockdl MS           in a thread: holds the dynamic loader's list lock for MS ms
 *                       (inside a dl_iterate_phdr callback), as an unwinder may
 *   exit                ends
 */
#include <link.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "truth.h"

static volatile int stop_growing, stop_churning;
static long grow_kb, grow_steps, grow_ms, churn_size;

NOINLINE void heap_leak(long n, long size)
{
	for (long i = 0; i < n; i++)
		keep(malloc(size));
}

NOINLINE void map_leak(long n, long size)
{
	for (long i = 0; i < n; i++) {
		char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			exit(3);
		memset(p, 1, size);
		keep(p);
	}
}

#define HOLD_MAX 65536

static void *held[HOLD_MAX];
static long held_size[HOLD_MAX], nr_held;

NOINLINE void hold_blocks(long n, long size)
{
	for (long i = 0; i < n && nr_held < HOLD_MAX; i++) {
		char *p = malloc(size);

		if (!p)
			exit(3);
		memset(p, 3, size);
		held_size[nr_held] = size;
		held[nr_held++] = p;
	}
}

static long lock_ms;
static sem_t lock_held;

static int hold_loader(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct timespec ts = { lock_ms / 1000, (lock_ms % 1000) * 1000000 };

	(void)info;
	(void)size;
	(void)arg;
	sem_post(&lock_held);
	nanosleep(&ts, NULL);	/* the loader's lock is held meanwhile */
	return 1;
}

static void *loader_locker(void *arg)
{
	(void)arg;
	dl_iterate_phdr(hold_loader, NULL);
	return NULL;
}

/* A filter that returns ALLOW for everything: Seccomp: 2 in /proc/PID/status. */
static int allow_all(void)
{
	struct sock_filter insn = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = 1, .filter = &insn };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

NOINLINE void steady_grow(long bytes)
{
	char *p = malloc(bytes);

	if (!p)
		exit(3);
	memset(p, 2, bytes);
	keep(p);
}

NOINLINE void churn(long size)
{
	void *p = malloc(size);

	keep(p);
	free(p);
}

static void *churner(void *arg)
{
	(void)arg;
	while (!stop_churning)
		churn(churn_size);
	return NULL;
}

static void *grower(void *arg)
{
	struct timespec ts = { grow_ms / 1000, (grow_ms % 1000) * 1000000 };

	(void)arg;
	for (long i = 0; i < grow_steps && !stop_growing; i++) {
		steady_grow(grow_kb * 1024);
		nanosleep(&ts, NULL);	/* the workload's pace, not a synchronization */
	}
	return NULL;
}

int main(void)
{
	char line[128];
	pthread_t th, churn_th;
	int growing = 0, churning = 0;

	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		long a = 0, b = 0, c = 0;

		if (sscanf(line, "malloc %ld %ld", &a, &b) == 2) {
			heap_leak(a, b);
		} else if (sscanf(line, "mmap %ld %ld", &a, &b) == 2) {
			map_leak(a, b);
		} else if (sscanf(line, "grow %ld %ld %ld", &a, &b, &c) == 3) {
			grow_kb = a;
			grow_steps = b;
			grow_ms = c;
			if (!growing && !pthread_create(&th, NULL, grower, NULL))
				growing = 1;
		} else if (sscanf(line, "churn %ld", &a) == 1) {
			churn_size = a;
			stop_churning = 0;
			if (!churning && !pthread_create(&churn_th, NULL, churner, NULL))
				churning = 1;
		} else if (!strncmp(line, "stop", 4)) {
			stop_growing = 1;
			if (growing)
				pthread_join(th, NULL);
			growing = 0;
			stop_churning = 1;
			if (churning)
				pthread_join(churn_th, NULL);
			churning = 0;
		} else if (sscanf(line, "fork %ld", &a) == 1) {
			for (long i = 0; i < a; i++) {
				pid_t pid = fork();

				if (pid == 0)
					_exit(0);
				printf("%d ", (int)pid);
				waitpid(pid, NULL, 0);
			}
		} else if (!strncmp(line, "child", 5)) {
			pid_t parent = getpid(), pid = fork();

			if (pid == 0) {
				/* Async-signal-safe calls only: the churn thread may hold locks. */
				prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
				if (getppid() != parent)
					_exit(0);
				for (;;)
					pause();
			}
			printf("%d ", (int)pid);
		} else if (!strncmp(line, "nodump", 6)) {
			if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)) {
				printf("failed\n");
				fflush(stdout);
				continue;
			}
		} else if (sscanf(line, "hold %ld %ld", &a, &b) == 2) {
			hold_blocks(a, b);
		} else if (!strncmp(line, "check", 5)) {
			for (a = 0; a < nr_held; a++)
				if (malloc_usable_size(held[a]) < (size_t)held_size[a])
					break;
			if (a < nr_held) {
				printf("block %ld: %zu usable bytes\n", a,
				       malloc_usable_size(held[a]));
				fflush(stdout);
				continue;
			}
		} else if (!strncmp(line, "release", 7)) {
			while (nr_held)
				free(held[--nr_held]);
		} else if (sscanf(line, "lockdl %ld", &a) == 1) {
			pthread_t lt;

			lock_ms = a;
			if (sem_init(&lock_held, 0, 0) ||
			    pthread_create(&lt, NULL, loader_locker, NULL) || pthread_detach(lt)) {
				printf("failed\n");
				fflush(stdout);
				continue;
			}
			while (sem_wait(&lock_held) && errno == EINTR)
				;		/* "ok" once the lock is held */
		} else if (!strncmp(line, "seccomp", 7)) {
			if (allow_all()) {
				printf("failed\n");
				fflush(stdout);
				continue;
			}
		} else if (!strncmp(line, "exit", 4)) {
			break;
		} else {
			printf("what? %s", line);
			fflush(stdout);
			continue;
		}
		printf("ok\n");
		fflush(stdout);
	}
	if (growing) {
		stop_growing = 1;
		pthread_join(th, NULL);
	}
	if (churning) {
		stop_churning = 1;
		pthread_join(churn_th, NULL);
	}
	return 0;
}
