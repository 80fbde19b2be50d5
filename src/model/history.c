// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/macros.h"
#include "model/history.h"

/* Pairwise slopes are O(n^2): past this many points in a window, every k-th is used. */
#define TREND_MAX_POINTS 160
#define SEC_PER_HOUR 3600.0

int history__init(struct history *h, uint32_t cap, uint32_t nvals)
{
	memset(h, 0, sizeof(*h));
	if (!nvals || nvals > HISTORY_MAX_VALUES)
		return -EINVAL;
	if (cap < HISTORY_MIN_POINTS)
		cap = HISTORY_MIN_POINTS;
	h->t = calloc(cap, sizeof(*h->t));
	h->v = calloc((size_t)cap * nvals, sizeof(*h->v));
	if (!h->t || !h->v) {
		history__destroy(h);
		return -ENOMEM;
	}
	h->cap = cap;
	h->nvals = nvals;
	return 0;
}

void history__destroy(struct history *h)
{
	if (!h)
		return;
	free(h->t);
	free(h->v);
	memset(h, 0, sizeof(*h));
}

/* Keeps every other point of the older half (the later of each pair): n shrinks by a quarter. */
static void thin(struct history *h)
{
	uint32_t half = h->n / 2, i, k = 0, w = h->nvals;

	for (i = 1; i < half; i += 2, k++) {
		h->t[k] = h->t[i];
		memcpy(h->v + (size_t)k * w, h->v + (size_t)i * w, w * sizeof(*h->v));
	}
	memmove(h->t + k, h->t + half, (h->n - half) * sizeof(*h->t));
	memmove(h->v + (size_t)k * w, h->v + (size_t)half * w,
		(size_t)(h->n - half) * w * sizeof(*h->v));
	h->n = k + (h->n - half);
	h->thinned++;
}

void history__add(struct history *h, uint64_t t_ns, const uint64_t *vals)
{
	if (!h->cap)
		return;
	if (h->n && t_ns < h->t[h->n - 1])
		t_ns = h->t[h->n - 1];	/* a clock never goes back here */
	if (h->n == h->cap)
		thin(h);
	h->t[h->n] = t_ns;
	memcpy(h->v + (size_t)h->n * h->nvals, vals, h->nvals * sizeof(*h->v));
	h->n++;
}

size_t history__memory(const struct history *h)
{
	return (size_t)h->cap * (1 + h->nvals) * sizeof(uint64_t);
}

