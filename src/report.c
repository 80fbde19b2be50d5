// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "report.h"
#include "symbolize.h"
#include "tracer.h"
#include "util.h"


/* Row a ranks before row b. */
static bool before(const struct report_row *a, const struct report_row *b)
{
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes;
	if (a->count != b->count)
		return a->count > b->count;
	return a->stack->id < b->stack->id;
}

/* Min-heap on "before": the root is the weakest of the rows kept. */
static void sift_down(struct report_row *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct report_row t;

		if (l < n && before(&h[m], &h[l]))
			m = l;
		if (r < n && before(&h[m], &h[r]))
			m = r;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void sift_up(struct report_row *h, size_t i)
{
	while (i) {
		size_t parent = (i - 1) / 2;
		struct report_row t;

		if (!before(&h[parent], &h[i]))
			return;
		t = h[i];
		h[i] = h[parent];
		h[parent] = t;
		i = parent;
	}
}

static int cmp_rows(const void *a, const void *b)
{
	return before(a, b) ? -1 : before(b, a) ? 1 : 0;
}

int report__rank(const struct proc *p, uint32_t top, uint64_t min_age_ns, uint64_t now_ns,
		 struct report_row **ret_rows)
{
	uint64_t *aged = NULL;
	struct report_row *heap;
	size_t cap, n = 0, i;
	uint32_t k;

	cap = top && top < p->nr_stacks ? top : p->nr_stacks;
	heap = calloc(cap ? cap : 1, sizeof(*heap));
	if (!heap)
		return -ENOMEM;
	if (min_age_ns) {
		const struct alloc *a;

		/* Bytes and count per stack, of blocks old enough. */
		aged = calloc(p->nr_stacks ? 2 * p->nr_stacks : 1, sizeof(*aged));
		if (!aged) {
			free(heap);
			return -ENOMEM;
		}
		hashtab__for_each(&p->allocs, i, a) {
			if (a->stack >= p->nr_stacks || now_ns - a->ts < min_age_ns ||
			    a->ts > now_ns)
				continue;
			aged[2 * a->stack] += a->size;
			aged[2 * a->stack + 1]++;
		}
	}
	for (k = 0; k < p->nr_stacks; k++) {
		struct report_row r = { .stack = p->stacks[k] };

		r.bytes = aged ? aged[2 * k] : r.stack->level[LEVEL_HEAP].live_bytes;
		r.count = aged ? aged[2 * k + 1] : r.stack->level[LEVEL_HEAP].live_count;
		if (!r.count)
			continue;
		if (n < cap) {
			heap[n] = r;
			sift_up(heap, n++);
		} else if (before(&r, &heap[0])) {
			heap[0] = r;
			sift_down(heap, n, 0);
		}
	}
	free(aged);
	qsort(heap, n, sizeof(*heap), cmp_rows);
	*ret_rows = heap;
	return n;
}

bool report__incomplete(const struct report_meta *m, const struct proc *p)
{
	int i;

	for (i = 0; i < LEAKD_DROP__COUNT; i++)
		if (m->counters[i])
			return true;
	return m->missed_runs || p->losses.allocs_dropped || p->losses.stacks_merged;
}

/* Why a walk ended early, as the report words it. */
static const struct {
	uint32_t flag;
	const char *text, *name;
} stack_notes[] = {
	{ LEAKD_STACK_TRUNCATED, "deeper frames cut: depth limit", "truncated" },
	{ LEAKD_STACK_TABLE_PENDING, "cut short: an unwind table was not ready", "table_pending" },
	{ LEAKD_STACK_BAD_FRAME, "walk stopped at an implausible frame", "bad_frame" },
	{ LEAKD_STACK_READ_FAILED, "walk stopped: stack memory unreadable", "read_failed" },
};

/* The frame before an interrupted one is the kernel's signal trampoline. */
static void frame_text(FILE *f, struct symbolizer *s, const struct frame *fr, bool sigframe)
{
	const char *how = fr->flags & LEAKD_FRAME_FP ? " [by frame pointer]" : "";
	struct frame_desc d;

	symbolizer__describe(s, fr, &d);
	if (!d.function && sigframe)
		fprintf(f, "\t[signal handler called] (%s+0x%" PRIx64 ")%s\n",
			d.module ? d.module : "?", fr->offset, how);
	else if (d.function)
		fprintf(f, "\t%s+0x%" PRIx64 " (%s)%s\n", d.function, d.function_offset, d.module,
			how);
	else if (d.module)
		fprintf(f, "\t[unknown] (%s+0x%" PRIx64 ")%s\n", d.module, fr->offset, how);
	else
		fprintf(f, "\t[unknown] (0x%" PRIx64 ", unmapped)%s\n", fr->pc, how);
}

static void stack_text(FILE *f, const struct report_row *r, struct symbolizer *s)
{
	const struct stack *st = r->stack;
	uint32_t i;

	fprintf(f, "%" PRIu64 " bytes in %" PRIu64 " allocations from stack "
		   "(%" PRIu64 " allocated, %" PRIu64 " freed since tracing began)\n",
		r->bytes, r->count, st->level[LEVEL_HEAP].total_count,
		st->level[LEVEL_HEAP].freed_count);
	if (st->flags & STACK_OVERFLOW)
		fputs("\t[stacks past the stack table's limit]\n", f);
	else if (!(st->flags & STACK_HAS_FRAMES))
		fputs("\t[stack not captured]\n", f);
	for (i = 0; i < st->nr_frames; i++)
		frame_text(f, s, &st->frames[i],
			   i + 1 < st->nr_frames && (st->frames[i + 1].flags & LEAKD_FRAME_EXACT));
	for (i = 0; i < ARRAY_SIZE(stack_notes); i++)
		if (st->flags & stack_notes[i].flag)
			fprintf(f, "\t[%s]\n", stack_notes[i].text);
	fputc('\n', f);
}

static void losses_text(FILE *f, const struct report_meta *m, const struct proc *p)
{
	int i;

	fputs("  INCOMPLETE: events were lost:", f);
	for (i = 0; i < LEAKD_DROP__COUNT; i++)
		if (m->counters[i])
			fprintf(f, " %s=%" PRIu64, tracer__counter_name(i), m->counters[i]);
	if (m->missed_runs)
		fprintf(f, " bpf_missed_runs=%" PRIu64, m->missed_runs);
	if (p->losses.allocs_dropped)
		fprintf(f, " alloc_table_full=%" PRIu64, p->losses.allocs_dropped);
	if (p->losses.stacks_merged)
		fprintf(f, " stack_table_full=%" PRIu64, p->losses.stacks_merged);
	fputc('\n', f);
}

static void print_text(FILE *f, const struct report_opts *o, const struct report_meta *m,
		       const struct proc *p, struct symbolizer *s, const struct report_row *rows,
		       size_t n)
{
	char when[32], live[32];
	struct tm tm;
	size_t i;

	localtime_r(&m->wall, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	fprintf(f, "[%s] pid %" PRIu64 " (%s)%s%s%s: %s in %" PRIu64
		   " live allocations (%" PRIu64 " allocations, %" PRIu64 " frees traced)\n",
		when, p->pid, p->comm, m->final ? ", final report" : "", m->reason ? " at " : "",
		m->reason ? m->reason : "", fmt_bytes(p->live_bytes, live, sizeof(live)),
		p->live_count, p->total_allocs, p->total_frees);
	if (report__incomplete(m, p))
		losses_text(f, m, p);
	if (p->notes.unmatched_frees)
		fprintf(f, "  %" PRIu64 " frees of blocks not seen allocated (allocated before "
			   "tracing began, or freed again by the allocator itself)\n",
			p->notes.unmatched_frees);
	if (o->min_age_ns)
		fprintf(f, "  only allocations older than %.3f s\n", o->min_age_ns / 1e9);
	fprintf(f, "Top %zu stacks with outstanding allocations:\n\n", n);
	for (i = 0; i < n; i++)
		stack_text(f, &rows[i], s);
	fflush(f);
}

static void frame_json(struct json *j, struct symbolizer *s, const struct frame *fr)
{
	struct frame_desc d;

	symbolizer__describe(s, fr, &d);
	json_object_begin(j, NULL);
	json_hex(j, "pc", fr->pc);
	json_str(j, "function", d.function);
	if (d.function)
		json_u64(j, "function_offset", d.function_offset);
	json_str(j, "module", d.module);
	json_str(j, "unwound_by", fr->flags & LEAKD_FRAME_FP ? "frame_pointer" : "table");
	if (fr->flags & LEAKD_FRAME_EXACT)
		json_bool(j, "interrupted", true);
	if (d.module) {
		json_str(j, "path", d.module_path);
		json_hex(j, "offset", fr->offset);
		json_str(j, "build_id", d.build_id);
	}
	json_object_end(j);
}

static void print_json(FILE *f, const struct report_opts *o, const struct report_meta *m,
		       const struct proc *p, struct symbolizer *s, const struct report_row *rows,
		       size_t n)
{
	struct json j;
	size_t i;
	uint32_t k;
	int c;

	json_init(&j, f);
	json_object_begin(&j, NULL);
	json_str(&j, "type", "report");
	json_i64(&j, "time", m->wall);
	json_bool(&j, "final", m->final);
	json_str(&j, "reason", m->reason);
	json_u64(&j, "pid", p->pid);
	json_str(&j, "comm", p->comm);
	json_bool(&j, "complete", !report__incomplete(m, p));
	json_u64(&j, "min_age_ns", o->min_age_ns);
	json_u64(&j, "live_bytes", p->live_bytes);
	json_u64(&j, "live_allocs", p->live_count);
	json_u64(&j, "total_allocs", p->total_allocs);
	json_u64(&j, "total_frees", p->total_frees);
	json_u64(&j, "unmatched_frees", p->notes.unmatched_frees);
	json_u64(&j, "replaced_allocs", p->notes.replaced_allocs);
	json_u64(&j, "nr_stacks", p->nr_stacks);
	json_object_begin(&j, "counters");
	for (c = 0; c < LEAKD_CNT__COUNT; c++)
		json_u64(&j, tracer__counter_name(c), m->counters[c]);
	json_u64(&j, "bpf_missed_runs", m->missed_runs);
	json_u64(&j, "alloc_table_full", p->losses.allocs_dropped);
	json_u64(&j, "stack_table_full", p->losses.stacks_merged);
	json_object_end(&j);
	json_array_begin(&j, "stacks");
	for (i = 0; i < n; i++) {
		const struct stack *st = rows[i].stack;

		json_object_begin(&j, NULL);
		json_hex(&j, "id", st->id);
		json_u64(&j, "bytes", rows[i].bytes);
		json_u64(&j, "allocs", rows[i].count);
		json_u64(&j, "total_bytes", st->level[LEVEL_HEAP].total_bytes);
		json_u64(&j, "total_allocs", st->level[LEVEL_HEAP].total_count);
		json_u64(&j, "freed_bytes", st->level[LEVEL_HEAP].freed_bytes);
		json_u64(&j, "freed_allocs", st->level[LEVEL_HEAP].freed_count);
		json_bool(&j, "overflow", st->flags & STACK_OVERFLOW);
		json_array_begin(&j, "cut");
		for (k = 0; k < ARRAY_SIZE(stack_notes); k++)
			if (st->flags & stack_notes[k].flag)
				json_str(&j, NULL, stack_notes[k].name);
		json_array_end(&j);
		json_array_begin(&j, "frames");
		for (k = 0; k < st->nr_frames; k++)
			frame_json(&j, s, &st->frames[k]);
		json_array_end(&j);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	fflush(f);
}

int report__print(FILE *f, const struct report_opts *o, const struct report_meta *m,
		  const struct proc *p, struct symbolizer *s)
{
	struct report_row *rows;
	int n;

	n = report__rank(p, o->top, o->min_age_ns, m->now_ns, &rows);
	if (n < 0)
		return n;
	if (o->json)
		print_json(f, o, m, p, s, rows, n);
	else
		print_text(f, o, m, p, s, rows, n);
	free(rows);
	return ferror(f) ? -EIO : 0;
}
