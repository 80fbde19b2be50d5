/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Memory over time and what it says.  A history is a bounded series of points,
 * each a time and a fixed number of values (bytes and count of a stack; rss,
 * committed, heap ... of a process): when it is full, its older half is thinned to every other
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

struct history {
	uint64_t *t;			/* CLOCK_MONOTONIC ns, oldest first */
	uint64_t *v;			/* nvals values per point */
	uint32_t n, cap, nvals;
	uint32_t thinned;		/* times the older half was thinned */
};

/* cap: points kept, at least HISTORY_MIN_POINTS. */
#define HISTORY_MIN_POINTS 8
#define HISTORY_MAX_VALUES 8

/* nvals: values per point, 1 to HISTORY_MAX_VALUES. */
int history__init(struct history *h, uint32_t cap, uint32_t nvals);
void history__destroy(struct history *h);
/* Appends a point of h->nvals values (times must not go back); thins when full. */
void history__add(struct history *h, uint64_t t_ns, const uint64_t *vals);
/* Value k of point i (0: the oldest). */
static inline uint64_t history__value(const struct history *h, uint32_t i, uint32_t k)
{
	return h->v[(size_t)i * h->nvals + k];
}
/* Bytes of memory the history holds. */
size_t history__memory(const struct history *h);

enum trend_class {
	TREND_UNKNOWN,		/* not enough history to tell */
	TREND_GROWING,		/* still rising in the latest part of the window */
	TREND_PLATEAUED,	/* rose, then flat: a cache or a pool */
	TREND_STABLE,		/* flat all along, or all there from its first points on:
				 * allocated once (start-up) */
	TREND_SHRINKING,
	TREND__COUNT,
};

struct trend_opts {
	uint64_t window_ns;	/* the trend of the points within this much time */
	uint64_t noise_bytes;	/* changes up to this are flat (also 0.5 % of the level) */
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
/* The trend of value k of h's points at or after now_ns - o->window_ns. */
void history__trend(const struct history *h, uint32_t k, uint64_t now_ns,
		    const struct trend_opts *o, struct trend *ret);
/* "growing", "plateaued", ... */
const char *trend_class__name(enum trend_class c);
/*
 * Orders trends for a ranking by growth: growing ones first by their slope, then
 * the others by theirs; stable and unknown ones do not rank (false).
 */
bool trend__ranks(const struct trend *t);
int trend__cmp(const struct trend *a, const struct trend *b);

#endif
