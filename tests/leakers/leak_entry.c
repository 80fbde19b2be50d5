// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* One leak through every allocator entry point, each from its own function. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "truth.h"

NOINLINE void leak_malloc(void)
{
	for (int i = 0; i < 3; i++)
		keep(malloc(1000));
	truth_leak(__func__, 3000, 3);
}

NOINLINE void leak_calloc(void)
{
	for (int i = 0; i < 2; i++)
		keep(calloc(10, 100));
	truth_leak(__func__, 2000, 2);
}

NOINLINE void *small_block(void)
{
	void *p = malloc(50);

	keep(p);
	return p;
}

NOINLINE void leak_realloc(void)
{
	/* The block moves to realloc's caller: small_block holds nothing after. */
	keep(realloc(small_block(), 3000));
	truth_leak(__func__, 3000, 1);
	truth_balanced("small_block");
}

NOINLINE void leak_reallocarray(void)
{
	keep(reallocarray(NULL, 7, 100));
	truth_leak(__func__, 700, 1);
}

NOINLINE void leak_posix_memalign(void)
{
	void *p;

	if (!posix_memalign(&p, 64, 4096))
		keep(p);
	truth_leak(__func__, 4096, 1);
}

NOINLINE void leak_aligned_alloc(void)
{
	keep(aligned_alloc(256, 2048));
	truth_leak(__func__, 2048, 1);
}

NOINLINE void leak_memalign(void)
{
	keep(memalign(128, 1536));
	truth_leak(__func__, 1536, 1);
}

NOINLINE void leak_valloc(void)
{
	keep(valloc(5000));
	truth_leak(__func__, 5000, 1);
}

NOINLINE void leak_pvalloc(void)
{
	keep(pvalloc(100));
	truth_leak(__func__, 100, 1);
}

NOINLINE void leak_big(void)
{
	/* Above the mmap threshold: glibc's malloc maps it itself. */
	keep(malloc(1 << 20));
	truth_leak(__func__, 1 << 20, 1);
}

NOINLINE void leak_strdup(void)
{
	static const char text[] = "a string of thirty-one bytes..";

	keep(strdup(text));
	keep(strdup(text));
	truth_leak_via(__func__, "strdup", 2 * sizeof(text), 2);
}

NOINLINE void churn(void)
{
	for (int i = 0; i < 10000; i++) {
		void *p = malloc(64 + i % 512);

		keep(p);
		free(p);
	}
	truth_balanced(__func__);
}

int main(void)
{
	leak_malloc();
	leak_calloc();
	leak_realloc();
	leak_reallocarray();
	leak_posix_memalign();
	leak_aligned_alloc();
	leak_memalign();
	leak_valloc();
	leak_pvalloc();
	leak_big();
	leak_strdup();
	churn();
	truth_write();
	return 0;
}
