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
 *   nodump              prctl(PR_SET_DUMPABLE, 0): root's alone to inspect
 *   exit                ends
 */
#include <pthread.h>
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
		} else if (!strncmp(line, "nodump", 6)) {
			if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)) {
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
