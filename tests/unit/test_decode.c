// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The event decoder on crafted records: each type applied to the tables, and
 * records that are short, truncated, of unknown types, misaligned or nonsensical
 * refused and counted without touching the tables.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect/decode.h"
#include "model/tables.h"
#include "testutil.h"

#define PID 4242
#define PAGE 4096

struct seen {
	uint32_t types[16];
	pid_t pids[16];
	uint32_t auxes[16];
	uint64_t tss[16];
	unsigned int n;
};

static void on_proc(void *ctx, uint32_t type, pid_t pid, uint32_t aux, uint64_t ts)
{
	struct seen *s = ctx;

	if (s->n < 16) {
		s->types[s->n] = type;
		s->auxes[s->n] = aux;
		s->tss[s->n] = ts;
		s->pids[s->n++] = pid;
	}
}

static struct tables t;
static struct decoder d;
static struct seen seen;

static void setup(void)
{
	struct tables_limits l = { .max_allocs = 1000, .max_stacks = 100, .max_maps = 100 };
	struct decoder_ops ops = { .proc = on_proc, .ctx = &seen };

	memset(&seen, 0, sizeof(seen));
	ck_assert_int_eq(tables__init(&t, &l), 0);
	ck_assert_ptr_nonnull(tables__add_proc(&t, PID, 1));
	decoder__init(&d, &t, &ops);
}

static void teardown(void)
{
	tables__destroy(&t);
}

static struct leakd_event_hdr hdr(uint32_t type, uint32_t aux)
{
	return (struct leakd_event_hdr){ .type = type, .pid = PID, .tid = PID, .aux = aux,
					 .ts = 1000 };
}

static struct leakd_alloc_event alloc_ev(uint64_t addr, uint64_t size, uint64_t stack)
{
	return (struct leakd_alloc_event){ .hdr = hdr(LEAKD_EV_ALLOC, LEAKD_FN_MALLOC),
					   .addr = addr, .size = size, .stack_id = stack };
}

static struct proc_mem *proc(void)
{
	return tables__proc(&t, PID);
}

START_TEST(alloc_and_free)
{
	struct leakd_alloc_event a = alloc_ev(0x1000, 100, 7);
	struct leakd_free_event f = { .hdr = hdr(LEAKD_EV_FREE, 0), .addr = 0x1000 };

	ck_assert_int_eq(decoder__apply(&d, &a, sizeof(a)), 0);
	a.addr = 0x2000;
	a.size = 50;
	ck_assert_int_eq(decoder__apply(&d, &a, sizeof(a)), 0);
	ck_assert_uint_eq(proc()->live_bytes, 150);
	ck_assert_uint_eq(proc()->live_count, 2);
	ck_assert_int_eq(decoder__apply(&d, &f, sizeof(f)), 0);
	ck_assert_uint_eq(proc()->live_bytes, 50);
	ck_assert_uint_eq(proc()->total_frees, 1);
	ck_assert_uint_eq(d.stats.records, 3);
	ck_assert_uint_eq(d.stats.bad_records, 0);
	/* What tracing sent, for the event budget: both allocations and the free. */
	ck_assert_uint_eq(proc()->trace_records, 3);
}
END_TEST

START_TEST(realloc_moves)
{
	struct leakd_alloc_event a = alloc_ev(0x1000, 100, 7);
	struct leakd_free_event b = { .hdr = hdr(LEAKD_EV_REALLOC_BEGIN, 0), .addr = 0x1000 };

	ck_assert_int_eq(decoder__apply(&d, &a, sizeof(a)), 0);
	ck_assert_int_eq(decoder__apply(&d, &b, sizeof(b)), 0);
	a = alloc_ev(0x3000, 300, 9);
	a.hdr.aux = LEAKD_FN_REALLOC;
	a.old_addr = 0x1000;
	ck_assert_int_eq(decoder__apply(&d, &a, sizeof(a)), 0);
	ck_assert_uint_eq(proc()->live_bytes, 300);
	ck_assert_uint_eq(proc()->live_count, 1);
	ck_assert_uint_eq(proc()->trace_records, 3);	/* a realloc's begin counts too */
}
END_TEST

