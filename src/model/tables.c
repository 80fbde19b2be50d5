// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "leakd/events.h"
#include "model/tables.h"
#include "base/wire.h"

#define PAGE_SIZE 4096ULL
#define PAGE_UP(x) (((x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))

/* 32 bytes in a table at most 3/4 and at least 1/2 full: at most 64 per live block. */
_Static_assert(sizeof(struct live_alloc) == 32, "live_alloc size");

struct proc_slot {
	uint64_t pid;
	struct proc_mem *p;
};

struct stack_slot {
	uint64_t id;
	uint64_t index;
};

struct parked {
	uint64_t tid;
	uint64_t addr;
	bool known;		/* false: the block predates tracing */
	struct live_alloc a;
};

/*
 * glibc's per-thread caches (tcache) hold small freed blocks: the freeing thread
 * parks them there, and malloc moves more in from the arena's free lists.  When a
 * thread exits glibc frees what its cache holds a second time, through free().
 * Any small block freed and not allocated since may be among them.
 */
#define TCACHE_MAX_SIZE 1032		/* the largest request a cache bin takes */

struct cached_block {
	uint64_t addr;
};

/* Pieces of mappings taken out by an mremap, to be put back where they went. */
struct pieces {
	struct mapping *v;
	uint32_t n, cap;
};

/* The mremap in flight in one thread: the range and what was mapped in it. */
struct moving {
	uint64_t tid;
	uint64_t addr, len;
	struct pieces pieces;
};

int tables__init(struct tables *t, const struct tables_limits *limits)
{
	memset(t, 0, sizeof(*t));
	t->limits = *limits;
	return hashtab__init(&t->procs, sizeof(struct proc_slot), 16);
}

static void free_stacks(struct proc_mem *p)
{
	uint32_t i;

	for (i = 0; i < p->nr_stacks; i++) {
		free(p->stacks[i]->frames);
		free(p->stacks[i]->est);
		free(p->stacks[i]);
	}
	p->tables->nr_stacks -= p->nr_stacks;
	p->nr_stacks = 0;
	hashtab__clear(&p->stack_index);
}

static void clear_moving(struct proc_mem *p)
{
	struct moving *mv;
	size_t i;

	if (!p->moving.slots)
		return;
	hashtab__for_each(&p->moving, i, mv)
		free(mv->pieces.v);
	hashtab__clear(&p->moving);
}

static void clear_maps(struct proc_mem *p)
{
	p->tables->nr_maps -= p->nr_maps;
	p->nr_maps = 0;
	p->map_bytes = p->map_count = p->reserved_bytes = 0;
	p->heap_start = p->heap_bytes = p->heap_top = 0;
	clear_moving(p);
}

static void clear_allocs(struct proc_mem *p)
{
	p->tables->nr_allocs -= p->allocs.count + p->inherited.count;
	hashtab__clear(&p->inherited);
	hashtab__clear(&p->allocs);
	hashtab__clear(&p->parked);
	hashtab__clear(&p->cached);
	p->live_bytes = p->live_count = 0;
	p->tables->nr_allocs -= p->sampled.count;
	hashtab__clear(&p->sampled);
	memset(&p->live_est, 0, sizeof(p->live_est));
}

static void proc_mem_destroy(struct proc_mem *p)
{
	if (!p)
		return;
	if (p->tables) {
		free_stacks(p);
		clear_allocs(p);
		clear_maps(p);
	}
	free(p->stacks);
	free(p->map_buf);
	hashtab__destroy(&p->allocs);
	hashtab__destroy(&p->stack_index);
	hashtab__destroy(&p->parked);
	hashtab__destroy(&p->cached);
	hashtab__destroy(&p->moving);
	hashtab__destroy(&p->sampled);
	hashtab__destroy(&p->inherited);
	free(p);
}

void tables__destroy(struct tables *t)
{
	struct proc_slot *s;
	size_t i;

	if (!t || !t->procs.slots)
		return;
	hashtab__for_each(&t->procs, i, s)
		proc_mem_destroy(s->p);
	hashtab__destroy(&t->procs);
}

struct proc_mem *tables__proc(const struct tables *t, pid_t pid)
{
	struct proc_slot *s = hashtab__get(&t->procs, (uint64_t)pid);

	return s ? s->p : NULL;
}

struct proc_mem *tables__add_proc(struct tables *t, pid_t pid, uint64_t start_time)
{
	struct proc_slot *s;
	struct proc_mem *p;

	p = tables__proc(t, pid);
	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	p->start_time = start_time;
	/* Small to start: most watched processes are never traced. */
	if (hashtab__init(&p->allocs, sizeof(struct live_alloc), 16) ||
	    hashtab__init(&p->stack_index, sizeof(struct stack_slot), 16) ||
	    hashtab__init(&p->parked, sizeof(struct parked), 16) ||
	    hashtab__init(&p->sampled, sizeof(struct sampled_alloc), 16) ||
	    hashtab__init(&p->cached, sizeof(struct cached_block), 16) ||
	    hashtab__init(&p->moving, sizeof(struct moving), 16) ||
	    hashtab__init(&p->inherited, sizeof(uint64_t), 16))
		goto fail;
	s = hashtab__upsert(&t->procs, (uint64_t)pid, NULL);
	if (!s)
		goto fail;
	s->p = p;
	p->tables = t;
	return p;
fail:
	proc_mem_destroy(p);
	errno = ENOMEM;
	return NULL;
}

void tables__remove_proc(struct tables *t, pid_t pid)
{
	struct proc_slot s;

	if (!hashtab__remove(&t->procs, (uint64_t)pid, &s))
		proc_mem_destroy(s.p);
}

size_t tables__memory(const struct tables *t)
{
	const struct proc_slot *s;
	size_t i, total = hashtab__memory(&t->procs);
	uint32_t j;

	hashtab__for_each(&t->procs, i, s) {
		const struct proc_mem *p = s->p;

		total += sizeof(*p) + hashtab__memory(&p->allocs) +
			 hashtab__memory(&p->stack_index) + hashtab__memory(&p->parked) +
			 hashtab__memory(&p->sampled) +
			 hashtab__memory(&p->cached) +
			 p->cap_stacks * sizeof(*p->stacks) + p->cap_maps * sizeof(*p->maps);
		for (j = 0; j < p->nr_stacks; j++)
			total += sizeof(struct proc_stack) + p->stacks[j]->nr_frames * sizeof(struct stack_frame) +
				 (p->stacks[j]->est ? sizeof(struct stack_estimates) : 0);
	}
	return total;
}

