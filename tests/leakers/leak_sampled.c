// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Sites of many sizes and counts, through malloc, calloc, realloc and
 * posix_memalign, repeated in rounds: each round calls every site from a caller
 * of its own, so that each (site, round) is a stack of its own and an
 * independent estimate when leakd samples.  A churn site frees all it allocates.
 * Usage: leak_sampled [ROUNDS]
 */
#include <stdlib.h>

#include "truth.h"

static volatile long sink_value;
static int rounds = 6;

#define SITE(name, size, count)                                                           \
	NOINLINE void name(int round)                                                     \
	{                                                                                 \
		for (int i = 0; i < (count); i++)                                         \
			keep(malloc(size));                                               \
		sink_value += round;                                                      \
	}

SITE(site_tiny, 16, 8000)
SITE(site_small, 200, 2000)
SITE(site_page, 4096, 200)
SITE(site_big, 100000, 20)
SITE(site_huge, 1 << 20, 2)

NOINLINE void site_calloc(int round)
{
	for (int i = 0; i < 500; i++)
		keep(calloc(25, 40));
	sink_value += round;
}

NOINLINE void site_realloc(int round)
{
	for (int i = 0; i < 200; i++) {
		void *p = malloc(100);

		keep(p);
		keep(realloc(p, 3000));
	}
	sink_value += round;
}

NOINLINE void site_memalign(int round)
{
	for (int i = 0; i < 200; i++) {
		void *p = NULL;

		if (!posix_memalign(&p, 64, 2048))
			keep(p);
	}
	sink_value += round;
}

NOINLINE void site_churn(int round)
{
	for (int i = 0; i < 20000; i++) {
		void *p = malloc(300);

		keep(p);
		free(p);
	}
	sink_value += round;
}

static void all_sites(int round)
{
	site_tiny(round);
	site_churn(round);
	site_small(round);
	site_calloc(round);
	site_page(round);
	site_realloc(round);
	site_memalign(round);
	site_big(round);
	site_huge(round);
}

#define ROUND(n)                                                                          \
	NOINLINE void round##n(void)                                                      \
	{                                                                                 \
		if (n < rounds)                                                           \
			all_sites(n);                                                     \
		sink_value += n;                                                          \
	}

ROUND(0) ROUND(1) ROUND(2) ROUND(3) ROUND(4) ROUND(5) ROUND(6) ROUND(7)

int main(int argc, char **argv)
{
	if (argc > 1)
		rounds = atoi(argv[1]);
	if (rounds < 1 || rounds > 8)
		return 2;
	round0(); round1(); round2(); round3(); round4(); round5(); round6(); round7();
	truth_leak("site_tiny", 16ULL * 8000 * rounds, 8000ULL * rounds);
	truth_leak("site_small", 200ULL * 2000 * rounds, 2000ULL * rounds);
	truth_leak("site_page", 4096ULL * 200 * rounds, 200ULL * rounds);
	truth_leak("site_big", 100000ULL * 20 * rounds, 20ULL * rounds);
	truth_leak("site_huge", (1ULL << 20) * 2 * rounds, 2ULL * rounds);
	truth_leak("site_calloc", 1000ULL * 500 * rounds, 500ULL * rounds);
	truth_leak("site_realloc", 3000ULL * 200 * rounds, 200ULL * rounds);
	truth_leak("site_memalign", 2048ULL * 200 * rounds, 200ULL * rounds);
	truth_balanced("site_churn");
	truth_note("rounds", rounds);
	truth_write();
	return 0;
}
