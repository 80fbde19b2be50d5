// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The restart state file: what is written is read back the same (tables, frames
 * with their modules, rules, exit summaries), and bad input (truncated, bytes
 * flipped, wrong magic, version or sizes) is refused with a reason, leaves the
 * tables as they were, and never crashes.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/fnv.h"
#include "base/wire.h"
#include "model/tables.h"
#include "present/snapshot.h"
#include "serve/handover.h"
#include "stacks/symbolize.h"

#define PID 4242
#define HEADER 56

static const struct tables_limits limits = { 1 << 16, 1 << 12, 1 << 12 };

/* A traced process with a bit of everything, and a handover naming it. */
static void fill(struct tables *t, struct symbolizer *sym, struct handover *h)
{
	struct proc_mem *p = tables__add_proc(t, PID, 987654);
	struct stack_frame *fr = calloc(2, sizeof(*fr));
	struct proc_stack *s;
	struct frame_snap *fs;
	uint32_t m;

	ck_assert_ptr_nonnull(p);
	snprintf(p->comm, sizeof(p->comm), "leaker");
	m = symbolizer__restore_module(sym, 0, 0, "[vdso]");
	ck_assert_uint_gt(m, 0);
	fr[0] = (struct stack_frame){ .pc = 0x1000, .offset = 0x10, .module = m };
	fr[1] = (struct stack_frame){ .pc = 0x2000, .offset = 0x20, .module = 0 };
	s = proc_mem__stack(p, 0x51);
	stack__set_frames(s, fr, 2, 0);
	proc_mem__alloc(p, 1, LEAKD_FN_MALLOC, 0xa000, 100, 0x51, 0, 5);
	proc_mem__alloc(p, 1, LEAKD_FN_MALLOC, 0xb000, 200, 0x51, 0, 6);
	proc_mem__alloc(p, 1, LEAKD_FN_CALLOC, 0xc000, 300, 0x61, 0, 7);
	proc_mem__dealloc(p, 1, 0xb000);
	proc_mem__alloc_sampled(p, LEAKD_FN_MALLOC, 0xd000, 64, 4096, 0x61, 0, 8);
	proc_mem__mmap(p, 0x100000, 0x4000, 0x71, 0, 9);
	proc_mem__mmap(p, 0x200000, 0x2000, 0x71, 0, 10);
	proc_mem__realloc_begin(p, 2, 0xa000);

	memset(h, 0, sizeof(*h));
	h->saved_ns = 11;
	h->deadline_ns = 22;
	h->drops = 33;
	h->exit_seq = 44;
	h->procs = calloc(1, sizeof(*h->procs));
	h->procs[0] = (struct handover_proc){ .pid = PID, .start_time = 987654, .uid = 1000,
					       .traced = TRACE_KIND_MANUAL, .trace_until = 55,
					       .sample = 524288, .slot = 3, .interval = 1048576,
					       .ever_traced = true, .injected = true, .nr_objs = 1 };
	snprintf(h->procs[0].cgroup, sizeof(h->procs[0].cgroup), "/user.slice");
	h->procs[0].objs = calloc(1, sizeof(*h->procs[0].objs));
	h->procs[0].objs[0] = (struct tracer_pinned){ .dev = 8, .inode = 99, .nr_links = 3,
						      .info = { .path = "/lib/libc.so.6",
								.nr_sites = 10, .nr_emulated = 2,
								.usdt = true } };
	h->nr_procs = 1;
	h->rules = calloc(2, sizeof(*h->rules));
	h->rules[0] = (struct handover_rule){ .comm = "nginx", .owner = 0, .until = 66,
					      .sample = 524288 };
	h->rules[1] = (struct handover_rule){ .unit = "web.service", .owner = 1000,
					      .owner_gid = 1000 };
	h->nr_rules = 2;
	h->exits = calloc(1, sizeof(*h->exits));
	h->exits[0].s = (struct exit_snap){ .pid = 77, .comm = "gone", .uid = 5, .exited = 1234,
					    .traced = true, .heap_bytes = 100, .heap_allocs = 2,
					    .map_bytes = 4096 };
	h->exits[0].rank = 3;
	h->exits[0].seq = 9;
	h->nr_exits = 1;
	h->exits[0].s.stacks.v = calloc(1, sizeof(struct stack_snap));
	h->exits[0].s.stacks.n = 1;
	h->exits[0].s.stacks.v[0] = (struct stack_snap){ .pid = 77, .level = LEVEL_HEAP,
							 .id = 0x51, .bytes = 100, .count = 2,
							 .nr_frames = 1 };
	fs = calloc(1, sizeof(*fs));
	fs->pc = 0x1000;
	fs->real.function = strdup("leak_here");
	fs->module = strdup("leaker");
	h->exits[0].s.stacks.v[0].frames = fs;
}