static uint32_t new_stack(struct proc_mem *p, uint64_t id)
{
	struct stack_slot *slot;
	struct proc_stack *s;

	if (p->nr_stacks == p->cap_stacks) {
		uint32_t cap = p->cap_stacks ? p->cap_stacks * 2 : 16;
		struct proc_stack **ns = realloc(p->stacks, cap * sizeof(*ns));

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
static uint32_t stack_lookup(struct proc_mem *p, uint64_t id)
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

struct proc_stack *proc_mem__stack(struct proc_mem *p, uint64_t id)
{
	uint32_t i = stack_lookup(p, id);

	return i == UINT32_MAX ? NULL : p->stacks[i];
}

bool stack__rewalked(struct proc_stack *s, uint32_t flags)
{
	if (!(s->flags & STACK_HAS_FRAMES))
		return !(s->flags & STACK_OVERFLOW);
	/*
	 * The same pcs walked with fewer marks (to the end, or cut at the depth
	 * limit only): what the earlier walk feared was not lost after all.
	 */
	if (!(flags & STACK_CUT_MARKS & ~s->flags))
		s->flags = (s->flags & ~(uint32_t)STACK_CUT_MARKS) | (flags & STACK_CUT_MARKS);
	return false;
}

void stack__set_frames(struct proc_stack *s, struct stack_frame *frames, uint32_t n, uint32_t flags)
{
	if (s->flags & (STACK_HAS_FRAMES | STACK_OVERFLOW)) {
		free(frames);
		return;
	}
	s->frames = frames;
	s->nr_frames = n;
	s->flags |= STACK_HAS_FRAMES | (flags & 0xffff);
}

static struct stack_stats *stats_at(const struct proc_mem *p, uint32_t index, enum level l)
{
	return index < p->nr_stacks ? &p->stacks[index]->level[l] : NULL;
}

/* A stack gains size bytes in one piece at level l. */
static void stats_add(struct proc_mem *p, uint32_t index, enum level l, uint64_t size, uint64_t ts)
{
	struct stack_stats *st = stats_at(p, index, l);

	if (!st)
		return;
	st->total_bytes += size;
	st->total_count++;
	st->live_bytes += size;
	st->live_count++;
	if (!p->stacks[index]->first_ts)
		p->stacks[index]->first_ts = ts;
	p->stacks[index]->last_ts = ts;
}

/*
 * A stack loses size bytes and pieces of them: 0 when a piece only shrinks, -1
 * when a hole splits one in two.
 */
static void stats_sub(struct proc_mem *p, uint32_t index, enum level l, uint64_t size,
		      int64_t pieces)
{
	struct stack_stats *st = stats_at(p, index, l);

	if (!st)
		return;
	st->live_bytes -= size;
	st->live_count -= pieces;
	st->freed_bytes += size;
	if (pieces > 0)
		st->freed_count += pieces;
}

/* A small block was freed: it may sit in a thread's cache from now on. */
static void cache_put(struct proc_mem *p, uint64_t addr, uint64_t size)
{
	if (size > TCACHE_MAX_SIZE)
		return;
	if (p->cached.count >= CACHED_MAX) {
		p->notes.cache_untracked++;
		return;
	}
	hashtab__upsert(&p->cached, addr, NULL);
}

/* addr is allocated or freed again: out of any cache; false when it was in none. */
static bool cache_take(struct proc_mem *p, uint64_t addr)
{
	return !hashtab__remove(&p->cached, addr, NULL);
}

static bool inherited_take(struct proc_mem *p, uint64_t addr)
{
	if (!p->inherited.count || hashtab__remove(&p->inherited, addr, NULL))
		return false;
	p->tables->nr_allocs--;
	return true;
}

/* Accounts a block as gone from its stack. */
static void release(struct proc_mem *p, const struct live_alloc *a)
{
	stats_sub(p, a->stack, LEVEL_HEAP, a->size, 1);
	p->live_bytes -= a->size;
	p->live_count--;
	p->total_frees++;
}

/* Takes a live block out of the table into *ret; false when it is not there. */
static bool take(struct proc_mem *p, uint64_t addr, struct live_alloc *ret)
{
	if (hashtab__remove(&p->allocs, addr, ret))
		return false;
	p->tables->nr_allocs--;
	return true;
}

static void insert(struct proc_mem *p, struct live_alloc *a)
{
	struct stack_stats *st = stats_at(p, a->stack, LEVEL_HEAP);
	struct live_alloc *slot, old;

	p->total_allocs++;
	if (take(p, a->addr, &old)) {
		/* Its free went unseen (a path leakd does not probe): let it go. */
		p->notes.replaced_allocs++;
		release(p, &old);
	}
	/* Allocated again: out of any thread's cache. */
	cache_take(p, a->addr);
	if (p->tables->nr_allocs >= p->tables->limits.max_allocs ||
	    !(slot = hashtab__upsert(&p->allocs, a->addr, NULL))) {
		p->losses.allocs_dropped++;
		if (st) {
			st->total_bytes += a->size;
			st->total_count++;
		}
		return;
	}
	*slot = *a;
	p->tables->nr_allocs++;
	p->live_bytes += a->size;
	p->live_count++;
	stats_add(p, a->stack, LEVEL_HEAP, a->size, a->ts);
}

/* A parked block goes back to the table, as live as it was. */
static void unpark(struct proc_mem *p, const struct parked *pk)
{
	struct live_alloc *slot = NULL;

	if (p->tables->nr_allocs < p->tables->limits.max_allocs)
		slot = hashtab__upsert(&p->allocs, pk->addr, NULL);
	if (slot) {
		*slot = pk->a;
		p->tables->nr_allocs++;
		return;
	}
	p->losses.allocs_dropped++;
	release(p, &pk->a);
}

void proc_mem__alloc(struct proc_mem *p, uint32_t tid, uint32_t fn, uint64_t addr, uint64_t size,
		 uint64_t stack_id, uint64_t old_addr, uint64_t ts)
{
	struct live_alloc a = { .addr = addr, .size = size, .ts = ts, .fn = fn };
	struct parked pk = { 0 };

	if (old_addr) {
		/* The end of a realloc: settle the block parked at its begin. */
		if (hashtab__remove(&p->parked, tid, &pk) || pk.addr != old_addr) {
			/* Another block's begin: its end was lost, and it is still live. */
			if (pk.known)
				unpark(p, &pk);
			p->notes.realloc_unparked++;
			pk.addr = old_addr;
			pk.known = take(p, old_addr, &pk.a);
		}
		if (!addr && size) {
			/* Failed: the old block lives on. */
			if (pk.known)
				unpark(p, &pk);
			return;
		}
		if (pk.known) {
			release(p, &pk.a);
			cache_put(p, old_addr, pk.a.size);
		} else if (inherited_take(p, old_addr)) {
			p->notes.inherited_frees++;
		} else {
			p->notes.unmatched_frees++;
		}
		if (!addr)
			return;	/* realloc(p, 0) freed it */
	}
	a.stack = stack_lookup(p, stack_id);
	if (a.stack != UINT32_MAX && (p->stacks[a.stack]->flags & STACK_OVERFLOW))
		p->losses.stacks_merged++;
	insert(p, &a);
}

/* What one sampled block adds to (sign 1) or takes from (sign -1) an estimate. */
static void estimate_add(struct estimate *e, const struct sampled_alloc *a, double sign)
{
	double w = a->weight, c = a->size ? w / a->size : 1;

	e->bytes += sign * w;
	e->count += sign * c;
	e->var_bytes += sign * w * (w - a->size);
	e->var_count += sign * c * (c - 1);
}

static struct stack_estimates *stack_est(struct proc_mem *p, uint32_t index)
{
	struct proc_stack *s;

	if (index >= p->nr_stacks)
		return NULL;
	s = p->stacks[index];
	if (!s->est)
		s->est = calloc(1, sizeof(*s->est));
	return s->est;
}

/* A sampled block leaves the live figures (freed, or the table is full). */
static void release_sampled(struct proc_mem *p, const struct sampled_alloc *a)
{
	struct stack_estimates *se = a->stack < p->nr_stacks ? p->stacks[a->stack]->est : NULL;

	estimate_add(&p->live_est, a, -1);
	if (se) {
		estimate_add(&se->live, a, -1);
		se->samples_live--;
	}
}

static bool take_sampled(struct proc_mem *p, uint64_t addr, struct sampled_alloc *ret)
{
	if (!p->sampled.count || hashtab__remove(&p->sampled, addr, ret))
		return false;
	p->tables->nr_allocs--;
	return true;
}

void proc_mem__dealloc(struct proc_mem *p, uint32_t tid, uint64_t addr)
{
	struct sampled_alloc sa;
	struct parked *pk;
	struct live_alloc a;

	if (take(p, addr, &a)) {
		release(p, &a);
		cache_put(p, addr, a.size);
		return;
	}
	if (take_sampled(p, addr, &sa)) {
		release_sampled(p, &sa);
		p->total_sample_frees++;
		return;
	}
	/* realloc(p, 0) frees through free(): that block is parked, not lost. */
	pk = hashtab__get(&p->parked, tid);
	if (pk && pk->addr == addr)
		return;
	if (inherited_take(p, addr)) {
		p->notes.inherited_frees++;
		return;
	}
	/* Freed again from a thread's cache: the allocator empties it at thread exit. */
	if (cache_take(p, addr)) {
		p->notes.refreed_frees++;
		return;
	}
	p->notes.unmatched_frees++;
}

void proc_mem__alloc_sampled(struct proc_mem *p, uint32_t fn, uint64_t addr, uint64_t size,
			     uint64_t weight, uint64_t stack_id, uint64_t old_addr, uint64_t ts)
{
	struct sampled_alloc a = { .addr = addr, .size = size, .weight = weight, .ts = ts,
				   .fn = fn }, old, *slot;
	struct stack_estimates *se;

	if (old_addr)
		proc_mem__dealloc(p, 0, old_addr);
	if (!addr)
		return;
	if (a.weight < a.size)
		a.weight = a.size;	/* stands for itself at least */
	a.stack = stack_lookup(p, stack_id);
	if (a.stack != UINT32_MAX && (p->stacks[a.stack]->flags & STACK_OVERFLOW))
		p->losses.stacks_merged++;
	if (take_sampled(p, addr, &old)) {
		p->notes.replaced_allocs++;
		release_sampled(p, &old);
	}
	p->total_samples++;
	estimate_add(&p->total_est, &a, 1);
	se = stack_est(p, a.stack);
	if (se)
		estimate_add(&se->total, &a, 1);
	if (a.stack != UINT32_MAX) {
		if (!p->stacks[a.stack]->first_ts)
			p->stacks[a.stack]->first_ts = ts;
		p->stacks[a.stack]->last_ts = ts;
	}
	if (p->tables->nr_allocs >= p->tables->limits.max_allocs ||
	    !(slot = hashtab__upsert(&p->sampled, addr, NULL))) {
		p->losses.allocs_dropped++;
		return;
	}
	*slot = a;
	p->tables->nr_allocs++;
	estimate_add(&p->live_est, &a, 1);
	if (se) {
		estimate_add(&se->live, &a, 1);
		se->samples_live++;
	}
}

bool proc_mem__sampled(const struct proc_mem *p)
{
	return p->sample_interval || p->total_samples;
}

void proc_stack__live(const struct proc_stack *s, enum level l, double *ret_bytes,
		      double *ret_count, double *ret_se_bytes, double *ret_se_count)
{
	const struct estimate *e = l == LEVEL_HEAP && s->est ? &s->est->live : NULL;

	*ret_bytes = s->level[l].live_bytes + (e ? e->bytes : 0);
	*ret_count = s->level[l].live_count + (e ? e->count : 0);
	/* Sums of many signed terms may end a hair below zero. */
	*ret_se_bytes = e && e->var_bytes > 0 ? sqrt(e->var_bytes) : 0;
	*ret_se_count = e && e->var_count > 0 ? sqrt(e->var_count) : 0;
}

void proc_mem__realloc_begin(struct proc_mem *p, uint32_t tid, uint64_t addr)
{
	struct parked *pk;
	bool is_new;

	pk = hashtab__upsert(&p->parked, tid, &is_new);
	if (!pk)
		return;		/* the end will find the block in the table */
	if (!is_new && pk->known)
		unpark(p, pk);	/* a begin whose end was lost */
	pk->addr = addr;
	/* A parked block still counts as live: realloc has not let go of it yet. */
	pk->known = take(p, addr, &pk->a);
}

/* Index of the first mapping that ends after addr: the first that may overlap it. */
static uint32_t first_ending_after(const struct proc_mem *p, uint64_t addr)
{
	uint32_t lo = 0, hi = p->nr_maps;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (p->maps[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The heap's pieces are counted apart: the heap's size is p->heap_bytes. */
static enum level map_level(const struct mapping *m)
{
	return m->flags & MAPPING_BRK ? LEVEL_BRK : LEVEL_MAP;
}

/* Reserved address space is tracked (so that later calls apply) but is not memory. */
static void map_account(struct proc_mem *p, const struct mapping *m, uint64_t bytes, int64_t pieces,
			bool freed)
{
	enum level l = map_level(m);

	if (m->flags & LEAKD_MAP_RESERVED) {
		p->reserved_bytes -= bytes;
		return;
	}
	if (l == LEVEL_MAP) {
		p->map_bytes -= bytes;
		p->map_count -= pieces;
	}
	if (freed)
		stats_sub(p, m->stack, l, bytes, pieces);
	else if (m->stack < p->nr_stacks) {
		/* Moving, not freeing: only the live figures change. */
		p->stacks[m->stack]->level[l].live_bytes -= bytes;
		p->stacks[m->stack]->level[l].live_count -= pieces;
	}
}

/*
 * The mappings sit inside their buffer with room on both sides, and an insert or
 * a removal moves the entries on its shorter side: a process that maps and unmaps
 * at one end of a large table (new mappings go below the others) costs what one
 * with a few does.  Twice the slots, the mappings in the middle.
 */
static bool maps_grow(struct proc_mem *p)
{
	uint32_t cap = p->cap_maps ? p->cap_maps * 2 : 16, head;
	struct mapping *nb = malloc(cap * sizeof(*nb));

	if (!nb)
		return false;
	head = (cap - p->nr_maps) / 2;
	if (p->nr_maps)
		memcpy(nb + head, p->maps, p->nr_maps * sizeof(*nb));
	free(p->map_buf);
	p->map_buf = nb;
	p->maps = nb + head;
	p->cap_maps = cap;
	return true;
}

/* Room on the side asked for: the mappings moved over, or the buffer grown. */
static bool maps_room(struct proc_mem *p, bool front)
{
	uint32_t head = p->map_buf ? (uint32_t)(p->maps - p->map_buf) : 0;
	uint32_t free_slots = p->cap_maps - p->nr_maps, tail = free_slots - head;

	if (front ? head : tail)
		return true;
	/* Moving all of them is worth it only for a good share of slots in return. */
	if (free_slots < 2 || 4 * free_slots < p->nr_maps)
		return maps_grow(p);
	head = front ? (tail + 1) / 2 : head / 2;	/* either side gets some */
	memmove(p->map_buf + head, p->maps, p->nr_maps * sizeof(*p->maps));
	p->maps = p->map_buf + head;
	return true;
}

static bool map_insert_at(struct proc_mem *p, uint32_t i, const struct mapping *m)
{
	bool front = i < p->nr_maps - i;

	if (p->tables->nr_maps >= p->tables->limits.max_maps || !maps_room(p, front)) {
		p->losses.maps_dropped++;
		return false;
	}
	if (front) {
		p->maps--;
		memmove(&p->maps[0], &p->maps[1], i * sizeof(*m));
	} else {
		memmove(&p->maps[i + 1], &p->maps[i], (p->nr_maps - i) * sizeof(*m));
	}
	p->maps[i] = *m;
	p->nr_maps++;
	p->tables->nr_maps++;
	return true;
}

static void map_remove_at(struct proc_mem *p, uint32_t i)
{
	if (i < p->nr_maps - 1 - i) {
		memmove(&p->maps[1], &p->maps[0], i * sizeof(*p->maps));
		p->maps++;
	} else {
		memmove(&p->maps[i], &p->maps[i + 1], (p->nr_maps - i - 1) * sizeof(*p->maps));
	}
	p->nr_maps--;
	p->tables->nr_maps--;
}

static void pieces_add(struct pieces *ps, const struct mapping *m)
{
	if (ps->n == ps->cap) {
		uint32_t cap = ps->cap ? ps->cap * 2 : 4;
		struct mapping *nv = realloc(ps->v, cap * sizeof(*nv));

		if (!nv)
			return;	/* that piece is lost to the figures, as freed */
		ps->v = nv;
		ps->cap = cap;
	}
	ps->v[ps->n++] = *m;
}

/*
 * Takes [start, end) out of the mappings: whole ones go, others shrink or split.
 * freed: the memory is gone (munmap); else it is moving (mremap) and each piece
 * taken is added to *moved.  Returns whether anything overlapped.
 */
static bool unmap_range(struct proc_mem *p, uint64_t start, uint64_t end, bool freed,
			struct pieces *moved)
{
	uint32_t i = first_ending_after(p, start);
	bool any = false;

	while (i < p->nr_maps && p->maps[i].start < end) {
		struct mapping *m = &p->maps[i];
		uint64_t lo = m->start > start ? m->start : start;
		uint64_t hi = m->end < end ? m->end : end;

		if (moved) {
			struct mapping piece = *m;

			piece.start = lo;
			piece.end = hi;
			pieces_add(moved, &piece);
		}
		any = true;
		if (lo == m->start && hi == m->end) {
			map_account(p, m, hi - lo, 1, freed);
			map_remove_at(p, i);
			continue;
		}
		if (lo == m->start) {
			map_account(p, m, hi - lo, 0, freed);
			m->start = hi;
		} else if (hi == m->end) {
			map_account(p, m, hi - lo, 0, freed);
			m->end = lo;
		} else {
			/* A hole in the middle: the tail becomes a mapping of its own. */
			struct mapping tail = *m;

			tail.start = hi;
			map_account(p, m, hi - lo, -1, freed);
			m->end = lo;
			if (!map_insert_at(p, i + 1, &tail))
				map_account(p, &tail, tail.end - tail.start, 1, true);
			i++;
		}
		i++;
	}
	return any;
}

static void map_add(struct proc_mem *p, const struct mapping *m, bool fresh)
{
	struct stack_stats *st;
	uint64_t len = m->end - m->start;
	enum level l = map_level(m);

	if (!map_insert_at(p, first_ending_after(p, m->start), m))
		return;
	if (m->flags & LEAKD_MAP_RESERVED) {
		p->reserved_bytes += len;
		return;
	}
	if (l == LEVEL_MAP) {
		p->map_bytes += len;
		p->map_count++;
	}
	if (fresh) {
		stats_add(p, m->stack, l, len, m->ts);
	} else if ((st = stats_at(p, m->stack, l))) {
		st->live_bytes += len;
		st->live_count++;
	}
}

/*
 * A range no system call can name: empty, not page-aligned, or past the end of the
 * address space (PAGE_UP(len) wraps to 0 for the largest lengths).
 */
static bool bad_range(uint64_t addr, uint64_t len)
{
	return !len || (addr & (PAGE_SIZE - 1)) || addr + PAGE_UP(len) <= addr;
}

void proc_mem__mmap(struct proc_mem *p, uint64_t addr, uint64_t len, uint64_t stack_id, uint32_t flags,
		uint64_t ts)
{
	struct mapping m = { .start = addr, .end = addr + PAGE_UP(len), .ts = ts,
			     .flags = flags };

	if (bad_range(addr, len))
		return;
	/* MAP_FIXED over older mappings replaces them. */
	unmap_range(p, m.start, m.end, true, NULL);
	m.stack = stack_lookup(p, stack_id);
	if (m.stack != UINT32_MAX && (p->stacks[m.stack]->flags & STACK_OVERFLOW))
		p->losses.stacks_merged++;
	map_add(p, &m, true);
}

void proc_mem__munmap(struct proc_mem *p, uint64_t addr, uint64_t len)
{
	uint64_t end = addr + PAGE_UP(len);

	/* Reported at the syscall's entry: what the kernel refuses changes nothing. */
	if (bad_range(addr, len))
		return;
	if (!unmap_range(p, addr, end, true, NULL))
		p->notes.unmatched_unmaps++;
}

/*
 * Puts pieces back where they were (an mremap that failed, or never ended).  A
 * piece whose place was taken meanwhile (its end was lost, and a later mapping is
 * there now) stays gone: the later mapping is the newer truth.
 */
static void restore(struct proc_mem *p, struct pieces *ps)
{
	uint32_t i, j;

	for (i = 0; i < ps->n; i++) {
		const struct mapping *m = &ps->v[i];
		struct stack_stats *st;

		j = first_ending_after(p, m->start);
		if (j < p->nr_maps && p->maps[j].start < m->end) {
			st = stats_at(p, m->stack, LEVEL_MAP);
			if (st && !(m->flags & LEAKD_MAP_RESERVED)) {
				st->freed_bytes += m->end - m->start;
				st->freed_count++;
			}
			continue;
		}
		map_add(p, m, false);
	}
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}

void proc_mem__mremap_begin(struct proc_mem *p, uint32_t tid, uint64_t addr, uint64_t len)
{
	uint64_t end = addr + PAGE_UP(len);
	struct moving *mv;
	bool is_new;

	if (bad_range(addr, len))
		return;
	mv = hashtab__upsert(&p->moving, tid, &is_new);
	if (!mv)
		return;		/* the end finds the range where it is */
	if (!is_new)
		restore(p, &mv->pieces);	/* a begin whose end was lost */
	mv->addr = addr;
	mv->len = PAGE_UP(len);
	/* Parked until the end says where it went: nothing else can map it meanwhile. */
	unmap_range(p, addr, end, false, &mv->pieces);
}

void proc_mem__mremap_end(struct proc_mem *p, uint32_t tid, uint64_t old_addr, uint64_t old_len,
		      uint64_t new_addr, uint64_t new_len, uint64_t ts)
{
	uint64_t old_size = PAGE_UP(old_len), new_size = PAGE_UP(new_len);
	struct moving mv = { 0 };
	uint32_t i;

	(void)ts;
	if (new_addr && bad_range(new_addr, new_len))
		new_addr = 0;	/* no such result: as if it failed */
	if (hashtab__remove(&p->moving, tid, &mv) || mv.addr != old_addr) {
		/* Its begin was lost (or belongs to another range): take the range now. */
		if (mv.pieces.n)
			restore(p, &mv.pieces);
		memset(&mv, 0, sizeof(mv));
		if (!bad_range(old_addr, old_len))
			unmap_range(p, old_addr, old_addr + old_size, false, &mv.pieces);
	}
	if (!mv.pieces.n) {
		p->notes.unmatched_unmaps++;
		return;		/* not a mapping leakd saw made */
	}
	if (!new_addr) {
		restore(p, &mv.pieces);	/* failed: it stays where it was */
		return;
	}
	/*
	 * What lies past the old length was not part of this move (a begin of another
	 * size: a lost or garbled record): it stays where it is.
	 */
	{
		struct pieces stay = { 0 };

		for (i = 0; i < mv.pieces.n; i++) {
			struct mapping *m = &mv.pieces.v[i];

			if (m->start - old_addr >= old_size) {
				pieces_add(&stay, m);
				m->end = m->start;	/* nothing of it moves */
			} else if (m->end - old_addr > old_size) {
				struct mapping rest = *m;

				rest.start = old_addr + old_size;
				pieces_add(&stay, &rest);
				m->end = rest.start;
			}
		}
		restore(p, &stay);
	}
	/* MREMAP_FIXED replaces whatever was at the destination. */
	unmap_range(p, new_addr, new_addr + new_size, true, NULL);
	for (i = 0; i < mv.pieces.n; i++) {
		struct mapping m = mv.pieces.v[i];
		uint64_t off = m.start - old_addr, len = m.end - m.start;
		struct stack_stats *st = stats_at(p, m.stack, map_level(&m));
		bool reserved = m.flags & LEAKD_MAP_RESERVED;

		if (!len)
			continue;	/* stayed where it was, above */

		if (off >= new_size) {
			/* Shrunk away. */
			if (st && !reserved)
				st->freed_bytes += len, st->freed_count++;
			continue;
		}
		m.start = new_addr + off;
		/* In lengths: the old end moved may lie past the end of the address space. */
		if (len > new_size - off) {
			if (st && !reserved)
				st->freed_bytes += len - (new_size - off);
			len = new_size - off;
		}
		m.end = m.start + len;
		/* Growth extends the piece that ended the old range: it is its stack's. */
		if (m.end == new_addr + old_size && new_size > old_size) {
			if (st && !reserved)
				st->total_bytes += new_size - old_size;
			m.end = new_addr + new_size;
		}
		map_add(p, &m, false);
	}
	free(mv.pieces.v);
}

void proc_mem__brk(struct proc_mem *p, uint64_t start, uint64_t size)
{
	p->heap_start = start;
	p->heap_bytes = size;
}

/* The stack index for id, the overflow of the stack table counted. */
static uint32_t stack_for_map(struct proc_mem *p, uint64_t id)
{
	uint32_t i = stack_lookup(p, id);

	if (i != UINT32_MAX && (p->stacks[i]->flags & STACK_OVERFLOW))
		p->losses.stacks_merged++;
	return i;
}

/* Sub-ranges of pieces whose state a protect or discard changes, gathered first. */
struct span {
	uint64_t start, end;
};

/*
 * Gives [start, end) the state of flags (reserved or not) in every piece that is
 * not in it already: such a sub-range is taken out and put back as a new piece,
 * with the stack `stack` when it becomes memory, its own when it stops being.
 */
static void set_state(struct proc_mem *p, uint64_t start, uint64_t end, uint32_t flags,
		      uint64_t stack_id, uint64_t ts)
{
	bool reserve = flags & LEAKD_MAP_RESERVED;
	struct span few[8], *spans = few;
	uint32_t i, n = 0, cap = 8, stack = UINT32_MAX;

	for (i = first_ending_after(p, start); i < p->nr_maps && p->maps[i].start < end; i++) {
		const struct mapping *m = &p->maps[i];

		if (!(m->flags & LEAKD_MAP_RESERVED) == !reserve)
			continue;
		if (n == cap) {
			struct span *ns = malloc(2 * cap * sizeof(*ns));

			if (!ns) {
				p->losses.maps_dropped++;
				break;
			}
			memcpy(ns, spans, n * sizeof(*ns));
			if (spans != few)
				free(spans);
			spans = ns;
			cap *= 2;
		}
		spans[n].start = m->start > start ? m->start : start;
		spans[n].end = m->end < end ? m->end : end;
		n++;
	}
	/* A stack only for what changes: a permission flip on memory costs nothing. */
	if (n && !reserve)
		stack = stack_for_map(p, stack_id);
	for (i = 0; i < n; i++) {
		struct pieces ps = { 0 };
		struct mapping m;

		unmap_range(p, spans[i].start, spans[i].end, true, &ps);
		if (!ps.n)
			continue;	/* out of memory: the piece is gone, as freed */
		m = ps.v[0];
		free(ps.v);
		if (reserve) {
			m.flags |= LEAKD_MAP_RESERVED;
		} else {
			/* The heap's pieces stay the heap's; the rest are mappings. */
			m.flags = (m.flags & ~(LEAKD_MAP_RESERVED | LEAKD_MAP_IN_ALLOCATOR)) |
				  (flags & LEAKD_MAP_IN_ALLOCATOR);
			m.stack = stack;
			m.ts = ts;
		}
		map_add(p, &m, true);
	}
	if (spans != few)
		free(spans);
}

void proc_mem__protect(struct proc_mem *p, uint64_t addr, uint64_t len, uint64_t stack_id,
		       uint32_t flags, uint64_t ts)
{
	uint64_t end = addr + PAGE_UP(len);

	if (!len || end < addr || (addr & (PAGE_SIZE - 1)))
		return;
	set_state(p, addr, end, flags, stack_id, ts);
}

void proc_mem__discard(struct proc_mem *p, uint64_t addr, uint64_t len)
{
	uint64_t end = addr + PAGE_UP(len);

	if (!len || end < addr || (addr & (PAGE_SIZE - 1)))
		return;
	set_state(p, addr, end, LEAKD_MAP_RESERVED, 0, 0);
}

static void heap_piece(struct proc_mem *p, uint64_t start, uint64_t end, uint64_t stack_id,
		       uint32_t flags, uint64_t ts)
{
	struct mapping m = { .start = start, .end = end, .ts = ts,
			     .flags = MAPPING_BRK | (flags & LEAKD_MAP_IN_ALLOCATOR) };

	/* Whatever another call mapped there is gone: the kernel refuses overlaps. */
	unmap_range(p, start, end, true, NULL);
	m.stack = stack_for_map(p, stack_id);
	map_add(p, &m, true);
}

void proc_mem__brk_move(struct proc_mem *p, uint64_t start, uint64_t old_end, uint64_t new_end,
			uint64_t stack_id, uint32_t flags, uint64_t ts)
{
	uint64_t base = PAGE_UP(start), old = PAGE_UP(old_end), new = PAGE_UP(new_end);
	uint64_t top = p->heap_top && p->heap_start == start ? p->heap_top : base;

	if (old_end < start || new_end < start || new < new_end || old < old_end)
		return;
	p->heap_start = start;
	p->heap_bytes = new_end - start;
	/* What moved unseen (before watching, or an event lost) is settled first. */
	if (old > top)
		heap_piece(p, top, old, STACK_ID_PREEXISTING, 0, p->born_ns);
	else if (old < top)
		unmap_range(p, old, top, true, NULL);
	if (new > old)
		heap_piece(p, old, new, stack_id, flags, ts);
	else if (new < old)
		unmap_range(p, new, old, true, NULL);
	p->heap_top = new;
}

static void inherit_one(struct proc_mem *child, uint64_t addr)
{
	bool is_new;

	if (child->tables->nr_allocs >= child->tables->limits.max_allocs ||
	    !hashtab__upsert(&child->inherited, addr, &is_new)) {
		child->notes.inherited_untracked++;
		return;
	}
	if (is_new)
		child->tables->nr_allocs++;
}

void proc_mem__inherit(struct proc_mem *child, const struct proc_mem *parent)
{
	const struct live_alloc *a;
	const struct sampled_alloc *sa;
	const uint64_t *addr;
	size_t i;

	child->ppid = parent->pid;
	hashtab__for_each(&parent->allocs, i, a)
		inherit_one(child, a->addr);
	hashtab__for_each(&parent->sampled, i, sa)
		inherit_one(child, sa->addr);
	hashtab__for_each(&parent->inherited, i, addr)	/* a grandparent's, still live */
		inherit_one(child, *addr);
}

void proc_mem__exec(struct proc_mem *p)
{
	clear_allocs(p);
	clear_maps(p);
	free_stacks(p);
	p->total_allocs = p->total_frees = 0;
	p->total_samples = p->total_sample_frees = 0;
	memset(&p->total_est, 0, sizeof(p->total_est));
	memset(&p->losses, 0, sizeof(p->losses));
	memset(&p->notes, 0, sizeof(p->notes));
	p->exec_count++;
}

void proc_mem__untrace(struct proc_mem *p)
{
	uint32_t i;

	clear_allocs(p);
	for (i = 0; i < p->nr_stacks; i++) {
		memset(&p->stacks[i]->level[LEVEL_HEAP], 0, sizeof(struct stack_stats));
		free(p->stacks[i]->est);
		p->stacks[i]->est = NULL;
	}
	p->total_allocs = p->total_frees = 0;
	p->total_samples = p->total_sample_frees = 0;
	memset(&p->total_est, 0, sizeof(p->total_est));
}

/* ---- a process as bytes (a restart) ---- */

static void encode_est(struct wbuf *w, const struct estimate *e)
{
	wbuf__f64(w, e->bytes);
	wbuf__f64(w, e->count);
	wbuf__f64(w, e->var_bytes);
	wbuf__f64(w, e->var_count);
}

static void decode_est(struct rbuf *r, struct estimate *e)
{
	e->bytes = rbuf__f64(r);
	e->count = rbuf__f64(r);
	e->var_bytes = rbuf__f64(r);
	e->var_count = rbuf__f64(r);
}

static void encode_alloc(struct wbuf *w, const struct live_alloc *a)
{
	wbuf__u64(w, a->addr);
	wbuf__u64(w, a->size);
	wbuf__u64(w, a->ts);
	wbuf__u32(w, a->stack);
	wbuf__u32(w, a->fn);
}

static void decode_alloc(struct rbuf *r, const struct proc_mem *p, struct live_alloc *a)
{
	a->addr = rbuf__u64(r);
	a->size = rbuf__u64(r);
	a->ts = rbuf__u64(r);
	a->stack = rbuf__u32(r);
	a->fn = rbuf__u32(r);
	if (a->stack >= p->nr_stacks)
		rbuf__fail(r, "a block names a stack that is not there");
}

#define ALLOC_BYTES 32
#define MAP_BYTES 32
#define FRAME_BYTES 28

static void encode_stack(struct wbuf *w, const struct proc_stack *s)
{
	uint32_t i;
	int l;

	wbuf__u64(w, s->id);
	wbuf__u32(w, s->flags);
	wbuf__u32(w, s->nr_frames);
	for (i = 0; i < s->nr_frames; i++) {
		wbuf__u64(w, s->frames[i].pc);
		wbuf__u64(w, s->frames[i].offset);
		wbuf__u32(w, s->frames[i].module);
		wbuf__u32(w, s->frames[i].flags);
		wbuf__u32(w, s->frames[i].jit);
	}
	for (l = 0; l < LEVEL__COUNT; l++)
		wbuf__bytes(w, &s->level[l], sizeof(s->level[l]));
	wbuf__u64(w, s->first_ts);
	wbuf__u64(w, s->last_ts);
	wbuf__u32(w, s->owner);
	wbuf__u8(w, s->est != NULL);
	if (s->est) {
		encode_est(w, &s->est->live);
		encode_est(w, &s->est->total);
		wbuf__u64(w, s->est->samples_live);
	}
}

static uint32_t map_id(struct rbuf *r, uint32_t id, const uint32_t *v, uint32_t n)
{
	if (!id)
		return 0;
	if (id > n) {
		rbuf__fail(r, "a frame names a module that is not there");
		return 0;
	}
	return v[id - 1];
}

static void decode_stack(struct rbuf *r, struct proc_mem *p, const struct tables_ids *ids)
{
	uint64_t id = rbuf__u64(r);
	uint32_t flags = rbuf__u32(r), n, i;
	struct stack_frame *frames = NULL;
	struct proc_stack *s;
	uint32_t index;
	int l;

	n = rbuf__count(r, FRAME_BYTES, LEAKD_MAX_FRAMES);
	if (r->bad)
		return;
	if (hashtab__get(&p->stack_index, id)) {
		rbuf__fail(r, "a stack is there twice");
		return;
	}
	index = new_stack(p, id);
	if (index == UINT32_MAX) {
		rbuf__fail(r, "out of memory");
		return;
	}
	s = p->stacks[index];
	s->flags = flags;
	if (n && !(frames = calloc(n, sizeof(*frames)))) {
		rbuf__fail(r, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		frames[i].pc = rbuf__u64(r);
		frames[i].offset = rbuf__u64(r);
		frames[i].module = map_id(r, rbuf__u32(r), ids->modules, ids->nr_modules);
		frames[i].flags = rbuf__u32(r);
		frames[i].jit = map_id(r, rbuf__u32(r), ids->jits, ids->nr_jits);
	}
	s->frames = frames;
	s->nr_frames = n;
	if (!(flags & STACK_HAS_FRAMES) != !n)
		rbuf__fail(r, "a stack's frames disagree with its flags");
	for (l = 0; l < LEVEL__COUNT; l++)
		rbuf__bytes(r, &s->level[l], sizeof(s->level[l]));
	s->first_ts = rbuf__u64(r);
	s->last_ts = rbuf__u64(r);
	s->owner = rbuf__u32(r);
	if (rbuf__u8(r)) {
		s->est = calloc(1, sizeof(*s->est));
		if (!s->est) {
			rbuf__fail(r, "out of memory");
			return;
		}
		decode_est(r, &s->est->live);
		decode_est(r, &s->est->total);
		s->est->samples_live = rbuf__u64(r);
	}
}

void proc_mem__encode(const struct proc_mem *p, struct wbuf *w)
{
	const struct live_alloc *a;
	const struct sampled_alloc *sa;
	const struct parked *pk;
	const struct cached_block *cb;
	uint32_t i;
	size_t k;

	wbuf__u64(w, p->pid);
	wbuf__u64(w, p->start_time);
	wbuf__bytes(w, p->comm, sizeof(p->comm));
	wbuf__u64(w, p->exec_count);
	wbuf__u64(w, p->live_bytes);
	wbuf__u64(w, p->live_count);
	wbuf__u64(w, p->total_allocs);
	wbuf__u64(w, p->total_frees);
	wbuf__u64(w, p->sample_interval);
	encode_est(w, &p->live_est);
	encode_est(w, &p->total_est);
	wbuf__u64(w, p->total_samples);
	wbuf__u64(w, p->total_sample_frees);
	wbuf__u64(w, p->map_bytes);
	wbuf__u64(w, p->map_count);
	wbuf__u64(w, p->reserved_bytes);
	wbuf__u64(w, p->heap_start);
	wbuf__u64(w, p->heap_bytes);
	wbuf__u64(w, p->heap_top);
	wbuf__bytes(w, &p->losses, sizeof(p->losses));
	wbuf__bytes(w, &p->notes, sizeof(p->notes));

	wbuf__u32(w, p->nr_stacks);
	for (i = 0; i < p->nr_stacks; i++)
		encode_stack(w, p->stacks[i]);
	wbuf__u32(w, (uint32_t)p->allocs.count);
	hashtab__for_each(&p->allocs, k, a)
		encode_alloc(w, a);
	wbuf__u32(w, (uint32_t)p->sampled.count);
	hashtab__for_each(&p->sampled, k, sa) {
		wbuf__u64(w, sa->addr);
		wbuf__u64(w, sa->size);
		wbuf__u64(w, sa->weight);
		wbuf__u64(w, sa->ts);
		wbuf__u32(w, sa->stack);
		wbuf__u32(w, sa->fn);
	}
	/* Inside realloc at the stop: its end is in the ring for the next daemon. */
	wbuf__u32(w, (uint32_t)p->parked.count);
	hashtab__for_each(&p->parked, k, pk) {
		wbuf__u64(w, pk->tid);
		wbuf__u64(w, pk->addr);
		wbuf__u8(w, pk->known);
		encode_alloc(w, &pk->a);
	}
	wbuf__u32(w, (uint32_t)p->cached.count);
	hashtab__for_each(&p->cached, k, cb)
		wbuf__u64(w, cb->addr);
	wbuf__u32(w, p->nr_maps);
	for (i = 0; i < p->nr_maps; i++) {
		wbuf__u64(w, p->maps[i].start);
		wbuf__u64(w, p->maps[i].end);
		wbuf__u64(w, p->maps[i].ts);
		wbuf__u32(w, p->maps[i].stack);
		wbuf__u32(w, p->maps[i].flags);
	}
}

/* A block that does not fit any more: as insert() would have dropped it. */
static void drop_restored(struct proc_mem *p, const struct live_alloc *a)
{
	p->losses.allocs_dropped++;
	stats_sub(p, a->stack, LEVEL_HEAP, a->size, 1);
	p->live_bytes -= a->size;
	p->live_count--;
}

/*
 * The slot of a restored block at addr in h (one of p's tables of blocks),
 * counted against the tables' bound; NULL when the bound is reached (the caller
 * drops it) or when r failed (the block there twice, out of memory).
 */
static void *restore_slot(struct rbuf *r, struct proc_mem *p, struct hashtab *h, uint64_t addr)
{
	void *slot;

	if (hashtab__get(h, addr)) {
		rbuf__fail(r, "a block is there twice");
		return NULL;
	}
	if (p->tables->nr_allocs >= p->tables->limits.max_allocs)
		return NULL;
	slot = hashtab__upsert(h, addr, NULL);
	if (!slot) {
		rbuf__fail(r, "out of memory");
		return NULL;
	}
	p->tables->nr_allocs++;
	return slot;
}

/* The live blocks; their sizes and number are added to *bytes and *count. */
static void decode_allocs(struct rbuf *r, struct proc_mem *p, uint64_t *bytes, uint64_t *count)
{
	struct live_alloc a, *slot;
	uint32_t n, i;

	n = rbuf__count(r, ALLOC_BYTES, UINT32_MAX);
	for (i = 0; i < n && !r->bad; i++) {
		decode_alloc(r, p, &a);
		if (r->bad)
			break;
		*bytes += a.size;
		++*count;
		slot = restore_slot(r, p, &p->allocs, a.addr);
		if (slot)
			*slot = a;
		else if (!r->bad)
			drop_restored(p, &a);
	}
}

static void decode_sampled(struct rbuf *r, struct proc_mem *p)
{
	struct sampled_alloc a, *slot;
	uint32_t n, i;

	n = rbuf__count(r, 40, UINT32_MAX);
	for (i = 0; i < n && !r->bad; i++) {
		a.addr = rbuf__u64(r);
		a.size = rbuf__u64(r);
		a.weight = rbuf__u64(r);
		a.ts = rbuf__u64(r);
		a.stack = rbuf__u32(r);
		a.fn = rbuf__u32(r);
		if (a.stack >= p->nr_stacks || a.weight < a.size) {
			rbuf__fail(r, "a sampled block is out of range");
			break;
		}
		slot = restore_slot(r, p, &p->sampled, a.addr);
		if (slot)
			*slot = a;
		else if (!r->bad)
			p->losses.allocs_dropped++;	/* its estimate stays in the figures */
	}
}

/* Blocks inside realloc (counted live when known), freed-block cache, mappings. */
static void decode_rest(struct rbuf *r, struct proc_mem *p, uint64_t *bytes, uint64_t *count)
{
	struct parked pk, *ps;
	struct mapping m;
	uint32_t n, i;

	n = rbuf__count(r, 17 + ALLOC_BYTES, UINT32_MAX);
	for (i = 0; i < n && !r->bad; i++) {
		pk.tid = rbuf__u64(r);
		pk.addr = rbuf__u64(r);
		pk.known = rbuf__u8(r);
		decode_alloc(r, p, &pk.a);
		if (r->bad)
			break;
		if (pk.known) {
			*bytes += pk.a.size;
			++*count;
		}
		ps = hashtab__upsert(&p->parked, pk.tid, NULL);
		if (!ps) {
			rbuf__fail(r, "out of memory");
			break;
		}
		*ps = pk;
	}
	n = rbuf__count(r, 8, CACHED_MAX);
	for (i = 0; i < n && !r->bad; i++)
		if (!hashtab__upsert(&p->cached, rbuf__u64(r), NULL))
			rbuf__fail(r, "out of memory");
	n = rbuf__count(r, MAP_BYTES, UINT32_MAX);
	for (i = 0; i < n && !r->bad; i++) {
		m.start = rbuf__u64(r);
		m.end = rbuf__u64(r);
		m.ts = rbuf__u64(r);
		m.stack = rbuf__u32(r);
		m.flags = rbuf__u32(r);
		if (m.start >= m.end || m.stack >= p->nr_stacks ||
		    (p->nr_maps && m.start < p->maps[p->nr_maps - 1].end))
			rbuf__fail(r, "a mapping is out of range or order");
		else
			map_insert_at(p, p->nr_maps, &m);	/* past the limit: counted there */
	}
}

struct proc_mem *tables__decode_proc(struct tables *t, struct rbuf *r,
				     const struct tables_ids *ids)
{
	uint64_t pid = rbuf__u64(r), start_time = rbuf__u64(r);
	uint64_t bytes = 0, count = 0, want_bytes, want_count;
	struct proc_mem *p;
	uint32_t n, i;

	if (!r->bad && (!pid || pid > INT32_MAX || tables__proc(t, (pid_t)pid)))
		rbuf__fail(r, "a process id is out of range or there twice");
	if (r->bad)
		return NULL;
	p = tables__add_proc(t, (pid_t)pid, start_time);
	if (!p) {
		rbuf__fail(r, "out of memory");
		return NULL;
	}
	rbuf__bytes(r, p->comm, sizeof(p->comm));
	p->comm[sizeof(p->comm) - 1] = '\0';
	p->exec_count = rbuf__u64(r);
	p->live_bytes = rbuf__u64(r);
	p->live_count = rbuf__u64(r);
	p->total_allocs = rbuf__u64(r);
	p->total_frees = rbuf__u64(r);
	p->sample_interval = rbuf__u64(r);
	decode_est(r, &p->live_est);
	decode_est(r, &p->total_est);
	p->total_samples = rbuf__u64(r);
	p->total_sample_frees = rbuf__u64(r);
	p->map_bytes = rbuf__u64(r);
	p->map_count = rbuf__u64(r);
	p->reserved_bytes = rbuf__u64(r);
	p->heap_start = rbuf__u64(r);
	p->heap_bytes = rbuf__u64(r);
	p->heap_top = rbuf__u64(r);
	rbuf__bytes(r, &p->losses, sizeof(p->losses));
	rbuf__bytes(r, &p->notes, sizeof(p->notes));
	n = rbuf__count(r, 8 + 8 + LEVEL__COUNT * sizeof(struct stack_stats) + 21,
			t->limits.max_stacks - (t->nr_stacks < t->limits.max_stacks ?
						t->nr_stacks : t->limits.max_stacks));
	for (i = 0; i < n && !r->bad; i++)
		decode_stack(r, p, ids);
	want_bytes = p->live_bytes;
	want_count = p->live_count;
	if (!r->bad)
		decode_allocs(r, p, &bytes, &count);
	if (!r->bad)
		decode_sampled(r, p);
	if (!r->bad)
		decode_rest(r, p, &bytes, &count);
	if (!r->bad && (bytes != want_bytes || count != want_count))
		rbuf__fail(r, "the live blocks do not add up to the figures");
	if (r->bad) {
		tables__remove_proc(t, (pid_t)pid);
		return NULL;
	}
	return p;
}
