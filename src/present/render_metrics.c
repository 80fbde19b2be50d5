// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The daemon's metrics in the Prometheus text exposition format (0.0.4), as
 * node_exporter names them: base units (_bytes, _seconds), counters ending in
 * _total, and labels of bounded cardinality (the top processes of one scrape; a
 * drop cause; a kind of memory).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "collect/tracer.h"
#include "present/render.h"

/* A label value: backslash, double quote and newline escaped. */
static void label(FILE *f, const char *name, const char *v, bool last)
{
	fprintf(f, "%s=\"", name);
	for (; v && *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputs(last ? "\"" : "\",", f);
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void u64(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
	head(f, name, type, help);
	fprintf(f, "%s %" PRIu64 "\n", name, v);
}

static void proc_labels(FILE *f, const struct ps_row *r)
{
	char pid[24];

	snprintf(pid, sizeof(pid), "%" PRIu64, r->pid);
	label(f, "pid", pid, false);
	label(f, "comm", r->comm, false);
	label(f, "unit", r->unit, false);
}

static void processes(FILE *f, const struct metrics_snap *m)
{
	static const struct {
		const char *kind;
		size_t off;
	} kinds[] = {
		{ "rss", offsetof(struct ps_row, rss_bytes) },
		{ "anon", offsetof(struct ps_row, anon_bytes) },
		{ "mapped", offsetof(struct ps_row, mapped_bytes) },
		{ "reserved", offsetof(struct ps_row, reserved_bytes) },
		{ "heap", offsetof(struct ps_row, heap_bytes) },
		{ "traced_live", offsetof(struct ps_row, traced_live_bytes) },
	};
	size_t n = m->ps->n < m->top ? m->ps->n : m->top, i, k;

	head(f, "leakd_process_memory_bytes", "gauge",
	     "Memory of a process by kind: rss, anon (RssAnon), mapped (anonymous mappings "
	     "committed), reserved (address space only), heap (brk), traced_live (live allocator "
	     "blocks when traced).");
	for (i = 0; i < n; i++) {
		const struct ps_row *r = &m->ps->rows[i];

		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			fputs("leakd_process_memory_bytes{", f);
			proc_labels(f, r);
			label(f, "kind", kinds[k].kind, true);
			fprintf(f, "} %" PRIu64 "\n",
				*(const uint64_t *)((const char *)r + kinds[k].off));
		}
	}
	head(f, "leakd_process_growth_bytes_per_second", "gauge",
	     "How fast a process's anonymous memory grows over the growth window (0 when "
	     "its history is too short to tell).");
	for (i = 0; i < n; i++) {
		fputs("leakd_process_growth_bytes_per_second{", f);
		proc_labels(f, &m->ps->rows[i]);
		fprintf(f, "} %.6g\n", m->ps->rows[i].growth_per_hour / 3600.0);
	}
	head(f, "leakd_process_growth_class", "gauge",
	     "1 for the class of a process's growth: growing, plateaued, stable, shrinking, or "
	     "unknown (too little history).");
	for (i = 0; i < n; i++) {
		fputs("leakd_process_growth_class{", f);
		proc_labels(f, &m->ps->rows[i]);
		label(f, "class", trend_class__name(m->ps->rows[i].growth), true);
		fputs("} 1\n", f);
	}
	head(f, "leakd_process_traced", "gauge",
	     "1 when the process's allocator is traced, with how it came to be traced and how "
	     "it is traced: sampler (its own otel_memory probes), sampled, exact, or none.");
	for (i = 0; i < n; i++) {
		const struct ps_row *r = &m->ps->rows[i];
		bool traced = r->traced != TRACE_KIND_NONE;

		fputs("leakd_process_traced{", f);
		proc_labels(f, r);
		label(f, "how", trace_kind_name(r->traced), false);
		label(f, "sampling", traced && r->sampling ? r->sampling : "none", true);
		fprintf(f, "} %d\n", traced);
	}
	head(f, "leakd_process_sample_interval_bytes", "gauge",
	     "Mean bytes allocated between samples of a traced process, in force: the event "
	     "budget may widen what was asked, in the kernel or in leakd's sampler (0: every "
	     "allocation, or another emitter's probes, whose weights say it).");
	for (i = 0; i < n; i++) {
		const struct ps_row *r = &m->ps->rows[i];

		fputs("leakd_process_sample_interval_bytes{", f);
		proc_labels(f, r);
		fprintf(f, "} %" PRIu64 "\n", r->interval_bytes ? r->interval_bytes : r->sample_bytes);
	}
}

static void daemon_metrics(FILE *f, const struct status_snap *s)
{
	int k;

	head(f, "leakd_build_info", "gauge", "The running leakd's version.");
	fputs("leakd_build_info{", f);
	label(f, "version", s->version, true);
	fputs("} 1\n", f);
	u64(f, "leakd_uptime_seconds", "gauge", "Seconds since the daemon started.", s->uptime_s);
	head(f, "leakd_cpu_seconds_total", "counter", "CPU time the daemon has used.");
	fprintf(f, "leakd_cpu_seconds_total %.3f\n", s->daemon.cpu_s);
	u64(f, "leakd_resident_memory_bytes", "gauge", "The daemon's resident memory.",
	    s->daemon.rss_bytes);
	u64(f, "leakd_tables_memory_bytes", "gauge", "Memory of the daemon's tables.",
	    s->daemon.tables_bytes);
	u64(f, "leakd_bpf_map_memory_bytes", "gauge",
	    "Memory the kernel holds for the daemon's BPF maps.", s->daemon.bpf_map_bytes);
	u64(f, "leakd_processes_watched", "gauge", "Processes watched.", s->watched);
	head(f, "leakd_processes_traced", "gauge", "Processes whose allocator is traced, by how.");
	for (k = TRACE_KIND_MANUAL; k < TRACE_KIND__COUNT; k++) {
		fputs("leakd_processes_traced{", f);
		label(f, "how", trace_kind_name(k), true);
		fprintf(f, "} %" PRIu64 "\n", s->traced_by[k]);
	}
	u64(f, "leakd_events_total", "counter", "Ring-buffer records read.", s->events.records);
	u64(f, "leakd_bad_events_total", "counter", "Records too short or of an unknown type.",
	    s->events.bad);
	head(f, "leakd_dropped_events_total", "counter",
	     "Events lost in the kernel, by cause; any of them makes reports incomplete.");
	for (k = 0; k < LEAKD_DROP__COUNT; k++) {
		fputs("leakd_dropped_events_total{", f);
		label(f, "cause", tracer__counter_name(k), true);
		fprintf(f, "} %" PRIu64 "\n", s->counters[k]);
	}
	u64(f, "leakd_bpf_missed_runs_total", "counter",
	    "BPF program runs the kernel skipped (recursion).", s->missed_runs);
	head(f, "leakd_table_entries", "gauge", "Entries in the daemon's tables.");
	fprintf(f, "leakd_table_entries{table=\"allocations\"} %" PRIu64 "\n", s->tables.allocs);
	fprintf(f, "leakd_table_entries{table=\"stacks\"} %" PRIu64 "\n", s->tables.stacks);
	fprintf(f, "leakd_table_entries{table=\"mappings\"} %" PRIu64 "\n", s->tables.mappings);
	head(f, "leakd_table_limit", "gauge", "The configured limits of the daemon's tables.");
	fprintf(f, "leakd_table_limit{table=\"allocations\"} %" PRIu64 "\n",
		s->tables.allocs_limit);
	fprintf(f, "leakd_table_limit{table=\"stacks\"} %" PRIu64 "\n", s->tables.stacks_limit);
	fprintf(f, "leakd_table_limit{table=\"mappings\"} %" PRIu64 "\n",
		s->tables.mappings_limit);
	head(f, "leakd_table_dropped_total", "counter",
	     "Entries the tables had no room for (stacks: merged into one).");
	fprintf(f, "leakd_table_dropped_total{table=\"allocations\"} %" PRIu64 "\n",
		s->tables.allocs_dropped);
	fprintf(f, "leakd_table_dropped_total{table=\"stacks\"} %" PRIu64 "\n",
		s->tables.stacks_merged);
	fprintf(f, "leakd_table_dropped_total{table=\"mappings\"} %" PRIu64 "\n",
		s->tables.mappings_dropped);
	u64(f, "leakd_processes_dropped_total", "counter",
	    "Processes not watched: max-procs reached.", s->limits.procs_dropped);
	u64(f, "leakd_traces_refused_total", "counter", "Traces refused: max-traced reached.",
	    s->limits.traces_refused);
	u64(f, "leakd_event_budget_events_per_second", "gauge",
	    "Events a second traced processes may send before sampled traces are widened "
	    "(0: no budget).", s->budget.limit);
	head(f, "leakd_trace_events_per_second", "gauge",
	    "Events traced processes sent in the last second, of sampled traces and of the "
	    "others (exact traces, in-process samplers: never widened).");
	fprintf(f, "leakd_trace_events_per_second{traces=\"sampled\"} %" PRIu64 "\n",
		s->budget.sampled_rate);
	fprintf(f, "leakd_trace_events_per_second{traces=\"exempt\"} %" PRIu64 "\n",
		s->budget.exempt_rate);
	u64(f, "leakd_sample_widening_factor", "gauge",
	    "The factor the event budget widens sampled traces' intervals by (1: as asked).",
	    s->budget.factor);
	u64(f, "leakd_drilldown_started_total", "counter",
	    "Automatic traces started on steady growth.", s->drilldown.started);
	u64(f, "leakd_clients_refused_total", "counter", "Control clients refused.",
	    s->clients.refused);
	u64(f, "leakd_history_series", "gauge", "Stack histories kept.", s->history.series);
	u64(f, "leakd_history_dropped_total", "counter",
	    "Stacks left without a history: history-series reached.", s->history.dropped);
	u64(f, "leakd_http_requests_total", "counter", "Requests to this endpoint.",
	    s->metrics.requests);
}

static int render_metrics_fn(FILE *f, const struct snapshot *s)
{
	if (s->kind != SNAP_METRICS)
		return -ENOTSUP;
	daemon_metrics(f, s->metrics->status);
	if (s->metrics->ps)
		processes(f, s->metrics);
	return 0;
}

const struct renderer render_metrics = {
	.format = OUTPUT_METRICS,
	.name = "metrics",
	.render = render_metrics_fn,
};
