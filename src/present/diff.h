/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What grew and what shrank between two sets of stacks: two saved snapshots, a
 * snapshot and now, or two ad-hoc reports.  Stacks are matched by what they are
 * (files and offsets of their frames, or JIT names), not by addresses, so that
 * they match across processes and runs of the same program.
 */
#ifndef LEAKD_PRESENT_DIFF_H
#define LEAKD_PRESENT_DIFF_H

#include <stdint.h>

#include "present/snapshot.h"

struct diff_row {
	const struct stack_snap *stack;	/* b's when the stack is in b, else a's; not owned */
	uint64_t bytes_a, count_a, bytes_b, count_b;
	int64_t delta_bytes, delta_count;
};

struct diff_snap {
	char a[128], b[128];		/* what was compared: names or files */
	uint64_t bytes_a, bytes_b;	/* all stacks, both levels */
	struct diff_row *rows;		/* grown most first, shrunk most last */
	size_t n;
	size_t grew, shrank, unchanged, left_out;	/* left_out: past the limit */
};

/* A key for what a stack is, the same in every process that runs that code. */
uint64_t stack_snap__key(const struct stack_snap *s);
/*
 * The stacks of a and b that changed, at most limit of them (0: all; the largest
 * changes either way kept).  ret points into a and b: they must outlive it.
 * 0 or -ENOMEM.
 */
int diff__compute(const struct stack_list *a, const struct stack_list *b, uint32_t limit,
		  struct diff_snap *ret);
void diff_snap__free(struct diff_snap *d);

#endif
