// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "collect/decode.h"
#include "model/tables.h"

/* Any record, copied out of the ring so that its fields are aligned. */
union record {
	struct leakd_event_hdr hdr;
	struct leakd_alloc_event alloc;
	struct leakd_free_event free;
	struct leakd_range_event range;
	struct leakd_map_event map;
	struct leakd_mremap_event mremap;
	struct leakd_brk_event brk;
	struct leakd_stack_event stack;
};

/* The size a record of this type must have at least; 0 for an unknown type. */
static size_t min_size(uint32_t type)
{
	switch (type) {
	case LEAKD_EV_ALLOC:
		return sizeof(struct leakd_alloc_event);
	case LEAKD_EV_FREE:
	case LEAKD_EV_REALLOC_BEGIN:
		return sizeof(struct leakd_free_event);
	case LEAKD_EV_STACK:
		return offsetof(struct leakd_stack_event, frames);
	case LEAKD_EV_EXEC:
	case LEAKD_EV_EXIT:
	case LEAKD_EV_MAP_EXEC:
	case LEAKD_EV_FORK:
		return sizeof(struct leakd_event_hdr);
	case LEAKD_EV_MMAP:
	case LEAKD_EV_PROTECT:
		return sizeof(struct leakd_map_event);
	case LEAKD_EV_MUNMAP:
	case LEAKD_EV_MREMAP_BEGIN:
	case LEAKD_EV_BRK:
	case LEAKD_EV_DISCARD:
		return sizeof(struct leakd_range_event);
	case LEAKD_EV_MREMAP_END:
		return sizeof(struct leakd_mremap_event);
	case LEAKD_EV_BRK_MOVE:
		return sizeof(struct leakd_brk_event);
	}
	return 0;
}

static bool wraps(uint64_t addr, uint64_t len)
{
	return addr + len < addr;
}

void decoder__init(struct decoder *d, struct tables *t, const struct decoder_ops *ops)
{
	memset(d, 0, sizeof(*d));
	d->tables = t;
	if (ops)
		d->ops = *ops;
}

static struct stack_frame *raw_frames(const struct leakd_frame *f, uint32_t n)
{
	struct stack_frame *v = calloc(n ? n : 1, sizeof(*v));
	uint32_t i;

	for (i = 0; v && i < n; i++) {
		v[i].pc = f[i].pc;
		v[i].offset = f[i].offset;
		v[i].flags = f[i].flags;
	}
	return v;
}

static int on_stack(struct decoder *d, struct proc_mem *p, const struct leakd_stack_event *ev,
		    size_t size)
{
	uint32_t n = ev->hdr.aux;
	struct stack_frame *frames;
	struct proc_stack *s;

	if (n > LEAKD_MAX_FRAMES ||
	    size < offsetof(struct leakd_stack_event, frames) + n * sizeof(ev->frames[0]))
		return -EINVAL;
	/* Ids the kernel never makes (even) are userspace's own: not from a record. */
	if (!(ev->stack_id & 1))
		return -EINVAL;
	s = proc_mem__stack(p, ev->stack_id);
	/* Resent: a later walk of the same pcs, complete or not, settles the marks. */
	if (!s || !stack__rewalked(s, ev->flags))
		return 0;
	frames = d->ops.normalize ? d->ops.normalize(d->ops.ctx, (pid_t)p->pid, ev->frames, n) :
				    raw_frames(ev->frames, n);
	if (frames)
		stack__set_frames(s, frames, n, ev->flags);
	return 0;
}