/*
 * A weighted record (the kernel's sampler or an otel_memory probe): it stands for
 * weight bytes and weight / size blocks, an estimate apart from the exact figures,
 * and its free takes it back.
 */
START_TEST(weighted_alloc_estimated)
{
	struct leakd_alloc_event a = alloc_ev(0x1000, 100, 7);
	struct leakd_free_event f = { .hdr = hdr(LEAKD_EV_FREE, 0), .addr = 0x1000 };

	a.weight = 400;
	ck_assert_int_eq(decoder__apply(&d, &a, sizeof(a)), 0);
	a = alloc_ev(0x2000, 50, 7);	/* exact, beside it */
	ck_assert_int_eq(decoder__apply(&d, &a, sizeof(a)), 0);
	ck_assert(proc_mem__sampled(proc()));
	ck_assert_uint_eq(proc()->live_bytes, 50);
	ck_assert_uint_eq(proc()->live_count, 1);
	ck_assert_uint_eq(proc()->total_samples, 1);
	ck_assert_uint_eq(proc()->sampled.count, 1);
	ck_assert(proc()->live_est.bytes == 400);
	ck_assert(proc()->live_est.count == 4);
	ck_assert(proc()->live_est.var_bytes == 400.0 * 300);
	ck_assert(proc()->live_est.var_count == 4.0 * 3);
	ck_assert_int_eq(decoder__apply(&d, &f, sizeof(f)), 0);
	ck_assert_uint_eq(proc()->sampled.count, 0);
	ck_assert(proc()->live_est.bytes == 0);
	ck_assert(proc()->live_est.count == 0);
	ck_assert_uint_eq(proc()->live_bytes, 50);
	ck_assert_uint_eq(d.stats.bad_records, 0);
}
END_TEST

/* A sampled realloc frees the block it replaces; a weight below the size counts as the block. */
START_TEST(weighted_realloc_and_small_weight)
{
	struct leakd_alloc_event a = alloc_ev(0x1000, 100, 7);

	a.weight = 200;
	ck_assert_int_eq(decoder__apply(&d, &a, sizeof(a)), 0);
	a = alloc_ev(0x3000, 300, 9);
	a.hdr.aux = LEAKD_FN_REALLOC;
	a.old_addr = 0x1000;
	a.weight = 10;	/* below its size: it stands for itself */
	ck_assert_int_eq(decoder__apply(&d, &a, sizeof(a)), 0);
	ck_assert_uint_eq(proc()->sampled.count, 1);
	ck_assert(proc()->live_est.bytes == 300);
	ck_assert(proc()->live_est.count == 1);
	ck_assert(proc()->live_est.var_bytes == 0);
	ck_assert_uint_eq(proc()->total_samples, 2);
	ck_assert_uint_eq(d.stats.bad_records, 0);
}
END_TEST

START_TEST(stack_frames_kept)
{
	struct leakd_stack_event *s = calloc(1, sizeof(*s));
	struct leakd_alloc_event a = alloc_ev(0x1000, 100, 7);
	struct proc_stack *st;
	size_t size = offsetof(struct leakd_stack_event, frames) + 3 * sizeof(s->frames[0]);

	ck_assert_ptr_nonnull(s);
	s->hdr = hdr(LEAKD_EV_STACK, 3);
	s->stack_id = 7;
	s->flags = LEAKD_STACK_TRUNCATED;
	for (int i = 0; i < 3; i++)
		s->frames[i].pc = 0x400000 + i;
	ck_assert_int_eq(decoder__apply(&d, &a, sizeof(a)), 0);
	/* Only the frames it claims are sent: the record ends after them. */
	ck_assert_int_eq(decoder__apply(&d, s, size), 0);
	st = proc_mem__stack(proc(), 7);
	ck_assert_ptr_nonnull(st);
	ck_assert_uint_eq(st->nr_frames, 3);
	ck_assert_uint_eq(st->frames[2].pc, 0x400002);
	ck_assert(st->flags & STACK_HAS_FRAMES);
	ck_assert(st->flags & LEAKD_STACK_TRUNCATED);
	ck_assert_uint_eq(st->level[LEVEL_HEAP].live_bytes, 100);
	free(s);
}
END_TEST

