/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The control block of leakd's in-process sampler in a process that maps it
 * (struct leakd_sampler_control, include/leakd/sampler.h): where it lies, found
 * from the library's exported symbol and where the library is mapped, and its
 * reads and writes.  They go through the process's memory as it was when the
 * block was found (/proc/PID/mem, held open): after an exec they reach nothing,
 * never a byte of the new program.  This daemon writes only its own slot of the
 * block (its pid's; a free one, or a dead daemon's, taken at open).  What factor
 * to write is the daemon's policy; other emitters of the otel_memory probes have
 * no block.
 */
#ifndef LEAKD_SAMPLERCTL_H
#define LEAKD_SAMPLERCTL_H

#include <stdint.h>
#include <sys/types.h>

#include "leakd/sampler.h"

/* Open while at is not 0. */
struct samplerctl {
	int mem;		/* the process's memory, as the block was found in it */
	uint64_t at;		/* the block's address there */
	uint32_t slot;		/* this daemon's slot in it */
	uint32_t factor;	/* in the slot: as taken (a dead daemon's may be left), then
				 * as written; 0: none */
};

/*
 * Finds the block of pid's sampler, takes this daemon's slot in it and opens the
 * way to it into *ret.  Returns 1 when found, 0 when pid maps no sampler of this
 * version (another emitter of the probes) or every slot is another live daemon's,
 * -EAGAIN when the library's code is mapped and its data not yet (the loader is at
 * work) or another daemon took the slot at the same time (ask again later), -ESRCH
 * when pid is gone, -EACCES/-EPERM when its memory may not be opened, other -errno.
 */
int samplerctl__open(pid_t pid, struct samplerctl *ret);
/* Accepts one never opened (at 0). */
void samplerctl__close(struct samplerctl *c);
/* Frees this daemon's slot (its factor no longer counts), then closes. */
void samplerctl__release(struct samplerctl *c);
/* The block; -EPROTO when it is not one of this version, -ESRCH after an exec or exit. */
int samplerctl__read(const struct samplerctl *c, struct leakd_sampler_control *ret);
/*
 * Writes the factor (1 to LEAKD_SAMPLER_MAX_FACTOR) into this daemon's slot;
 * -ESRCH after an exec or exit.
 */
int samplerctl__set_factor(struct samplerctl *c, uint32_t factor);

#endif
