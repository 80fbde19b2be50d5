// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Snapshots as text for people: every figure the JSON has, in sentences and columns. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "present/diff.h"
#include "present/render.h"
#include "stacks/names.h"
#include "base/units.h"
#include "collect/tracer.h"

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static void where(FILE *f, const struct frame_name *n)
{
	if (n->file && n->line)
		fprintf(f, " %s:%d", base_name(n->file), n->line);
}

/* A function's name as text shows it: shortened on request, never a JIT name. */
static const char *shown(const char *name, bool jit, bool short_names, char *buf, size_t size)
{
	if (!name || !short_names || jit)
		return name;
	name_shorten(name, buf, size);
	return buf;
}

/* The frame before an interrupted one is the kernel's signal trampoline. */
static void frame(FILE *f, const struct frame_snap *fr, bool sigframe, bool short_names)
{
	const char *how = fr->flags & LEAKD_FRAME_FP ? " [by frame pointer]" : "";
	const struct frame_name *real = &fr->real;
	char buf[1024];
	uint32_t i;

	for (i = 0; i < fr->nr_inlined; i++) {
		const char *name = shown(fr->inlined[i].function, false, short_names, buf,
					 sizeof(buf));

		fprintf(f, "\t%s (inlined)", name ? name : "[unknown]");
		where(f, &fr->inlined[i]);
		fputc('\n', f);
	}
	if (!real->function && sigframe)
		fprintf(f, "\t[signal handler called] (%s+0x%" PRIx64 ")",
			fr->module ? fr->module : "?", fr->offset);
	else if (real->function)
		fprintf(f, "\t%s+0x%" PRIx64 " (%s)",
			shown(real->function, fr->jit, short_names, buf, sizeof(buf)),
			real->function_offset, fr->module);
	else if (fr->module)
		fprintf(f, "\t[unknown] (%s+0x%" PRIx64 ")", fr->module, fr->offset);
	else if (fr->flags & FRAME_ANON_CODE)
		fprintf(f, "\t[unknown] (0x%" PRIx64 ", anonymous code: JIT without a perf map)",
			fr->pc);
	else
		fprintf(f, "\t[unknown] (0x%" PRIx64 ", unmapped)", fr->pc);
	where(f, real);
	fprintf(f, "%s\n", how);
}

/* A stack's frames and marks, then an empty line. */
static void frames(FILE *f, const struct stack_snap *st, bool short_names)
{
	uint32_t i;

	if (st->flags & STACK_OVERFLOW)
		fputs("\t[stacks past the stack table's limit]\n", f);
	else if (st->id == STACK_ID_PREEXISTING)
		fputs("\t[mapped before leakd began watching]\n", f);
	else if (!(st->flags & STACK_HAS_FRAMES))
		fputs("\t[stack not captured]\n", f);
	for (i = 0; i < st->nr_frames; i++)
		frame(f, &st->frames[i],
		      i + 1 < st->nr_frames && (st->frames[i + 1].flags & LEAKD_FRAME_EXACT),
		      short_names);
	for (i = 0; i < nr_stack_notes; i++)
		if (st->flags & stack_notes[i].flag)
			fprintf(f, "\t[%s]\n", stack_notes[i].text);
	fputc('\n', f);
}

/* "+1.5 MiB" or "-200 B": a signed amount of bytes. */
static const char *signed_bytes(int64_t v, char *buf, size_t size);

/* How the stack's memory grows, and how old it is. */
static void trend_and_ages(FILE *f, const struct stack_snap *st)
{
	char a[40], b[40];
	unsigned int i;

	if (st->has_trend) {
		if (st->trend.cls == TREND_UNKNOWN)
			fprintf(f, "\ttrend: unknown (%u points over %" PRIu64 " s of a %" PRIu64
				   " s window)\n", st->trend.points, st->trend.span_ns / 1000000000,
				st->trend_window_s);
		else
			fprintf(f, "\ttrend: %s, %s/h over the last %" PRIu64 " s (fit %g, %u "
				   "points), %s/h lately\n", trend_class__name(st->trend.cls),
				signed_bytes((int64_t)st->trend.per_hour, a, sizeof(a)),
				st->trend_window_s, st->trend.fit, st->trend.points,
				signed_bytes((int64_t)st->trend.recent_per_hour, b, sizeof(b)));
	}
	if (st->has_ages && st->ages.count) {
		fprintf(f, "\tages: oldest %" PRIu64 " s, median %" PRIu64 " s\n",
			st->ages.oldest_ns / 1000000000, st->ages.median_ns / 1000000000);
		if (st->age_histogram) {
			fputs("\t     ", f);
			for (i = 0; i < AGE_BUCKETS; i++)
				fprintf(f, " %s: %" PRIu64 " (%s)", age_bucket__name(i),
					st->ages.counts[i], fmt_bytes(st->ages.bytes[i], a, sizeof(a)));
			fputc('\n', f);
		}
	}
}

