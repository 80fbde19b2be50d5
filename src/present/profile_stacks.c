// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fnv.h"
#include "base/hashtab.h"
#include "base/macros.h"
#include "leakd/events.h"
#include "present/profile_stacks.h"

/* Frames without a place in code: their names, as the text renderer words them. */
enum marker {
	MARK_OVERFLOW,
	MARK_PREEXISTING,
	MARK_NOT_CAPTURED,
	MARK__COUNT,
};

static const char *const marker_names[MARK__COUNT] = {
	[MARK_OVERFLOW] = "[stacks past the stack table's limit]",
	[MARK_PREEXISTING] = "[mapped before leakd began watching]",
	[MARK_NOT_CAPTURED] = "[stack not captured]",
};

/* A location: one pc of one process (a sigframe's pc names differently). */
struct loc_slot {
	uint64_t key;
	uint64_t pid, pc;
	uint32_t id;
	bool sigframe;
};

/* A mapping: one module of one process. */
struct map_slot {
	uint64_t key;
	uint64_t pid;
	uint32_t id;
	uint32_t _pad;
};

struct build {
	struct profile *prof;
	struct hashtab locs, maps;
	uint32_t markers[MARK__COUNT];	/* location ids; 0: none yet */
	uint32_t *notes;		/* per stack_notes entry */
	uint32_t *buf;			/* a sample's locations */
	uint32_t cap;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdULL;
}

/* A location of one line with this name and no address: created once. */
static int named_location(struct build *b, uint32_t *id, const char *name)
{
	struct profile_line line = { .function = name };
	int n;

	if (*id)
		return *id;
	n = profile__add_location(b->prof, 0, 0, 0, &line, 1);
	if (n > 0)
		*id = n;
	return n;
}

/* The mapping of a frame's module in its process, its range widened to cover this pc. */
static int mapping_of(struct build *b, uint64_t pid, const struct frame_snap *f)
{
	struct profile_mapping *m;
	struct map_slot *slot;
	uint64_t start, h;
	bool is_new;
	int id;

	if (f->jit || !f->module_path || f->pc < f->offset)
		return 0;
	start = f->pc - f->offset;
	for (h = mix(fnv_str(FNV_OFFSET, f->module_path), pid);; h = mix(h, 1)) {
		slot = hashtab__upsert(&b->maps, h | 1, &is_new);
		if (!slot)
			return -ENOMEM;
		if (is_new)
			break;
		if (slot->pid == pid && !strcmp(b->prof->mappings[slot->id - 1].path,
						f->module_path))
			goto found;
	}
	id = profile__add_mapping(b->prof, start, f->pc + 1, 0, f->module_path,
				  f->build_id ? f->build_id : "");
	if (id < 0) {
		hashtab__remove(&b->maps, h | 1, NULL);
		return id;
	}
	slot->pid = pid;
	slot->id = id;
found:
	m = &b->prof->mappings[slot->id - 1];
	if (start < m->start)
		m->start = start;
	if (f->pc + 1 > m->limit)
		m->limit = f->pc + 1;
	return slot->id;
}

static int frame_location(struct build *b, uint64_t pid, const struct frame_snap *f,
			  bool sigframe)
{
	struct profile_line *lines;
	struct loc_slot *slot;
	uint32_t nr_lines, i;
	int mapping, id;
	bool is_new;
	uint64_t h;

	if (!f->pc)
		sigframe = false;
	for (h = mix(mix(f->pc, pid), sigframe);; h = mix(h, 1)) {
		slot = hashtab__upsert(&b->locs, h | 1, &is_new);
		if (!slot)
			return -ENOMEM;
		if (is_new)
			break;
		if (slot->pid == pid && slot->pc == f->pc && slot->sigframe == sigframe)
			return slot->id;
	}
	/* Filled before anything else can fail: a failure removes it below. */
	slot->pid = pid;
	slot->pc = f->pc;
	slot->sigframe = sigframe;
	mapping = mapping_of(b, pid, f);
	if (mapping < 0) {
		id = mapping;
		goto fail;
	}
	nr_lines = f->nr_inlined + 1;
	lines = calloc(nr_lines, sizeof(*lines));
	if (!lines) {
		id = -ENOMEM;
		goto fail;
	}
	/* Innermost inlined first, the real function last. */
	for (i = 0; i < f->nr_inlined; i++)
		lines[i] = (struct profile_line){ .function = f->inlined[i].function,
						  .file = f->inlined[i].file,
						  .line = f->inlined[i].line, .inlined = true };
	lines[i] = (struct profile_line){ .function = f->real.function, .file = f->real.file,
					  .line = f->real.line };
	if (!f->real.function) {
		/* No name: the renderers name it by module and offset, unless it is
		 * the kernel's signal trampoline, which has no symbol. */
		if (sigframe)
			lines[i].function = "[signal handler called]";
		else if (!f->nr_inlined)
			nr_lines = 0;
	}
	id = profile__add_location(b->prof, f->pc, f->offset, mapping, lines, nr_lines);
	free(lines);
	if (id < 0)
		goto fail;
	/* The table may have moved: look the slot up again. */
	slot = hashtab__get(&b->locs, h | 1);
	slot->id = id;
	return id;
fail:
	hashtab__remove(&b->locs, h | 1, NULL);
	return id;
}

