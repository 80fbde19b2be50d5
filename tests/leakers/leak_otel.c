// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A program that reports its allocations through otel_memory probes of its own
 * library (libotelprobe.so): each stands for a known weight, so the estimates
 * leakd must show are exact: bytes = the sum of weights, count = weight / size each.
 */
#include <stdlib.h>

#include "truth.h"

void *otelprobe_alloc(size_t size, size_t weight);
void otelprobe_free(void *p);

NOINLINE void leak_weighted(void)
{
	for (int i = 0; i < 10; i++)
		keep(otelprobe_alloc(100, 1000));
	/* Stands for 10 * 1000 bytes in 10 * 10 allocations. */
	truth_leak(__func__, 10 * 1000, 10 * 10);
}

NOINLINE void leak_heavy(void)
{
	for (int i = 0; i < 3; i++)
		keep(otelprobe_alloc(4096, 4096 * 50));
	truth_leak(__func__, 3 * 4096 * 50, 3 * 50);
}

NOINLINE void freed_weighted(void)
{
	for (int i = 0; i < 100; i++) {
		void *p = otelprobe_alloc(200, 5000);

		keep(p);
		otelprobe_free(p);
	}
	truth_balanced(__func__);
}

int main(void)
{
	leak_weighted();
	leak_heavy();
	freed_weighted();
	truth_write();
	return 0;
}