static void stack(FILE *f, const struct stack_snap *st, bool short_names)
{
	const struct level_words *w = level_words(st->level);
	bool brk = st->level == LEVEL_BRK;

	if (st->show_proc) {
		fprintf(f, "pid %" PRIu64 " (%s)", st->pid, st->comm);
		if (st->unit[0])
			fprintf(f, " in %s", st->unit);
		if (st->container[0])
			fprintf(f, " (container %.12s)", st->container);
		fprintf(f, ", %s: ", level_name(st->level));
	}
	if (st->samples)
		fprintf(f, "%" PRIu64 " ± %.0f bytes in %" PRIu64 " ± %.0f allocations from stack "
			   "(estimated from %" PRIu64 " sampled; about %" PRIu64 " allocated, %"
			   PRIu64 " freed since tracing began)\n",
			st->bytes, st->se_bytes, st->count, st->se_count, st->samples,
			st->stats.total_count, st->stats.freed_count);
	else
		fprintf(f, "%" PRIu64 " bytes %sin %" PRIu64 " %s from stack "
			   "(%" PRIu64 " %s, %" PRIu64 " freed since tracing began)\n",
			st->bytes, brk ? "of heap growth (brk) " : "", st->count, w->count_text,
			st->stats.total_count, w->did, st->stats.freed_count);
	if (brk)
		fputs("\t[growth attribution: the call that grew the heap, not who holds its "
		      "blocks]\n", f);
	if (st->has_owner)
		fprintf(f, "\towner: %s (%s)\n", runtime__name(st->owner), runtime__key(st->owner));
	trend_and_ages(f, st);
	frames(f, st, short_names);
	if (st->trace_ended)
		fputs("\t[allocator tracing has ended: later frees are unseen]\n\n", f);
}

static void losses(FILE *f, const struct loss_snap *l)
{
	int i;

	fputs("  INCOMPLETE: events were lost:", f);
	for (i = 0; i < LEAKD_DROP__COUNT; i++)
		if (l->counters[i])
			fprintf(f, " %s=%" PRIu64, tracer__counter_name(i), l->counters[i]);
	if (l->missed_runs)
		fprintf(f, " bpf_missed_runs=%" PRIu64, l->missed_runs);
	if (l->tables.allocs_dropped)
		fprintf(f, " alloc_table_full=%" PRIu64, l->tables.allocs_dropped);
	if (l->tables.stacks_merged)
		fprintf(f, " stack_table_full=%" PRIu64, l->tables.stacks_merged);
	if (l->tables.maps_dropped)
		fprintf(f, " mapping_table_full=%" PRIu64, l->tables.maps_dropped);
	fputc('\n', f);
}

/* How the figures came to be: every allocation, or a sample of them. */
static void mode(FILE *f, const struct report_snap *r)
{
	char every[32];

	if (!r->sampled) {
		fputs("  exact: every allocation traced\n", f);
		return;
	}
	if (r->sample_interval)
		fprintf(f, "  sampled every %s on average (%" PRIu64 " sampled blocks live): "
			   "figures are estimates ± standard error\n",
			fmt_bytes(r->sample_interval, every, sizeof(every)), r->sampled_live);
	else
		fprintf(f, "  sampled by the process's own probes (%" PRIu64 " sampled blocks live): "
			   "figures are estimates ± standard error\n", r->sampled_live);
	fprintf(f, "  live: ± %.0f bytes, ± %.0f allocations; %" PRIu64 " allocations sampled "
		   "in all\n", r->live_bytes_se, r->live_allocs_se, r->sampled_allocs);
}

