/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A process's tables and the symbolizer's names gathered into a struct profile,
 * the plain data the export renderers take.  The only place where exports see
 * leakd's tables: when answers become snapshots, this is what changes.
 */
#ifndef LEAKD_GATHER_PROFILE_H
#define LEAKD_GATHER_PROFILE_H

#include <stdint.h>

#include "model/tables.h"
#include "present/profile.h"

struct symbolizer;

struct profile_gather_opts {
	enum level level;	/* allocator blocks or anonymous mappings */
	uint64_t min_age_ns;	/* live figures count only allocations this old */
	uint64_t now_ns;	/* CLOCK_MONOTONIC, for min_age_ns */
	int64_t wall_ns;	/* the profile's time, since the epoch */
	int64_t duration_ns;	/* how long the process was traced */
	const char *warning;	/* why figures may be short, from the caller; NULL: none */
};

/*
 * Every stack of p with allocations at the level: its live and total figures,
 * its frames with mappings (build-ids), functions, files, lines and inlined
 * functions; stacks without frames and walks cut short carry a marker frame
 * ("[stack not captured]", "[deeper frames cut: depth limit]", ...).  Samples
 * come by live bytes, then count, then stack id.  NULL with errno on failure.
 */
struct profile *profile__gather(const struct proc_mem *p, struct symbolizer *s,
				const struct profile_gather_opts *o);

#endif