START_TEST(stack_malformed)
{
	struct leakd_stack_event *s = calloc(1, sizeof(*s));
	size_t head = offsetof(struct leakd_stack_event, frames);

	ck_assert_ptr_nonnull(s);
	s->hdr = hdr(LEAKD_EV_STACK, 3);
	s->stack_id = 7;
	/* Truncated: three frames claimed, two sent. */
	ck_assert_int_eq(decoder__apply(&d, s, head + 2 * sizeof(s->frames[0])), -EINVAL);
	/* More frames than any stack has. */
	s->hdr.aux = LEAKD_MAX_FRAMES + 1;
	ck_assert_int_eq(decoder__apply(&d, s, sizeof(*s)), -EINVAL);
	s->hdr.aux = UINT32_MAX;
	ck_assert_int_eq(decoder__apply(&d, s, sizeof(*s)), -EINVAL);
	/* An id the kernel never makes. */
	s->hdr.aux = 1;
	s->stack_id = STACK_ID_PREEXISTING;
	ck_assert_int_eq(decoder__apply(&d, s, sizeof(*s)), -EINVAL);
	ck_assert_uint_eq(d.stats.bad_records, 4);
	ck_assert_uint_eq(proc()->nr_stacks, 0);
	free(s);
}
END_TEST

START_TEST(mappings_and_brk)
{
	struct leakd_map_event m = { .hdr = hdr(LEAKD_EV_MMAP, 0), .addr = 0x10000,
				     .len = 4 * PAGE, .stack_id = 11 };
	struct leakd_range_event u = { .hdr = hdr(LEAKD_EV_MUNMAP, 0), .addr = 0x10000,
				       .len = PAGE };
	struct leakd_range_event b = { .hdr = hdr(LEAKD_EV_BRK, 0), .addr = 0x500000,
				       .len = 132 * 1024 };
	struct leakd_range_event mb = { .hdr = hdr(LEAKD_EV_MREMAP_BEGIN, 0), .addr = 0x11000,
					.len = 3 * PAGE };
	struct leakd_mremap_event me = { .hdr = hdr(LEAKD_EV_MREMAP_END, 0),
					 .old_addr = 0x11000, .old_len = 3 * PAGE,
					 .new_addr = 0x80000, .new_len = 8 * PAGE };

	ck_assert_int_eq(decoder__apply(&d, &m, sizeof(m)), 0);
	ck_assert_uint_eq(proc()->map_bytes, 4 * PAGE);
	ck_assert_int_eq(decoder__apply(&d, &u, sizeof(u)), 0);
	ck_assert_uint_eq(proc()->map_bytes, 3 * PAGE);
	ck_assert_int_eq(decoder__apply(&d, &mb, sizeof(mb)), 0);
	ck_assert_int_eq(decoder__apply(&d, &me, sizeof(me)), 0);
	ck_assert_uint_eq(proc()->map_bytes, 8 * PAGE);
	ck_assert_int_eq(decoder__apply(&d, &b, sizeof(b)), 0);
	ck_assert_uint_eq(proc()->heap_bytes, 132 * 1024);
	ck_assert_uint_eq(proc()->heap_start, 0x500000);
	ck_assert_uint_eq(d.stats.bad_records, 0);
	/* The watch tier is not what the event budget caps. */
	ck_assert_uint_eq(proc()->trace_records, 0);
}
END_TEST

