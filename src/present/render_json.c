// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Snapshots as JSON: one object per answer, one line, ending in its "schema" version. */
#include <errno.h>
#include <stdio.h>

#include "present/diff.h"
#include "present/render.h"
#include "base/json.h"
#include "collect/tracer.h"


static void where(struct json *j, const struct frame_name *n)
{
	if (!n->file)
		return;
	json_str(j, "file", n->file);
	json_i64(j, "line", n->line);
	if (n->column)
		json_i64(j, "column", n->column);
}

static void frame(struct json *j, const struct frame_snap *fr)
{
	uint32_t i;

	json_object_begin(j, NULL);
	json_hex(j, "pc", fr->pc);
	json_str(j, "function", fr->real.function);
	if (fr->real.function)
		json_u64(j, "function_offset", fr->real.function_offset);
	where(j, &fr->real);
	json_str(j, "module", fr->module);
	json_str(j, "unwound_by", fr->flags & LEAKD_FRAME_FP ? "frame_pointer" : "table");
	if (fr->flags & LEAKD_FRAME_EXACT)
		json_bool(j, "interrupted", true);
	if (fr->jit)
		json_bool(j, "jit", true);
	else if (fr->flags & FRAME_ANON_CODE)
		json_bool(j, "anonymous_code", true);
	if (fr->module && !fr->jit) {
		json_str(j, "path", fr->module_path);
		json_hex(j, "offset", fr->offset);
		json_str(j, "build_id", fr->build_id);
	}
	if (fr->nr_inlined) {
		/* Functions inlined at this pc, the innermost first. */
		json_array_begin(j, "inlined");
		for (i = 0; i < fr->nr_inlined; i++) {
			json_object_begin(j, NULL);
			json_str(j, "function", fr->inlined[i].function);
			where(j, &fr->inlined[i]);
			json_object_end(j);
		}
		json_array_end(j);
	}
	json_object_end(j);
}

/*
 * whole: the stack with its process and figures; else what the stack is (level,
 * marks, frames), as a diff's rows name it beside figures of their own.
 */
static void stack_fields(struct json *j, const struct stack_snap *st, bool whole)
{
	size_t k;

	if (!whole) {
		json_str(j, "level", level_name(st->level));
		goto what;
	}
	if (st->pid) {
		json_u64(j, "pid", st->pid);
		json_str(j, "comm", st->comm);
		if (st->unit[0])
			json_str(j, "unit", st->unit);
		if (st->container[0])
			json_str(j, "container", st->container);
	}
	json_str(j, "level", level_name(st->level));
	json_hex(j, "id", st->id);
	json_u64(j, "bytes", st->bytes);
	json_u64(j, level_words(st->level)->count_key, st->count);
	if (st->samples) {
		/* bytes and count are estimates from this many sampled blocks. */
		json_double(j, "bytes_se", st->se_bytes);
		json_double(j, st->level == LEVEL_HEAP ? "allocs_se" : "mappings_se", st->se_count);
		json_u64(j, "samples", st->samples);
	}
	json_u64(j, "total_bytes", st->stats.total_bytes);
	json_u64(j, "total_count", st->stats.total_count);
	json_u64(j, "freed_bytes", st->stats.freed_bytes);
	json_u64(j, "freed_count", st->stats.freed_count);
	json_bool(j, "overflow", st->flags & STACK_OVERFLOW);
	json_bool(j, "preexisting", st->id == STACK_ID_PREEXISTING);
	if (st->trace_ended)
		json_bool(j, "trace_ended", true);
	if (st->has_owner)
		json_str(j, "owner", runtime__key(st->owner));
	if (st->has_trend) {
		json_object_begin(j, "trend");
		json_str(j, "class", trend_class__name(st->trend.cls));
		json_u64(j, "window_s", st->trend_window_s);
		json_u64(j, "points", st->trend.points);
		if (st->trend.cls != TREND_UNKNOWN) {
			json_i64(j, "bytes_per_hour", (int64_t)st->trend.per_hour);
			json_i64(j, "recent_bytes_per_hour", (int64_t)st->trend.recent_per_hour);
			json_double(j, "fit", st->trend.fit);
		} else {
			json_u64(j, "span_s", st->trend.span_ns / 1000000000);
		}
		json_object_end(j);
	}
	if (st->has_ages && st->ages.count) {
		json_object_begin(j, "ages");
		json_u64(j, "oldest_s", st->ages.oldest_ns / 1000000000);
		json_u64(j, "median_s", st->ages.median_ns / 1000000000);
		if (st->age_histogram) {
			json_array_begin(j, "histogram");
			for (unsigned int b = 0; b < AGE_BUCKETS; b++) {
				json_object_begin(j, NULL);
				json_str(j, "age", age_bucket__name(b));
				json_u64(j, "count", st->ages.counts[b]);
				json_u64(j, "bytes", st->ages.bytes[b]);
				json_object_end(j);
			}
			json_array_end(j);
		}
		json_object_end(j);
	}
what:
	json_array_begin(j, "cut");
	for (k = 0; k < nr_stack_notes; k++)
		if (st->flags & stack_notes[k].flag)
			json_str(j, NULL, stack_notes[k].name);
	json_array_end(j);
	json_array_begin(j, "frames");
	for (k = 0; k < st->nr_frames; k++)
		frame(j, &st->frames[k]);
	json_array_end(j);
	/* Not live bytes held by the stack: where the heap grew (brk). */
	if (st->level == LEVEL_BRK)
		json_str(j, "attribution", "growth");
}

