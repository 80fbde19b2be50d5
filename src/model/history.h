/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Memory over time and what it says.  A history is a bounded series of (time,
 * bytes, count) points: when it is full, its older half is thinned to every other
 * point, so that the recent past stays at full resolution and the further past
 * gets coarser, in a fixed amount of memory.  A trend is read from the points
 * within a window: a robust slope (the median of pairwise slopes, which one
 * outlier cannot move), its fit, and a class that tells a leak from a cache.
 * Pure arithmetic, unit-tested.
 */
#ifndef LEAKD_MODEL_HISTORY_H
#define LEAKD_MODEL_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct history_point {
	uint64_t t_ns;		/* CLOCK_MONOTONIC */
	uint64_t bytes;
	uint64_t count;
};

struct history {
	struct history_point *pts;	/* oldest first */
	uint32_t n, cap;
	uint32_t thinned;		/* times the older half was thinned */
};

/* cap: points kept, at least HISTORY_MIN_POINTS. */
#define HISTORY_MIN_POINTS 8

int history__init(struct history *h, uint32_t cap);
void history__destroy(struct history *h);
/* Appends a point (times must not go back); thins the older half when full. */
void history__add(struct history *h, uint64_t t_ns, uint64_t bytes, uint64_t count);
/* Bytes of memory the history holds. */
size_t history__memory(const struct history *h);

enum trend_class {
	TREND_UNKNOWN,		/* not enough history to tell */
	TREND_GROWING,		/* still rising in the latest part of the window */
	TREND_PLATEAUED,	/* rose, then flat: a cache or a pool */
	TREND_STABLE,		/* flat all along: allocated once (start-up) */
	TREND_SHRINKING,
	TREND__COUNT,
};

struct trend_opts {
	uint64_t window_ns;	/* the trend of the points within this much time */
	uint64_t noise_bytes;	/* changes up to this are flat (also 1 % of the level) */
	uint32_t min_points;	/* fewer points in the window: TREND_UNKNOWN */
};

struct trend {
	enum trend_class cls;
	double per_hour;	/* robust slope over the window, bytes per hour */
	double recent_per_hour;	/* the same over the latest third of the window */
	double fit;		/* 1 - residual / total variation of the line, 0 to 1 */
	int64_t delta;		/* last point minus first, within the window */
	uint32_t points;
	uint64_t span_ns;	/* first to last point within the window */
};

void trend_opts__defaults(struct trend_opts *o);
/* The trend of h's points at or after now_ns - o->window_ns. */
void history__trend(const struct history *h, uint64_t now_ns, const struct trend_opts *o,
		    struct trend *ret);
/* "growing", "plateaued", ... */
const char *trend_class__name(enum trend_class c);
/*
 * Orders trends for a ranking by growth: growing ones first by their slope, then
 * the others by theirs; stable and unknown ones do not rank (false).
 */
bool trend__ranks(const struct trend *t);
int trend__cmp(const struct trend *a, const struct trend *b);

#endif
