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

#include "present/flamegraph.h"
#include "present/folded.h"
#include "present/pprof.h"
#include "present/profile_stacks.h"
#include "present/render.h"

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
			snprintf(title, size, "Outstanding bytes of pid %" PRIu64 " (%s)", o.pid,
				 comm);
		} else {
			snprintf(title, size, "Outstanding bytes of %" PRIu64 " processes",
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

static int render_folded_fn(FILE *f, const struct snapshot *s)
{
	char title[300];
	struct profile *p = profile_of(s, true, title, sizeof(title));
	int err;

	if (!p)
		return -errno;
	err = folded__write(f, p, PROFILE_INUSE_SPACE);
	profile__free(p);
	return err;
}

static int render_svg_fn(FILE *f, const struct snapshot *s)
{
	char title[300];
	struct profile *p = profile_of(s, true, title, sizeof(title));
	struct flamegraph_opts o = { .value = PROFILE_INUSE_SPACE, .title = title };
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
