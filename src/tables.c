// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "leakd/events.h"
#include "tables.h"

/* Real stack ids are odd (the kernel sets bit 0): even ids are leakd's own. */
#define STACK_ID_NONE 2		/* the kernel could not read the stack */
#define STACK_ID_OVERFLOW 4	/* the stack table was full */

struct proc_slot {
	uint64_t pid;
	struct proc *p;
};

struct stack_slot {
	uint64_t id;
	uint64_t index;
};

struct parked {
	uint64_t tid;
	uint64_t addr;
	bool known;		/* false: the block predates tracing */
	struct alloc a;
};

int tables__init(struct tables *t, const struct tables_limits *limits)
{
	memset(t, 0, sizeof(*t));
	t->limits = *limits;
	return hashtab__init(&t->procs, sizeof(struct proc_slot), 16);
}

static void free_stacks(struct proc *p)
{
	uint32_t i;

	for (i = 0; i < p->nr_stacks; i++) {
		free(p->stacks[i]->frames);
		free(p->stacks[i]);
	}
	p->tables->nr_stacks -= p->nr_stacks;
	p->nr_stacks = 0;
	hashtab__clear(&p->stack_index);
}

static void proc_free(struct proc *p)
{
	if (!p)
		return;
	if (p->tables) {
		free_stacks(p);
		p->tables->nr_allocs -= p->allocs.count;
	}
	free(p->stacks);
	hashtab__destroy(&p->allocs);
	hashtab__destroy(&p->stack_index);
	hashtab__destroy(&p->parked);
	free(p);
}

void tables__destroy(struct tables *t)
{
	struct proc_slot *s;
	size_t i;

	if (!t || !t->procs.slots)
		return;
	hashtab__for_each(&t->procs, i, s)
		proc_free(s->p);
	hashtab__destroy(&t->procs);
}

struct proc *tables__proc(const struct tables *t, pid_t pid)
{
	struct proc_slot *s = hashtab__get(&t->procs, (uint64_t)pid);

	return s ? s->p : NULL;
}

struct proc *tables__add_proc(struct tables *t, pid_t pid, uint64_t start_time)
{
	struct proc_slot *s;
	struct proc *p;
	bool is_new;

	p = tables__proc(t, pid);
	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	p->start_time = start_time;
	if (hashtab__init(&p->allocs, sizeof(struct alloc), 1024) ||
	    hashtab__init(&p->stack_index, sizeof(struct stack_slot), 256) ||
	    hashtab__init(&p->parked, sizeof(struct parked), 16))
		goto fail;
	s = hashtab__upsert(&t->procs, (uint64_t)pid, &is_new);
	if (!s)
		goto fail;
	s->p = p;
	p->tables = t;
	return p;
fail:
	proc_free(p);
	errno = ENOMEM;
	return NULL;
}

void tables__remove_proc(struct tables *t, pid_t pid)
{
	struct proc_slot s;

	if (!hashtab__remove(&t->procs, (uint64_t)pid, &s))
		proc_free(s.p);
}

size_t tables__memory(const struct tables *t)
{
	const struct proc_slot *s;
	size_t i, total = hashtab__memory(&t->procs);
	uint32_t j;

	hashtab__for_each(&t->procs, i, s) {
		const struct proc *p = s->p;

		total += sizeof(*p) + hashtab__memory(&p->allocs) +
			 hashtab__memory(&p->stack_index) + hashtab__memory(&p->parked) +
			 p->cap_stacks * sizeof(*p->stacks);
		for (j = 0; j < p->nr_stacks; j++)
			total += sizeof(struct stack) + p->stacks[j]->nr_frames * sizeof(struct frame);
	}
	return total;
}