static void encode(struct tables *t, struct symbolizer *sym, struct handover *h, struct wbuf *w)
{
	tables__init(t, &limits);
	fill(t, sym, h);
	wbuf__init(w, HANDOVER_MAX_BYTES);
	ck_assert_int_eq(handover__encode(h, t, sym, w), 0);
}

/* The checksum made to match again after a change, so that the fields are checked. */
static void reseal(uint8_t *buf, size_t n)
{
	uint64_t sum = fnv_bytes(FNV_OFFSET, buf + HEADER, n - HEADER), len = n - HEADER;

	memcpy(buf + 40, &len, 8);
	memcpy(buf + 48, &sum, 8);
}

START_TEST(round_trip)
{
	struct symbolizer *sym = symbolizer__new(64), *sym2 = symbolizer__new(64);
	struct tables t, t2;
	struct handover h, h2;
	const char *why = NULL;
	struct proc_mem *a, *b;
	struct wbuf w;
	uint32_t i;

	encode(&t, sym, &h, &w);
	tables__init(&t2, &limits);
	/* Another module first: ids differ in the reader, frames must follow. */
	symbolizer__restore_module(sym2, 0, 0, "[other]");
	ck_assert_msg(handover__decode(w.p, w.n, &t2, sym2, &h2, &why) == 0, "refused: %s", why);
	a = tables__proc(&t, PID);
	b = tables__proc(&t2, PID);
	ck_assert_ptr_nonnull(b);
	ck_assert_str_eq(b->comm, "leaker");
	ck_assert_uint_eq(b->start_time, 987654);
	ck_assert_uint_eq(b->live_bytes, a->live_bytes);
	ck_assert_uint_eq(b->live_count, a->live_count);
	ck_assert_uint_eq(b->total_allocs, a->total_allocs);
	ck_assert_uint_eq(b->total_frees, a->total_frees);
	ck_assert_uint_eq(b->allocs.count, a->allocs.count);
	ck_assert_uint_eq(b->sampled.count, 1);
	ck_assert_uint_eq(b->parked.count, 1);
	ck_assert(b->live_est.bytes == a->live_est.bytes);
	ck_assert_uint_eq(b->map_bytes, a->map_bytes);
	ck_assert_uint_eq(b->nr_maps, 2);
	ck_assert_uint_eq(b->nr_stacks, a->nr_stacks);
	ck_assert_uint_eq(t2.nr_allocs, t.nr_allocs);
	ck_assert_uint_eq(t2.nr_maps, t.nr_maps);
	for (i = 0; i < a->nr_stacks; i++) {
		ck_assert_uint_eq(b->stacks[i]->id, a->stacks[i]->id);
		ck_assert_mem_eq(b->stacks[i]->level, a->stacks[i]->level,
				 sizeof(a->stacks[i]->level));
		ck_assert_uint_eq(b->stacks[i]->nr_frames, a->stacks[i]->nr_frames);
	}
	/* The module id is the reader's, and names the same module. */
	{
		struct proc_stack *s = b->stacks[0];
		uint64_t dev, inode;
		const char *path;

		ck_assert_uint_eq(s->nr_frames, 2);
		ck_assert_uint_ne(s->frames[0].module, a->stacks[0]->frames[0].module);
		ck_assert_int_eq(symbolizer__module(sym2, s->frames[0].module, &dev, &inode, &path),
				 0);
		ck_assert_str_eq(path, "[vdso]");
		ck_assert_uint_eq(s->frames[1].module, 0);
	}
	ck_assert_uint_eq(h2.saved_ns, 11);
	ck_assert_uint_eq(h2.deadline_ns, 22);
	ck_assert_uint_eq(h2.drops, 33);
	ck_assert_uint_eq(h2.exit_seq, 44);
	ck_assert_uint_eq(h2.nr_procs, 1);
	ck_assert_uint_eq(h2.procs[0].pid, PID);
	ck_assert_uint_eq(h2.procs[0].traced, TRACE_KIND_MANUAL);
	ck_assert_uint_eq(h2.procs[0].sample, 524288);
	ck_assert_uint_eq(h2.procs[0].slot, 3);
	ck_assert_uint_eq(h2.procs[0].interval, 1048576);
	ck_assert_str_eq(h2.procs[0].cgroup, "/user.slice");
	ck_assert_uint_eq(h2.procs[0].nr_objs, 1);
	ck_assert_str_eq(h2.procs[0].objs[0].info.path, "/lib/libc.so.6");
	ck_assert_uint_eq(h2.procs[0].objs[0].nr_links, 3);
	ck_assert(h2.procs[0].objs[0].info.usdt);
	ck_assert(h2.procs[0].injected && !h2.procs[0].inert);
	ck_assert_uint_eq(h2.nr_rules, 2);
	ck_assert_str_eq(h2.rules[0].comm, "nginx");
	ck_assert_uint_eq(h2.rules[0].until, 66);
	ck_assert_uint_eq(h2.rules[0].sample, 524288);
	ck_assert_uint_eq(h2.rules[1].sample, 0);
	ck_assert_str_eq(h2.rules[1].unit, "web.service");
	ck_assert_uint_eq(h2.nr_exits, 1);
	ck_assert_str_eq(h2.exits[0].s.comm, "gone");
	ck_assert_uint_eq(h2.exits[0].s.heap_bytes, 100);
	ck_assert_uint_eq(h2.exits[0].rank, 3);
	ck_assert_uint_eq(h2.exits[0].s.stacks.n, 1);
	ck_assert_uint_eq(h2.exits[0].s.stacks.v[0].bytes, 100);
	ck_assert_str_eq(h2.exits[0].s.stacks.v[0].frames[0].real.function, "leak_here");

	handover__destroy(&h);
	handover__destroy(&h2);
	wbuf__destroy(&w);
	tables__destroy(&t);
	tables__destroy(&t2);
	symbolizer__free(sym);
	symbolizer__free(sym2);
}
END_TEST

