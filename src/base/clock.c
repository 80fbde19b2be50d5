// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <time.h>
#include <unistd.h>

#include "base/clock.h"

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

uint64_t boot_ticks_to_ns(uint64_t ticks)
{
	struct timespec boot;
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t ns, mono, slept;

	if (!ticks || hz <= 0)
		return 0;
	/* Monotonic first: the boot clock read after it is never behind it. */
	mono = now_ns();
	clock_gettime(CLOCK_BOOTTIME, &boot);
	slept = boot.tv_sec * NSEC_PER_SEC + boot.tv_nsec - mono;
	ns = ticks * (NSEC_PER_SEC / (uint64_t)hz);
	return ns > slept ? ns - slept : 1;
}
