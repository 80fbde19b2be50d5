// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A library that leak_late loads with dlopen while it runs (built as latelib_a.so,
 * latelib_b.so and latelib_c.so, the same code under three names).  Its constructor
 * allocates CTOR_N blocks, before whoever follows the dlopen can see them;
 * late_release() frees them.  late_leak() keeps half of what it allocates and frees
 * the rest; late_zeroed() keeps all.
 */
#include <stdlib.h>

#include "truth.h"

#define CTOR_N 50
#define CTOR_SIZE 777

static void *ctor_blocks[CTOR_N];

__attribute__((constructor)) static void late_ctor(void)
{
	for (int i = 0; i < CTOR_N; i++)
		ctor_blocks[i] = malloc(CTOR_SIZE);
}

__attribute__((visibility("default"))) NOINLINE void late_leak(long n, long size)
{
	for (long i = 0; i < n; i++) {
		void *p = malloc(size);

		if (i & 1)
			free(p);
		else
			keep(p);
	}
}

__attribute__((visibility("default"))) NOINLINE void late_zeroed(long n, long size)
{
	for (long i = 0; i < n; i++)
		keep(calloc(1, size));
}

__attribute__((visibility("default"))) NOINLINE void late_release(void)
{
	for (int i = 0; i < CTOR_N; i++) {
		free(ctor_blocks[i]);
		ctor_blocks[i] = NULL;
	}
}