/* Decodes buf into empty tables: refused (with a reason, tables empty) or whole. */
static int try_decode(const uint8_t *buf, size_t n)
{
	struct symbolizer *sym = symbolizer__new(64);
	struct handover h;
	const char *why = NULL;
	struct tables t;
	int err;

	tables__init(&t, &limits);
	err = handover__decode(buf, n, &t, sym, &h, &why);
	if (err) {
		ck_assert_ptr_nonnull(why);
		ck_assert_uint_eq(t.procs.count, 0);
		ck_assert_uint_eq(t.nr_allocs, 0);
		ck_assert_uint_eq(t.nr_stacks, 0);
		ck_assert_uint_eq(t.nr_maps, 0);
	} else {
		handover__destroy(&h);
	}
	tables__destroy(&t);
	symbolizer__free(sym);
	return err;
}

START_TEST(truncated)
{
	struct symbolizer *sym = symbolizer__new(64);
	struct handover h;
	struct tables t;
	struct wbuf w;
	uint8_t *copy;
	size_t n;

	encode(&t, sym, &h, &w);
	copy = malloc(w.n);
	for (n = 0; n < w.n; n++) {
		memcpy(copy, w.p, n);
		ck_assert_int_eq(try_decode(copy, n), -EINVAL);
		/* The header says the shorter length: the records themselves must tell. */
		if (n > HEADER) {
			reseal(copy, n);
			ck_assert_int_eq(try_decode(copy, n), -EINVAL);
		}
	}
	ck_assert_int_eq(try_decode(w.p, w.n), 0);
	free(copy);
	handover__destroy(&h);
	wbuf__destroy(&w);
	tables__destroy(&t);
	symbolizer__free(sym);
}
END_TEST

