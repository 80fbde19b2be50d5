// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * malloc+free pairs in a tight loop: the allocation path leakd's probes sit on.
 * Usage: mallocbench [--wait] PAIRS SIZE.  With --wait it prints "ready PID" and
 * starts on a line from stdin, so that a tracer can attach first.  Prints the
 * nanoseconds per pair.
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

int main(int argc, char **argv)
{
	int wait = argc > 1 && !strcmp(argv[1], "--wait");
	long n;
	size_t size;
	char line[16];
	double t0, t1;

	if (argc != 3 + wait) {
		fprintf(stderr, "usage: mallocbench [--wait] PAIRS SIZE\n");
		return 2;
	}
	n = atol(argv[1 + wait]);
	size = atol(argv[2 + wait]);
	if (wait) {
		printf("ready %d\n", (int)getpid());
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}
	pairs(1000, size);	/* warm the allocator's caches */
	t0 = now();
	pairs(n, size);
	t1 = now();
	printf("%.1f\n", (t1 - t0) / n);
	return 0;
}