START_TEST(protect_and_discard)
{
	struct leakd_map_event r = { .hdr = hdr(LEAKD_EV_MMAP, LEAKD_MAP_RESERVED),
				     .addr = 0x1000000, .len = 16 * PAGE };
	struct leakd_map_event c = { .hdr = hdr(LEAKD_EV_PROTECT, 0), .addr = 0x1000000,
				     .len = 6 * PAGE, .stack_id = 13 };
	struct leakd_range_event x = { .hdr = hdr(LEAKD_EV_DISCARD, 4 /* MADV_DONTNEED */),
				       .addr = 0x1000000, .len = PAGE };
	struct leakd_map_event n = { .hdr = hdr(LEAKD_EV_PROTECT, LEAKD_MAP_RESERVED),
				     .addr = 0x1004000, .len = 2 * PAGE };
	struct proc_stack *st;

	/* A reservation is address space, not memory. */
	ck_assert_int_eq(decoder__apply(&d, &r, sizeof(r)), 0);
	ck_assert_uint_eq(proc()->map_bytes, 0);
	ck_assert_uint_eq(proc()->reserved_bytes, 16 * PAGE);
	/* Made accessible: committed, under the stack of the mprotect. */
	ck_assert_int_eq(decoder__apply(&d, &c, sizeof(c)), 0);
	ck_assert_uint_eq(proc()->map_bytes, 6 * PAGE);
	ck_assert_uint_eq(proc()->reserved_bytes, 10 * PAGE);
	st = proc_mem__stack(proc(), 13);
	ck_assert_ptr_nonnull(st);
	ck_assert_uint_eq(st->level[LEVEL_MAP].live_bytes, 6 * PAGE);
	/* Discarded by madvise, then made inaccessible again: neither counts. */
	ck_assert_int_eq(decoder__apply(&d, &x, sizeof(x)), 0);
	ck_assert_uint_eq(proc()->map_bytes, 5 * PAGE);
	ck_assert_uint_eq(proc()->reserved_bytes, 11 * PAGE);
	ck_assert_int_eq(decoder__apply(&d, &n, sizeof(n)), 0);
	ck_assert_uint_eq(proc()->map_bytes, 3 * PAGE);
	ck_assert_uint_eq(proc()->reserved_bytes, 13 * PAGE);
	ck_assert_uint_eq(st->level[LEVEL_MAP].live_bytes, 3 * PAGE);
	ck_assert_uint_eq(d.stats.bad_records, 0);
}
END_TEST

START_TEST(brk_move_by_stack)
{
	struct leakd_brk_event g = { .hdr = hdr(LEAKD_EV_BRK_MOVE, LEAKD_MAP_IN_ALLOCATOR),
				     .start = 0x500000, .old_end = 0x500000,
				     .new_end = 0x521000, .stack_id = 15 };
	struct proc_stack *st;

	ck_assert_int_eq(decoder__apply(&d, &g, sizeof(g)), 0);
	ck_assert_uint_eq(proc()->heap_start, 0x500000);
	ck_assert_uint_eq(proc()->heap_bytes, 0x21000);
	st = proc_mem__stack(proc(), 15);
	ck_assert_ptr_nonnull(st);
	ck_assert_uint_eq(st->level[LEVEL_BRK].live_bytes, 0x21000);
	/* Growth is not mapping-level memory: counted at its own level. */
	ck_assert_uint_eq(st->level[LEVEL_MAP].live_bytes, 0);
	ck_assert_uint_eq(proc()->map_bytes, 0);
	/* Grown again by another call, then shrunk back past it. */
	g.old_end = 0x521000;
	g.new_end = 0x542000;
	g.stack_id = 17;
	ck_assert_int_eq(decoder__apply(&d, &g, sizeof(g)), 0);
	ck_assert_uint_eq(proc()->heap_bytes, 0x42000);
	ck_assert_uint_eq(proc_mem__stack(proc(), 17)->level[LEVEL_BRK].live_bytes, 0x21000);
	g.old_end = 0x542000;
	g.new_end = 0x510000;
	g.stack_id = 0;
	g.hdr.aux = 0;
	ck_assert_int_eq(decoder__apply(&d, &g, sizeof(g)), 0);
	ck_assert_uint_eq(proc()->heap_bytes, 0x10000);
	ck_assert_uint_eq(proc_mem__stack(proc(), 17)->level[LEVEL_BRK].live_bytes, 0);
	ck_assert_uint_eq(st->level[LEVEL_BRK].live_bytes, 0x10000);
	ck_assert_uint_eq(d.stats.bad_records, 0);
}
END_TEST

