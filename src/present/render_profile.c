// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The profile renderers: pprof, folded stacks and an SVG flame graph of the
 * answers that carry stacks.  A report shows its heap stacks, or its mapping
 * stacks when it has no heap stacks; a top its stacks (one level, as asked);
 * a diff, as folded stacks or a flame graph, what grew.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "present/flamegraph.h"
#include "present/folded.h"
#include "present/pprof.h"
#include "present/profile_stacks.h"
#include "present/render.h"
#include "present/timeline.h"

#define NSEC_PER_SEC 1000000000LL

/* Why a report's figures may be short, as its text says in full. */
#define INCOMPLETE "events were lost, figures may be short (leakd --json counts them)"

/* The process every stack of l is of; 0 when they are of many. */
static uint64_t one_pid(const struct stack_list *l)
{
	size_t i;

	for (i = 1; i < l->n; i++)
		if (l->v[i].pid != l->v[0].pid)
			return 0;
	return l->n ? l->v[0].pid : 0;
}

/* The snapshot's stacks as a profile; NULL with errno (ENOTSUP: no stacks in it). */
static struct profile *profile_of(const struct snapshot *s, bool diff_ok, char *title,
				  size_t size)
{
	struct profile_stacks_opts o = { 0 };
	const struct stack_list *l;
	char comm[32];

	switch (s->kind) {
	case SNAP_REPORT: {
		const struct report_snap *r = s->report;

		l = r->heap.n || !r->maps.n ? &r->heap : &r->maps;
		o.pid = r->pid;
		o.comm = r->comm;
		o.time_ns = (int64_t)r->time * NSEC_PER_SEC;
		o.duration_ns = r->traced_ns;
		o.warning = r->complete ? NULL : INCOMPLETE;
		snprintf(title, size, "%s of pid %" PRIu64 " (%s)",
			 l == &r->heap ? "Live bytes" : "Mapped bytes", r->pid, r->comm);
		return profile__from_stacks(l, &o);
	}
	case SNAP_TOP:
		l = &s->top->stacks;
		o.pid = one_pid(l);
		if (o.pid) {
			snprintf(comm, sizeof(comm), "%s", l->v[0].comm);
			o.comm = comm;
			snprintf(title, size, "%s of pid %" PRIu64 " (%s)",
				 s->top->by_growth ? "Growth (bytes an hour)" : "Outstanding bytes",
				 o.pid, comm);
		} else {
			snprintf(title, size, "%s of %" PRIu64 " processes",
				 s->top->by_growth ? "Growth (bytes an hour)" : "Outstanding bytes",
				 s->top->processes);
		}
		return profile__from_stacks(l, &o);
	case SNAP_DIFF:
		if (!diff_ok)
			break;
		snprintf(title, size, "Growth from %s to %s", s->diff->a, s->diff->b);
		return profile__from_diff(s->diff, &o);
	default:
		break;
	}
	errno = ENOTSUP;
	return NULL;
}

static int render_pprof_fn(FILE *f, const struct snapshot *s)
{
	char title[300];
	struct profile *p = profile_of(s, false, title, sizeof(title));
	int err;

	if (!p)
		return -errno;
	err = pprof__write(f, p);
	profile__free(p);
	return err;
}

/* What a flame graph or folded stacks weigh by: growth for a top by growth. */
static enum profile_value weight_of(const struct snapshot *s)
{
	return s->kind == SNAP_TOP && s->top->by_growth ? PROFILE_GROWTH : PROFILE_INUSE_SPACE;
}

static int render_folded_fn(FILE *f, const struct snapshot *s)
{
	char title[300];
	struct profile *p = profile_of(s, true, title, sizeof(title));
	int err;

	if (!p)
		return -errno;
	err = folded__write(f, p, weight_of(s));
	profile__free(p);
	return err;
}

/* A process's memory over time: the timeline chart, not a flame graph. */
static int render_flamegraph(FILE *f, const struct snapshot *s);

static int render_timeline(FILE *f, const struct timeline_snap *t)
{
	struct timeline_point *pts = calloc(t->n ? t->n : 1, sizeof(*pts));
	struct timeline_stack *st = calloc(t->nr_rows ? t->nr_rows : 1, sizeof(*st));
	struct timeline tl = { .points = pts, .nr_points = t->n, .stacks = st,
			       .nr_stacks = t->nr_rows,
			       .wall_start_ns = t->wall_start * (int64_t)NSEC_PER_SEC };
	char title[96];
	int err;

	if (!pts || !st) {
		free(pts);
		free(st);
		return -ENOMEM;
	}
	snprintf(title, sizeof(title), "Memory of pid %" PRIu64 " (%s)", t->pid, t->comm);
	tl.title = title;
	for (size_t i = 0; i < t->n; i++) {
		pts[i].t_ns = (int64_t)t->t_ms[i] * 1000000;
		pts[i].bytes[TIMELINE_RSS] = t->values[TL_RSS][i];
		pts[i].bytes[TIMELINE_ANON] = t->values[TL_ANON][i];
		pts[i].bytes[TIMELINE_HEAP] = t->values[TL_HEAP][i];
		pts[i].bytes[TIMELINE_TRACED] = t->values[TL_TRACED][i];
		pts[i].bytes[TIMELINE_FILE] = t->values[TL_FILE][i];
	}
	for (size_t k = 0; k < t->nr_rows; k++)
		st[k] = (struct timeline_stack){ .name = t->rows[k].name, .bytes = t->rows[k].bytes,
						 .growth = t->rows[k].growth };
	err = timeline__write(f, &tl, 960);
	free(pts);
	free(st);
	return err;
}

static int render_svg_fn(FILE *f, const struct snapshot *s)
{
	if (s->kind == SNAP_TIMELINE)
		return render_timeline(f, s->timeline);
	return render_flamegraph(f, s);
}

static int render_flamegraph(FILE *f, const struct snapshot *s)
{
	char title[300];
	struct profile *p = profile_of(s, true, title, sizeof(title));
	struct flamegraph_opts o = { .value = weight_of(s), .title = title };
	int err;

	if (!p)
		return -errno;
	err = flamegraph__write(f, p, &o);
	profile__free(p);
	return err;
}

const struct renderer render_pprof = {
	.format = OUTPUT_PPROF,
	.name = "pprof",
	.binary = true,
	.profile = true,
	.render = render_pprof_fn,
};

const struct renderer render_folded = {
	.format = OUTPUT_FOLDED,
	.name = "folded",
	.profile = true,
	.render = render_folded_fn,
};

const struct renderer render_svg = {
	.format = OUTPUT_SVG,
	.name = "svg",
	.profile = true,
	.render = render_svg_fn,
};
