// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "leakd/events.h"
#include "model/tables.h"

#define PAGE_SIZE 4096ULL
#define PAGE_UP(x) (((x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))

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
	p->heap_start = p->heap_bytes = 0;
	clear_moving(p);
}

static void clear_allocs(struct proc_mem *p)
{
	p->tables->nr_allocs -= p->allocs.count;
	hashtab__clear(&p->allocs);
	hashtab__clear(&p->parked);
	p->live_bytes = p->live_count = 0;
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
	free(p->maps);
	hashtab__destroy(&p->allocs);
	hashtab__destroy(&p->stack_index);
	hashtab__destroy(&p->parked);
	hashtab__destroy(&p->moving);
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
	    hashtab__init(&p->moving, sizeof(struct moving), 16))
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
			 p->cap_stacks * sizeof(*p->stacks) + p->cap_maps * sizeof(*p->maps);
		for (j = 0; j < p->nr_stacks; j++)
			total += sizeof(struct proc_stack) + p->stacks[j]->nr_frames * sizeof(struct stack_frame);
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

/* A stack gains size bytes in count pieces at level l. */
static void stats_add_n(struct proc_mem *p, uint32_t index, enum level l, uint64_t size,
			uint64_t count, uint64_t ts)
{
	struct stack_stats *st = stats_at(p, index, l);

	if (!st)
		return;
	st->total_bytes += size;
	st->total_count += count;
	st->live_bytes += size;
	st->live_count += count;
	if (!p->stacks[index]->first_ts)
		p->stacks[index]->first_ts = ts;
	p->stacks[index]->last_ts = ts;
}

/* A stack gains size bytes in one piece at level l. */
static void stats_add(struct proc_mem *p, uint32_t index, enum level l, uint64_t size, uint64_t ts)
{
	stats_add_n(p, index, l, size, 1, ts);
}

/*
 * What a block counts for: itself when traced exactly.  A sample stands for its
 * weight in bytes and weight / size allocations, the estimators of sampled
 * profiling.  Counts are whole: the fraction is rounded up or down at random
 * (decided by the block's address and time, so the same both ways), which keeps
 * the sum unbiased even where weight / size is near 1.
 */
