// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "present/report.h"
#include "stacks/symbolize.h"
#include "collect/tracer.h"
#include "base/macros.h"
#include "base/clock.h"
#include "base/units.h"


/* Row a ranks before row b. */
static bool before(const struct report_row *a, const struct report_row *b)
{
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes;
	if (a->count != b->count)
		return a->count > b->count;
	if (a->stack->id != b->stack->id)
		return a->stack->id < b->stack->id;
	return a->proc && b->proc && a->proc->pid < b->proc->pid;
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

int ranking__init(struct ranking *r, size_t top, uint64_t min_age_ns, uint64_t now_ns)
{
	memset(r, 0, sizeof(*r));
	r->cap = top;
	r->min_age_ns = min_age_ns;
	r->now_ns = now_ns;
	r->alloc = top ? top : 64;
	r->rows = calloc(r->alloc, sizeof(*r->rows));
	return r->rows ? 0 : -ENOMEM;
}

void ranking__destroy(struct ranking *r)
{
	free(r->rows);
	r->rows = NULL;
	r->n = 0;
}

static int offer(struct ranking *r, const struct report_row *row)
{
	if (r->cap && r->n == r->cap) {
		if (before(row, &r->rows[0])) {
			r->rows[0] = *row;
			sift_down(r->rows, r->n, 0);
		}
		return 0;
	}
	if (r->n == r->alloc) {
		struct report_row *nr = realloc(r->rows, 2 * r->alloc * sizeof(*nr));

		if (!nr)
			return -ENOMEM;
		r->rows = nr;
		r->alloc *= 2;
	}
	r->rows[r->n] = *row;
	sift_up(r->rows, r->n++);
	return 0;
}

/* Bytes and count per stack of what is old enough: one pass over the level's data. */
static uint64_t *aged_figures(const struct ranking *r, const struct proc_mem *p, enum level l)
{
	uint64_t *aged = calloc(p->nr_stacks ? 2 * p->nr_stacks : 1, sizeof(*aged));
	const struct live_alloc *a;
	uint32_t i;
	size_t k;

	if (!aged)
		return NULL;
	if (l == LEVEL_HEAP) {
		hashtab__for_each(&p->allocs, k, a) {
			if (a->stack >= p->nr_stacks || a->ts > r->now_ns ||
			    r->now_ns - a->ts < r->min_age_ns)
				continue;
			aged[2 * a->stack] += a->size;
			aged[2 * a->stack + 1]++;
		}
		return aged;
	}
	for (i = 0; i < p->nr_maps; i++) {
		const struct mapping *m = &p->maps[i];

		if (m->stack >= p->nr_stacks || (m->flags & LEAKD_MAP_RESERVED) ||
		    m->ts > r->now_ns || r->now_ns - m->ts < r->min_age_ns)
			continue;
		aged[2 * m->stack] += m->end - m->start;
		aged[2 * m->stack + 1]++;
	}
	return aged;
}

int ranking__add(struct ranking *r, const struct proc_mem *p, enum level l)
{
	uint64_t *aged = NULL;
	uint32_t k;
	int err = 0;

	if (r->min_age_ns) {
		aged = aged_figures(r, p, l);
		if (!aged)
			return -ENOMEM;
	}
	for (k = 0; k < p->nr_stacks && !err; k++) {
		struct report_row row = { .proc = p, .stack = p->stacks[k], .level = l };

		row.bytes = aged ? aged[2 * k] : row.stack->level[l].live_bytes;
		row.count = aged ? aged[2 * k + 1] : row.stack->level[l].live_count;
		if (row.count)
			err = offer(r, &row);
	}
	free(aged);
	return err;
}

size_t ranking__finish(struct ranking *r)
{
	qsort(r->rows, r->n, sizeof(*r->rows), cmp_rows);
	return r->n;
}

int report__rank(const struct proc_mem *p, uint32_t top, uint64_t min_age_ns, uint64_t now_ns,
		 struct report_row **ret_rows)
{
	struct ranking r;
	int err;

	err = ranking__init(&r, top, min_age_ns, now_ns);
	if (!err)
		err = ranking__add(&r, p, LEVEL_HEAP);
	if (err) {
		ranking__destroy(&r);
		return err;
	}
	*ret_rows = r.rows;
	return ranking__finish(&r);
}

bool report__incomplete(const struct report_meta *m, const struct proc_mem *p)
{
	int i;

	for (i = 0; i < LEAKD_DROP__COUNT; i++)
		if (m->counters[i])
			return true;
	return m->missed_runs || p->losses.allocs_dropped || p->losses.stacks_merged ||
	       p->losses.maps_dropped;
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

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static void where_text(FILE *f, const struct frame_desc *d)
{
	if (d->file && d->line)
		fprintf(f, " %s:%d", base_name(d->file), d->line);
}

/* The frame before an interrupted one is the kernel's signal trampoline. */
static void frame_text(FILE *f, struct symbolizer *s, const struct stack_frame *fr, bool sigframe)
{
	const char *how = fr->flags & LEAKD_FRAME_FP ? " [by frame pointer]" : "";
	struct frame_desc d[SYMBOLIZE_MAX_CHAIN], *real;
	int n, i;

	n = symbolizer__describe(s, fr, d, SYMBOLIZE_MAX_CHAIN);
	for (i = 0; i + 1 < n; i++) {
		fprintf(f, "\t%s (inlined)", d[i].function ? d[i].function : "[unknown]");
		where_text(f, &d[i]);
		fputc('\n', f);
	}
	real = &d[n - 1];
	if (!real->function && sigframe)
		fprintf(f, "\t[signal handler called] (%s+0x%" PRIx64 ")", real->module ? real->module : "?",
			fr->offset);
	else if (real->function)
		fprintf(f, "\t%s+0x%" PRIx64 " (%s)", real->function, real->function_offset,
			real->module);
	else if (real->module)
		fprintf(f, "\t[unknown] (%s+0x%" PRIx64 ")", real->module, fr->offset);
	else
		fprintf(f, "\t[unknown] (0x%" PRIx64 ", unmapped)", fr->pc);
	where_text(f, real);
	fprintf(f, "%s\n", how);
}

static const char *const level_names[LEVEL__COUNT] = {
	[LEVEL_HEAP] = "heap",
	[LEVEL_MAP] = "mapping",
};

void report__row_text(FILE *f, struct symbolizer *s, const struct report_row *r, bool with_proc)
{
	const struct proc_stack *st = r->stack;
	const struct stack_stats *ss = &st->level[r->level];
	uint32_t i;

	if (with_proc)
		fprintf(f, "pid %" PRIu64 " (%s), %s: ", r->proc->pid, r->proc->comm,
			level_names[r->level]);
	fprintf(f, "%" PRIu64 " bytes in %" PRIu64 " %s from stack "
		   "(%" PRIu64 " %s, %" PRIu64 " freed since tracing began)\n",
		r->bytes, r->count, r->level == LEVEL_HEAP ? "allocations" : "mappings",
		ss->total_count, r->level == LEVEL_HEAP ? "allocated" : "mapped",
		ss->freed_count);
	if (st->flags & STACK_OVERFLOW)
		fputs("\t[stacks past the stack table's limit]\n", f);
	else if (st->id == STACK_ID_PREEXISTING)
		fputs("\t[mapped before leakd began watching]\n", f);
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

static void losses_text(FILE *f, const struct report_meta *m, const struct proc_mem *p)
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
	if (p->losses.maps_dropped)
		fprintf(f, " mapping_table_full=%" PRIu64, p->losses.maps_dropped);
	fputc('\n', f);
}

static void print_text(FILE *f, const struct report_opts *o, const struct report_meta *m,
		       const struct proc_mem *p, struct symbolizer *s, const struct report_row *rows,
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
	if (p->weighted_allocs)
		fprintf(f, "  estimated: %" PRIu64 " of the allocations are samples that stand for "
			   "more (bytes and counts are estimates)\n", p->weighted_allocs);
	if (p->notes.unmatched_frees)
		fprintf(f, "  %" PRIu64 " frees of blocks not seen allocated (allocated before "
			   "tracing began, or freed again by the allocator itself)\n",
			p->notes.unmatched_frees);
	if (o->min_age_ns)
		fprintf(f, "  only allocations older than %.3f s\n", o->min_age_ns / 1e9);
	fprintf(f, "Top %zu stacks with outstanding allocations:\n\n", n);
	for (i = 0; i < n; i++)
		report__row_text(f, s, &rows[i], false);
	fflush(f);
}

static void where_json(struct json *j, const struct frame_desc *d)
{
	if (!d->file)
		return;
	json_str(j, "file", d->file);
	json_i64(j, "line", d->line);
	if (d->column)
		json_i64(j, "column", d->column);
}

static void frame_json(struct json *j, struct symbolizer *s, const struct stack_frame *fr)
{
	struct frame_desc d[SYMBOLIZE_MAX_CHAIN], *real;
	int n, i;

	n = symbolizer__describe(s, fr, d, SYMBOLIZE_MAX_CHAIN);
	real = &d[n - 1];
	json_object_begin(j, NULL);
	json_hex(j, "pc", fr->pc);
	json_str(j, "function", real->function);
	if (real->function)
		json_u64(j, "function_offset", real->function_offset);
	where_json(j, real);
	json_str(j, "module", real->module);
	json_str(j, "unwound_by", fr->flags & LEAKD_FRAME_FP ? "frame_pointer" : "table");
	if (fr->flags & LEAKD_FRAME_EXACT)
		json_bool(j, "interrupted", true);
	if (real->jit)
		json_bool(j, "jit", true);
	if (real->module && !real->jit) {
		json_str(j, "path", real->module_path);
		json_hex(j, "offset", fr->offset);
		json_str(j, "build_id", real->build_id);
	}
	if (n > 1) {
		/* Functions inlined at this pc, the innermost first. */
		json_array_begin(j, "inlined");
		for (i = 0; i + 1 < n; i++) {
			json_object_begin(j, NULL);
			json_str(j, "function", d[i].function);
			where_json(j, &d[i]);
			json_object_end(j);
		}
		json_array_end(j);
	}
	json_object_end(j);
}

void report__row_json(struct json *j, struct symbolizer *s, const struct report_row *r)
{
	const struct proc_stack *st = r->stack;
	const struct stack_stats *ss = &st->level[r->level];
	uint32_t k;

	json_object_begin(j, NULL);
	if (r->proc) {
		json_u64(j, "pid", r->proc->pid);
		json_str(j, "comm", r->proc->comm);
	}
	json_str(j, "level", level_names[r->level]);
	json_hex(j, "id", st->id);
	json_u64(j, "bytes", r->bytes);
	json_u64(j, r->level == LEVEL_HEAP ? "allocs" : "mappings", r->count);
	json_u64(j, "total_bytes", ss->total_bytes);
	json_u64(j, "total_count", ss->total_count);
	json_u64(j, "freed_bytes", ss->freed_bytes);
	json_u64(j, "freed_count", ss->freed_count);
	json_bool(j, "overflow", st->flags & STACK_OVERFLOW);
	json_bool(j, "preexisting", st->id == STACK_ID_PREEXISTING);
	json_array_begin(j, "cut");
	for (k = 0; k < ARRAY_SIZE(stack_notes); k++)
		if (st->flags & stack_notes[k].flag)
			json_str(j, NULL, stack_notes[k].name);
	json_array_end(j);
	json_array_begin(j, "frames");
	for (k = 0; k < st->nr_frames; k++)
		frame_json(j, s, &st->frames[k]);
	json_array_end(j);
	json_object_end(j);
}

static void print_json(FILE *f, const struct report_opts *o, const struct report_meta *m,
		       const struct proc_mem *p, struct symbolizer *s, const struct report_row *rows,
		       size_t n)
{
	struct json j;
	size_t i;
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
	json_u64(&j, "sampled_allocs", p->weighted_allocs);
	json_u64(&j, "unmatched_frees", p->notes.unmatched_frees);
	json_u64(&j, "replaced_allocs", p->notes.replaced_allocs);
	json_u64(&j, "nr_stacks", p->nr_stacks);
	json_object_begin(&j, "counters");
	for (c = 0; c < LEAKD_CNT__COUNT; c++)
		json_u64(&j, tracer__counter_name(c), m->counters[c]);
	json_u64(&j, "bpf_missed_runs", m->missed_runs);
	json_u64(&j, "alloc_table_full", p->losses.allocs_dropped);
	json_u64(&j, "stack_table_full", p->losses.stacks_merged);
	json_u64(&j, "mapping_table_full", p->losses.maps_dropped);
	json_object_end(&j);
	json_array_begin(&j, "stacks");
	for (i = 0; i < n; i++)
		report__row_json(&j, s, &rows[i]);
	json_array_end(&j);
	json_object_end(&j);
	fflush(f);
}

int report__print(FILE *f, const struct report_opts *o, const struct report_meta *m,
		  const struct proc_mem *p, struct symbolizer *s)
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
