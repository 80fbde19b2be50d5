// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The event decoder (decoder__apply, src/collect/decode.c) on a stream of arbitrary
 * records applied to fresh tables: each record is a 16-bit size and that many
 * bytes.  The pids of records are folded onto four processes that do not exist,
 * so that every kind of record meets a known process and nothing reads a real
 * one's /proc.  New stacks' frames go through the symbolizer, as the pipeline's
 * do.  The tables must stay consistent after the stream.
 */
#include <errno.h>

#include "collect/decode.h"
#include "fuzz.h"
#include "leakd/events.h"
#include "model/tables.h"
#include "stacks/symbolize.h"

#define FAKE_PID 2000000000	/* above any pid_max: no such process */
#define NR_PROCS 4

struct stream {
	struct tables *t;
	struct symbolizer *sym;
};

static struct stack_frame *normalize(void *ctx, pid_t pid, const struct leakd_frame *frames,
				     uint32_t n)
{
	struct stream *s = ctx;

	return symbolizer__normalize(s->sym, pid, frames, n);
}

static void on_proc(void *ctx, uint32_t type, pid_t pid, uint32_t aux, uint64_t ts)
{
	struct stream *s = ctx;

	(void)aux;
	(void)ts;
	if (type == LEAKD_EV_FORK)
		tables__add_proc(s->t, pid, 1);
	else if (type == LEAKD_EV_EXIT)
		tables__remove_proc(s->t, pid);
}

/*
 * The mapping level adds up: the process's figures are its mappings' (the brk
 * heap's pieces apart, reservations apart), each stack's live bytes within them (a
 * figure run below zero would wrap far above); mappings stay sorted, disjoint and
 * non-empty; frames within their bound.  (Totals are not checked: lengths no
 * kernel reports may wrap them.)
 */
static void check_proc(const struct proc_mem *p)
{
	uint64_t bytes = 0, count = 0, reserved = 0, brk = 0, stacks = 0, brk_stacks = 0;
	uint32_t i;

	for (i = 0; i < p->nr_maps; i++) {
		const struct mapping *m = &p->maps[i];

		fuzz_assert(m->start < m->end);
		fuzz_assert(!i || p->maps[i - 1].end <= m->start);
		if (m->flags & LEAKD_MAP_RESERVED) {
			reserved += m->end - m->start;
		} else if (m->flags & MAPPING_BRK) {
			brk += m->end - m->start;
		} else {
			bytes += m->end - m->start;
			count++;
		}
	}
	fuzz_assert(bytes == p->map_bytes);
	fuzz_assert(count == p->map_count);
	fuzz_assert(reserved == p->reserved_bytes);
	for (i = 0; i < p->nr_stacks; i++) {
		const struct proc_stack *s = p->stacks[i];

		fuzz_assert(s->level[LEVEL_MAP].live_bytes <= p->map_bytes);
		fuzz_assert(!__builtin_add_overflow(stacks, s->level[LEVEL_MAP].live_bytes,
						    &stacks));
		fuzz_assert(s->level[LEVEL_BRK].live_bytes <= brk);
		fuzz_assert(!__builtin_add_overflow(brk_stacks, s->level[LEVEL_BRK].live_bytes,
						    &brk_stacks));
		fuzz_assert(s->level[LEVEL_HEAP].live_count <= s->level[LEVEL_HEAP].total_count);
		fuzz_assert(s->nr_frames <= LEAKD_MAX_FRAMES);
	}
	fuzz_assert(stacks <= p->map_bytes);
	fuzz_assert(brk_stacks <= brk);
	fuzz_assert(p->live_count <= p->total_allocs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct tables_limits limits = {
		.max_allocs = 256, .max_stacks = 64, .max_maps = 64,
	};
	static struct symbolizer *sym;
	struct stream s = { 0 };
	struct decoder_ops ops = { .normalize = normalize, .proc = on_proc, .ctx = &s };
	struct decoder dec;
	struct tables t;
	uint64_t records = 0;
	int i;

	if (!sym)
		sym = symbolizer__new(16);
	fuzz_assert(sym);
	fuzz_assert(tables__init(&t, &limits) == 0);
	s.t = &t;
	s.sym = sym;
	for (i = 0; i < NR_PROCS; i++)
		fuzz_assert(tables__add_proc(&t, FAKE_PID + i, 1));
	decoder__init(&dec, &t, &ops);
	while (size >= 2) {
		size_t n = (size_t)data[0] | (size_t)data[1] << 8;
		uint8_t *rec;
		int err;

		data += 2;
		size -= 2;
		if (n > size)
			n = size;
		/* A copy of exactly n bytes, so that any read past them is caught. */
		rec = malloc(n ? n : 1);
		fuzz_assert(rec);
		memcpy(rec, data, n);
		if (n >= sizeof(struct leakd_event_hdr)) {
			struct leakd_event_hdr *h = (void *)rec;

			h->pid = FAKE_PID + h->pid % NR_PROCS;
		}
		err = decoder__apply(&dec, rec, n);
		fuzz_assert(err == 0 || err == -EINVAL || err == -ESRCH);
		records++;
		free(rec);
		data += n;
		size -= n;
	}
	fuzz_assert(dec.stats.records == records);
	fuzz_assert(dec.stats.bad_records + dec.stats.unknown_pid <= records);
	for (i = 0; i < NR_PROCS; i++) {
		struct proc_mem *p = tables__proc(&t, FAKE_PID + i);

		if (p)
			check_proc(p);
	}
	fuzz_assert(t.nr_allocs <= limits.max_allocs);
	fuzz_assert(t.nr_maps <= limits.max_maps);
	tables__destroy(&t);
	for (i = 0; i < NR_PROCS; i++)
		symbolizer__forget_proc(sym, FAKE_PID + i);
	return 0;
}