void trend_opts__defaults(struct trend_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->window_ns = 3600 * NSEC_PER_SEC;
	o->noise_bytes = 4096;
	o->min_points = 4;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * The median of the slopes between every two points (Theil and Sen), in bytes per
 * second, and how well the line through the median intercept fits.  Returns -ENOMEM.
 */
struct point {
	uint64_t t_ns;
	uint64_t bytes;
};

static int robust_line(const struct point *p, uint32_t n, uint32_t step,
		       double *ret_slope, double *ret_fit)
{
	size_t cap = (size_t)(n / step + 1) * (n / step) / 2, k = 0;
	double *v, t0 = p[0].t_ns / 1e9, b, a, mean = 0, sse = 0, sst = 0;
	uint32_t i, j, m = 0;

	*ret_slope = 0;
	*ret_fit = 1;
	v = malloc((cap > n ? cap : n) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i += step)
		for (j = i + step; j < n; j += step)
			if (p[j].t_ns > p[i].t_ns)
				v[k++] = ((double)p[j].bytes - (double)p[i].bytes) /
					 ((p[j].t_ns - p[i].t_ns) / 1e9);
	if (!k) {
		free(v);
		return 0;
	}
	b = median(v, k);
	for (i = 0; i < n; i += step)
		v[m++] = (double)p[i].bytes - b * (p[i].t_ns / 1e9 - t0);
	a = median(v, m);
	for (i = 0; i < n; i += step)
		mean += p[i].bytes;
	mean /= m;
	for (i = 0; i < n; i += step) {
		double r = (double)p[i].bytes - (a + b * (p[i].t_ns / 1e9 - t0));
		double d = (double)p[i].bytes - mean;

		sse += r * r;
		sst += d * d;
	}
	*ret_slope = b;
	*ret_fit = sst > 0 ? fmax(0, 1 - sse / sst) : 1;
	free(v);
	return 0;
}

void history__trend(const struct history *h, uint32_t k, uint64_t now_ns,
		    const struct trend_opts *o, struct trend *ret)
{
	struct point *p = NULL;
	uint64_t since = now_ns > o->window_ns ? now_ns - o->window_ns : 0, lo = UINT64_MAX;
	uint64_t hi = 0, tol, recent_from;
	uint32_t first, n, r, step;
	double slope, fit, rslope, rfit;
	int64_t recent_delta;

	memset(ret, 0, sizeof(*ret));
	if (k >= h->nvals)
		return;
	for (first = 0; first < h->n && h->t[first] < since; first++)
		;
	n = h->n - first;
	ret->points = n;
	if (n < 2)
		return;
	p = malloc(n * sizeof(*p));
	if (!p)
		return;
	for (uint32_t i = 0; i < n; i++)
		p[i] = (struct point){ h->t[first + i], history__value(h, first + i, k) };
	ret->span_ns = p[n - 1].t_ns - p[0].t_ns;
	ret->delta = (int64_t)(p[n - 1].bytes - p[0].bytes);
	for (uint32_t i = 0; i < n; i++) {
		lo = p[i].bytes < lo ? p[i].bytes : lo;
		hi = p[i].bytes > hi ? p[i].bytes : hi;
	}
	/* A few seconds of a short-lived process say nothing of an hour. */
	if (n < o->min_points || ret->span_ns < o->window_ns / 4)
		goto out;
	tol = o->noise_bytes > hi / 200 ? o->noise_bytes : hi / 200;
	step = n > TREND_MAX_POINTS ? (n + TREND_MAX_POINTS - 1) / TREND_MAX_POINTS : 1;
	if (robust_line(p, n, step, &slope, &fit))
		goto out;
	/* The latest third of the span, at least its last two points. */
	recent_from = p[n - 1].t_ns - ret->span_ns / 3;
	for (r = n - 2; r > 0 && p[r - 1].t_ns >= recent_from; r--)
		;
	recent_delta = (int64_t)(p[n - 1].bytes - p[r].bytes);
	if (robust_line(p + r, n - r, 1, &rslope, &rfit))
		goto out;
	ret->per_hour = slope * SEC_PER_HOUR;
	ret->recent_per_hour = rslope * SEC_PER_HOUR;
	ret->fit = fit;
	/* Flat, or all there from the stack's first points on (a burst at start-up). */
	if (hi - lo <= tol || (o->first_is_birth && !first && p[1].bytes + tol >= hi &&
				p[n - 1].bytes + tol >= hi))
		ret->cls = TREND_STABLE;
	else if (recent_delta > (int64_t)tol && rslope > 0)
		ret->cls = TREND_GROWING;
	else if (recent_delta < -(int64_t)tol || (ret->delta < -(int64_t)tol && rslope <= 0))
		ret->cls = TREND_SHRINKING;
	else if (ret->delta > (int64_t)tol || hi - (uint64_t)p[0].bytes > tol)
		ret->cls = TREND_PLATEAUED;
	else
		ret->cls = TREND_STABLE;
out:
	free(p);
}

const char *trend_class__name(enum trend_class c)
{
	static const char *const names[] = { "unknown", "growing", "plateaued", "stable",
					      "shrinking" };

	return c < ARRAY_SIZE(names) ? names[c] : "?";
}

bool trend__ranks(const struct trend *t)
{
	return t->cls == TREND_GROWING || t->cls == TREND_PLATEAUED || t->cls == TREND_SHRINKING;
}

/* Growing before plateaued before shrinking; within a class, the faster first. */
int trend__cmp(const struct trend *a, const struct trend *b)
{
	static const int order[TREND__COUNT] = {
		[TREND_GROWING] = 0, [TREND_PLATEAUED] = 1, [TREND_SHRINKING] = 2,
		[TREND_STABLE] = 3, [TREND_UNKNOWN] = 4,
	};

	if (order[a->cls] != order[b->cls])
		return order[a->cls] - order[b->cls];
	if (a->per_hour != b->per_hour)
		return a->per_hour > b->per_hour ? -1 : 1;
	return 0;
}
