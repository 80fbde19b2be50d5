// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A minimal two-thread program for the frees leakd sees of blocks it saw freed
 * already: a worker mallocs and frees blocks of SIZES distinct sizes, each of its
 * own tcache bin, so that one block of each size is parked in the worker's cache
 * when it exits, and glibc frees them again through free() then.  Its cache
 * itself was allocated inside glibc, never through malloc: one free of a block
 * not seen allocated per thread that exits.  Leaks one block from leak_once.
 */
#include <pthread.h>
#include <stdlib.h>

#include "truth.h"

#define SIZES 50
#define ROUNDS 20

NOINLINE void churn(void)
{
	for (int r = 0; r < ROUNDS; r++)
		for (int i = 0; i < SIZES; i++) {
			void *p = malloc(16 + 16 * i);

			keep(p);
			free(p);
		}
}

static void *worker(void *arg)
{
	churn();
	return arg;
}

NOINLINE void leak_once(void)
{
	keep(malloc(4000));
	truth_leak(__func__, 4000, 1);
}

int main(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, worker, NULL) || pthread_join(t, NULL))
		return 2;
	leak_once();
	truth_note("tcache_entries", SIZES);
	truth_note("exited_threads", 1);
	truth_write();
	return 0;
}
