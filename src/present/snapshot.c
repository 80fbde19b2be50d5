// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "present/snapshot.h"
#include "present/report.h"
#include "stacks/symbolize.h"
#include "base/macros.h"

const char *trace_kind_name(enum trace_kind k)
{
	static const char *const names[TRACE_KIND__COUNT] = {
		[TRACE_KIND_NONE] = "no", [TRACE_KIND_MANUAL] = "manual",
		[TRACE_KIND_RULE] = "rule", [TRACE_KIND_AUTO] = "auto", [TRACE_KIND_ALL] = "all",
		[TRACE_KIND_SAMPLER] = "sampler",
	};

	return (unsigned int)k < ARRAY_SIZE(names) ? names[k] : "?";
}

const char *level_name(enum level l)
{
	static const char *const names[LEVEL__COUNT] = {
		[LEVEL_HEAP] = "heap",
		[LEVEL_MAP] = "mapping",
		[LEVEL_BRK] = "brk",
	};

	return (unsigned int)l < ARRAY_SIZE(names) ? names[l] : "?";
}

const struct level_words *level_words(enum level l)
{
	static const struct level_words words[LEVEL__COUNT] = {
		[LEVEL_HEAP] = { "allocs", "allocations", "allocated" },
		[LEVEL_MAP] = { "mappings", "mappings", "mapped" },
		[LEVEL_BRK] = { "extensions", "extensions", "grown" },
	};

	return &words[(unsigned int)l < ARRAY_SIZE(words) ? l : LEVEL_MAP];
}

int level_of_name(const char *name)
{
	int l;

	for (l = 0; name && l < LEVEL__COUNT; l++)
		if (!strcmp(name, level_name(l)))
			return l;
	return -1;
}

const struct stack_note stack_notes[] = {
	{ LEAKD_STACK_TRUNCATED, "deeper frames cut: depth limit", "truncated" },
	{ LEAKD_STACK_TABLE_PENDING, "cut short: an unwind table was not ready", "table_pending" },
	{ LEAKD_STACK_BAD_FRAME, "walk stopped at an implausible frame", "bad_frame" },
	{ LEAKD_STACK_READ_FAILED, "walk stopped: stack memory unreadable", "read_failed" },
};
const size_t nr_stack_notes = ARRAY_SIZE(stack_notes);

/* A copy the snapshot owns; NULL stays NULL.  *failed is set when out of memory. */
static char *dup(const char *s, bool *failed)
{
	char *c;

	if (!s)
		return NULL;
	c = strdup(s);
	if (!c)
		*failed = true;
	return c;
}

static void name_free(struct frame_name *n)
{
	free(n->function);
	free(n->file);
}

static void frame_free(struct frame_snap *f)
{
	uint32_t i;

	free(f->module);
	free(f->module_path);
	free(f->build_id);
	name_free(&f->real);
	for (i = 0; i < f->nr_inlined; i++)
		name_free(&f->inlined[i]);
	free(f->inlined);
}

static void stack_free(struct stack_snap *s)
{
	uint32_t i;

	for (i = 0; i < s->nr_frames; i++)
		frame_free(&s->frames[i]);
	free(s->frames);
}

static void set_name(struct frame_name *n, const struct frame_desc *d, bool *failed)
{
	n->function = dup(d->function, failed);
	n->function_offset = d->function_offset;
	n->file = dup(d->file, failed);
	n->line = d->line;
	n->column = d->column;
}

static int frame_fill(struct frame_snap *f, struct symbolizer *s, const struct stack_frame *fr)
{
	struct frame_desc d[SYMBOLIZE_MAX_CHAIN];
	bool failed = false;
	int n, i;

	n = symbolizer__describe(s, fr, d, SYMBOLIZE_MAX_CHAIN);
	f->pc = fr->pc;
	f->offset = fr->offset;
	f->flags = fr->flags;
	f->jit = d[n - 1].jit;
	f->module = dup(d[n - 1].module, &failed);
	f->module_path = dup(d[n - 1].module_path, &failed);
	f->build_id = dup(d[n - 1].build_id, &failed);
	set_name(&f->real, &d[n - 1], &failed);
	if (n > 1) {
		f->inlined = calloc(n - 1, sizeof(*f->inlined));
		if (!f->inlined)
			return -ENOMEM;
		f->nr_inlined = n - 1;
		for (i = 0; i + 1 < n; i++)
			set_name(&f->inlined[i], &d[i], &failed);
	}
	return failed ? -ENOMEM : 0;
}

int stack_list__add(struct stack_list *list, struct symbolizer *s, const struct report_row *r,
		    bool with_proc)
{
	const struct proc_stack *st = r->stack;
	struct stack_snap *v, *n;
	uint32_t i;

	v = realloc(list->v, (list->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	list->v = v;
	n = &v[list->n];
	memset(n, 0, sizeof(*n));
	if (r->proc) {
		n->pid = r->proc->pid;
		memcpy(n->comm, r->proc->comm, sizeof(n->comm));
	}
	n->show_proc = with_proc;
	n->level = r->level;
	n->id = st->id;
	n->flags = st->flags;
	n->bytes = r->bytes;
	n->count = r->count;
	n->stats = st->level[r->level];
	n->samples = r->samples;
	n->se_bytes = r->se_bytes;
	n->se_count = r->se_count;
	if (r->level == LEVEL_HEAP && st->est) {
		n->stats.total_bytes += st->est->total.bytes > 0.5 ?
					(uint64_t)llround(st->est->total.bytes) : 0;
		n->stats.total_count += st->est->total.count > 0.5 ?
					(uint64_t)llround(st->est->total.count) : 0;
	}
	if (st->nr_frames) {
		n->frames = calloc(st->nr_frames, sizeof(*n->frames));
		if (!n->frames)
			return -ENOMEM;
		n->nr_frames = st->nr_frames;
		for (i = 0; i < st->nr_frames; i++) {
			if (frame_fill(&n->frames[i], s, &st->frames[i])) {
				stack_free(n);
				return -ENOMEM;
			}
		}
	}
	/* Mappings and heap growth belong to someone: the allocator, a runtime, threads. */
	if (r->level != LEVEL_HEAP && n->nr_frames) {
		n->owner = runtime__owner(s, st->frames, st->nr_frames);
		n->has_owner = true;
	}
	list->n++;
	return 0;
}


void stack_list__free(struct stack_list *list)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		stack_free(&list->v[i]);
	free(list->v);
	list->v = NULL;
	list->n = 0;
}

void report_snap__free(struct report_snap *r)
{
	size_t i;

	if (!r)
		return;
	stack_list__free(&r->heap);
	stack_list__free(&r->maps);
	stack_list__free(&r->brk);
	for (i = 0; i < r->nr_children; i++)
		report_snap__free(&r->children[i]);
	free(r->children);
	r->children = NULL;
	r->nr_children = 0;
}

void exit_snap__free(struct exit_snap *e)
{
	if (!e)
		return;
	stack_list__free(&e->stacks);
}

void timeline_snap__free(struct timeline_snap *t)
{
	size_t i;

	if (!t)
		return;
	free(t->t_ms);
	for (i = 0; i < TL__VALUES; i++)
		free(t->values[i]);
	for (i = 0; i < t->nr_rows; i++) {
		free(t->rows[i].name);
		free(t->rows[i].bytes);
	}
	free(t->rows);
	memset(t, 0, sizeof(*t));
}