static void stack(struct json *j, const struct stack_snap *st)
{
	json_object_begin(j, NULL);
	stack_fields(j, st, true);
	json_object_end(j);
}

static void stacks(struct json *j, const char *key, const struct stack_list *l)
{
	size_t i;

	json_array_begin(j, key);
	for (i = 0; i < l->n; i++)
		stack(j, &l->v[i]);
	json_array_end(j);
}

static void report_fields(struct json *j, const struct report_snap *r)
{
	size_t i;
	int c;

	json_i64(j, "time", r->time);
	json_bool(j, "final", r->final);
	json_str(j, "reason", r->reason);
	json_u64(j, "pid", r->pid);
	json_str(j, "comm", r->comm);
	json_bool(j, "complete", r->complete);
	json_u64(j, "min_age_ns", r->min_age_ns);
	json_u64(j, "traced_ns", r->traced_ns);
	json_str(j, "mode", r->sampled ? "sampled" : "exact");
	json_u64(j, "live_bytes", r->live_bytes);
	json_u64(j, "live_allocs", r->live_allocs);
	json_u64(j, "total_allocs", r->total_allocs);
	json_u64(j, "total_frees", r->total_frees);
	json_u64(j, "sampled_allocs", r->sampled_allocs);
	if (r->sampled) {
		/* The figures above are estimates; sampled_live counts sampled blocks. */
		json_u64(j, "sample_interval", r->sample_interval);
		json_double(j, "live_bytes_se", r->live_bytes_se);
		json_double(j, "live_allocs_se", r->live_allocs_se);
		json_u64(j, "sampled_live", r->sampled_live);
	}
	json_bool(j, "from_start", r->from_start);
	json_u64(j, "unmatched_frees", r->notes.unmatched_frees);
	json_u64(j, "refreed_frees", r->notes.refreed_frees);
	json_u64(j, "refree_untracked", r->notes.cache_untracked);
	json_u64(j, "replaced_allocs", r->notes.replaced_allocs);
	if (r->follow || r->ppid) {
		/* Another process's blocks (its parent's, copy-on-write), not this one's. */
		json_u64(j, "inherited_frees", r->notes.inherited_frees);
		json_u64(j, "inherited_untracked", r->notes.inherited_untracked);
	}
	json_u64(j, "nr_stacks", r->nr_stacks);
	json_object_begin(j, "counters");
	for (c = 0; c < LEAKD_CNT__COUNT; c++)
		json_u64(j, tracer__counter_name(c), r->losses.counters[c]);
	json_u64(j, "bpf_missed_runs", r->losses.missed_runs);
	json_u64(j, "alloc_table_full", r->losses.tables.allocs_dropped);
	json_u64(j, "stack_table_full", r->losses.tables.stacks_merged);
	json_u64(j, "mapping_table_full", r->losses.tables.maps_dropped);
	json_object_end(j);
	stacks(j, "stacks", &r->heap);
	json_object_begin(j, "mappings");
	json_u64(j, "live_bytes", r->map_bytes);
	json_u64(j, "live_count", r->map_count);
	json_u64(j, "reserved_bytes", r->reserved_bytes);
	json_u64(j, "brk_bytes", r->brk_bytes);
	json_u64(j, "unmatched_unmaps", r->notes.unmatched_unmaps);
	stacks(j, "stacks", &r->maps);
	/* Growth attribution: where the heap grew, not live bytes (attribution "growth"). */
	stacks(j, "brk_stacks", &r->brk);
	json_object_end(j);
	if (r->ppid) {
		json_u64(j, "ppid", r->ppid);
		json_bool(j, "exited", r->exited);
	}
	if (!r->follow)
		return;
	/* leakd -f: each forked child on its own, in fork order. */
	json_u64(j, "children_dropped", r->children_dropped);
	json_u64(j, "children_forgotten", r->children_forgotten);
	json_array_begin(j, "children");
	for (i = 0; i < r->nr_children; i++) {
		json_object_begin(j, NULL);
		report_fields(j, &r->children[i]);
		json_object_end(j);
	}
	json_array_end(j);
}

