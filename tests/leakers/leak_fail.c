// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Allocator calls that fail, free or move blocks: what leakd must (not) record. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "truth.h"

NOINLINE void *keeps_after_failed_realloc(void)
{
	void *p = malloc(100);

	keep(p);
	truth_leak(__func__, 100, 1);
	return p;
}

NOINLINE void failed_realloc(void *p)
{
	/* Too big: realloc fails and p stays live where it was allocated. */
	void *q = realloc(p, SIZE_MAX - 4096);

	keep(q);
	truth_note("failed_realloc_null", q == NULL);
	truth_balanced(__func__);
}

NOINLINE void *freed_by_realloc_zero(void)
{
	void *p = malloc(200);

	keep(p);
	truth_balanced(__func__);
	return p;
}

NOINLINE void realloc_zero(void *p)
{
	keep(realloc(p, 0));	/* glibc frees p and returns NULL */
	truth_balanced(__func__);
}

NOINLINE void *moved_away(void)
{
	void *p = malloc(16);

	keep(p);
	truth_balanced(__func__);
	return p;
}

NOINLINE void realloc_moves(void *p)
{
	void *q = realloc(p, 1 << 20);

	keep(q);
	truth_note("realloc_moved", q != p);
	truth_leak(__func__, 1 << 20, 1);
}

NOINLINE void failed_posix_memalign(void)
{
	void *p = NULL;
	int e1 = posix_memalign(&p, 3, 100);		/* not a power of two: EINVAL */
	int e2 = posix_memalign(&p, 64, SIZE_MAX - 4096); /* ENOMEM */

	keep(p);
	truth_note("posix_memalign_einval", e1 == EINVAL);
	truth_note("posix_memalign_enomem", e2 == ENOMEM);
	truth_balanced(__func__);
}

NOINLINE void null_results(void)
{
	volatile size_t huge = SIZE_MAX - 4096;

	keep(malloc(huge));
	keep(calloc(SIZE_MAX / 2, 4));		/* overflows size_t: NULL */
	keep(aligned_alloc(64, huge));
	keep(reallocarray(NULL, SIZE_MAX / 2, 4));
	truth_balanced(__func__);
}

int main(void)
{
	failed_realloc(keeps_after_failed_realloc());
	realloc_zero(freed_by_realloc_zero());
	realloc_moves(moved_away());
	failed_posix_memalign();
	null_results();
	truth_write();
	return 0;
}
