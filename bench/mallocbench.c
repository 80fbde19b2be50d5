// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * malloc+free pairs in a tight loop: the allocation path leakd's probes sit on.
 * Usage: mallocbench [--wait] PAIRS SIZE [DEPTH].  The loop runs DEPTH calls deep
 * (default 0), so that stack walks of known length can be timed.  With --wait it
 * prints "ready PID" and starts on a line from stdin, so that a tracer can attach
 * first.  Prints the nanoseconds per pair.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void *volatile sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

__attribute__((noinline)) static void pairs(long n, size_t size)
{
	for (long i = 0; i < n; i++) {
		void *p = malloc(size);

		sink = p;
		free(p);
	}
}

static volatile int depth_sink;

/* depth more frames between main and the loop; work after the call keeps each. */
__attribute__((noinline)) static void nest(int depth, long n, size_t size)
{
	if (depth > 0)
		nest(depth - 1, n, size);
	else
		pairs(n, size);
	depth_sink++;
}

int main(int argc, char **argv)
{
	int wait = argc > 1 && !strcmp(argv[1], "--wait");
	int depth;
	long n;
	size_t size;
	char line[16];
	double t0, t1;

	if (argc != 3 + wait && argc != 4 + wait) {
		fprintf(stderr, "usage: mallocbench [--wait] PAIRS SIZE [DEPTH]\n");
		return 2;
	}
	n = atol(argv[1 + wait]);
	size = atol(argv[2 + wait]);
	depth = argc == 4 + wait ? atoi(argv[3 + wait]) : 0;
	if (wait) {
		printf("ready %d\n", (int)getpid());
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}
	pairs(1000, size);	/* warm the allocator's caches */
	t0 = now();
	nest(depth, n, size);
	t1 = now();
	printf("%.1f\n", (t1 - t0) / n);
	return 0;
}