START_TEST(watch_records_malformed)
{
	struct leakd_map_event c = { .hdr = hdr(LEAKD_EV_PROTECT, 0), .addr = 0x1000000,
				     .len = 6 * PAGE, .stack_id = 13 };
	struct leakd_range_event x = { .hdr = hdr(LEAKD_EV_DISCARD, 4), .addr = 0x1000000,
				       .len = PAGE };
	struct leakd_brk_event g = { .hdr = hdr(LEAKD_EV_BRK_MOVE, 0), .start = 0x500000,
				     .old_end = 0x500000, .new_end = 0x521000,
				     .stack_id = 15 };
	uint64_t bad = 0;

	/* Truncated: every size short of each whole record. */
	for (size_t k = 0; k < sizeof(c); k++, bad++)
		ck_assert_int_eq(decoder__apply(&d, &c, k), -EINVAL);
	for (size_t k = 0; k < sizeof(x); k++, bad++)
		ck_assert_int_eq(decoder__apply(&d, &x, k), -EINVAL);
	for (size_t k = 0; k < sizeof(g); k++, bad++)
		ck_assert_int_eq(decoder__apply(&d, &g, k), -EINVAL);
	/* Ranges that wrap, and a heap end below the heap's start. */
	c.addr = UINT64_MAX - PAGE + 1;
	ck_assert_int_eq(decoder__apply(&d, &c, sizeof(c)), -EINVAL);
	x.len = UINT64_MAX;
	ck_assert_int_eq(decoder__apply(&d, &x, sizeof(x)), -EINVAL);
	g.new_end = 0x400000;
	ck_assert_int_eq(decoder__apply(&d, &g, sizeof(g)), -EINVAL);
	g.new_end = 0x521000;
	g.old_end = 0x4ff000;
	ck_assert_int_eq(decoder__apply(&d, &g, sizeof(g)), -EINVAL);
	ck_assert_uint_eq(d.stats.bad_records, bad + 4);
	ck_assert_uint_eq(proc()->map_bytes, 0);
	ck_assert_uint_eq(proc()->nr_maps, 0);
	ck_assert_uint_eq(proc()->heap_bytes, 0);
	ck_assert_uint_eq(proc()->nr_stacks, 0);
}
END_TEST

START_TEST(stack_marks_rewalked)
{
	struct leakd_stack_event *s = calloc(1, sizeof(*s));
	struct leakd_alloc_event a = alloc_ev(0x1000, 100, 7);
	struct proc_stack *st;
	size_t size = offsetof(struct leakd_stack_event, frames) + 2 * sizeof(s->frames[0]);

	ck_assert_ptr_nonnull(s);
	s->hdr = hdr(LEAKD_EV_STACK, 2);
	s->stack_id = 7;
	s->flags = LEAKD_STACK_TABLE_PENDING;
	s->frames[0].pc = 0x400000;
	s->frames[1].pc = 0x400100;
	ck_assert_int_eq(decoder__apply(&d, &a, sizeof(a)), 0);
	ck_assert_int_eq(decoder__apply(&d, s, size), 0);
	st = proc_mem__stack(proc(), 7);
	ck_assert(st->flags & LEAKD_STACK_TABLE_PENDING);
	/* The same pcs cut short again: the mark stays. */
	ck_assert_int_eq(decoder__apply(&d, s, size), 0);
	ck_assert(st->flags & LEAKD_STACK_TABLE_PENDING);
	/* A complete walk of the same pcs: the mark goes, the frames stay. */
	s->flags = 0;
	ck_assert_int_eq(decoder__apply(&d, s, size), 0);
	ck_assert_uint_eq(st->flags & LEAKD_STACK_CUT_MARKS, 0);
	ck_assert(st->flags & STACK_HAS_FRAMES);
	ck_assert_uint_eq(st->nr_frames, 2);
	/* A later walk cut short adds no mark to a stack known complete. */
	s->flags = LEAKD_STACK_READ_FAILED;
	ck_assert_int_eq(decoder__apply(&d, s, size), 0);
	ck_assert_uint_eq(st->flags & LEAKD_STACK_CUT_MARKS, 0);
	ck_assert_uint_eq(d.stats.bad_records, 0);
	free(s);
}
END_TEST

