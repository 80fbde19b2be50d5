/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The control block of leakd's in-process sampler in a process that maps it
 * (struct leakd_sampler_control, include/leakd/sampler.h): where it lies, found
 * from the library's exported symbol and where the library is mapped, and its
 * reads and writes, through the process's memory.  What factor to write is the
 * daemon's policy; other emitters of the otel_memory probes have no block.
 */
#ifndef LEAKD_SAMPLERCTL_H
#define LEAKD_SAMPLERCTL_H

#include <stdint.h>
#include <sys/types.h>

#include "leakd/sampler.h"

/*
 * The address of the block in pid into *ret_at: 0 when pid maps no sampler of
 * this version (another emitter of the probes).  0, -EAGAIN when the library's
 * code is mapped and its data not yet (the loader is at work: ask again later),
 * -ESRCH when pid is gone, -EPERM when its memory may not be read.
 */
int samplerctl__find(pid_t pid, uint64_t *ret_at);
/* The block at at in pid; -EPROTO when it is not one of this version any more. */
int samplerctl__read(pid_t pid, uint64_t at, struct leakd_sampler_control *ret);
/* Writes the factor (1 to LEAKD_SAMPLER_MAX_FACTOR) into the block at at in pid. */
int samplerctl__set_factor(pid_t pid, uint64_t at, uint32_t factor);

#endif
