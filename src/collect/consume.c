// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "collect/consume.h"
#include "leakd/events.h"
#include "stacks/symbolize.h"
#include "model/tables.h"

struct events {
	struct ring_buffer *rb;
	struct tables *tables;
	struct symbolizer *sym;
	events_proc_cb cb;
	void *ctx;
	struct events_stats stats;
};

static void on_stack(struct events *e, struct proc_mem *p, const struct leakd_stack_event *ev,
		     size_t size)
{
	uint32_t n = ev->hdr.aux;
	struct stack_frame *frames;
	struct proc_stack *s;

	if (n > LEAKD_MAX_FRAMES ||
	    size < offsetof(struct leakd_stack_event, frames) + n * sizeof(ev->frames[0])) {
		e->stats.bad_records++;
		return;
	}
	s = proc_mem__stack(p, ev->stack_id);
	if (!s || (s->flags & STACK_HAS_FRAMES))
		return;		/* resent after the kernel's cache forgot it */
	frames = symbolizer__normalize(e->sym, p->pid, ev->frames, n);
	if (frames)
		stack__set_frames(s, frames, n, ev->flags);
}

static int on_record(void *ctx, void *data, size_t size)
{
	const struct leakd_event_hdr *h = data;
	struct events *e = ctx;
	struct proc_mem *p;

	e->stats.records++;
	if (size < sizeof(*h)) {
		e->stats.bad_records++;
		return 0;
	}
	if (h->type == LEAKD_EV_FORK) {
		/* The child is new to the tables: whoever watches it adds it. */
		if (e->cb)
			e->cb(e->ctx, h->type, h->pid);
		return 0;
	}
	p = tables__proc(e->tables, h->pid);
	if (!p) {
		e->stats.unknown_pid++;
		return 0;
	}
	switch (h->type) {
	case LEAKD_EV_ALLOC: {
		const struct leakd_alloc_event *a = data;

		if (size < sizeof(*a))
			break;
		if (a->weight && !a->old_addr)
			proc_mem__alloc_weighted(p, h->tid, h->aux, a->addr, a->size, a->weight,
						 a->stack_id, h->ts);
		else
			proc_mem__alloc(p, h->tid, h->aux, a->addr, a->size, a->stack_id,
					a->old_addr, h->ts);
		return 0;
	}
	case LEAKD_EV_FREE:
	case LEAKD_EV_REALLOC_BEGIN: {
		const struct leakd_free_event *f = data;

		if (size < sizeof(*f))
			break;
		if (h->type == LEAKD_EV_FREE)
			proc_mem__dealloc(p, h->tid, f->addr);
		else
			proc_mem__realloc_begin(p, h->tid, f->addr);
		return 0;
	}
	case LEAKD_EV_STACK:
		on_stack(e, p, data, size);
		return 0;
	case LEAKD_EV_MMAP: {
		const struct leakd_map_event *m = data;

		if (size < sizeof(*m))
			break;
		proc_mem__mmap(p, m->addr, m->len, m->stack_id, h->aux, h->ts);
		return 0;
	}
	case LEAKD_EV_MUNMAP:
	case LEAKD_EV_MREMAP_BEGIN:
	case LEAKD_EV_BRK: {
		const struct leakd_range_event *r = data;

		if (size < sizeof(*r))
			break;
		if (h->type == LEAKD_EV_MUNMAP)
			proc_mem__munmap(p, r->addr, r->len);
		else if (h->type == LEAKD_EV_BRK)
			proc_mem__brk(p, r->addr, r->len);
		else
			proc_mem__mremap_begin(p, h->tid, r->addr, r->len);
		return 0;
	}
	case LEAKD_EV_MREMAP_END: {
		const struct leakd_mremap_event *r = data;

		if (size < sizeof(*r))
			break;
		proc_mem__mremap_end(p, h->tid, r->old_addr, r->old_len, r->new_addr, r->new_len,
				 h->ts);
		return 0;
	}
	case LEAKD_EV_EXEC:
		proc_mem__exec(p);
		/* Read the new image's mappings while the process surely still runs. */
		symbolizer__forget_proc(e->sym, p->pid);
		symbolizer__refresh_proc(e->sym, p->pid);
		if (e->cb)
			e->cb(e->ctx, h->type, h->pid);
		return 0;
	case LEAKD_EV_MAP_EXEC:
		symbolizer__refresh_proc(e->sym, p->pid);
		if (e->cb)
			e->cb(e->ctx, h->type, h->pid);
		return 0;
	case LEAKD_EV_EXIT:
		p->exited = true;
		if (e->cb)
			e->cb(e->ctx, h->type, h->pid);
		return 0;
	}
	e->stats.bad_records++;
	return 0;
}

struct events *events__new(int ringbuf_fd, struct tables *t, struct symbolizer *s,
			   events_proc_cb cb, void *ctx)
{
	struct events *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->tables = t;
	e->sym = s;
	e->cb = cb;
	e->ctx = ctx;
	e->rb = ring_buffer__new(ringbuf_fd, on_record, e, NULL);
	if (!e->rb) {
		int err = errno;

		free(e);
		errno = err;
		return NULL;
	}
	return e;
}

void events__free(struct events *e)
{
	if (!e)
		return;
	ring_buffer__free(e->rb);
	free(e);
}

int events__epoll_fd(const struct events *e)
{
	return ring_buffer__epoll_fd(e->rb);
}

int events__consume(struct events *e)
{
	return ring_buffer__consume(e->rb);
}

void events__stats(const struct events *e, struct events_stats *ret)
{
	*ret = e->stats;
}