START_TEST(ranges_that_wrap)
{
	struct leakd_map_event m = { .hdr = hdr(LEAKD_EV_MMAP, 0), .addr = UINT64_MAX - PAGE + 1,
				     .len = 2 * PAGE, .stack_id = 11 };
	struct leakd_range_event u = { .hdr = hdr(LEAKD_EV_MUNMAP, 0), .addr = 0x10000,
				       .len = UINT64_MAX };
	struct leakd_mremap_event me = { .hdr = hdr(LEAKD_EV_MREMAP_END, 0),
					 .old_addr = 0x11000, .old_len = PAGE,
					 .new_addr = UINT64_MAX, .new_len = 8 * PAGE };

	ck_assert_int_eq(decoder__apply(&d, &m, sizeof(m)), -EINVAL);
	ck_assert_int_eq(decoder__apply(&d, &u, sizeof(u)), -EINVAL);
	ck_assert_int_eq(decoder__apply(&d, &me, sizeof(me)), -EINVAL);
	ck_assert_uint_eq(d.stats.bad_records, 3);
	ck_assert_uint_eq(proc()->map_bytes, 0);
	ck_assert_uint_eq(proc()->nr_maps, 0);
}
END_TEST

START_TEST(short_and_unknown)
{
	struct leakd_alloc_event a = alloc_ev(0x1000, 100, 7);
	struct leakd_event_hdr h = hdr(0, 0);
	unsigned char none[1] = { 1 };

	/* Every size short of a whole record, for each sized type. */
	for (size_t n = 0; n < sizeof(a); n++)
		ck_assert_int_eq(decoder__apply(&d, &a, n), -EINVAL);
	ck_assert_int_eq(decoder__apply(&d, none, 0), -EINVAL);
	ck_assert_int_eq(decoder__apply(&d, none, sizeof(none)), -EINVAL);
	ck_assert_int_eq(decoder__apply(&d, &h, sizeof(h)), -EINVAL);
	h.type = LEAKD_EV_BRK_MOVE + 1;
	ck_assert_int_eq(decoder__apply(&d, &h, sizeof(h)), -EINVAL);
	h.type = UINT32_MAX;
	ck_assert_int_eq(decoder__apply(&d, &h, sizeof(h)), -EINVAL);
	ck_assert_uint_eq(d.stats.bad_records, sizeof(a) + 5);
	ck_assert_uint_eq(proc()->live_count, 0);
	ck_assert_uint_eq(seen.n, 0);
}
END_TEST

START_TEST(pid_zero_and_unknown_pid)
{
	struct leakd_alloc_event a = alloc_ev(0x1000, 100, 7);

	a.hdr.pid = 0;
	ck_assert_int_eq(decoder__apply(&d, &a, sizeof(a)), -EINVAL);
	a.hdr.pid = PID + 1;
	ck_assert_int_eq(decoder__apply(&d, &a, sizeof(a)), -ESRCH);
	ck_assert_uint_eq(d.stats.unknown_pid, 1);
	ck_assert_uint_eq(d.stats.bad_records, 1);
	ck_assert_uint_eq(proc()->live_count, 0);
}
END_TEST

