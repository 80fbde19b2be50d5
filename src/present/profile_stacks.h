/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A snapshot's stacks (present/snapshot.h) turned into a struct profile, the
 * plain data the profile renderers (pprof, folded stacks, SVG flame graph) take.
 * Everything comes from the snapshot: names, files, lines and inlined functions
 * of its frames, the mappings derived from its frames' addresses and file
 * offsets (pc - offset, per module of each process).
 */
#ifndef LEAKD_PROFILE_STACKS_H
#define LEAKD_PROFILE_STACKS_H

#include <stdint.h>

#include "present/diff.h"
#include "present/profile.h"
#include "present/snapshot.h"

struct profile_stacks_opts {
	const char *comm;	/* what the profile is of, for titles; NULL: none */
	uint64_t pid;		/* 0: many processes */
	int64_t time_ns;	/* wall clock, since the epoch; 0: unknown */
	int64_t duration_ns;	/* how long tracing ran; 0: unknown */
	const char *warning;	/* why figures may be short; NULL: none */
};

/*
 * Every stack of the list, in its order, as a sample: its outstanding bytes and
 * count live, its total bytes and count allocated; its frames as locations with
 * the mappings of their modules (build-ids), functions, files, lines and inlined
 * functions; stacks without frames and walks cut short carry a marker frame
 * ("[stack not captured]", "[deeper frames cut: depth limit]", ...).  Frames
 * of different processes are different locations.  NULL with errno on failure.
 */
struct profile *profile__from_stacks(const struct stack_list *l,
				     const struct profile_stacks_opts *o);
/*
 * What grew between the two sides of a diff: each row's growth in bytes and
 * count as its live figures (rows that shrank count 0).  NULL with errno.
 */
struct profile *profile__from_diff(const struct diff_snap *d, const struct profile_stacks_opts *o);

#endif
