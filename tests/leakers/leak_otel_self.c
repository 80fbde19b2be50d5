// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A program that emits the otel_memory probes from its own code (as a program with
 * its allocator built in would): its stacks keep every frame, the emitting
 * function (self_alloc) first, the leaking function below it.
 */
#include <stdlib.h>

#include "sampler/otel_usdt.h"
#include "truth.h"

OTEL_USDT_DEFINE_SEMAPHORE(alloc);
OTEL_USDT_DEFINE_SEMAPHORE(free);

NOINLINE void *self_alloc(size_t size, size_t weight)
{
	void *p = malloc(size);

	if (p && OTEL_USDT_ENABLED(alloc))
		OTEL_MEMORY_ALLOC(p, size, weight);
	keep(p);
	return p;
}

NOINLINE void leak_self(void)
{
	for (int i = 0; i < 7; i++)
		keep(self_alloc(64, 640));
	truth_leak(__func__, 7 * 640, 7 * 10);
}

int main(void)
{
	leak_self();
	truth_write();
	return 0;
}