START_TEST(misaligned_and_longer)
{
	struct leakd_alloc_event a = alloc_ev(0x1000, 100, 7);
	unsigned char *buf = malloc(sizeof(a) + 64);

	/* A record at an odd address, with trailing bytes: applied as it says. */
	ck_assert_ptr_nonnull(buf);
	memset(buf, 0xee, sizeof(a) + 64);
	memcpy(buf + 1, &a, sizeof(a));
	ck_assert_int_eq(decoder__apply(&d, buf + 1, sizeof(a) + 63), 0);
	ck_assert_uint_eq(proc()->live_bytes, 100);
	free(buf);
}
END_TEST

START_TEST(proc_events_told)
{
	struct leakd_alloc_event a = alloc_ev(0x1000, 100, 7);
	struct leakd_event_hdr f = hdr(LEAKD_EV_FORK, PID);
	struct leakd_event_hdr e = hdr(LEAKD_EV_EXEC, 0);
	struct leakd_event_hdr x = hdr(LEAKD_EV_EXIT, 0);
	struct leakd_event_hdr m = hdr(LEAKD_EV_MAP_EXEC, 0);

	m.ts = 123456789;	/* the pipeline tells apart what it read after it */
	f.pid = PID + 1;	/* the child: not in the tables yet */
	ck_assert_int_eq(decoder__apply(&d, &a, sizeof(a)), 0);
	ck_assert_int_eq(decoder__apply(&d, &f, sizeof(f)), 0);
	ck_assert_int_eq(decoder__apply(&d, &e, sizeof(e)), 0);
	/* Exec: the old image's figures are gone before the watcher hears of it. */
	ck_assert_uint_eq(proc()->live_count, 0);
	ck_assert_uint_eq(proc()->exec_count, 1);
	ck_assert_int_eq(decoder__apply(&d, &m, sizeof(m)), 0);
	ck_assert_int_eq(decoder__apply(&d, &x, sizeof(x)), 0);
	ck_assert(proc()->exited);
	ck_assert_uint_eq(seen.n, 4);
	ck_assert_uint_eq(seen.types[0], LEAKD_EV_FORK);
	ck_assert_int_eq(seen.pids[0], PID + 1);
	ck_assert_uint_eq(seen.auxes[0], PID);	/* the parent */
	ck_assert_uint_eq(seen.types[1], LEAKD_EV_EXEC);
	ck_assert_uint_eq(seen.types[2], LEAKD_EV_MAP_EXEC);
	ck_assert_uint_eq(seen.tss[2], 123456789);
	ck_assert_uint_eq(seen.types[3], LEAKD_EV_EXIT);
	/* A short header is no event at all. */
	ck_assert_int_eq(decoder__apply(&d, &x, sizeof(x) - 1), -EINVAL);
	ck_assert_uint_eq(seen.n, 4);
}
END_TEST

/*
 * A process the kernel held for a record must be resumed by whoever watches,
 * known to the tables or not: held exec and code mapping of an unknown pid are
 * told (and still counted as of an unknown pid); unheld ones are not; a held
 * fork's aux keeps its mark with the parent.
 */
START_TEST(held_records_told)
{
	struct leakd_event_hdr e = hdr(LEAKD_EV_EXEC, LEAKD_PROC_HELD);
	struct leakd_event_hdr m = hdr(LEAKD_EV_MAP_EXEC, LEAKD_PROC_HELD);
	struct leakd_event_hdr f = hdr(LEAKD_EV_FORK, PID | LEAKD_PROC_HELD);
	struct leakd_event_hdr u = hdr(LEAKD_EV_EXEC, 0);

	e.pid = m.pid = u.pid = PID + 1;
	f.pid = PID + 2;
	ck_assert_int_eq(decoder__apply(&d, &e, sizeof(e)), -ESRCH);
	ck_assert_int_eq(decoder__apply(&d, &m, sizeof(m)), -ESRCH);
	ck_assert_int_eq(decoder__apply(&d, &u, sizeof(u)), -ESRCH);
	ck_assert_int_eq(decoder__apply(&d, &f, sizeof(f)), 0);
	ck_assert_uint_eq(d.stats.unknown_pid, 3);
	ck_assert_uint_eq(seen.n, 3);
	ck_assert_uint_eq(seen.types[0], LEAKD_EV_EXEC);
	ck_assert_int_eq(seen.pids[0], PID + 1);
	ck_assert_uint_eq(seen.auxes[0], LEAKD_PROC_HELD);
	ck_assert_uint_eq(seen.types[1], LEAKD_EV_MAP_EXEC);
	ck_assert_uint_eq(seen.types[2], LEAKD_EV_FORK);
	ck_assert_uint_eq(seen.auxes[2], PID | LEAKD_PROC_HELD);
	/* A known process's held exec is applied as any exec. */
	e.pid = PID;
	ck_assert_int_eq(decoder__apply(&d, &e, sizeof(e)), 0);
	ck_assert_uint_eq(proc()->exec_count, 1);
	ck_assert_uint_eq(seen.n, 4);
}
END_TEST

