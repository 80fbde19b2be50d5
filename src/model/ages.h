/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * How old the memory a stack holds is: its oldest and median live allocation (or
 * mapping) and a histogram of ages.  Old memory that is never freed is what leaks
 * look like; young memory that turns over is what caches and requests look like.
 */
#ifndef LEAKD_MODEL_AGES_H
#define LEAKD_MODEL_AGES_H

#include <stddef.h>
#include <stdint.h>

#include "model/tables.h"

#define AGE_BUCKETS 7
/* Upper bounds of the buckets but the last, in seconds: 10 s, 1 min, 10 min, 1 h, 6 h, 1 d. */
extern const uint64_t age_bucket_limits_s[AGE_BUCKETS - 1];

struct stack_ages {
	uint64_t count;			/* live allocations (mappings) seen */
	uint64_t oldest_ns, median_ns;	/* ages at now_ns */
	uint64_t counts[AGE_BUCKETS];
	uint64_t bytes[AGE_BUCKETS];
};

/*
 * The ages of what stacks[0..n) of p (indices into p->stacks) hold at level l,
 * into ret[0..n).  One pass over p's allocations or mappings.  0 or -ENOMEM.
 */
int proc_mem__ages(const struct proc_mem *p, enum level l, const uint32_t *stacks, size_t n,
		   uint64_t now_ns, struct stack_ages *ret);
/* "<10s", "10s-1m", ..., ">1d": the name of bucket i. */
const char *age_bucket__name(unsigned int i);

#endif
