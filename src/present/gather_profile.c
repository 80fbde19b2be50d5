// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/hashtab.h"
#include "base/macros.h"
#include "leakd/events.h"
#include "present/gather_profile.h"
#include "present/report.h"
#include "stacks/symbolize.h"

/* Keys of marker locations: no real pc is this low (the first page is never mapped). */
enum marker {
	MARK_OVERFLOW = 1,
	MARK_PREEXISTING,
	MARK_NOT_CAPTURED,
	MARK_TRUNCATED,
	MARK_TABLE_PENDING,
	MARK_BAD_FRAME,
	MARK_READ_FAILED,
	MARK_PC_ZERO,
};

static const char *const marker_names[] = {
	[MARK_OVERFLOW] = "[stacks past the stack table's limit]",
	[MARK_PREEXISTING] = "[mapped before leakd began watching]",
	[MARK_NOT_CAPTURED] = "[stack not captured]",
	[MARK_TRUNCATED] = "[deeper frames cut: depth limit]",
	[MARK_TABLE_PENDING] = "[cut short: an unwind table was not ready]",
	[MARK_BAD_FRAME] = "[walk stopped at an implausible frame]",
	[MARK_READ_FAILED] = "[walk stopped: stack memory unreadable]",
};

/* A sigframe's pc names differently from the same pc elsewhere: another key. */
#define SIGFRAME_KEY (1ULL << 63)

struct id_slot {
	uint64_t key;
	uint32_t id;
	uint32_t _pad;
};

struct live_slot {
	uint64_t key;		/* the stack's address */
	uint64_t bytes, count;
};

struct gather {
	struct profile *prof;
	struct symbolizer *sym;
	struct hashtab locs;	/* struct id_slot: pc (or marker) -> location */
	struct hashtab mods;	/* struct id_slot: symbolizer module -> mapping */
};

static int marker_location(struct gather *g, enum marker m)
{
	struct profile_line line = { .function = marker_names[m] };
	struct id_slot *slot;
	bool is_new;
	int id;

	slot = hashtab__upsert(&g->locs, m, &is_new);
	if (!slot)
		return -ENOMEM;
	if (!is_new)
		return slot->id;
	id = profile__add_location(g->prof, 0, 0, 0, &line, 1);
	if (id < 0) {
		hashtab__remove(&g->locs, m, NULL);
		return id;
	}
	slot->id = id;
	return id;
}

/* The mapping of a frame's module, its range widened to cover this pc. */
static int mapping_of(struct gather *g, const struct stack_frame *f, const struct frame_desc *d)
{
	struct profile_mapping *m;
	struct id_slot *slot;
	uint64_t start;
	bool is_new;
	int id;

	if (!f->module || d->jit || !d->module_path || f->pc < f->offset)
		return 0;
	start = f->pc - f->offset;
	slot = hashtab__upsert(&g->mods, f->module, &is_new);
	if (!slot)
		return -ENOMEM;
	if (is_new) {
		id = profile__add_mapping(g->prof, start, f->pc + 1, 0, d->module_path,
					  d->build_id);
		if (id < 0) {
			hashtab__remove(&g->mods, f->module, NULL);
			return id;
		}
		slot->id = id;
	}
	m = &g->prof->mappings[slot->id - 1];
	if (start < m->start)
		m->start = start;
	if (f->pc + 1 > m->limit)
		m->limit = f->pc + 1;
	return slot->id;
}

static int frame_location(struct gather *g, const struct stack_frame *f, bool sigframe)
{
	struct frame_desc d[SYMBOLIZE_MAX_CHAIN];
	struct profile_line lines[SYMBOLIZE_MAX_CHAIN];
	uint64_t key = f->pc ? f->pc : MARK_PC_ZERO;
	struct id_slot *slot;
	uint32_t nr_lines = 0;
	int n, i, mapping, id;
	bool is_new;

	if (!f->pc)
		sigframe = false;
	if (sigframe)
		key |= SIGFRAME_KEY;
	slot = hashtab__get(&g->locs, key);
	if (slot)
		return slot->id;
	n = symbolizer__describe(g->sym, f, d, SYMBOLIZE_MAX_CHAIN);
	if (n < 1)
		n = 1;
	mapping = mapping_of(g, f, &d[n - 1]);
	if (mapping < 0)
		return mapping;
	for (i = 0; i < n; i++) {
		lines[i] = (struct profile_line){ .function = d[i].function, .file = d[i].file,
						  .line = d[i].line, .inlined = i + 1 < n };
	}
	nr_lines = n;
	if (!d[n - 1].function) {
		/* No name: the renderers name it by module and offset, unless it is
		 * the kernel's signal trampoline, which has no symbol. */
		if (sigframe)
			lines[n - 1].function = "[signal handler called]";
		else if (n == 1)
			nr_lines = 0;
	}
	id = profile__add_location(g->prof, f->pc, f->offset, mapping, lines, nr_lines);
	if (id < 0)
		return id;
	slot = hashtab__upsert(&g->locs, key, &is_new);
	if (!slot)
		return -ENOMEM;
	slot->id = id;
	return id;
}

static const struct {
	uint32_t flag;
	enum marker mark;
} cut_marks[] = {
	{ LEAKD_STACK_TRUNCATED, MARK_TRUNCATED },
	{ LEAKD_STACK_TABLE_PENDING, MARK_TABLE_PENDING },
	{ LEAKD_STACK_BAD_FRAME, MARK_BAD_FRAME },
	{ LEAKD_STACK_READ_FAILED, MARK_READ_FAILED },
};