static void report(FILE *f, const struct report_snap *r, bool short_names)
{
	char when[32], live[32], mapped[32], brk[32], rsv[32], from[48] = "";
	struct tm tm;
	size_t i;
	int k;

	localtime_r(&r->time, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (r->ppid)
		snprintf(from, sizeof(from), ", forked from pid %" PRIu64 "%s", r->ppid,
			 r->exited ? ", exited" : "");
	fprintf(f, "[%s] pid %" PRIu64 " (%s)%s%s%s%s: %s in %" PRIu64
		   " live allocations (%" PRIu64 " allocations, %" PRIu64 " frees traced)\n",
		when, r->pid, r->comm, from, r->final ? ", final report" : "",
		r->reason ? " at " : "", r->reason ? r->reason : "",
		fmt_bytes(r->live_bytes, live, sizeof(live)), r->live_allocs, r->total_allocs,
		r->total_frees);
	mode(f, r);
	if (!r->complete)
		losses(f, &r->losses);
	if (r->notes.refreed_frees)
		fprintf(f, "  %" PRIu64 " frees of blocks already freed (the allocator empties an "
			   "exiting thread's cache through free: glibc's tcache)\n",
			r->notes.refreed_frees);
	if (r->notes.cache_untracked)
		fprintf(f, "  %" PRIu64 " small frees not remembered to tell a second free "
			   "(the table of freed blocks was full)\n", r->notes.cache_untracked);
	if (r->notes.unmatched_frees)
		fprintf(f, "  %" PRIu64 " frees of blocks not seen allocated (made inside the "
			   "allocator itself, as each thread's cache is%s)\n",
			r->notes.unmatched_frees, r->from_start ?
			", or in the moment before the probes were in place" :
			", or allocated before tracing began");
	if (r->notes.inherited_frees || r->notes.inherited_untracked)
		fprintf(f, "  %" PRIu64 " frees of blocks inherited at fork (the parent's, live "
			   "when it forked: they stay in the parent's report); %" PRIu64
			   " such blocks not remembered (table full)\n", r->notes.inherited_frees,
			r->notes.inherited_untracked);
	if (r->min_age_ns)
		fprintf(f, "  only allocations older than %.3f s\n", r->min_age_ns / 1e9);
	if (r->traced_ns)
		fprintf(f, "  traced for %.3f s\n", r->traced_ns / 1e9);
	fprintf(f, "  %" PRIu64 " stacks seen; %" PRIu64 " blocks replaced while live", r->nr_stacks,
		r->notes.replaced_allocs);
	for (k = LEAKD_DROP__COUNT; k < LEAKD_CNT__COUNT; k++)
		if (r->losses.counters[k])
			fprintf(f, "; %s=%" PRIu64, tracer__counter_name(k), r->losses.counters[k]);
	fputc('\n', f);
	fprintf(f, "Top %zu stacks with outstanding allocations:\n\n", r->heap.n);
	for (i = 0; i < r->heap.n; i++)
		stack(f, &r->heap.v[i], short_names);
	fprintf(f, "Mappings: %s in %" PRIu64 " anonymous mappings, heap (brk) %s, %s reserved, %"
		   PRIu64 " unmaps of ranges not seen mapped\n",
		fmt_bytes(r->map_bytes, mapped, sizeof(mapped)), r->map_count,
		fmt_bytes(r->brk_bytes, brk, sizeof(brk)),
		fmt_bytes(r->reserved_bytes, rsv, sizeof(rsv)), r->notes.unmatched_unmaps);
	fprintf(f, "Top %zu stacks with outstanding mappings:\n\n", r->maps.n);
	for (i = 0; i < r->maps.n; i++)
		stack(f, &r->maps.v[i], short_names);
	fprintf(f, "Top %zu stacks that grew the heap (brk), a growth attribution:\n\n", r->brk.n);
	for (i = 0; i < r->brk.n; i++)
		stack(f, &r->brk.v[i], short_names);
	if (!r->follow)
		return;
	fprintf(f, "Forked children followed: %zu", r->nr_children);
	if (r->children_dropped)
		fprintf(f, " (%" PRIu64 " more not followed: too many at once)",
			r->children_dropped);
	if (r->children_forgotten)
		fprintf(f, " (the reports of %" PRIu64 " that exited first went for room)",
			r->children_forgotten);
	fputs("\n\n", f);
	for (i = 0; i < r->nr_children; i++)
		report(f, &r->children[i], short_names);
}

static void status(FILE *f, const struct status_snap *s)
{
	char a[32], b[32];
	bool dropped = false;
	int k;

	fprintf(f, "leakd %s, up %" PRIu64 " s\n", s->version, s->uptime_s);
	fprintf(f, "kernel: %s probes, %s, %s unwinding\n", s->uprobes, s->syscalls,
		s->eh_frame ? ".eh_frame" : "frame-pointer");
	fprintf(f, "sampling: by %s; traces by pid, rules and drill-down sampled every %s by "
		   "default; otel_memory probes used where a process has them\n",
		s->sampling, fmt_bytes(s->sample_bytes, a, sizeof(a)));
	if (s->budget.limit)
		fprintf(f, "event budget: %" PRIu64 " events/s; last second %" PRIu64 " (%" PRIu64
			   " sampled, %" PRIu64 " exact or by other samplers); sampled intervals x%"
			   PRIu64 "%s\n", s->budget.limit, s->budget.rate, s->budget.sampled_rate,
			s->budget.exempt_rate, s->budget.factor,
			s->budget.by_exempt ? "; exceeded by exact traces alone, never widened" :
			s->budget.exceeded ? "; exceeded" : "");
	else
		fprintf(f, "event budget: off (event-budget); last second %" PRIu64 " (%" PRIu64
			   " sampled, %" PRIu64 " exact or by other samplers); sampled intervals x%"
			   PRIu64 "\n", s->budget.rate, s->budget.sampled_rate, s->budget.exempt_rate,
			s->budget.factor);
	if (s->budget.samplers_paced || s->budget.samplers_fixed || s->budget.pace_failed)
		fprintf(f, "event budget samplers: %" PRIu64 " of leakd's widened with them, %"
			   PRIu64 " other otel_memory emitters at their own intervals (leakd cannot "
			   "widen those), %" PRIu64 " widenings failed\n", s->budget.samplers_paced,
			s->budget.samplers_fixed, s->budget.pace_failed);
	fprintf(f, "processes: %" PRIu64 " watched, %" PRIu64 " traced (%" PRIu64 " manual, %"
		   PRIu64 " rule, %" PRIu64 " auto, %" PRIu64 " all, %" PRIu64 " sampler), %" PRIu64
		   " exited kept\n",
		s->watched, s->traced, s->traced_by[TRACE_KIND_MANUAL], s->traced_by[TRACE_KIND_RULE],
		s->traced_by[TRACE_KIND_AUTO], s->traced_by[TRACE_KIND_ALL],
		s->traced_by[TRACE_KIND_SAMPLER], s->exited_kept);
	fprintf(f, "drill-down: %s, %s in %" PRIu64 " s steadily, %" PRIu64 " at once for %" PRIu64
		   " s; %" PRIu64 " started, %" PRIu64 " excluded\n",
		s->drilldown.on ? "on" : "off", fmt_bytes(s->drilldown.bytes, a, sizeof(a)),
		s->drilldown.window_s, s->drilldown.max, s->drilldown.for_s, s->drilldown.started,
		s->drilldown.excluded);
	fprintf(f, "inject: %" PRIu64 " samplers injected, %" PRIu64 " refused; %" PRIu64
		   " threads still to be let go, %" PRIu64 " lost\n",
		s->inject.done, s->inject.refused, s->inject.waiting, s->inject.lost);
	fprintf(f, "events: %" PRIu64 " records, %" PRIu64 " bad, %" PRIu64
		   " of unknown processes; %" PRIu64 " of code mapped, %" PRIu64
		   " of them covered by a read of the process since\n",
		s->events.records, s->events.bad, s->events.unknown_pid, s->events.map_exec,
		s->events.map_exec_covered);
	fputs("drops:", f);
	for (k = 0; k < LEAKD_DROP__COUNT; k++) {
		if (s->counters[k]) {
			fprintf(f, " %s=%" PRIu64, tracer__counter_name(k), s->counters[k]);
			dropped = true;
		}
	}
	if (s->missed_runs) {
		fprintf(f, " bpf_missed_runs=%" PRIu64, s->missed_runs);
		dropped = true;
	}
	fprintf(f, "%s\n", dropped ? "" : " none");
	fputs("stack walks:", f);
	for (k = LEAKD_DROP__COUNT; k < LEAKD_CNT__COUNT; k++)
		fprintf(f, " %s=%" PRIu64, tracer__counter_name(k), s->counters[k]);
	fputc('\n', f);
	fprintf(f, "tables: %" PRIu64 " allocations (limit %" PRIu64 ", dropped %" PRIu64
		   "), %" PRIu64 " stacks (limit %" PRIu64 ", merged %" PRIu64 "), %" PRIu64
		   " mappings (limit %" PRIu64 ", dropped %" PRIu64 ")\n",
		s->tables.allocs, s->tables.allocs_limit, s->tables.allocs_dropped,
		s->tables.stacks, s->tables.stacks_limit, s->tables.stacks_merged,
		s->tables.mappings, s->tables.mappings_limit, s->tables.mappings_dropped);
	fprintf(f, "limits: %" PRIu64 " processes dropped (max-procs %" PRIu64 "), %" PRIu64
		   " traces refused (max-traced %" PRIu64 "), %" PRIu64 " without unwind tables, %"
		   PRIu64 " exited summaries evicted (max-exited %" PRIu64 ")\n",
		s->limits.procs_dropped, s->limits.procs_limit, s->limits.traces_refused,
		s->limits.traced_limit, s->limits.unwind_skipped, s->limits.exited_evicted,
		s->limits.exited_limit);
	fprintf(f, "rules: %" PRIu64 " (limit %" PRIu64 "); %" PRIu64 " added, %" PRIu64
		   " extended, %" PRIu64 " refused, %" PRIu64 " expired, %" PRIu64 " removed\n",
		s->rules.count, s->rules.limit, s->rules.added, s->rules.extended, s->rules.refused,
		s->rules.expired, s->rules.removed);
	for (k = 0; k < (int)s->rules.listed; k++) {
		const struct status_rule *r = &s->rules.list[k];

		fprintf(f, "  rule %s %s of uid %u: ", r->comm[0] ? "name" : "unit",
			r->comm[0] ? r->comm : r->unit, r->owner);
		if (r->sample_bytes)
			fprintf(f, "sampled every %s", fmt_bytes(r->sample_bytes, a, sizeof(a)));
		else
			fputs("exact", f);
		if (r->forever)
			fputs(", until removed\n", f);
		else
			fprintf(f, ", %" PRIu64 " s left\n", r->left_s);
	}
	if (s->rules.mine > s->rules.listed)
		fprintf(f, "  ... %" PRIu64 " of your %" PRIu64 " rules listed\n", s->rules.listed,
			s->rules.mine);
	fprintf(f, "holds: processes of rules' names %s; %" PRIu64 " held so far, %" PRIu64
		   " now, %" PRIu64 " not held (no room, or no signal)\n",
		s->holds.how ? s->holds.how : "off", s->holds.held, s->holds.now, s->holds.skipped);
	fprintf(f, "unwind: %" PRIu64 " tables (%" PRIu64 " from the cache), %" PRIu64
		   " pending, %" PRIu64 " failed, %" PRIu64 " without room, %" PRIu64
		   " evicted; %" PRIu64 " of %" PRIu64 " rows; dropped: %" PRIu64 " maps, %"
		   PRIu64 " processes, %" PRIu64 " files\n",
		s->unwind.tables, s->unwind.from_cache, s->unwind.pending, s->unwind.failed,
		s->unwind.no_room, s->unwind.evicted, s->unwind.rows, s->unwind.rows_limit,
		s->unwind.maps_dropped, s->unwind.procs_dropped, s->unwind.files_dropped);
	fprintf(f, "unwind cache: %s; %" PRIu64 " built from another file (rebuilt), %" PRIu64
		   " refused, %" PRIu64 " not saved\n",
		s->unwind.cache, s->unwind.cache_mismatches, s->unwind.cache_refused,
		s->unwind.cache_save_failed);
	fprintf(f, "symbols: %" PRIu64 " modules (%" PRIu64 " unreadable, %" PRIu64 " dropped)\n",
		s->symbols.modules, s->symbols.unreadable, s->symbols.dropped);
	fprintf(f, "socket: %s, %s\n", s->clients.socket,
		s->clients.socket_group ? "group members and root" :
					  "root only (no such socket group)");
	fprintf(f, "clients: %" PRIu64 " connected (limit %" PRIu64 "), %" PRIu64 " refused (%"
		   PRIu64 " beyond a user's share), %" PRIu64 " requests, %" PRIu64
		   " bad requests, %" PRIu64 " dropped (%" PRIu64 " past a deadline)\n",
		s->clients.connected, s->clients.limit, s->clients.refused,
		s->clients.refused_share, s->clients.requests, s->clients.bad_requests,
		s->clients.dropped, s->clients.timed_out);
	if (s->metrics.listen)
		fprintf(f, "metrics: on %s, %" PRIu64 " requests, %" PRIu64 " bad, %" PRIu64
			   " refused, %" PRIu64 " past a deadline\n", s->metrics.listen,
			s->metrics.requests, s->metrics.bad_requests, s->metrics.refused,
			s->metrics.timed_out);
	else
		fputs("metrics: off (metrics-listen)\n", f);
	fprintf(f, "history: %" PRIu64 " stack histories (limit %" PRIu64 ", %" PRIu64
		   " stacks without one), %" PRIu64 " bytes\n", s->history.series,
		s->history.limit, s->history.dropped, s->history.bytes);
	fprintf(f, "daemon: cpu %.2f s, rss %s, tables %s\n", s->daemon.cpu_s,
		fmt_bytes(s->daemon.rss_bytes, a, sizeof(a)),
		fmt_bytes(s->daemon.tables_bytes, b, sizeof(b)));
	fprintf(f, "restart: previous daemon %s, state file %s, %s; %" PRIu64
		   " traced processes taken over (%" PRIu64 " live allocations), %" PRIu64
		   " left meanwhile, %" PRIu64 " traced afresh; %" PRIu64
		   " events drained, %" PRIu64 " lost; %" PRIu64 " rules and %" PRIu64
		   " exit summaries restored; %" PRIu64 " stale handovers released\n",
		s->restart.previous ? s->restart.previous : "none",
		s->restart.state ? s->restart.state : "none",
		s->restart.taken_over ? "its handover taken" : "no handover taken",
		s->restart.procs,
		s->restart.allocs, s->restart.procs_gone, s->restart.procs_lost,
		s->restart.events, s->restart.lost, s->restart.rules, s->restart.exits,
		s->restart.released);
	fprintf(f, "bpf maps: %s held by the kernel, %s of it mapped into the daemon (in its rss)",
		fmt_bytes(s->daemon.bpf_map_bytes, a, sizeof(a)),
		fmt_bytes(s->daemon.bpf_mapped_bytes, b, sizeof(b)));
	fprintf(f, "; ring buffer %s\n", fmt_bytes(s->daemon.ringbuf_bytes, a, sizeof(a)));
}

static void ps(FILE *f, const struct ps_snap *s)
{
	size_t i;

	fprintf(f, "%-8s %-6s %-16s %10s %10s %10s %10s %10s %12s %-9s %-9s %-8s %-16s %8s %-7s "
		   "%10s %-12s %s\n",
		"PID", "UID", "COMM", "RSS", "ANON", "MAPPED", "RESERVED", "HEAP", "GROWTH/H", "TREND",
		"GROWS-IN", "TRACED", "SAMPLING", "EVENTS/S", "UNWIND", "TRACED-HEAP", "CONTAINER",
		"UNIT");
	for (i = 0; i < s->n; i++) {
		const struct ps_row *r = &s->rows[i];
		char a[16], b[16], m[16], v[16], h[16], t[16], g[24], how[48], every[16], wide[16];
		char rate[24];

		/* No rate from too little history: a dash, not an extrapolation. */
		if (r->growth == TREND_UNKNOWN)
			snprintf(g, sizeof(g), "-");
		else
			signed_bytes((int64_t)r->growth_per_hour, g, sizeof(g));
		/*
		 * "sampled/512.0 KiB": the interval with the mode (its bytes in JSON);
		 * "sampled/512.0 KiB>4.0 MiB": widened by the event budget to the second;
		 * "sampler/..." the same for leakd's sampler, "sampler/fixed" another's.
		 */
		if (r->sample_bytes && r->interval_bytes > r->sample_bytes)
			snprintf(how, sizeof(how), "%s/%s>%s", r->sampling,
				 fmt_bytes(r->sample_bytes, every, sizeof(every)),
				 fmt_bytes(r->interval_bytes, wide, sizeof(wide)));
		else if (r->sample_bytes)
			snprintf(how, sizeof(how), "%s/%s", r->sampling,
				 fmt_bytes(r->sample_bytes, every, sizeof(every)));
		else if (r->sampler_fixed)
			snprintf(how, sizeof(how), "%s/fixed", r->sampling);	/* not leakd's */
		else
			snprintf(how, sizeof(how), "%s", r->sampling ? r->sampling : "-");
		if (r->traced != TRACE_KIND_NONE)
			snprintf(rate, sizeof(rate), "%" PRIu64, r->events_per_s);
		else
			snprintf(rate, sizeof(rate), "-");
		fprintf(f, "%-8" PRIu64 " %-6u %-16s %10s %10s %10s %10s %10s %12s %-9s %-9s %-8s "
			   "%-16s %8s %-7s %10s %-12.12s %s\n",
			r->pid, r->uid, r->comm, fmt_bytes(r->rss_bytes, a, sizeof(a)),
			fmt_bytes(r->anon_bytes, b, sizeof(b)),
			fmt_bytes(r->mapped_bytes, m, sizeof(m)),
			fmt_bytes(r->reserved_bytes, v, sizeof(v)),
			fmt_bytes(r->heap_bytes, h, sizeof(h)), g, trend_class__name(r->growth),
			r->growth_in_known ? runtime__key(r->growth_in) : "-",
			trace_kind_name(r->traced), how, rate, r->unwind,
			fmt_bytes(r->traced_live_bytes, t, sizeof(t)),
			r->container[0] ? r->container : "-", r->unit);
	}
	fprintf(f, "(growth over the last %" PRIu64 " s)\n", s->growth_window_s);
	/* Where it grows, and what to do next, for those whose growth has an owner. */
	for (i = 0; i < s->n; i++)
		if (s->rows[i].growth_in_known)
			fprintf(f, "pid %" PRIu64 ": growth is in the %s: %s\n", s->rows[i].pid,
				runtime__name(s->rows[i].growth_in),
				runtime__advice(s->rows[i].growth_in));
}

static void top(FILE *f, const struct top_snap *t, bool short_names)
{
	size_t i;

	if (t->by_growth)
		fprintf(f, "Top %zu stacks by growth over the last %" PRIu64 " s in %" PRIu64
			   " processes:\n\n", t->stacks.n, t->window_s, t->processes);
	else if (t->since_s)
		fprintf(f, "Top %zu stacks with outstanding memory allocated in the last %" PRIu64
			   " s, in %" PRIu64 " processes:\n\n", t->stacks.n, t->since_s,
			t->processes);
	else
		fprintf(f, "Top %zu stacks with outstanding memory in %" PRIu64 " processes:\n\n",
			t->stacks.n, t->processes);
	for (i = 0; i < t->stacks.n; i++)
		stack(f, &t->stacks.v[i], short_names);
}

static void trace(FILE *f, const struct trace_snap *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		fprintf(f, "%s pid %" PRIu64 "\n", t->on ? "tracing" : "no longer tracing",
			t->pids[i]);
	if (t->on && !t->by_pid)
		fprintf(f, "%s: processes that start later are traced too%s (%" PRIu64 " rule%s)\n",
			t->what, t->duration_s ? " (until the duration ends)" : "", t->rules,
			t->rules == 1 ? "" : "s");
	if (t->on && t->duration_s)
		fprintf(f, "for %" PRIu64 " s\n", t->duration_s);
	if (!t->on && !t->by_pid)
		fprintf(f, "%s: %" PRIu64 " rule%s removed\n", t->what, t->rules,
			t->rules == 1 ? "" : "s");
	if (t->on && t->got_entries >= 0)
		fprintf(f, "the sampler is injected: %" PRId64 " GOT entries point at it\n",
			t->got_entries);
	if (!t->on && t->got_entries >= 0)
		fprintf(f, "the injected sampler is out of the way: %" PRId64 " GOT entries "
			"restored\n", t->got_entries);
	if (t->refused)
		fprintf(f, "%" PRIu64 " processes not traced: max-traced reached\n", t->refused);
	if (t->denied)
		fprintf(f, "%" PRIu64 " processes of other users left alone\n", t->denied);
}

static void exited(FILE *f, const struct exited_snap *x, bool short_names)
{
	size_t i, k;

	for (i = 0; i < x->n; i++) {
		const struct exit_snap *s = x->v[i];
		char when[32], a[32], b[32];
		struct tm tm;

		localtime_r(&s->exited, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(f, "pid %" PRIu64 " (%s) exited %s, uid %u: heap %s in %" PRIu64
			   " allocations, mappings %s%s\n\n",
			s->pid, s->comm, when, s->uid, fmt_bytes(s->heap_bytes, a, sizeof(a)),
			s->heap_allocs, fmt_bytes(s->map_bytes, b, sizeof(b)),
			s->traced ? " (traced)" : "");
		for (k = 0; k < s->stacks.n; k++)
			stack(f, &s->stacks.v[k], short_names);
	}
	if (!x->n)
		fputs("no exited process kept\n", f);
}

/* "+1.5 MiB" or "-200 B". */
static const char *signed_bytes(int64_t v, char *buf, size_t size)
{
	char b[32];

	snprintf(buf, size, "%s%s", v < 0 ? "-" : "+",
		 fmt_bytes(v < 0 ? -(uint64_t)v : (uint64_t)v, b, sizeof(b)));
	return buf;
}

static void diff(FILE *f, const struct diff_snap *d, bool short_names)
{
	char a[32], b[32], c[40];
	size_t i;

	fprintf(f, "diff %s -> %s: %s -> %s (%s); %zu stacks grew, %zu shrank, %zu unchanged\n",
		d->a, d->b, fmt_bytes(d->bytes_a, a, sizeof(a)), fmt_bytes(d->bytes_b, b, sizeof(b)),
		signed_bytes((int64_t)(d->bytes_b - d->bytes_a), c, sizeof(c)), d->grew, d->shrank,
		d->unchanged);
	if (d->left_out)
		fprintf(f, "(%zu smaller changes left out)\n", d->left_out);
	fputc('\n', f);
	for (i = 0; i < d->n; i++) {
		const struct diff_row *r = &d->rows[i];

		fprintf(f, "%s (%+" PRId64 " %s), %s: %s in %" PRIu64 " -> %s in %" PRIu64 "\n",
			signed_bytes(r->delta_bytes, c, sizeof(c)), r->delta_count,
			level_words(r->stack->level)->count_text, level_name(r->stack->level),
			fmt_bytes(r->bytes_a, a, sizeof(a)), r->count_a,
			fmt_bytes(r->bytes_b, b, sizeof(b)), r->count_b);
		frames(f, r->stack, short_names);
	}
	if (!d->n)
		fputs("no stack changed\n", f);
}

static void saved(FILE *f, const struct saved_list_snap *l)
{
	char when[32], b[32];
	struct tm tm;
	size_t i;

	fprintf(f, "%zu snapshots saved (at most %u):\n", l->n, l->limit);
	for (i = 0; i < l->n; i++) {
		localtime_r(&l->v[i].saved, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(f, "%-24s %s %10s (%" PRIu64 " bytes)\n", l->v[i].name, when,
			fmt_bytes(l->v[i].size, b, sizeof(b)), l->v[i].size);
	}
}

static void timeline(FILE *f, const struct timeline_snap *t)
{
	static const char *const heads[TL__VALUES] = { "RSS", "ANON", "HEAP", "TRACED", "FILE" };
	char when[32];
	struct tm tm;
	size_t i, k;

	localtime_r(&(time_t){ t->wall_start }, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(f, "timeline of pid %" PRIu64 " (%s): %zu points from %s, bytes; the top "
		   "growing stacks over the last %" PRIu64 " s:\n",
		t->pid, t->comm, t->n, when, t->window_s);
	for (k = 0; k < t->nr_rows; k++)
		fprintf(f, "  S%zu %s (%s): %+" PRId64 " bytes an hour\n", k + 1, t->rows[k].name,
			level_name(t->rows[k].level), t->rows[k].growth);
	fprintf(f, "%10s", "T(ms)");
	for (k = 0; k < TL__VALUES; k++)
		fprintf(f, " %12s", heads[k]);
	for (k = 0; k < t->nr_rows; k++)
		fprintf(f, " %10s%zu", "S", k + 1);
	fputc('\n', f);
	for (i = 0; i < t->n; i++) {
		fprintf(f, "%10" PRIu64, t->t_ms[i]);
		for (k = 0; k < TL__VALUES; k++)
			fprintf(f, " %12" PRIu64, t->values[k][i]);
		for (k = 0; k < t->nr_rows; k++)
			fprintf(f, " %11" PRIu64, t->rows[k].bytes[i]);
		fputc('\n', f);
	}
}

static int render_text_fn(FILE *f, const struct snapshot *s)
{
	switch (s->kind) {
	case SNAP_REPORT:
		report(f, s->report, s->short_names);
		return 0;
	case SNAP_STATUS:
		status(f, s->status);
		return 0;
	case SNAP_PS:
		ps(f, s->ps);
		return 0;
	case SNAP_TOP:
		top(f, s->top, s->short_names);
		return 0;
	case SNAP_TRACE:
		trace(f, s->trace);
		return 0;
	case SNAP_EXITED:
		exited(f, s->exited, s->short_names);
		return 0;
	case SNAP_ERROR:
		fprintf(f, "%s\n", s->error->message);
		return 0;
	case SNAP_DIFF:
		diff(f, s->diff, s->short_names);
		return 0;
	case SNAP_SAVED:
		saved(f, s->saved);
		return 0;
	case SNAP_TIMELINE:
		timeline(f, s->timeline);
		return 0;
	case SNAP_METRICS:
		return -ENOTSUP;
	}
	return -ENOTSUP;
}

const struct renderer render_text = {
	.format = OUTPUT_TEXT,
	.name = "text",
	.render = render_text_fn,
};
