/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Ranking of a process's stacks by outstanding bytes, and the report as text or JSON. */
#ifndef LEAKD_REPORT_H
#define LEAKD_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "leakd/events.h"
#include "tables.h"

struct symbolizer;

struct report_row {
	const struct stack *stack;
	uint64_t bytes, count;		/* outstanding, older than the minimum age */
};

struct report_opts {
	uint32_t top;			/* 0: every stack with outstanding bytes */
	uint64_t min_age_ns;
	bool json;
};

/* What the report says about the session beyond the process's own tables. */
struct report_meta {
	uint64_t now_ns;		/* CLOCK_MONOTONIC */
	time_t wall;
	bool final;
	const char *reason;		/* why the final report: "exit", "signal", ... */
	uint64_t counters[LEAKD_CNT__COUNT];
	uint64_t missed_runs;		/* BPF runs the kernel skipped */
};

/*
 * The top stacks of p by outstanding bytes (then count), allocations younger than
 * min_age_ns left out.  O(stacks * log top) plus one pass over the allocations
 * when min_age_ns is set.  *ret_rows is malloc'd; returns the number of rows.
 */
int report__rank(const struct proc *p, uint32_t top, uint64_t min_age_ns, uint64_t now_ns,
		 struct report_row **ret_rows);
/* True when anything was lost: counters, missed runs or table losses. */
bool report__incomplete(const struct report_meta *m, const struct proc *p);
int report__print(FILE *f, const struct report_opts *o, const struct report_meta *m,
		  const struct proc *p, struct symbolizer *s);

#endif