START_TEST(flipped)
{
	struct symbolizer *sym = symbolizer__new(64);
	struct handover h;
	struct tables t;
	struct wbuf w;
	uint8_t *copy;
	size_t i;
	int bit, refused = 0;

	encode(&t, sym, &h, &w);
	copy = malloc(w.n);
	for (i = 0; i < w.n; i++) {
		for (bit = 0; bit < 8; bit += 3) {
			memcpy(copy, w.p, w.n);
			copy[i] ^= 1u << bit;
			/* Without resealing the checksum refuses any change to the payload. */
			if (i >= HEADER)
				ck_assert_int_eq(try_decode(copy, w.n), -EINVAL);
			reseal(copy, w.n);
			refused += try_decode(copy, w.n) != 0;
		}
	}
	/* Counts, lengths, ids and ranks are checked: many a flip is refused. */
	ck_assert_int_gt(refused, 50);
	free(copy);
	handover__destroy(&h);
	wbuf__destroy(&w);
	tables__destroy(&t);
	symbolizer__free(sym);
}
END_TEST

START_TEST(header_checks)
{
	struct symbolizer *sym = symbolizer__new(64);
	struct handover h;
	struct tables t;
	struct wbuf w;
	uint8_t *copy;
	uint32_t v;

	encode(&t, sym, &h, &w);
	copy = malloc(w.n + 8);
	memcpy(copy, w.p, w.n);
	copy[0] = 'X';
	ck_assert_int_eq(try_decode(copy, w.n), -EINVAL);
	memcpy(copy, w.p, w.n);
	v = HANDOVER_VERSION + 1;
	memcpy(copy + 8, &v, 4);
	ck_assert_int_eq(try_decode(copy, w.n), -ESTALE);
	memcpy(copy, w.p, w.n);
	v = LEAKD_HANDOVER_ABI + 1;
	memcpy(copy + 12, &v, 4);
	ck_assert_int_eq(try_decode(copy, w.n), -ESTALE);
	memcpy(copy, w.p, w.n);
	copy[16] ^= 1;			/* another boot */
	ck_assert_int_eq(try_decode(copy, w.n), -ESTALE);
	/* Bytes past the last record, the checksum made to cover them. */
	memcpy(copy, w.p, w.n);
	memset(copy + w.n, 0, 8);
	reseal(copy, w.n + 8);
	ck_assert_int_eq(try_decode(copy, w.n + 8), -EINVAL);
	free(copy);
	handover__destroy(&h);
	wbuf__destroy(&w);
	tables__destroy(&t);
	symbolizer__free(sym);
}
END_TEST

/* Fewer room in the reader's tables than blocks saved: dropped and counted, not refused. */
START_TEST(limits_count)
{
	struct symbolizer *sym = symbolizer__new(64), *sym2 = symbolizer__new(64);
	struct tables_limits small = { 1, 1 << 12, 1 << 12 };
	struct handover h, h2;
	struct tables t, t2;
	const char *why;
	struct proc_mem *p;
	struct wbuf w;

	encode(&t, sym, &h, &w);
	tables__init(&t2, &small);
	ck_assert_int_eq(handover__decode(w.p, w.n, &t2, sym2, &h2, &why), 0);
	p = tables__proc(&t2, PID);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_le(t2.nr_allocs, 1);
	ck_assert_uint_gt(p->losses.allocs_dropped, 0);
	ck_assert_uint_eq(p->live_count, p->allocs.count + p->parked.count);
	handover__destroy(&h);
	handover__destroy(&h2);
	wbuf__destroy(&w);
	tables__destroy(&t);
	tables__destroy(&t2);
	symbolizer__free(sym);
	symbolizer__free(sym2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("handover");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, flipped);
	tcase_add_test(tc, header_checks);
	tcase_add_test(tc, limits_count);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
