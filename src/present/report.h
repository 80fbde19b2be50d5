/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Ranking of stacks by outstanding bytes (a bounded heap over many processes and
 * levels), and the ad-hoc report on one process: gathered into a snapshot,
 * rendered in any output format.
 */
#ifndef LEAKD_REPORT_H
#define LEAKD_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "leakd/events.h"
#include "model/tables.h"
#include "present/render.h"
#include "present/snapshot.h"

struct symbolizer;

struct report_row {
	const struct proc_mem *proc;
	const struct proc_stack *stack;
	enum level level;
	uint32_t index;			/* of stack in proc->stacks */
	uint64_t bytes, count;		/* outstanding, older than the minimum age */
	/* Sampled blocks among them: the figures are estimates with these standard errors. */
	uint64_t samples;
	double se_bytes, se_count;
};

/*
 * The best rows among many processes and levels: a bounded heap, so that ranking
 * costs O(stacks * log top) whatever the number of stacks.
 */
struct ranking {
	struct report_row *rows;
	size_t n, cap;			/* cap 0: keep every row */
	size_t alloc;
	uint64_t min_age_ns, now_ns;
	bool with_freed;		/* rows holding nothing, with allocations ever, too */
	uint64_t since_ns;		/* only what was allocated since then; 0: all */
};

int ranking__init(struct ranking *r, size_t top, uint64_t min_age_ns, uint64_t now_ns);
void ranking__destroy(struct ranking *r);
/*
 * Offers p's stacks at level l (one pass over its allocations or mappings when a
 * minimum age or r->since_ns is set).
 */
int ranking__add(struct ranking *r, const struct proc_mem *p, enum level l);
/* Sorts what was kept, best first; returns the number of rows. */
size_t ranking__finish(struct ranking *r);

struct report_opts {
	uint32_t top;			/* 0: every stack with outstanding bytes */
	uint64_t min_age_ns;
	enum output_format format;
	bool short_names;		/* text: see struct snapshot */
	bool with_freed;		/* also stacks that hold nothing now (profiles) */
};

/* What the report says about the session beyond the process's own tables. */
struct report_meta {
	uint64_t now_ns;		/* CLOCK_MONOTONIC */
	time_t wall;
	bool final;
	const char *reason;		/* why the final report: "exit", "signal", ... */
	bool from_start;		/* traced since the program started (leakd -- COMMAND) */
	uint64_t counters[LEAKD_CNT__COUNT];
	uint64_t missed_runs;		/* BPF runs the kernel skipped */
	uint64_t traced_ns;		/* how long the process has been traced; 0: unknown */
	/* Children followed (leakd -f): reported after the process, each on its own. */
	bool follow;
	const struct proc_mem *const *children;
	size_t nr_children;
	uint64_t children_dropped;	/* not followed: too many running */
	uint64_t children_forgotten;	/* exited, their reports gone for room */
};

/*
 * The top stacks of p at the allocator level by outstanding bytes (then count),
 * allocations younger than min_age_ns left out.  *ret_rows is malloc'd; returns
 * the number of rows.
 */
int report__rank(const struct proc_mem *p, uint32_t top, uint64_t min_age_ns, uint64_t now_ns,
		 struct report_row **ret_rows);
/* True when anything was lost: counters, missed runs or table losses. */
bool report__incomplete(const struct report_meta *m, const struct proc_mem *p);
/* The report on p, every level, symbolized now; free with report_snap__free. */
int report__gather(const struct report_opts *o, const struct report_meta *m,
		   const struct proc_mem *p, struct symbolizer *s, struct report_snap *ret);
/* Gathered and rendered in o->format: 0, or -errno (-EIO: the write failed). */
int report__print(FILE *f, const struct report_opts *o, const struct report_meta *m,
		  const struct proc_mem *p, struct symbolizer *s);

#endif
