// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "present/report.h"
#include "base/heap.h"
#include "present/render.h"


/* Row a ranks before row b. */
static bool before(const struct report_row *a, const struct report_row *b)
{
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes;
	if (a->count != b->count)
		return a->count > b->count;
	if (a->stack->id != b->stack->id)
		return a->stack->id < b->stack->id;
	return a->proc && b->proc && a->proc->pid < b->proc->pid;
}

/* Min-heap: the root is the weakest of the rows kept. */
static bool weaker(const void *a, const void *b, void *ctx)
{
	(void)ctx;
	return before(b, a);
}

static int cmp_rows(const void *a, const void *b)
{
	return before(a, b) ? -1 : before(b, a) ? 1 : 0;
}

int ranking__init(struct ranking *r, size_t top, uint64_t min_age_ns, uint64_t now_ns)
{
	memset(r, 0, sizeof(*r));
	r->cap = top;
	r->min_age_ns = min_age_ns;
	r->now_ns = now_ns;
	r->alloc = top ? top : 64;
	r->rows = calloc(r->alloc, sizeof(*r->rows));
	return r->rows ? 0 : -ENOMEM;
}

void ranking__destroy(struct ranking *r)
{
	free(r->rows);
	r->rows = NULL;
	r->n = 0;
}

static int offer(struct ranking *r, const struct report_row *row)
{
	if (r->cap && r->n == r->cap) {
		if (before(row, &r->rows[0])) {
			r->rows[0] = *row;
			heap_sift_down(r->rows, r->n, sizeof(*row), 0, weaker, NULL);
		}
		return 0;
	}
	if (r->n == r->alloc) {
		struct report_row *nr = realloc(r->rows, 2 * r->alloc * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		r->rows = nr;
		r->alloc *= 2;
	}
	r->rows[r->n] = *row;
	heap_sift_up(r->rows, sizeof(*row), r->n++, weaker, NULL);
	return 0;
}

/* Per stack: bytes, count, their variances, samples (estimates for sampled blocks). */
#define AGED_FIELDS 5

static bool too_young(const struct ranking *r, uint64_t ts)
{
	return ts > r->now_ns || r->now_ns - ts < r->min_age_ns || ts < r->since_ns;
}

/* The figures per stack of what is old enough: one pass over the level's data. */
static double *aged_figures(const struct ranking *r, const struct proc_mem *p, enum level l)
{
	double *aged = calloc(p->nr_stacks ? AGED_FIELDS * p->nr_stacks : 1, sizeof(*aged));
	const struct sampled_alloc *sa;
	const struct live_alloc *a;
	uint32_t i;
	size_t k;

	if (!aged)
		return NULL;
	if (l == LEVEL_HEAP) {
		hashtab__for_each(&p->allocs, k, a) {
			if (a->stack >= p->nr_stacks || too_young(r, a->ts))
				continue;
			aged[AGED_FIELDS * a->stack] += a->size;
			aged[AGED_FIELDS * a->stack + 1]++;
		}
		hashtab__for_each(&p->sampled, k, sa) {
			double w = sa->weight, c = sa->size ? w / sa->size : 1, *f;

			if (sa->stack >= p->nr_stacks || too_young(r, sa->ts))
				continue;
			f = &aged[AGED_FIELDS * sa->stack];
			f[0] += w;
			f[1] += c;
			f[2] += w * (w - sa->size);
			f[3] += c * (c - 1);
			f[4]++;
		}
		return aged;
	}
	for (i = 0; i < p->nr_maps; i++) {
		const struct mapping *m = &p->maps[i];

		if (!(m->flags & MAPPING_BRK) != (l == LEVEL_MAP))
			continue;
		if (m->stack >= p->nr_stacks || (m->flags & LEAKD_MAP_RESERVED) ||
		    m->ts > r->now_ns || r->now_ns - m->ts < r->min_age_ns || m->ts < r->since_ns)
			continue;
		aged[AGED_FIELDS * m->stack] += m->end - m->start;
		aged[AGED_FIELDS * m->stack + 1]++;
	}
	return aged;
}

/* A figure rounded for a row: sums of signed terms may end a hair off. */
static uint64_t whole(double v)
{
	return v > 0.5 ? (uint64_t)llround(v) : 0;
}

int ranking__add(struct ranking *r, const struct proc_mem *p, enum level l)
{
	double *aged = NULL, b, c, sb, sc;
	uint32_t k;
	int err = 0;

	if (r->min_age_ns || r->since_ns) {
		aged = aged_figures(r, p, l);
		if (!aged)
			return -ENOMEM;
	}
	for (k = 0; k < p->nr_stacks && !err; k++) {
		struct report_row row = { .proc = p, .stack = p->stacks[k], .level = l,
					  .index = k };

		if (aged) {
			const double *f = &aged[AGED_FIELDS * k];

			b = f[0];
			c = f[1];
			sb = f[2] > 0 ? sqrt(f[2]) : 0;
			sc = f[3] > 0 ? sqrt(f[3]) : 0;
			row.samples = f[4];
		} else {
			proc_stack__live(row.stack, l, &b, &c, &sb, &sc);
			if (l == LEVEL_HEAP && row.stack->est)
				row.samples = row.stack->est->samples_live;
		}
		row.bytes = whole(b);
		row.count = whole(c);
		row.se_bytes = sb;
		row.se_count = sc;
		if (row.count || row.bytes ||
		    (r->with_freed && (row.stack->level[l].total_count ||
				       (l == LEVEL_HEAP && row.stack->est &&
					row.stack->est->total.count > 0))))
			err = offer(r, &row);
	}
	free(aged);
	return err;
}

size_t ranking__finish(struct ranking *r)
{
	qsort(r->rows, r->n, sizeof(*r->rows), cmp_rows);
	return r->n;
}

int report__rank(const struct proc_mem *p, uint32_t top, uint64_t min_age_ns, uint64_t now_ns,
		 struct report_row **ret_rows)
{
	struct ranking r;
	int err;

	err = ranking__init(&r, top, min_age_ns, now_ns);
	if (!err)
		err = ranking__add(&r, p, LEVEL_HEAP);
	if (err) {
		ranking__destroy(&r);
		return err;
	}
	*ret_rows = r.rows;
	return ranking__finish(&r);
}

bool report__incomplete(const struct report_meta *m, const struct proc_mem *p)
{
	int i;

	for (i = 0; i < LEAKD_DROP__COUNT; i++)
		if (m->counters[i])
			return true;
	return m->missed_runs || p->losses.allocs_dropped || p->losses.stacks_merged ||
	       p->losses.maps_dropped;
}

static int gather_one(const struct report_opts *o, const struct report_meta *m,
		      const struct proc_mem *p, struct symbolizer *s, struct report_snap *ret);

int report__gather(const struct report_opts *o, const struct report_meta *m,
		   const struct proc_mem *p, struct symbolizer *s, struct report_snap *ret)
{
	struct report_meta cm = *m;
	size_t i;
	int err;

	err = gather_one(o, m, p, s, ret);
	if (err || !m->follow)
		return err;
	ret->follow = true;
	ret->children_dropped = m->children_dropped;
	ret->children_forgotten = m->children_forgotten;
	if (!m->nr_children)
		return 0;
	ret->children = calloc(m->nr_children, sizeof(*ret->children));
	if (!ret->children) {
		report_snap__free(ret);
		return -ENOMEM;
	}
	/* A child's report says why it ended, not why leakd did. */
	cm.reason = NULL;
	cm.from_start = true;		/* from its fork on */
	cm.traced_ns = 0;
	for (i = 0; i < m->nr_children && !err; i++) {
		err = gather_one(o, &cm, m->children[i], s, &ret->children[i]);
		if (!err)
			ret->nr_children++;
	}
	if (err)
		report_snap__free(ret);
	return err;
}

static int gather_one(const struct report_opts *o, const struct report_meta *m,
		      const struct proc_mem *p, struct symbolizer *s, struct report_snap *ret)
{
	struct ranking r[LEVEL__COUNT];
	struct stack_list *lists[LEVEL__COUNT] = {
		[LEVEL_HEAP] = &ret->heap, [LEVEL_MAP] = &ret->maps, [LEVEL_BRK] = &ret->brk,
	};
	size_t i, n;
	int l, err = 0;

	memset(ret, 0, sizeof(*ret));
	ret->time = m->wall;
	ret->final = m->final;
	ret->reason = m->reason;
	ret->from_start = m->from_start;
	ret->pid = p->pid;
	ret->ppid = p->ppid;
	ret->exited = p->exited;
	memcpy(ret->comm, p->comm, sizeof(ret->comm));
	ret->complete = !report__incomplete(m, p);
	ret->min_age_ns = o->min_age_ns;
	ret->traced_ns = m->traced_ns;
	/* Sampled blocks add what they stand for: the figures become estimates. */
	ret->live_bytes = p->live_bytes + whole(p->live_est.bytes);
	ret->live_allocs = p->live_count + whole(p->live_est.count);
	ret->total_allocs = p->total_allocs + p->total_samples;
	ret->total_frees = p->total_frees + p->total_sample_frees;
	ret->sampled = proc_mem__sampled(p);
	ret->sample_interval = p->sample_interval;
	ret->live_bytes_se = p->live_est.var_bytes > 0 ? sqrt(p->live_est.var_bytes) : 0;
	ret->live_allocs_se = p->live_est.var_count > 0 ? sqrt(p->live_est.var_count) : 0;
	ret->sampled_live = p->sampled.count;
	ret->sampled_allocs = p->total_samples;
	ret->notes = p->notes;
	ret->nr_stacks = p->nr_stacks;
	memcpy(ret->losses.counters, m->counters, sizeof(ret->losses.counters));
	ret->losses.missed_runs = m->missed_runs;
	ret->losses.tables = p->losses;
	ret->map_bytes = p->map_bytes;
	ret->map_count = p->map_count;
	ret->reserved_bytes = p->reserved_bytes;
	ret->brk_bytes = p->heap_bytes;
	for (l = 0; l < LEVEL__COUNT && !err; l++) {
		err = ranking__init(&r[l], o->top, o->min_age_ns, m->now_ns);
		if (err)
			break;
		r[l].with_freed = o->with_freed;
		err = ranking__add(&r[l], p, l);
		n = err ? 0 : ranking__finish(&r[l]);
		for (i = 0; i < n && !err; i++)
			err = stack_list__add(lists[l], s, &r[l].rows[i], false);
		ranking__destroy(&r[l]);
	}
	if (err)
		report_snap__free(ret);
	return err;
}

int report__print(FILE *f, const struct report_opts *o, const struct report_meta *m,
		  const struct proc_mem *p, struct symbolizer *s)
{
	struct report_snap r;
	struct snapshot snap = { .kind = SNAP_REPORT, .report = &r,
				 .short_names = o->short_names };
	int err;

	err = report__gather(o, m, p, s, &r);
	if (err)
		return err;
	err = render(f, o->format, &snap);
	report_snap__free(&r);
	return err;
}