static uint32_t new_stack(struct proc *p, uint64_t id)
{
	struct stack_slot *slot;
	struct stack *s;

	if (p->nr_stacks == p->cap_stacks) {
		uint32_t cap = p->cap_stacks ? p->cap_stacks * 2 : 64;
		struct stack **ns = realloc(p->stacks, cap * sizeof(*ns));

		if (!ns)
			return UINT32_MAX;
		p->stacks = ns;
		p->cap_stacks = cap;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return UINT32_MAX;
	slot = hashtab__upsert(&p->stack_index, id, NULL);
	if (!slot) {
		free(s);
		return UINT32_MAX;
	}
	slot->index = p->nr_stacks;
	s->id = id;
	p->stacks[p->nr_stacks++] = s;
	p->tables->nr_stacks++;
	return slot->index;
}

/* Index of the stack with this id, made when new; UINT32_MAX when out of memory. */
static uint32_t stack_lookup(struct proc *p, uint64_t id)
{
	struct stack_slot *slot;
	uint32_t i;

	if (!id)
		id = STACK_ID_NONE;
	slot = hashtab__get(&p->stack_index, id);
	if (slot)
		return slot->index;
	if (p->tables->nr_stacks < p->tables->limits.max_stacks)
		return new_stack(p, id);
	/* Full: one catch-all stack takes what did not fit. */
	slot = hashtab__get(&p->stack_index, STACK_ID_OVERFLOW);
	if (slot)
		return slot->index;
	i = new_stack(p, STACK_ID_OVERFLOW);
	if (i != UINT32_MAX)
		p->stacks[i]->flags |= STACK_OVERFLOW;
	return i;
}

struct stack *proc__stack(struct proc *p, uint64_t id)
{
	uint32_t i = stack_lookup(p, id);

	return i == UINT32_MAX ? NULL : p->stacks[i];
}

void stack__set_frames(struct stack *s, struct frame *frames, uint32_t n, uint32_t flags)
{
	if (s->flags & (STACK_HAS_FRAMES | STACK_OVERFLOW)) {
		free(frames);
		return;
	}
	s->frames = frames;
	s->nr_frames = n;
	s->flags |= STACK_HAS_FRAMES | (flags & 0xffff);
}

static struct stack *stack_at(const struct proc *p, uint32_t index)
{
	return index < p->nr_stacks ? p->stacks[index] : NULL;
}

/* Accounts a block as gone from its stack. */
static void release(struct proc *p, const struct alloc *a)
{
	struct stack *s = stack_at(p, a->stack);

	if (s) {
		s->live_bytes -= a->size;
		s->live_count--;
		s->freed_bytes += a->size;
		s->freed_count++;
	}
	p->live_bytes -= a->size;
	p->live_count--;
	p->total_frees++;
}

/* Takes a live block out of the table into *ret; false when it is not there. */
static bool take(struct proc *p, uint64_t addr, struct alloc *ret)
{
	if (hashtab__remove(&p->allocs, addr, ret))
		return false;
	p->tables->nr_allocs--;
	return true;
}

static void insert(struct proc *p, struct alloc *a)
{
	struct alloc *slot, old;
	struct stack *s = stack_at(p, a->stack);

	if (s) {
		s->total_bytes += a->size;
		s->total_count++;
		if (!s->first_ts)
			s->first_ts = a->ts;
		s->last_ts = a->ts;
	}
	p->total_allocs++;
	if (take(p, a->addr, &old)) {
		/* Its free went unseen (a path leakd does not probe): let it go. */
		p->notes.replaced_allocs++;
		release(p, &old);
	}
	if (p->tables->nr_allocs >= p->tables->limits.max_allocs) {
		p->losses.allocs_dropped++;
		return;
	}
	slot = hashtab__upsert(&p->allocs, a->addr, NULL);
	if (!slot) {
		p->losses.allocs_dropped++;
		return;
	}
	*slot = *a;
	p->tables->nr_allocs++;
	p->live_bytes += a->size;
	p->live_count++;
	if (s) {
		s->live_bytes += a->size;
		s->live_count++;
	}
}

void proc__alloc(struct proc *p, uint32_t tid, uint32_t fn, uint64_t addr, uint64_t size,
		 uint64_t stack_id, uint64_t old_addr, uint64_t ts)
{
	struct alloc a = { .addr = addr, .size = size, .ts = ts, .fn = fn };
	struct parked pk = { 0 };


	if (old_addr) {
		/* The end of a realloc: settle the block parked at its begin. */
		if (hashtab__remove(&p->parked, tid, &pk) || pk.addr != old_addr) {
			p->notes.realloc_unparked++;
			pk.addr = old_addr;
			pk.known = take(p, old_addr, &pk.a);
		}
		if (!addr && size) {
			/* Failed: the old block lives on. */
			if (pk.known && p->tables->nr_allocs < p->tables->limits.max_allocs) {
				struct alloc *slot = hashtab__upsert(&p->allocs, old_addr, NULL);

				if (slot) {
					*slot = pk.a;
					p->tables->nr_allocs++;
					return;
				}
			}
			if (pk.known) {
				p->losses.allocs_dropped++;
				release(p, &pk.a);
			}
			return;
		}
		if (pk.known)
			release(p, &pk.a);
		else
			p->notes.unmatched_frees++;
		if (!addr)
			return;	/* realloc(p, 0) freed it */
	}
	a.stack = stack_lookup(p, stack_id);
	if (a.stack != UINT32_MAX && (p->stacks[a.stack]->flags & STACK_OVERFLOW))
		p->losses.stacks_merged++;
	insert(p, &a);
}

void proc__free(struct proc *p, uint32_t tid, uint64_t addr)
{
	struct parked *pk;
	struct alloc a;

	if (take(p, addr, &a)) {
		release(p, &a);
		return;
	}
	/* realloc(p, 0) frees through free(): that block is parked, not lost. */
	pk = hashtab__get(&p->parked, tid);
	if (pk && pk->addr == addr)
		return;
	p->notes.unmatched_frees++;
}

void proc__realloc_begin(struct proc *p, uint32_t tid, uint64_t addr)
{
	struct parked *pk;

	pk = hashtab__upsert(&p->parked, tid, NULL);
	if (!pk)
		return;		/* the end will find the block in the table */
	pk->addr = addr;
	/* A parked block still counts as live: realloc has not let go of it yet. */
	pk->known = take(p, addr, &pk->a);
}

void proc__exec(struct proc *p)
{
	struct tables *t = p->tables;

	free_stacks(p);
	t->nr_allocs -= p->allocs.count;
	hashtab__clear(&p->allocs);
	hashtab__clear(&p->parked);
	p->live_bytes = p->live_count = 0;
	p->exec_count++;
}
