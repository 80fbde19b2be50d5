/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The histories of stacks: for each stack of a traced process that holds memory,
 * at each level, a history of its live bytes and count, sampled by the caller's
 * clock.  Bounded in series and in points; a stack that finds no room is counted.
 */
#ifndef LEAKD_MODEL_HISTORIES_H
#define LEAKD_MODEL_HISTORIES_H

#include <stdint.h>
#include <sys/types.h>

#include "base/hashtab.h"
#include "model/history.h"
#include "model/tables.h"

/* The values of a stack's history points. */
enum { HIST_BYTES, HIST_COUNT, HIST__VALUES };

struct histories_limits {
	uint32_t max_series;		/* stack histories, all processes together */
	uint32_t points;		/* points per history */
};

struct histories {
	struct histories_limits limits;
	struct hashtab series;		/* struct stack_series */
	uint64_t dropped;		/* stacks left without a history: no room */
};

int histories__init(struct histories *hs, const struct histories_limits *l);
void histories__destroy(struct histories *hs);
/* A point for every stack of p that holds memory at a level, or held some before. */
void histories__sample(struct histories *hs, const struct proc_mem *p, uint64_t now_ns);
/* The history of p's stack (its index in p->stacks) at level l, or NULL. */
const struct history *histories__get(const struct histories *hs, pid_t pid, uint32_t stack,
				     enum level l);
/* Forgets a process's histories: it exited or exec'd, or is no longer traced. */
void histories__forget_proc(struct histories *hs, pid_t pid);
size_t histories__memory(const struct histories *hs);

#endif