static void alloc_figures(const struct live_alloc *a, uint64_t *ret_bytes, uint64_t *ret_count)
{
	uint64_t whole, rest, h;

	if (!a->weight || !a->size || a->weight <= a->size) {
		*ret_bytes = a->size;
		*ret_count = 1;
		return;
	}
	*ret_bytes = a->weight;
	whole = a->weight / a->size;
	rest = a->weight % a->size;
	h = (a->addr ^ (a->ts * 0x9e3779b97f4a7c15ULL)) * 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 31;
	*ret_count = whole + ((unsigned __int128)h * a->size >> 64 < rest);
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

/* Accounts a block as gone from its stack. */
static void release(struct proc_mem *p, const struct live_alloc *a)
{
	uint64_t bytes, count;

	alloc_figures(a, &bytes, &count);
	stats_sub(p, a->stack, LEVEL_HEAP, bytes, count);
	p->live_bytes -= bytes;
	p->live_count -= count;
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
	uint64_t bytes, count;

	alloc_figures(a, &bytes, &count);
	p->total_allocs++;
	if (a->weight)
		p->weighted_allocs++;
	if (take(p, a->addr, &old)) {
		/* Its free went unseen (a path leakd does not probe): let it go. */
		p->notes.replaced_allocs++;
		release(p, &old);
	}
	if (p->tables->nr_allocs >= p->tables->limits.max_allocs ||
	    !(slot = hashtab__upsert(&p->allocs, a->addr, NULL))) {
		p->losses.allocs_dropped++;
		if (st) {
			st->total_bytes += bytes;
			st->total_count += count;
		}
		return;
	}
	*slot = *a;
	p->tables->nr_allocs++;
	p->live_bytes += bytes;
	p->live_count += count;
	stats_add_n(p, a->stack, LEVEL_HEAP, bytes, count, a->ts);
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

void proc_mem__alloc_weighted(struct proc_mem *p, uint32_t tid, uint32_t fn, uint64_t addr,
			      uint64_t size, uint64_t weight, uint64_t stack_id, uint64_t ts)
{
	struct live_alloc a = { .addr = addr, .size = size, .weight = weight, .ts = ts,
				.fn = fn };

	(void)tid;
	if (!addr)
		return;
	a.stack = stack_lookup(p, stack_id);
	if (a.stack != UINT32_MAX && (p->stacks[a.stack]->flags & STACK_OVERFLOW))
		p->losses.stacks_merged++;
	insert(p, &a);
}

void proc_mem__dealloc(struct proc_mem *p, uint32_t tid, uint64_t addr)
{
	struct parked *pk;
	struct live_alloc a;

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

/* Reserved address space is tracked (so that later calls apply) but is not memory. */
static void map_account(struct proc_mem *p, const struct mapping *m, uint64_t bytes, int64_t pieces,
			bool freed)
{
	if (m->flags & LEAKD_MAP_RESERVED) {
		p->reserved_bytes -= bytes;
		return;
	}
	p->map_bytes -= bytes;
	p->map_count -= pieces;
	if (freed)
		stats_sub(p, m->stack, LEVEL_MAP, bytes, pieces);
	else if (m->stack < p->nr_stacks) {
		/* Moving, not freeing: only the live figures change. */
		p->stacks[m->stack]->level[LEVEL_MAP].live_bytes -= bytes;
		p->stacks[m->stack]->level[LEVEL_MAP].live_count -= pieces;
	}
}

static bool map_insert_at(struct proc_mem *p, uint32_t i, const struct mapping *m)
{
	if (p->tables->nr_maps >= p->tables->limits.max_maps) {
		p->losses.maps_dropped++;
		return false;
	}
	if (p->nr_maps == p->cap_maps) {
		uint32_t cap = p->cap_maps ? p->cap_maps * 2 : 16;
		struct mapping *nm = realloc(p->maps, cap * sizeof(*nm));

		if (!nm) {
			p->losses.maps_dropped++;
			return false;
		}
		p->maps = nm;
		p->cap_maps = cap;
	}
	memmove(&p->maps[i + 1], &p->maps[i], (p->nr_maps - i) * sizeof(*m));
	p->maps[i] = *m;
	p->nr_maps++;
	p->tables->nr_maps++;
	return true;
}

static void map_remove_at(struct proc_mem *p, uint32_t i)
{
	memmove(&p->maps[i], &p->maps[i + 1], (p->nr_maps - i - 1) * sizeof(*p->maps));
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

	if (!map_insert_at(p, first_ending_after(p, m->start), m))
		return;
	if (m->flags & LEAKD_MAP_RESERVED) {
		p->reserved_bytes += len;
		return;
	}
	p->map_bytes += len;
	p->map_count++;
	if (fresh) {
		stats_add(p, m->stack, LEVEL_MAP, len, m->ts);
	} else if ((st = stats_at(p, m->stack, LEVEL_MAP))) {
		st->live_bytes += len;
		st->live_count++;
	}
}

void proc_mem__mmap(struct proc_mem *p, uint64_t addr, uint64_t len, uint64_t stack_id, uint32_t flags,
		uint64_t ts)
{
	struct mapping m = { .start = addr, .end = addr + PAGE_UP(len), .ts = ts,
			     .flags = flags };

	if (!len || m.end < m.start || (addr & (PAGE_SIZE - 1)))
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
	if (!len || end < addr || (addr & (PAGE_SIZE - 1)))
		return;
	if (!unmap_range(p, addr, end, true, NULL))
		p->notes.unmatched_unmaps++;
}

/* Puts pieces back where they were (an mremap that failed, or never ended). */
static void restore(struct proc_mem *p, struct pieces *ps)
{
	uint32_t i;

	for (i = 0; i < ps->n; i++)
		map_add(p, &ps->v[i], false);
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}

void proc_mem__mremap_begin(struct proc_mem *p, uint32_t tid, uint64_t addr, uint64_t len)
{
	uint64_t end = addr + PAGE_UP(len);
	struct moving *mv;
	bool is_new;

	if (!len || end < addr || (addr & (PAGE_SIZE - 1)))
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
	if (hashtab__remove(&p->moving, tid, &mv) || mv.addr != old_addr) {
		/* Its begin was lost (or belongs to another range): take the range now. */
		if (mv.pieces.n)
			restore(p, &mv.pieces);
		memset(&mv, 0, sizeof(mv));
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
	/* MREMAP_FIXED replaces whatever was at the destination. */
	unmap_range(p, new_addr, new_addr + new_size, true, NULL);
	for (i = 0; i < mv.pieces.n; i++) {
		struct mapping m = mv.pieces.v[i];
		uint64_t off = m.start - old_addr, len = m.end - m.start;
		struct stack_stats *st = stats_at(p, m.stack, LEVEL_MAP);
		bool reserved = m.flags & LEAKD_MAP_RESERVED;

		if (off >= new_size) {
			/* Shrunk away. */
			if (st && !reserved)
				st->freed_bytes += len, st->freed_count++;
			continue;
		}
		m.start = new_addr + off;
		m.end = m.start + len;
		if (m.end > new_addr + new_size) {
			if (st && !reserved)
				st->freed_bytes += m.end - (new_addr + new_size);
			m.end = new_addr + new_size;
		}
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

void proc_mem__exec(struct proc_mem *p)
{
	clear_allocs(p);
	clear_maps(p);
	free_stacks(p);
	p->total_allocs = p->total_frees = 0;
	memset(&p->losses, 0, sizeof(p->losses));
	memset(&p->notes, 0, sizeof(p->notes));
	p->exec_count++;
}

void proc_mem__untrace(struct proc_mem *p)
{
	uint32_t i;

	clear_allocs(p);
	for (i = 0; i < p->nr_stacks; i++)
		memset(&p->stacks[i]->level[LEVEL_HEAP], 0, sizeof(struct stack_stats));
	p->total_allocs = p->total_frees = 0;
}