/* The locations of a stack, the leaf first, a marker at the root when it was cut. */
static int stack_locations(struct build *b, const struct stack_snap *st)
{
	uint32_t n = 0, i;
	int id;

	if (st->nr_frames + 2 > b->cap) {
		uint32_t *nb = realloc(b->buf, (st->nr_frames + 2) * sizeof(*nb));

		if (!nb)
			return -ENOMEM;
		b->buf = nb;
		b->cap = st->nr_frames + 2;
	}
	if (!st->nr_frames) {
		enum marker m = st->flags & STACK_OVERFLOW ? MARK_OVERFLOW :
				st->id == STACK_ID_PREEXISTING ? MARK_PREEXISTING :
				MARK_NOT_CAPTURED;

		id = named_location(b, &b->markers[m], marker_names[m]);
		if (id < 0)
			return id;
		b->buf[n++] = id;
	}
	for (i = 0; i < st->nr_frames; i++) {
		bool sigframe = i + 1 < st->nr_frames &&
				(st->frames[i + 1].flags & LEAKD_FRAME_EXACT);

		id = frame_location(b, st->pid, &st->frames[i], sigframe);
		if (id < 0)
			return id;
		b->buf[n++] = id;
	}
	for (i = 0; i < nr_stack_notes; i++) {
		char name[128];

		if (!(st->flags & stack_notes[i].flag))
			continue;
		snprintf(name, sizeof(name), "[%s]", stack_notes[i].text);
		id = named_location(b, &b->notes[i], name);
		if (id < 0)
			return id;
		b->buf[n++] = id;
		break;
	}
	return n;
}

static int add_stack(struct build *b, const struct stack_snap *st,
		     const int64_t v[PROFILE__NR_VALUES])
{
	int n = stack_locations(b, st);

	if (n < 0)
		return n;
	n = profile__add_sample(b->prof, v, b->buf, n);
	return n < 0 ? n : 0;
}

static int begin(struct build *b, const struct profile_stacks_opts *o)
{
	struct profile *p;

	memset(b, 0, sizeof(*b));
	p = b->prof = profile__new();
	b->notes = calloc(nr_stack_notes ? nr_stack_notes : 1, sizeof(*b->notes));
	if (!p || !b->notes || hashtab__init(&b->locs, sizeof(struct loc_slot), 256) ||
	    hashtab__init(&b->maps, sizeof(struct map_slot), 16))
		return -ENOMEM;
	p->pid = o->pid;
	p->time_ns = o->time_ns;
	p->duration_ns = o->duration_ns;
	p->period = 1;
	if ((o->comm && !(p->comm = profile__strdup(p, o->comm))) ||
	    (o->warning && !(p->warning = profile__strdup(p, o->warning))))
		return -errno;
	return 0;
}

static struct profile *end(struct build *b, int err)
{
	hashtab__destroy(&b->locs);
	hashtab__destroy(&b->maps);
	free(b->notes);
	free(b->buf);
	if (err) {
		profile__free(b->prof);
		errno = -err;
		return NULL;
	}
	return b->prof;
}

struct profile *profile__from_stacks(const struct stack_list *l,
				     const struct profile_stacks_opts *o)
{
	struct build b;
	size_t i;
	int err;

	err = begin(&b, o);
	/* Growth where the stacks carry trends (top --by growth): a value of its own. */
	for (i = 0; i < l->n && !err && b.prof; i++)
		b.prof->has_growth |= l->v[i].has_trend;
	for (i = 0; i < l->n && !err; i++) {
		const struct stack_snap *st = &l->v[i];
		bool grows = st->has_trend && st->trend.cls != TREND_UNKNOWN && st->trend.per_hour > 0;
		int64_t v[PROFILE__NR_VALUES] = {
			[PROFILE_ALLOC_OBJECTS] = st->stats.total_count,
			[PROFILE_ALLOC_SPACE] = st->stats.total_bytes,
			[PROFILE_INUSE_OBJECTS] = st->count,
			[PROFILE_INUSE_SPACE] = st->bytes,
			[PROFILE_GROWTH] = grows ? (int64_t)st->trend.per_hour : 0,
		};

		err = add_stack(&b, st, v);
	}
	return end(&b, err);
}

struct profile *profile__from_diff(const struct diff_snap *d, const struct profile_stacks_opts *o)
{
	struct build b;
	size_t i;
	int err;

	err = begin(&b, o);
	for (i = 0; i < d->n && !err; i++) {
		const struct diff_row *r = &d->rows[i];
		int64_t v[PROFILE__NR_VALUES] = {
			[PROFILE_INUSE_OBJECTS] = r->delta_count > 0 ? r->delta_count : 0,
			[PROFILE_INUSE_SPACE] = r->delta_bytes > 0 ? r->delta_bytes : 0,
		};

		err = add_stack(&b, r->stack, v);
	}
	return end(&b, err);
}
