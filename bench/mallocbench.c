// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * malloc+free pairs in a tight loop: the allocation path leakd's probes sit on.
 * Usage: mallocbench [--wait] PAIRS SIZE [DEPTH [SITES]].  The loop runs DEPTH
 * calls deep (default 0), so that stack walks of known length can be timed, and
 * allocates from SITES places in turn (1 to 8, default 1), as a program does from
 * more than one.  With --wait it prints "ready PID" and starts on a line from
 * stdin, so that a tracer can attach first.  Prints the nanoseconds per pair.
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

#define SITE(k)                                                                           \
	__attribute__((noinline)) static void site##k(size_t size)                        \
	{                                                                                 \
		void *p = malloc(size + k);                                               \
                                                                                          \
		sink = p;                                                                 \
		free(p);                                                                  \
	}
SITE(0) SITE(1) SITE(2) SITE(3) SITE(4) SITE(5) SITE(6) SITE(7)

static void (*const sites[])(size_t) = { site0, site1, site2, site3,
					 site4, site5, site6, site7 };
static int nr_sites = 1;

__attribute__((noinline)) static void pairs(long n, size_t size)
{
	/* One place: the tight loop of every earlier figure; more: each a function. */
	if (nr_sites > 1) {
		for (long i = 0; i < n; i++)
			sites[i % nr_sites](size);
		return;
	}
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

	if (argc < 3 + wait || argc > 5 + wait) {
		fprintf(stderr, "usage: mallocbench [--wait] PAIRS SIZE [DEPTH [SITES]]\n");
		return 2;
	}
	n = atol(argv[1 + wait]);
	size = atol(argv[2 + wait]);
	depth = argc >= 4 + wait ? atoi(argv[3 + wait]) : 0;
	if (argc == 5 + wait)
		nr_sites = atoi(argv[4 + wait]);
	if (nr_sites < 1 || nr_sites > 8) {
		fprintf(stderr, "mallocbench: SITES is 1 to 8\n");
		return 2;
	}
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
