/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A process's memory over time as an SVG chart: resident, heap, anonymous and
 * traced live bytes as lines above, and below them the live bytes of the top
 * stacks stacked, so that what grows with the process shows under it.  The input
 * is plain series; where they come from (history) is not this module's concern.
 */
#ifndef LEAKD_TIMELINE_H
#define LEAKD_TIMELINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum timeline_series {
	TIMELINE_RSS,		/* resident set */
	TIMELINE_ANON,		/* anonymous mappings */
	TIMELINE_HEAP,		/* the brk heap */
	TIMELINE_TRACED,	/* live bytes of traced allocations */
	TIMELINE_FILE,		/* resident pages of mapped files */
	TIMELINE__NR_SERIES,
};

struct timeline_point {
	int64_t t_ns;		/* any clock; the chart shows times relative to the first */
	uint64_t bytes[TIMELINE__NR_SERIES];
};

struct timeline_stack {
	const char *name;	/* a short name of the stack: its leaking function */
	const uint64_t *bytes;	/* live bytes at each point of the timeline */
	int64_t growth;		/* bytes per hour, shown in the legend */
};

struct timeline {
	const char *title;
	const struct timeline_point *points;	/* in time order */
	size_t nr_points;
	const struct timeline_stack *stacks;	/* the biggest growers first */
	size_t nr_stacks;
	int64_t wall_start_ns;	/* wall clock of the first point, for the caption; 0: none */
};

/* At most this many stacks are drawn; the rest are summed as "other stacks". */
#define TIMELINE_MAX_STACKS 10

int timeline__write(FILE *f, const struct timeline *t, unsigned width);

#endif
