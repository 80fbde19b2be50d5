// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * For the in-process sampler (libleakd-sampler.so, preloaded): leaks from three
 * sites of known sizes and churns through a fourth that frees all it allocates.
 * With "wait", says "ready PID" first and waits for a line on stdin, so that a
 * tracer can attach while it runs; what the sampler reported before and after is
 * noted in the truth (leakd_sampler_stats, when the sampler is there).
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "truth.h"

#define SMALL_N 40000
#define SMALL_SIZE 96
#define LARGE_N 40
#define LARGE_SIZE 100000
#define GROWN_N 4000
#define GROWN_SIZE 1024
#define CHURN_N 200000

/* As the sampler fills it (struct leakd_sampler_stats), though only the first are read. */
struct sampler_stats {
	uint64_t sampled, sampled_frees, dropped;
	uint64_t late_objects, late_entries, late_dropped, dlopen_unfollowed;
};

static struct sampler_stats stats(void)
{
	void (*f)(struct sampler_stats *) =
		(void (*)(struct sampler_stats *))dlsym(RTLD_DEFAULT, "leakd_sampler_stats");
	struct sampler_stats s = { 0 };

	if (f)
		f(&s);
	return s;
}

static long long sampled(void)
{
	return stats().sampled;
}

NOINLINE void leak_small(void)
{
	for (int i = 0; i < SMALL_N; i++)
		keep(malloc(SMALL_SIZE));
	truth_leak(__func__, (unsigned long long)SMALL_N * SMALL_SIZE, SMALL_N);
}

NOINLINE void leak_large(void)
{
	for (int i = 0; i < LARGE_N; i++)
		keep(calloc(1, LARGE_SIZE));
	truth_leak(__func__, (unsigned long long)LARGE_N * LARGE_SIZE, LARGE_N);
}

NOINLINE void leak_grown(void)
{
	for (int i = 0; i < GROWN_N; i++) {
		char *p = malloc(64);

		p[0] = 1;
		keep(realloc(p, GROWN_SIZE));
	}
	truth_leak(__func__, (unsigned long long)GROWN_N * GROWN_SIZE, GROWN_N);
}

NOINLINE void churn(void)
{
	for (int i = 0; i < CHURN_N; i++) {
		void *volatile p = malloc(128);

		free(p);
	}
	truth_balanced(__func__);
}

int main(int argc, char **argv)
{
	char line[64];

	if (argc > 1 && !strcmp(argv[1], "wait")) {
		churn();	/* before anyone listens: nothing may reach a probe */
		truth_note("sampled_before", sampled());
		printf("ready %d\n", (int)getpid());
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}
	leak_small();
	leak_large();
	leak_grown();
	churn();
	truth_note("sampled_after", sampled());
	truth_note("sampler_dropped", stats().dropped);
	truth_write();
	return 0;
}
