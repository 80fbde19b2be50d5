// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Three ways to hold memory, for growth ranking: a steady leak, a cache that fills
 * and then stays, and a table allocated once at start.  Driven line by line from
 * stdin; says "ready PID", then "ok" after each command:
 *   start      startup_table() takes 8 MiB at once; then, in a thread, fill_cache()
 *              adds 256 KiB every 100 ms up to 4 MiB, and leak_request() leaks
 *              32 KiB every 100 ms until paused
 *   pause      the worker stops; says how many cache steps and leak blocks it made
 *   leak N     N more blocks of 32 KiB from leak_request(), now
 *   exit       ends
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "truth.h"

#define LEAK_BYTES (32 * 1024)
#define CACHE_STEP (256 * 1024)
#define CACHE_STEPS 16
#define TABLE_BLOCKS 8
#define TABLE_BLOCK (1024 * 1024)

static volatile int paused;
static long cache_steps, leak_blocks;

NOINLINE void startup_table(void)
{
	for (int i = 0; i < TABLE_BLOCKS; i++) {
		char *p = malloc(TABLE_BLOCK);

		if (!p)
			exit(3);
		memset(p, 1, TABLE_BLOCK);
		keep(p);
	}
}

NOINLINE void fill_cache(void)
{
	char *p = malloc(CACHE_STEP);

	if (!p)
		exit(3);
	memset(p, 2, CACHE_STEP);
	keep(p);
}

NOINLINE void leak_request(void)
{
	char *p = malloc(LEAK_BYTES);

	if (!p)
		exit(3);
	memset(p, 3, LEAK_BYTES);
	keep(p);
}

static void *worker(void *arg)
{
	struct timespec ts = { 0, 100 * 1000000 };

	(void)arg;
	for (int i = 0; !paused; i++) {
		if (i < CACHE_STEPS) {
			fill_cache();
			cache_steps++;
		}
		leak_request();
		leak_blocks++;
		nanosleep(&ts, NULL);	/* the workload's pace, not a synchronization */
	}
	return NULL;
}

int main(void)
{
	char line[128];
	pthread_t th;
	int running = 0;
	long n;

	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (!strncmp(line, "start", 5)) {
			startup_table();
			if (!running && !pthread_create(&th, NULL, worker, NULL))
				running = 1;
		} else if (!strncmp(line, "pause", 5)) {
			paused = 1;
			if (running)
				pthread_join(th, NULL);
			running = 0;
			printf("%ld %ld ", cache_steps, leak_blocks);
		} else if (sscanf(line, "leak %ld", &n) == 1) {
			for (long i = 0; i < n; i++)
				leak_request();
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
	if (running) {
		paused = 1;
		pthread_join(th, NULL);
	}
	return 0;
}