/* The locations of a stack, the leaf first, a marker at the root when it was cut. */
static int stack_locations(struct gather *g, const struct proc_stack *st, uint32_t *locs)
{
	uint32_t n = 0, i;
	int id;

	if (!st->nr_frames) {
		enum marker m = st->flags & STACK_OVERFLOW ? MARK_OVERFLOW :
				st->id == STACK_ID_PREEXISTING ? MARK_PREEXISTING :
				MARK_NOT_CAPTURED;

		id = marker_location(g, m);
		if (id < 0)
			return id;
		locs[n++] = id;
	}
	for (i = 0; i < st->nr_frames; i++) {
		bool sigframe = i + 1 < st->nr_frames &&
				(st->frames[i + 1].flags & LEAKD_FRAME_EXACT);

		id = frame_location(g, &st->frames[i], sigframe);
		if (id < 0)
			return id;
		locs[n++] = id;
	}
	for (i = 0; i < ARRAY_SIZE(cut_marks); i++) {
		if (!(st->flags & cut_marks[i].flag))
			continue;
		id = marker_location(g, cut_marks[i].mark);
		if (id < 0)
			return id;
		locs[n++] = id;
		break;
	}
	return n;
}

struct order {
	uint64_t bytes, count, id;
	uint32_t k;
};

static int cmp_order(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->k < y->k ? -1 : x->k > y->k;
}

/* Live figures of allocations older than the minimum age, per stack. */
static int aged_live(const struct proc_mem *p, const struct profile_gather_opts *o,
		     struct hashtab *live)
{
	struct ranking r;
	size_t n, i;
	int err;

	err = ranking__init(&r, 0, o->min_age_ns, o->now_ns);
	if (!err)
		err = ranking__add(&r, p, o->level);
	if (err)
		goto out;
	n = ranking__finish(&r);
	for (i = 0; i < n; i++) {
		struct live_slot *s = hashtab__upsert(live, (uintptr_t)r.rows[i].stack, NULL);

		if (!s) {
			err = -ENOMEM;
			goto out;
		}
		s->bytes = r.rows[i].bytes;
		s->count = r.rows[i].count;
	}
out:
	ranking__destroy(&r);
	return err;
}

struct profile *profile__gather(const struct proc_mem *p, struct symbolizer *s,
				const struct profile_gather_opts *o)
{
	struct gather g = { .sym = s };
	struct hashtab live = { 0 };
	struct order *order = NULL;
	uint32_t *locs = NULL;
	uint32_t n = 0, k;
	int err;

	g.prof = profile__new();
	order = calloc(p->nr_stacks ? p->nr_stacks : 1, sizeof(*order));
	locs = calloc(LEAKD_MAX_FRAMES + 2, sizeof(*locs));
	if (!g.prof || !order || !locs || hashtab__init(&g.locs, sizeof(struct id_slot), 256) ||
	    hashtab__init(&g.mods, sizeof(struct id_slot), 16) ||
	    hashtab__init(&live, sizeof(struct live_slot), 16)) {
		err = -ENOMEM;
		goto out;
	}
	g.prof->comm = profile__strdup(g.prof, p->comm);
	g.prof->pid = p->pid;
	g.prof->time_ns = o->wall_ns;
	g.prof->duration_ns = o->duration_ns;
	g.prof->period = 1;
	if (o->warning && !(g.prof->warning = profile__strdup(g.prof, o->warning))) {
		err = -errno;
		goto out;
	}
	if (o->min_age_ns) {
		err = aged_live(p, o, &live);
		if (err)
			goto out;
	}
	for (k = 0; k < p->nr_stacks; k++) {
		const struct proc_stack *st = p->stacks[k];
		const struct stack_stats *ss = &st->level[o->level];
		struct order *ord = &order[n];

		if (!ss->total_count && !ss->live_count)
			continue;
		ord->k = k;
		ord->id = st->id;
		if (o->min_age_ns) {
			const struct live_slot *ls = hashtab__get(&live, (uintptr_t)st);

			ord->bytes = ls ? ls->bytes : 0;
			ord->count = ls ? ls->count : 0;
		} else {
			ord->bytes = ss->live_bytes;
			ord->count = ss->live_count;
		}
		n++;
	}
	qsort(order, n, sizeof(*order), cmp_order);
	for (k = 0; k < n; k++) {
		const struct proc_stack *st = p->stacks[order[k].k];
		const struct stack_stats *ss = &st->level[o->level];
		int64_t v[PROFILE__NR_VALUES] = {
			[PROFILE_ALLOC_OBJECTS] = ss->total_count,
			[PROFILE_ALLOC_SPACE] = ss->total_bytes,
			[PROFILE_INUSE_OBJECTS] = order[k].count,
			[PROFILE_INUSE_SPACE] = order[k].bytes,
		};
		int nl;

		if (st->nr_frames > LEAKD_MAX_FRAMES) {
			err = -EINVAL;
			goto out;
		}
		nl = stack_locations(&g, st, locs);
		if (nl < 0) {
			err = nl;
			goto out;
		}
		err = profile__add_sample(g.prof, v, locs, nl);
		if (err < 0)
			goto out;
	}
	err = 0;
out:
	hashtab__destroy(&g.locs);
	hashtab__destroy(&g.mods);
	hashtab__destroy(&live);
	free(order);
	free(locs);
	if (err) {
		profile__free(g.prof);
		errno = -err;
		return NULL;
	}
	return g.prof;
}
