/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What the two halves of libleakd-sampler.so share: sampler.c (the entry points
 * it stands in front of, the countdown, the probes) and got.c (the GOT patch of an
 * injection).  Hidden from the programs it is loaded into.
 */
#ifndef LEAKD_SAMPLER_SAMPLER_H
#define LEAKD_SAMPLER_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leakd/sampler.h"

#define EXPORT __attribute__((visibility("default")))

/*
 * What the sampler did, for LEAKD_SAMPLER_STATS=1 at exit and leakd_sampler_stats()
 * (which fills the whole struct: callers declare all of it).
 */
struct leakd_sampler_stats {
	uint64_t sampled;		/* allocations that reached a probe */
	uint64_t sampled_frees;		/* frees of sampled blocks that reached a probe */
	uint64_t dropped;		/* sampled, but the set of live samples was full */
	/* Injected (leakctl trace --inject): objects dlopen'd since. */
	uint64_t late_objects;		/* patched after their dlopen returned */
	uint64_t late_entries;		/* their GOT entries patched */
	uint64_t late_dropped;		/* entries left unpatched: no room in the list */
	uint64_t dlopen_unfollowed;	/* dlopen calls forwarded untouched (see INJECT.md) */
};

extern struct leakd_sampler_stats stats;
/* The interval asked for and leakd's factor (leakd/sampler.h). */
extern struct leakd_sampler_control leakd_sampler_control;

/* An entry point we stand in front of. */
struct entry {
	const char *name;
	void *self;		/* our entry point (-Bsymbolic-functions: ours, not the global) */
	void **real;		/* where the function behind us is kept */
};

extern const struct entry entries[];
extern const size_t nr_entries;

/* Whether f is one of our own functions. */
bool ours(void *f);
/* The function behind e, NULL when no object after us has it. */
void *target_of(const struct entry *e);

/* Room for the GOT entries of objects dlopen'd while injected (LEAKD_SAMPLER_LATE_ENTRIES). */
extern size_t late_slots;

#ifdef __x86_64__
/*
 * In front of dlopen, but not under its name: a preloaded sampler must not change
 * whom dlopen sees as its caller (see dlopen_follows() in got.c).  Reached only
 * through the GOT entries an injection patches.
 */
extern void *real_dlopen;
void leakd_dlopen_entry(void);
#endif

#endif