static void report(struct json *j, const struct report_snap *r)
{
	json_str(j, "type", "report");
	report_fields(j, r);
}

static void status(struct json *j, const struct status_snap *s)
{
	int k;

	json_str(j, "version", s->version);
	json_u64(j, "uptime_s", s->uptime_s);
	json_object_begin(j, "kernel");
	json_str(j, "uprobes", s->uprobes);
	json_str(j, "syscalls", s->syscalls);
	json_str(j, "unwinding", s->eh_frame ? "eh_frame" : "frame_pointer");
	json_str(j, "sampling", s->sampling);
	json_object_end(j);
	json_u64(j, "trace_sample_bytes", s->sample_bytes);
	json_object_begin(j, "processes");
	json_u64(j, "watched", s->watched);
	json_u64(j, "traced", s->traced);
	for (k = TRACE_KIND_MANUAL; k < TRACE_KIND__COUNT; k++)
		json_u64(j, trace_kind_name(k), s->traced_by[k]);
	json_u64(j, "exited_kept", s->exited_kept);
	json_object_end(j);
	json_object_begin(j, "drilldown");
	json_bool(j, "on", s->drilldown.on);
	json_u64(j, "bytes", s->drilldown.bytes);
	json_u64(j, "window_s", s->drilldown.window_s);
	json_u64(j, "for_s", s->drilldown.for_s);
	json_u64(j, "max", s->drilldown.max);
	json_u64(j, "started", s->drilldown.started);
	json_u64(j, "excluded", s->drilldown.excluded);
	json_object_end(j);
	json_object_begin(j, "inject");
	json_u64(j, "done", s->inject.done);
	json_u64(j, "refused", s->inject.refused);
	json_u64(j, "waiting", s->inject.waiting);
	json_u64(j, "lost", s->inject.lost);
	json_object_end(j);
	json_object_begin(j, "events");
	json_u64(j, "records", s->events.records);
	json_u64(j, "bad", s->events.bad);
	json_u64(j, "unknown_pid", s->events.unknown_pid);
	json_u64(j, "map_exec", s->events.map_exec);
	json_u64(j, "map_exec_covered", s->events.map_exec_covered);
	json_object_end(j);
	json_object_begin(j, "counters");
	for (k = 0; k < LEAKD_CNT__COUNT; k++)
		json_u64(j, tracer__counter_name(k), s->counters[k]);
	json_u64(j, "bpf_missed_runs", s->missed_runs);
	json_object_end(j);
	json_object_begin(j, "tables");
	json_u64(j, "allocs", s->tables.allocs);
	json_u64(j, "allocs_limit", s->tables.allocs_limit);
	json_u64(j, "allocs_dropped", s->tables.allocs_dropped);
	json_u64(j, "stacks", s->tables.stacks);
	json_u64(j, "stacks_limit", s->tables.stacks_limit);
	json_u64(j, "stacks_merged", s->tables.stacks_merged);
	json_u64(j, "mappings", s->tables.mappings);
	json_u64(j, "mappings_limit", s->tables.mappings_limit);
	json_u64(j, "mappings_dropped", s->tables.mappings_dropped);
	json_object_end(j);
	json_object_begin(j, "limits");
	json_u64(j, "procs_dropped", s->limits.procs_dropped);
	json_u64(j, "procs_limit", s->limits.procs_limit);
	json_u64(j, "traces_refused", s->limits.traces_refused);
	json_u64(j, "traced_limit", s->limits.traced_limit);
	json_u64(j, "unwind_skipped", s->limits.unwind_skipped);
	json_u64(j, "exited_evicted", s->limits.exited_evicted);
	json_u64(j, "exited_limit", s->limits.exited_limit);
	json_object_end(j);
	json_object_begin(j, "rules");
	json_u64(j, "count", s->rules.count);
	json_u64(j, "limit", s->rules.limit);
	json_u64(j, "added", s->rules.added);
	json_u64(j, "extended", s->rules.extended);
	json_u64(j, "refused", s->rules.refused);
	json_u64(j, "expired", s->rules.expired);
	json_u64(j, "removed", s->rules.removed);
	json_u64(j, "mine", s->rules.mine);
	json_array_begin(j, "list");
	for (k = 0; k < (int)s->rules.listed; k++) {
		const struct status_rule *r = &s->rules.list[k];

		json_object_begin(j, NULL);
		json_str(j, "comm", r->comm[0] ? r->comm : NULL);
		json_str(j, "unit", r->unit[0] ? r->unit : NULL);
		json_u64(j, "owner", r->owner);
		json_str(j, "mode", r->sample_bytes ? "sampled" : "exact");
		if (r->sample_bytes)
			json_u64(j, "sample_bytes", r->sample_bytes);
		if (r->forever)
			json_str(j, "left_s", NULL);
		else
			json_u64(j, "left_s", r->left_s);
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
	json_object_begin(j, "budget");
	json_bool(j, "on", s->budget.limit != 0);
	json_u64(j, "events_per_s", s->budget.limit);
	json_u64(j, "rate", s->budget.rate);
	json_u64(j, "sampled_rate", s->budget.sampled_rate);
	json_u64(j, "exempt_rate", s->budget.exempt_rate);
	json_u64(j, "factor", s->budget.factor);
	json_bool(j, "exceeded", s->budget.exceeded);
	json_bool(j, "exceeded_by_exempt", s->budget.by_exempt);
	json_u64(j, "samplers_widened", s->budget.samplers_paced);
	json_u64(j, "samplers_fixed", s->budget.samplers_fixed);
	json_u64(j, "sampler_widenings_failed", s->budget.pace_failed);
	json_object_end(j);
	json_object_begin(j, "holds");
	json_str(j, "how", s->holds.how ? s->holds.how : "off");
	json_u64(j, "held", s->holds.held);
	json_u64(j, "now", s->holds.now);
	json_u64(j, "skipped", s->holds.skipped);
	json_object_end(j);
	json_object_begin(j, "unwind");
	json_u64(j, "tables", s->unwind.tables);
	json_u64(j, "from_cache", s->unwind.from_cache);
	json_u64(j, "pending", s->unwind.pending);
	json_u64(j, "failed", s->unwind.failed);
	json_u64(j, "no_room", s->unwind.no_room);
	json_u64(j, "evicted", s->unwind.evicted);
	json_u64(j, "rows", s->unwind.rows);
	json_u64(j, "rows_limit", s->unwind.rows_limit);
	json_u64(j, "maps_dropped", s->unwind.maps_dropped);
	json_u64(j, "procs_dropped", s->unwind.procs_dropped);
	json_u64(j, "files_dropped", s->unwind.files_dropped);
	json_str(j, "cache", s->unwind.cache);
	json_u64(j, "cache_mismatches", s->unwind.cache_mismatches);
	json_u64(j, "cache_refused", s->unwind.cache_refused);
	json_u64(j, "cache_save_failed", s->unwind.cache_save_failed);
	json_object_end(j);
	json_object_begin(j, "symbols");
	json_u64(j, "modules", s->symbols.modules);
	json_u64(j, "unreadable", s->symbols.unreadable);
	json_u64(j, "dropped", s->symbols.dropped);
	json_object_end(j);
	json_object_begin(j, "clients");
	json_u64(j, "connected", s->clients.connected);
	json_u64(j, "limit", s->clients.limit);
	json_u64(j, "refused", s->clients.refused);
	json_u64(j, "requests", s->clients.requests);
	json_u64(j, "bad_requests", s->clients.bad_requests);
	json_u64(j, "dropped", s->clients.dropped);
	json_u64(j, "refused_share", s->clients.refused_share);
	json_u64(j, "timed_out", s->clients.timed_out);
	json_str(j, "socket", s->clients.socket);
	json_bool(j, "socket_group", s->clients.socket_group);
	json_object_end(j);
	json_object_begin(j, "metrics");
	json_str(j, "listen", s->metrics.listen);
	if (s->metrics.listen) {
		json_u64(j, "requests", s->metrics.requests);
		json_u64(j, "bad_requests", s->metrics.bad_requests);
		json_u64(j, "refused", s->metrics.refused);
		json_u64(j, "timed_out", s->metrics.timed_out);
	}
	json_object_end(j);
	json_object_begin(j, "history");
	json_u64(j, "series", s->history.series);
	json_u64(j, "limit", s->history.limit);
	json_u64(j, "dropped", s->history.dropped);
	json_u64(j, "bytes", s->history.bytes);
	json_object_end(j);
	json_object_begin(j, "daemon");
	json_double(j, "cpu_s", s->daemon.cpu_s);
	json_u64(j, "rss_bytes", s->daemon.rss_bytes);
	json_u64(j, "tables_bytes", s->daemon.tables_bytes);
	json_u64(j, "bpf_map_bytes", s->daemon.bpf_map_bytes);
	json_u64(j, "bpf_mapped_bytes", s->daemon.bpf_mapped_bytes);
	json_u64(j, "ringbuf_bytes", s->daemon.ringbuf_bytes);
	json_object_end(j);
	json_object_begin(j, "restart");
	json_str(j, "previous", s->restart.previous ? s->restart.previous : "none");
	json_str(j, "state", s->restart.state ? s->restart.state : "none");
	json_bool(j, "taken_over", s->restart.taken_over);
	json_u64(j, "procs", s->restart.procs);
	json_u64(j, "allocs", s->restart.allocs);
	json_u64(j, "procs_gone", s->restart.procs_gone);
	json_u64(j, "procs_lost", s->restart.procs_lost);
	json_u64(j, "events", s->restart.events);
	json_u64(j, "lost", s->restart.lost);
	json_u64(j, "rules", s->restart.rules);
	json_u64(j, "exits", s->restart.exits);
	json_u64(j, "released", s->restart.released);
	json_object_end(j);
}

static void ps(struct json *j, const struct ps_snap *s)
{
	size_t i;

	json_u64(j, "growth_window_s", s->growth_window_s);
	json_array_begin(j, "processes");
	for (i = 0; i < s->n; i++) {
		const struct ps_row *r = &s->rows[i];

		json_object_begin(j, NULL);
		json_u64(j, "pid", r->pid);
		json_u64(j, "uid", r->uid);
		json_str(j, "comm", r->comm);
		json_str(j, "unit", r->unit);
		json_u64(j, "rss_bytes", r->rss_bytes);
		json_u64(j, "anon_bytes", r->anon_bytes);
		json_u64(j, "mapped_bytes", r->mapped_bytes);
		json_u64(j, "reserved_bytes", r->reserved_bytes);
		json_u64(j, "heap_bytes", r->heap_bytes);
		if (r->growth == TREND_UNKNOWN)
			json_str(j, "growth_per_hour", NULL);	/* too little history */
		else
			json_i64(j, "growth_per_hour", (int64_t)r->growth_per_hour);
		json_str(j, "trend", trend_class__name(r->growth));
		json_str(j, "growth_in", r->growth_in_known ? runtime__key(r->growth_in) : NULL);
		if (r->growth_in_known)
			json_str(j, "advice", runtime__advice(r->growth_in));
		json_str(j, "cgroup", r->cgroup);
		json_str(j, "container", r->container[0] ? r->container : NULL);
		json_str(j, "traced", trace_kind_name(r->traced));
		json_str(j, "sampling", r->sampling);
		if (r->sample_bytes) {
			json_u64(j, "sample_bytes", r->sample_bytes);
			json_u64(j, "interval_bytes", r->interval_bytes);
		}
		if (r->sampler_fixed)
			json_bool(j, "sampler_fixed", true);
		json_u64(j, "events_per_s", r->events_per_s);
		json_str(j, "unwind", r->unwind);
		json_u64(j, "traced_live_bytes", r->traced_live_bytes);
		json_object_end(j);
	}
	json_array_end(j);
}

static void trace(struct json *j, const struct trace_snap *t)
{
	size_t i;

	json_array_begin(j, t->on ? "traced" : "untraced");
	for (i = 0; i < t->n; i++)
		json_u64(j, NULL, t->pids[i]);
	json_array_end(j);
	json_u64(j, "rules", t->rules);
	json_u64(j, "refused", t->refused);
	json_u64(j, "denied", t->denied);
	if (t->on)
		json_u64(j, "duration_s", t->duration_s);
	/* An injected sampler: entries patched (trace) or restored (untrace). */
	if (t->got_entries >= 0)
		json_u64(j, "got_entries", (uint64_t)t->got_entries);
}

static void exited(struct json *j, const struct exited_snap *x)
{
	size_t i;

	json_array_begin(j, "processes");
	for (i = 0; i < x->n; i++) {
		const struct exit_snap *s = x->v[i];

		json_object_begin(j, NULL);
		json_u64(j, "pid", s->pid);
		json_str(j, "comm", s->comm);
		json_u64(j, "uid", s->uid);
		json_i64(j, "exited", s->exited);
		json_bool(j, "traced", s->traced);
		json_u64(j, "heap_bytes", s->heap_bytes);
		json_u64(j, "heap_allocs", s->heap_allocs);
		json_u64(j, "mapped_bytes", s->map_bytes);
		stacks(j, "stacks", &s->stacks);
		json_object_end(j);
	}
	json_array_end(j);
}

static void diff(struct json *j, const struct diff_snap *d)
{
	size_t i;

	json_str(j, "type", "diff");
	json_str(j, "a", d->a);
	json_str(j, "b", d->b);
	json_u64(j, "bytes_a", d->bytes_a);
	json_u64(j, "bytes_b", d->bytes_b);
	json_i64(j, "delta_bytes", (int64_t)(d->bytes_b - d->bytes_a));
	json_u64(j, "grew", d->grew);
	json_u64(j, "shrank", d->shrank);
	json_u64(j, "unchanged", d->unchanged);
	json_u64(j, "left_out", d->left_out);
	json_array_begin(j, "rows");
	for (i = 0; i < d->n; i++) {
		const struct diff_row *r = &d->rows[i];

		json_object_begin(j, NULL);
		json_i64(j, "delta_bytes", r->delta_bytes);
		json_i64(j, "delta_count", r->delta_count);
		json_u64(j, "bytes_a", r->bytes_a);
		json_u64(j, "bytes_b", r->bytes_b);
		json_u64(j, "count_a", r->count_a);
		json_u64(j, "count_b", r->count_b);
		json_object_begin(j, "stack");
		stack_fields(j, r->stack, false);
		json_object_end(j);
		json_object_end(j);
	}
	json_array_end(j);
}

static int render_json_fn(FILE *f, const struct snapshot *s)
{
	struct json j;

	json_init(&j, f);
	json_object_begin(&j, NULL);
	switch (s->kind) {
	case SNAP_REPORT:
		report(&j, s->report);
		break;
	case SNAP_STATUS:
		status(&j, s->status);
		break;
	case SNAP_PS:
		ps(&j, s->ps);
		break;
	case SNAP_TOP:
		json_u64(&j, "processes", s->top->processes);
		json_str(&j, "by", s->top->by_growth ? "growth" : "bytes");
		if (s->top->by_growth)
			json_u64(&j, "window_s", s->top->window_s);
		if (s->top->since_s)
			json_u64(&j, "since_s", s->top->since_s);
		stacks(&j, "stacks", &s->top->stacks);
		break;
	case SNAP_TRACE:
		trace(&j, s->trace);
		break;
	case SNAP_EXITED:
		exited(&j, s->exited);
		break;
	case SNAP_ERROR:
		json_str(&j, "error", s->error->message);
		break;
	case SNAP_DIFF:
		diff(&j, s->diff);
		break;
	case SNAP_TIMELINE: {
		static const char *const keys[TL__VALUES] = { "rss", "anon", "heap", "traced",
							      "file" };
		const struct timeline_snap *t = s->timeline;

		json_str(&j, "type", "timeline");
		json_u64(&j, "pid", t->pid);
		json_str(&j, "comm", t->comm);
		json_i64(&j, "start", t->wall_start);
		json_u64(&j, "window_s", t->window_s);
		json_array_begin(&j, "points");
		for (size_t i = 0; i < t->n; i++) {
			json_object_begin(&j, NULL);
			json_u64(&j, "t_ms", t->t_ms[i]);
			for (int k = 0; k < TL__VALUES; k++)
				json_u64(&j, keys[k], t->values[k][i]);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_array_begin(&j, "stacks");
		for (size_t k = 0; k < t->nr_rows; k++) {
			json_object_begin(&j, NULL);
			json_str(&j, "function", t->rows[k].name);
			json_str(&j, "level", level_name(t->rows[k].level));
			json_i64(&j, "bytes_per_hour", t->rows[k].growth);
			json_array_begin(&j, "bytes");
			for (size_t i = 0; i < t->n; i++)
				json_u64(&j, NULL, t->rows[k].bytes[i]);
			json_array_end(&j);
			json_object_end(&j);
		}
		json_array_end(&j);
		break;
	}
	case SNAP_SAVED:
		json_u64(&j, "limit", s->saved->limit);
		json_array_begin(&j, "snapshots");
		for (size_t i = 0; i < s->saved->n; i++) {
			json_object_begin(&j, NULL);
			json_str(&j, "name", s->saved->v[i].name);
			json_i64(&j, "saved", s->saved->v[i].saved);
			json_u64(&j, "size", s->saved->v[i].size);
			json_object_end(&j);
		}
		json_array_end(&j);
		break;
	case SNAP_METRICS:
		return -ENOTSUP;
	}
	/* Last: the answers' first fields stay where readers of version 1 found them. */
	json_u64(&j, "schema", SNAPSHOT_SCHEMA);
	json_object_end(&j);
	return 0;
}

const struct renderer render_json = {
	.format = OUTPUT_JSON,
	.name = "json",
	.render = render_json_fn,
};
