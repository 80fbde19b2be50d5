// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <bpf/libbpf.h>

#include "collect/consume.h"
#include "base/clock.h"
#include "stacks/symbolize.h"

/*
 * One call applies records for this long at most, then returns with the rest
 * waiting (the descriptor stays readable): the daemon answers its sockets
 * meanwhile, even while a process sends records that each cost it a read
 * (code mapped in a loop).
 */
#define SLICE_NS (50 * 1000000ULL)
#define SLICE_CHECK_EVERY 64	/* records between looks at the clock */

struct events {
	struct ring_buffer *rb;
	struct symbolizer *sym;
	events_proc_cb cb;
	void *cb_ctx;
	struct decoder dec;
	uint64_t slice_end;	/* of this call's slice */
	int applied;		/* records, this call */
	unsigned int unchecked;	/* records since the clock was read */
	bool sliced;		/* the call ended at its slice's end */
};

static struct stack_frame *normalize(void *ctx, pid_t pid, const struct leakd_frame *frames,
				     uint32_t n)
{
	struct events *e = ctx;

	return symbolizer__normalize(e->sym, pid, frames, n);
}

static void on_proc(void *ctx, uint32_t type, pid_t pid, uint32_t aux, uint64_t ts)
{
	struct events *e = ctx;

	if (e->cb)
		e->cb(e->cb_ctx, type, pid, aux, ts);
	e->unchecked = SLICE_CHECK_EVERY;	/* it may have taken long: look now */
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct events *e = ctx;

	decoder__apply(&e->dec, data, size);	/* a bad record is counted, not fatal */
	e->applied++;
	if (++e->unchecked < SLICE_CHECK_EVERY)
		return 0;
	e->unchecked = 0;
	if (now_ns() < e->slice_end)
		return 0;
	e->sliced = true;
	return -EAGAIN;		/* this record is consumed; the rest waits */
}

struct events *events__new(int ringbuf_fd, struct tables *t, struct symbolizer *s,
			   events_proc_cb cb, void *ctx)
{
	struct events *e = calloc(1, sizeof(*e));
	struct decoder_ops ops = { .normalize = normalize, .proc = on_proc };

	if (!e)
		return NULL;
	ops.ctx = e;
	e->sym = s;
	e->cb = cb;
	e->cb_ctx = ctx;
	decoder__init(&e->dec, t, &ops);
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

int events__add_ring(struct events *e, int ringbuf_fd)
{
	return ring_buffer__add(e->rb, ringbuf_fd, on_record, e) ? -errno : 0;
}

int events__epoll_fd(const struct events *e)
{
	return ring_buffer__epoll_fd(e->rb);
}

int events__consume(struct events *e)
{
	int err;

	e->applied = 0;
	e->unchecked = 0;
	e->sliced = false;
	e->slice_end = now_ns() + SLICE_NS;
	err = ring_buffer__consume(e->rb);
	return err < 0 && !e->sliced ? err : e->applied;
}

void events__stats(const struct events *e, struct decoder_stats *ret)
{
	*ret = e->dec.stats;
}
