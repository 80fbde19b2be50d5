/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The control block of leakd's in-process sampler (libleakd-sampler.so): one
 * exported, initialized data symbol, LEAKD_SAMPLER_CONTROL_SYMBOL, which the daemon
 * finds from the library's dynamic symbols and where the library is mapped, and
 * reads and writes through /proc/PID/mem.  The event budget widens the sampler's
 * interval there: the sampler draws each new countdown with a mean of interval
 * times factor (a countdown drawn already runs on; each sample is weighed by the
 * mean it was drawn with, so a change biases nothing).  Other emitters of the
 * otel_memory probes have no such block: their intervals are their own.
 */
#ifndef LEAKD_ABI_SAMPLER_H
#define LEAKD_ABI_SAMPLER_H

#include <linux/types.h>

#define LEAKD_SAMPLER_CONTROL_SYMBOL "leakd_sampler_control"
#define LEAKD_SAMPLER_CONTROL_VERSION 1
/* The sampler takes a factor of 0 as 1, and one above this as this. */
#define LEAKD_SAMPLER_MAX_FACTOR 65536u

struct leakd_sampler_control {
	__u32 version;		/* LEAKD_SAMPLER_CONTROL_VERSION: the layout; the sampler's */
	__u32 factor;		/* leakd's: new countdowns' mean is interval times this;
				 * 1 when nobody widens it */
	__u64 interval;		/* the sampler's: the mean bytes between samples it was
				 * asked for (LEAKD_SAMPLER_INTERVAL, or --inject's --sample) */
};

_Static_assert(sizeof(struct leakd_sampler_control) == 16, "sampler control layout");

#endif