static int apply(struct decoder *d, const union record *r, size_t size)
{
	const struct leakd_event_hdr *h = &r->hdr;
	size_t need = min_size(h->type);
	struct proc_mem *p;

	if (!need || size < need || !h->pid)
		return -EINVAL;
	if (h->type == LEAKD_EV_FORK) {
		/* The child is new to the tables: whoever watches it adds it. */
		if (d->ops.proc)
			d->ops.proc(d->ops.ctx, h->type, h->pid, h->aux, h->ts);
		return 0;
	}
	p = tables__proc(d->tables, h->pid);
	if (!p) {
		/* Held for this record: whoever watches must resume it, known or not. */
		if ((h->type == LEAKD_EV_EXEC || h->type == LEAKD_EV_MAP_EXEC) &&
		    (h->aux & LEAKD_PROC_HELD) && d->ops.proc)
			d->ops.proc(d->ops.ctx, h->type, h->pid, h->aux, h->ts);
		return -ESRCH;
	}
	if (h->type == LEAKD_EV_ALLOC || h->type == LEAKD_EV_FREE ||
	    h->type == LEAKD_EV_REALLOC_BEGIN || h->type == LEAKD_EV_STACK)
		p->trace_records++;
	switch (h->type) {
	case LEAKD_EV_ALLOC:
		if (!r->alloc.weight) {
			proc_mem__alloc(p, h->tid, h->aux, r->alloc.addr, r->alloc.size,
					r->alloc.stack_id, r->alloc.old_addr, h->ts);
			return 0;
		}
		/*
		 * A sample, the kernel's or a process's own sampler's (otel_memory):
		 * it stands for weight bytes, p = size / weight (the model counts a
		 * weight below size as the block itself).
		 */
		proc_mem__alloc_sampled(p, h->aux, r->alloc.addr, r->alloc.size, r->alloc.weight,
					r->alloc.stack_id, r->alloc.old_addr, h->ts);
		return 0;
	case LEAKD_EV_FREE:
		proc_mem__dealloc(p, h->tid, r->free.addr);
		return 0;
	case LEAKD_EV_REALLOC_BEGIN:
		proc_mem__realloc_begin(p, h->tid, r->free.addr);
		return 0;
	case LEAKD_EV_STACK:
		return on_stack(d, p, &r->stack, size);
	case LEAKD_EV_MMAP:
		if (wraps(r->map.addr, r->map.len))
			return -EINVAL;
		proc_mem__mmap(p, r->map.addr, r->map.len, r->map.stack_id, h->aux, h->ts);
		return 0;
	case LEAKD_EV_PROTECT:
		if (wraps(r->map.addr, r->map.len))
			return -EINVAL;
		proc_mem__protect(p, r->map.addr, r->map.len, r->map.stack_id, h->aux, h->ts);
		return 0;
	case LEAKD_EV_BRK_MOVE:
		/* The heap's end moves within the heap: never below its start. */
		if (r->brk.old_end < r->brk.start || r->brk.new_end < r->brk.start)
			return -EINVAL;
		proc_mem__brk_move(p, r->brk.start, r->brk.old_end, r->brk.new_end,
				   r->brk.stack_id, h->aux, h->ts);
		return 0;
	case LEAKD_EV_MUNMAP:
	case LEAKD_EV_MREMAP_BEGIN:
	case LEAKD_EV_BRK:
	case LEAKD_EV_DISCARD:
		if (wraps(r->range.addr, r->range.len))
			return -EINVAL;
		if (h->type == LEAKD_EV_MUNMAP)
			proc_mem__munmap(p, r->range.addr, r->range.len);
		else if (h->type == LEAKD_EV_BRK)
			proc_mem__brk(p, r->range.addr, r->range.len);
		else if (h->type == LEAKD_EV_DISCARD)
			proc_mem__discard(p, r->range.addr, r->range.len);
		else
			proc_mem__mremap_begin(p, h->tid, r->range.addr, r->range.len);
		return 0;
	case LEAKD_EV_MREMAP_END:
		if (wraps(r->mremap.old_addr, r->mremap.old_len) ||
		    wraps(r->mremap.new_addr, r->mremap.new_len))
			return -EINVAL;
		proc_mem__mremap_end(p, h->tid, r->mremap.old_addr, r->mremap.old_len,
				     r->mremap.new_addr, r->mremap.new_len, h->ts);
		return 0;
	case LEAKD_EV_EXEC:
		proc_mem__exec(p);
		break;
	case LEAKD_EV_EXIT:
		p->exited = true;
		break;
	}
	/* Exec, map-exec, exit: the rest is the watcher's (symbols, probes, policy). */
	if (d->ops.proc)
		d->ops.proc(d->ops.ctx, h->type, h->pid, h->aux, h->ts);
	return 0;
}

int decoder__apply(struct decoder *d, const void *rec, size_t size)
{
	union record r;
	int err;

	d->stats.records++;
	memset(&r, 0, sizeof(r.hdr));
	memcpy(&r, rec, size < sizeof(r) ? size : sizeof(r));
	err = size < sizeof(r.hdr) ? -EINVAL : apply(d, &r, size);
	if (err == -EINVAL)
		d->stats.bad_records++;
	else if (err == -ESRCH)
		d->stats.unknown_pid++;
	return err;
}
