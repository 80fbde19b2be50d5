/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The control block of leakd's in-process sampler (libleakd-sampler.so): one
 * exported, initialized data symbol, LEAKD_SAMPLER_CONTROL_SYMBOL, which the daemon
 * finds from the library's dynamic symbols and where the library is mapped, and
 * reads and writes through /proc/PID/mem.  The event budget widens the sampler's
 * interval there: the sampler draws each new countdown with a mean of interval
 * times factor (a countdown drawn already runs on; each sample is weighed by the
 * mean it was drawn with, so a change biases nothing).  Every leakd on the host
 * traces the sampler, each with its own budget: each writes its factor into a slot
 * of its own (its pid), and the sampler takes the largest, so that no daemon undoes
 * another's widening, and one that stops clears only its own slot.  Other emitters
 * of the otel_memory probes have no such block: their intervals are their own.
 */
#ifndef LEAKD_ABI_SAMPLER_H
#define LEAKD_ABI_SAMPLER_H

#include <linux/types.h>

#define LEAKD_SAMPLER_CONTROL_SYMBOL "leakd_sampler_control"
#define LEAKD_SAMPLER_CONTROL_VERSION 2
/* The sampler takes a factor of 0 as 1, and one above this as this. */
#define LEAKD_SAMPLER_MAX_FACTOR 65536u
/* Daemons that can widen one sampler at once; more go without. */
#define LEAKD_SAMPLER_SLOTS 4

/* One daemon's: pid 0 is a free slot (a dead daemon's may be taken over). */
struct leakd_sampler_slot {
	__u32 pid;
	__u32 factor;
};

struct leakd_sampler_control {
	__u32 version;		/* LEAKD_SAMPLER_CONTROL_VERSION: the layout; the sampler's */
	__u32 reserved;
	__u64 interval;		/* the sampler's: the mean bytes between samples it was
				 * asked for (LEAKD_SAMPLER_INTERVAL, or --inject's --sample) */
	struct leakd_sampler_slot slots[LEAKD_SAMPLER_SLOTS];	/* the daemons' */
};

_Static_assert(sizeof(struct leakd_sampler_control) == 48, "sampler control layout");

/*
 * The factor in force: the largest of the daemons', 1 to LEAKD_SAMPLER_MAX_FACTOR.
 * Written from outside while read: each slot's factor is read once, whole or
 * torn, and any value is safe.
 */
static inline __u32 leakd_sampler_factor(const volatile struct leakd_sampler_control *c)
{
	__u32 f = 1, v;

	for (int i = 0; i < LEAKD_SAMPLER_SLOTS; i++) {
		v = c->slots[i].factor;
		if (v > f)
			f = v;
	}
	return f < LEAKD_SAMPLER_MAX_FACTOR ? f : LEAKD_SAMPLER_MAX_FACTOR;
}

#endif