/* An exit record's aux (whether the process was dumpable at its end) reaches the watcher. */
START_TEST(exit_dumpability_told)
{
	static const uint32_t modes[] = {
		LEAKD_EXIT_DUMP_UNKNOWN, LEAKD_EXIT_DUMP_MODE + 0, LEAKD_EXIT_DUMPABLE,
		LEAKD_EXIT_DUMP_MODE + 2,
	};
	struct leakd_event_hdr x;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		ck_assert_ptr_nonnull(tables__add_proc(&t, PID + 10 + i, 1));
		x = hdr(LEAKD_EV_EXIT, modes[i]);
		x.pid = PID + 10 + i;
		ck_assert_int_eq(decoder__apply(&d, &x, sizeof(x)), 0);
		ck_assert(tables__proc(&t, PID + 10 + i)->exited);
	}
	ck_assert_uint_eq(seen.n, 4);
	for (i = 0; i < 4; i++) {
		ck_assert_uint_eq(seen.types[i], LEAKD_EV_EXIT);
		ck_assert_int_eq(seen.pids[i], PID + 10 + i);
		ck_assert_uint_eq(seen.auxes[i], modes[i]);
	}
	ck_assert_uint_eq(d.stats.bad_records, 0);
}
END_TEST

START_TEST(random_bytes)
{
	unsigned char buf[sizeof(struct leakd_stack_event) + 16];
	struct leakd_event_hdr *h = (void *)buf;

	/* Noise with a valid header now and then: nothing crashes, every record counts. */
	srand(11);
	for (int i = 0; i < 20000; i++) {
		size_t n = rand() % sizeof(buf);

		for (size_t k = 0; k < n; k++)
			buf[k] = rand();
		if (n >= sizeof(*h) && i % 2) {
			h->type = 1 + rand() % LEAKD_EV_BRK_MOVE;
			h->pid = PID;
		}
		decoder__apply(&d, buf, n);
	}
	ck_assert_uint_eq(d.stats.records, 20000);
	ck_assert_uint_le(proc()->live_count, 1000);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("decode");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, alloc_and_free);
	tcase_add_test(tc, realloc_moves);
	tcase_add_test(tc, weighted_alloc_estimated);
	tcase_add_test(tc, weighted_realloc_and_small_weight);
	tcase_add_test(tc, stack_frames_kept);
	tcase_add_test(tc, stack_malformed);
	tcase_add_test(tc, mappings_and_brk);
	tcase_add_test(tc, protect_and_discard);
	tcase_add_test(tc, brk_move_by_stack);
	tcase_add_test(tc, watch_records_malformed);
	tcase_add_test(tc, stack_marks_rewalked);
	tcase_add_test(tc, ranges_that_wrap);
	tcase_add_test(tc, short_and_unknown);
	tcase_add_test(tc, pid_zero_and_unknown_pid);
	tcase_add_test(tc, misaligned_and_longer);
	tcase_add_test(tc, proc_events_told);
	tcase_add_test(tc, held_records_told);
	tcase_add_test(tc, exit_dumpability_told);
	tcase_add_test(tc, random_bytes);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
