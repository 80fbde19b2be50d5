// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A library of its own that emits the otel_memory probes, as any program may:
 * not leakd's sampler.  Its allocations stand for the weight the caller gives.
 */
#include <stdlib.h>

#include "sampler/otel_usdt.h"

OTEL_USDT_DEFINE_SEMAPHORE(alloc);
OTEL_USDT_DEFINE_SEMAPHORE(free);

__attribute__((noinline)) void *otelprobe_alloc(size_t size, size_t weight)
{
	void *p = malloc(size);

	if (p && OTEL_USDT_ENABLED(alloc))
		OTEL_MEMORY_ALLOC(p, size, weight);
	return p;
}

__attribute__((noinline)) void otelprobe_free(void *p)
{
	if (p && OTEL_USDT_ENABLED(free))
		OTEL_MEMORY_FREE(p);
	free(p);
}

/* Whether a tracer listens to both probes: their semaphores are raised. */
int otelprobe_listening(void)
{
	return OTEL_USDT_SEMAPHORE(alloc) && OTEL_USDT_SEMAPHORE(free);
}
