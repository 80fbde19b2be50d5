// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The daemon's answers to leakctl: status, ps, top, trace, untrace, exited. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "serve/daemon.h"
#include "collect/consume.h"
#include "base/json.h"
#include "leakd/events.h"
#include "present/report.h"
#include "stacks/symbolize.h"
#include "collect/tracer.h"
#include "stacks/unwinder.h"
#include "base/clock.h"
#include "base/units.h"
#include "base/procfs.h"
#include "version.h"

#define DEFAULT_TOP 10

struct request {
	struct daemon *d;
	const struct peer *who;
	bool json;
	FILE *out;
};

/*
 * The kernel's rule for reading /proc/PID/maps (procfs_cred_allows): as the process
 * was last seen, and as it is now.
 */
static bool visible(const struct request *c, const struct watch *w)
{
	const struct peer *who = c->who;

	return who->uid == 0 || (procfs_cred_allows(&w->cred, who->uid, who->gid) &&
				 procfs_may_inspect(w->pid, who->uid, who->gid));
}

static int __attribute__((format(printf, 3, 4)))
fail(const struct request *c, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->json) {
		struct json j;

		json_init(&j, c->out);
		json_object_begin(&j, NULL);
		json_str(&j, "error", msg);
		json_object_end(&j);
	} else {
		fprintf(c->out, "%s\n", msg);
	}
	return status;
}

static uint64_t self_rss(void)
{
	struct procfs_status st;

	return procfs_status(getpid(), &st) ? 0 : st.rss_bytes;
}

static int status(const struct request *c)
{
	struct daemon *d = c->d;
	uint64_t counters[LEAKD_CNT__COUNT] = { 0 }, missed, now = now_ns();
	struct proc_losses losses = { 0 };
	struct unwinder_stats us = { 0 };
	struct symbolizer_stats ss;
	struct server_stats srv;
	struct events_stats es;
	struct rusage ru;
	struct json j;
	size_t i, mem;
	double cpu;
	int k;

	tracer__counters(d->tracer, counters);
	missed = tracer__missed_runs(d->tracer);
	events__stats(d->events, &es);
	symbolizer__stats(d->sym, &ss);
	server__stats(d->server, &srv);
	if (d->unw)
		unwinder__stats(d->unw, &us);
	getrusage(RUSAGE_SELF, &ru);
	cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	mem = tables__memory(&d->tables) + symbolizer__memory(d->sym);
	{
		const struct watch *w;

		hashtab__for_each(&d->watches, i, w) {
			const struct proc_mem *p = tables__proc(&d->tables, w->pid);

			if (!p)
				continue;
			losses.allocs_dropped += p->losses.allocs_dropped;
			losses.stacks_merged += p->losses.stacks_merged;
			losses.maps_dropped += p->losses.maps_dropped;
		}
	}

	if (!c->json) {
		unsigned int how[TRACE_ALL + 1] = { 0 }, traced = 0;
		const struct watch *w;
		char a[32], b[32];
		bool dropped = false;

		hashtab__for_each(&d->watches, i, w) {
			how[w->traced]++;
			traced += w->traced != TRACE_NONE;
		}
		fprintf(c->out, "leakd %s, up %" PRIu64 " s\n", LEAKD_VERSION,
			(now - d->started_ns) / NSEC_PER_SEC);
		fprintf(c->out, "kernel: %s probes, %s, %s unwinding\n",
			tracer__mechanism(d->tracer), tracer__syscall_mechanism(d->tracer),
			d->unw ? ".eh_frame" : "frame-pointer");
		fprintf(c->out, "processes: %zu watched, %u traced (%u manual, %u rule, %u auto, "
				"%u all), %zu exited kept\n",
			d->watches.count, traced, how[TRACE_MANUAL], how[TRACE_RULE],
			how[TRACE_AUTO], how[TRACE_ALL], d->nr_exited);
		fprintf(c->out, "drill-down: %s, %s in %" PRIu64 " s steadily, %" PRIu64
				" at once for %" PRIu64 " s; %" PRIu64 " started\n",
			d->o.drilldown && d->o.drilldown_max ? "on" : "off",
			fmt_bytes(d->o.drilldown_bytes, a, sizeof(a)),
			d->o.drilldown_window_ns / NSEC_PER_SEC, d->o.drilldown_max,
			d->o.drilldown_for_ns / NSEC_PER_SEC, d->stats.traces_auto);
		fprintf(c->out, "events: %" PRIu64 " records, %" PRIu64 " bad, %" PRIu64
				" of unknown processes\n",
			es.records, es.bad_records, es.unknown_pid);
		fputs("drops:", c->out);
		for (k = 0; k < LEAKD_DROP__COUNT; k++) {
			if (counters[k]) {
				fprintf(c->out, " %s=%" PRIu64, tracer__counter_name(k), counters[k]);
				dropped = true;
			}
		}
		if (missed) {
			fprintf(c->out, " bpf_missed_runs=%" PRIu64, missed);
			dropped = true;
		}
		fprintf(c->out, "%s\n", dropped ? "" : " none");
		fprintf(c->out, "tables: %" PRIu64 " allocations (limit %" PRIu64 ", dropped %" PRIu64
				"), %" PRIu64 " stacks (limit %" PRIu64 ", merged %" PRIu64 "), %" PRIu64
				" mappings (limit %" PRIu64 ", dropped %" PRIu64 ")\n",
			d->tables.nr_allocs, d->tables.limits.max_allocs, losses.allocs_dropped,
			d->tables.nr_stacks, d->tables.limits.max_stacks, losses.stacks_merged,
			d->tables.nr_maps, d->tables.limits.max_maps, losses.maps_dropped);
		fprintf(c->out, "limits: %" PRIu64 " processes dropped (max-procs), %" PRIu64
				" traces refused (max-traced), %" PRIu64 " without unwind tables, %" PRIu64
				" exited summaries evicted\n",
			d->stats.procs_dropped, d->stats.traces_refused, d->stats.unwind_skipped,
			d->stats.exited_evicted);
		fprintf(c->out, "unwind: %" PRIu64 " tables (%" PRIu64 " from the cache), %" PRIu64
				" pending, %" PRIu64 " failed, %" PRIu64 " without room; %" PRIu64
				" of %" PRIu64 " rows\n",
			us.tables_ready, us.tables_from_cache, us.tables_pending, us.tables_failed,
			us.tables_no_room, us.rows_used, us.rows_max);
		fprintf(c->out, "unwind cache: %s; %" PRIu64 " built from another file (rebuilt), %"
				PRIu64 " refused, %" PRIu64 " not saved\n",
			d->unw ? unwinder__cache_state(d->unw) : "off", us.cache_mismatches,
			us.cache_refused, us.cache_save_failed);
		fprintf(c->out, "socket: %s, %s\n", d->o.socket,
			srv.group_applied ? "group members and root" :
					    "root only (no such socket group)");
		fprintf(c->out, "symbols: %" PRIu64 " modules (%" PRIu64 " unreadable, %" PRIu64
				" dropped)\n",
			ss.modules, ss.modules_unreadable, ss.modules_dropped);
		fprintf(c->out, "clients: %" PRIu64 " connected, %" PRIu64 " refused, %" PRIu64
				" bad requests, %" PRIu64 " dropped\n",
			srv.clients, srv.refused, srv.bad_requests, srv.dropped);
		fprintf(c->out, "daemon: cpu %.2f s, rss %s, tables %s\n", cpu,
			fmt_bytes(self_rss(), a, sizeof(a)), fmt_bytes(mem, b, sizeof(b)));
		return LEAKD_OK;
	}

	json_init(&j, c->out);
	json_object_begin(&j, NULL);
	json_str(&j, "version", LEAKD_VERSION);
	json_u64(&j, "uptime_s", (now - d->started_ns) / NSEC_PER_SEC);
	json_object_begin(&j, "kernel");
	json_str(&j, "uprobes", tracer__mechanism(d->tracer));
	json_str(&j, "syscalls", tracer__syscall_mechanism(d->tracer));
	json_str(&j, "unwinding", d->unw ? "eh_frame" : "frame_pointer");
	json_object_end(&j);
	json_object_begin(&j, "processes");
	json_u64(&j, "watched", d->watches.count);
	{
		unsigned int how[TRACE_ALL + 1] = { 0 }, traced = 0;
		const struct watch *w;

		hashtab__for_each(&d->watches, i, w) {
			how[w->traced]++;
			traced += w->traced != TRACE_NONE;
		}
		json_u64(&j, "traced", traced);
		for (k = TRACE_MANUAL; k <= TRACE_ALL; k++)
			json_u64(&j, daemon__trace_how(k), how[k]);
	}
	json_u64(&j, "exited_kept", d->nr_exited);
	json_object_end(&j);
	json_object_begin(&j, "drilldown");
	json_bool(&j, "on", d->o.drilldown && d->o.drilldown_max);
	json_u64(&j, "bytes", d->o.drilldown_bytes);
	json_u64(&j, "window_s", d->o.drilldown_window_ns / NSEC_PER_SEC);
	json_u64(&j, "for_s", d->o.drilldown_for_ns / NSEC_PER_SEC);
	json_u64(&j, "max", d->o.drilldown_max);
	json_u64(&j, "started", d->stats.traces_auto);
	json_object_end(&j);
	json_object_begin(&j, "events");
	json_u64(&j, "records", es.records);
	json_u64(&j, "bad", es.bad_records);
	json_u64(&j, "unknown_pid", es.unknown_pid);
	json_object_end(&j);
	json_object_begin(&j, "counters");
	for (k = 0; k < LEAKD_CNT__COUNT; k++)
		json_u64(&j, tracer__counter_name(k), counters[k]);
	json_u64(&j, "bpf_missed_runs", missed);
	json_object_end(&j);
	json_object_begin(&j, "tables");
	json_u64(&j, "allocs", d->tables.nr_allocs);
	json_u64(&j, "allocs_limit", d->tables.limits.max_allocs);
	json_u64(&j, "allocs_dropped", losses.allocs_dropped);
	json_u64(&j, "stacks", d->tables.nr_stacks);
	json_u64(&j, "stacks_limit", d->tables.limits.max_stacks);
	json_u64(&j, "stacks_merged", losses.stacks_merged);
	json_u64(&j, "mappings", d->tables.nr_maps);
	json_u64(&j, "mappings_limit", d->tables.limits.max_maps);
	json_u64(&j, "mappings_dropped", losses.maps_dropped);
	json_object_end(&j);
	json_object_begin(&j, "limits");
	json_u64(&j, "procs_dropped", d->stats.procs_dropped);
	json_u64(&j, "procs_limit", d->o.max_procs);
	json_u64(&j, "traces_refused", d->stats.traces_refused);
	json_u64(&j, "traced_limit", d->o.max_traced);
	json_u64(&j, "unwind_skipped", d->stats.unwind_skipped);
	json_u64(&j, "exited_evicted", d->stats.exited_evicted);
	json_u64(&j, "exited_limit", d->o.max_exited);
	json_object_end(&j);
	json_object_begin(&j, "unwind");
	json_u64(&j, "tables", us.tables_ready);
	json_u64(&j, "from_cache", us.tables_from_cache);
	json_u64(&j, "pending", us.tables_pending);
	json_u64(&j, "failed", us.tables_failed);
	json_u64(&j, "no_room", us.tables_no_room);
	json_u64(&j, "evicted", us.tables_evicted);
	json_u64(&j, "rows", us.rows_used);
	json_u64(&j, "rows_limit", us.rows_max);
	json_u64(&j, "maps_dropped", us.maps_dropped);
	json_u64(&j, "procs_dropped", us.procs_dropped);
	json_u64(&j, "files_dropped", us.files_dropped);
	json_str(&j, "cache", d->unw ? unwinder__cache_state(d->unw) : "off");
	json_u64(&j, "cache_mismatches", us.cache_mismatches);
	json_u64(&j, "cache_refused", us.cache_refused);
	json_u64(&j, "cache_save_failed", us.cache_save_failed);
	json_object_end(&j);
	json_object_begin(&j, "symbols");
	json_u64(&j, "modules", ss.modules);
	json_u64(&j, "unreadable", ss.modules_unreadable);
	json_u64(&j, "dropped", ss.modules_dropped);
	json_object_end(&j);
	json_object_begin(&j, "clients");
	json_u64(&j, "connected", srv.clients);
	json_u64(&j, "limit", d->o.max_clients);
	json_u64(&j, "refused", srv.refused);
	json_u64(&j, "refused_share", srv.refused_share);
	json_u64(&j, "requests", srv.requests);
	json_u64(&j, "bad_requests", srv.bad_requests);
	json_u64(&j, "dropped", srv.dropped);
	json_u64(&j, "timed_out", srv.timed_out);
	json_bool(&j, "socket_group", srv.group_applied);
	json_object_end(&j);
	json_object_begin(&j, "daemon");
	json_double(&j, "cpu_s", cpu);
	json_u64(&j, "rss_bytes", self_rss());
	json_u64(&j, "tables_bytes", mem);
	json_object_end(&j);
	json_object_end(&j);
	return LEAKD_OK;
}

/* Whether the process's stacks can be walked by table: "ready", "pending", "none". */
static const char *unwind_state(struct daemon *d, const struct watch *w)
{
	int r = d->unw && w->unwound ? unwinder__proc_ready(d->unw, w->pid) : -ENOENT;

	return r > 0 ? "ready" : r == 0 ? "pending" : "none";
}

struct ps_row {
	const struct watch *w;
	const struct proc_mem *p;
	double per_hour;
};

static int cmp_ps(const void *a, const void *b)
{
	const struct ps_row *x = a, *y = b;

	if (x->per_hour != y->per_hour)
		return x->per_hour > y->per_hour ? -1 : 1;
	return x->w->pid < y->w->pid ? -1 : x->w->pid > y->w->pid;
}

static int ps(const struct request *c, const struct leakd_req_list *req)
{
	struct daemon *d = c->d;
	uint64_t now = now_ns();
	struct ps_row *rows;
	const struct watch *w;
	size_t i, n = 0;
	struct json j;

	rows = calloc(d->watches.count ? d->watches.count : 1, sizeof(*rows));
	if (!rows)
		return fail(c, LEAKD_ERR_INTERNAL, "out of memory");
	hashtab__for_each(&d->watches, i, w) {
		const struct proc_mem *p = tables__proc(&d->tables, w->pid);
		struct growth g;

		if (!p || !visible(c, w))
			continue;
		series__growth(&w->anon, now > d->o.growth_window_ns ? now - d->o.growth_window_ns : 0,
			       &g);
		rows[n++] = (struct ps_row){ w, p, g.per_hour };
	}
	qsort(rows, n, sizeof(*rows), cmp_ps);
	if (req->limit && req->limit < n)
		n = req->limit;

	if (c->json) {
		json_init(&j, c->out);
		json_object_begin(&j, NULL);
		json_u64(&j, "growth_window_s", d->o.growth_window_ns / NSEC_PER_SEC);
		json_array_begin(&j, "processes");
	} else {
		fprintf(c->out, "%-8s %-6s %-16s %10s %10s %10s %10s %12s %-8s %s\n", "PID", "UID",
			"COMM", "RSS", "ANON", "MAPPED", "HEAP", "GROWTH/H", "TRACED", "UNIT");
	}
	for (i = 0; i < n; i++) {
		const struct watch *rw = rows[i].w;
		const struct proc_mem *p = rows[i].p;
		char unit[128], a[16], b[16], m[16], h[16], g[24];

		cgroup_unit(rw->cgroup, unit, sizeof(unit));
		if (c->json) {
			json_object_begin(&j, NULL);
			json_u64(&j, "pid", rw->pid);
			json_u64(&j, "uid", rw->uid);
			json_str(&j, "comm", p->comm);
			json_str(&j, "unit", unit);
			json_u64(&j, "rss_bytes", rw->rss_bytes);
			json_u64(&j, "anon_bytes", rw->anon_bytes);
			json_u64(&j, "mapped_bytes", p->map_bytes);
			json_u64(&j, "heap_bytes", p->heap_bytes);
			json_double(&j, "growth_per_hour", rows[i].per_hour);
			json_str(&j, "traced", daemon__trace_how(rw->traced));
			json_str(&j, "unwind", unwind_state(d, rw));
			json_u64(&j, "traced_live_bytes", p->live_bytes);
			json_object_end(&j);
			continue;
		}
		if (rows[i].per_hour < 0) {
			fmt_bytes((uint64_t)-rows[i].per_hour, g + 1, sizeof(g) - 1);
			g[0] = '-';
		} else {
			fmt_bytes((uint64_t)rows[i].per_hour, g + 1, sizeof(g) - 1);
			g[0] = '+';
		}
		fprintf(c->out, "%-8" PRIu64 " %-6u %-16s %10s %10s %10s %10s %12s %-8s %s\n",
			rw->pid, rw->uid, p->comm, fmt_bytes(rw->rss_bytes, a, sizeof(a)),
			fmt_bytes(rw->anon_bytes, b, sizeof(b)),
			fmt_bytes(p->map_bytes, m, sizeof(m)), fmt_bytes(p->heap_bytes, h, sizeof(h)),
			g, daemon__trace_how(rw->traced), unit);
	}
	if (c->json) {
		json_array_end(&j);
		json_object_end(&j);
	}
	free(rows);
	return LEAKD_OK;
}

static bool selected(const struct request *c, const struct watch *w, const struct leakd_selector *s)
{
	if (!visible(c, w))
		return false;
	if (s->pid)
		return w->pid == s->pid;
	if (s->comm[0] || s->unit[0])
		return daemon__matches(c->d, w, s->comm, s->unit);
	return true;
}

static int top(const struct request *c, const struct leakd_req_top *req)
{
	struct daemon *d = c->d;
	uint64_t now = now_ns();
	const struct watch *w;
	struct ranking r;
	size_t i, n, found = 0;
	struct json j;
	int err;

	err = ranking__init(&r, req->limit ? req->limit : DEFAULT_TOP, req->min_age_ns, now);
	if (err)
		return fail(c, LEAKD_ERR_INTERNAL, "out of memory");
	hashtab__for_each(&d->watches, i, w) {
		const struct proc_mem *p = tables__proc(&d->tables, w->pid);

		if (!p || !selected(c, w, &req->sel))
			continue;
		found++;
		if (req->level != LEAKD_LEVEL_MAP)
			ranking__add(&r, p, LEVEL_HEAP);
		if (req->level != LEAKD_LEVEL_HEAP)
			ranking__add(&r, p, LEVEL_MAP);
	}
	if (!found && req->sel.pid) {
		ranking__destroy(&r);
		return fail(c, LEAKD_ERR_NOT_FOUND, "no process %u watched (or not yours)",
			    req->sel.pid);
	}
	n = ranking__finish(&r);
	if (c->json) {
		json_init(&j, c->out);
		json_object_begin(&j, NULL);
		json_u64(&j, "processes", found);
		json_array_begin(&j, "stacks");
		for (i = 0; i < n; i++)
			report__row_json(&j, d->sym, &r.rows[i]);
		json_array_end(&j);
		json_object_end(&j);
	} else {
		fprintf(c->out, "Top %zu stacks with outstanding memory in %zu processes:\n\n", n,
			found);
		for (i = 0; i < n; i++) {
			const struct watch *rw = daemon__watch(d, r.rows[i].proc->pid);

			report__row_text(c->out, d->sym, &r.rows[i], true);
			if (r.rows[i].level == LEVEL_HEAP && rw && rw->traced == TRACE_NONE)
				fputs("\t[allocator tracing has ended: later frees are unseen]\n\n",
				      c->out);
		}
	}
	ranking__destroy(&r);
	return LEAKD_OK;
}

static void sel_text(const struct leakd_selector *s, char *buf, size_t size)
{
	if (s->pid)
		snprintf(buf, size, "pid %u", s->pid);
	else if (s->comm[0])
		snprintf(buf, size, "name %s", s->comm);
	else
		snprintf(buf, size, "unit %s", s->unit);
}

static int trace(const struct request *c, const struct leakd_req_trace *req, bool on)
{
	struct daemon *d = c->d;
	uint64_t until = req->duration_ns ? now_ns() + req->duration_ns : 0;
	pid_t pids[256];
	size_t i, n = 0, refused = 0, denied = 0;
	struct watch *w;
	char what[300];
	struct json j;
	int rules = 0;

	sel_text(&req->sel, what, sizeof(what));
	if (req->sel.pid) {
		w = daemon__watch(d, req->sel.pid);
		if (!w)
			return fail(c, LEAKD_ERR_NOT_FOUND, "no process with %s is watched", what);
		if (!visible(c, w))
			return fail(c, LEAKD_ERR_PERM, "%s is not yours to inspect (another user's, "
				    "setuid or not dumpable)", what);
	} else if (on) {
		struct trace_rule r = { .owner = c->who->uid, .owner_gid = c->who->gid,
					.until = until };

		snprintf(r.comm, sizeof(r.comm), "%s", req->sel.comm);
		snprintf(r.unit, sizeof(r.unit), "%s", req->sel.unit);
		daemon__add_rule(d, &r);
		rules = 1;
	} else {
		rules = daemon__remove_rules(d, req->sel.comm, req->sel.unit, c->who->uid);
	}
	hashtab__for_each(&d->watches, i, w) {
		if (req->sel.pid ? w->pid != req->sel.pid :
				   !daemon__matches(d, w, req->sel.comm, req->sel.unit))
			continue;
		if (!visible(c, w)) {
			denied++;
			continue;
		}
		if (on) {
			int err = daemon__start_trace(d, w, req->sel.pid ? TRACE_MANUAL : TRACE_RULE,
						     until);

			if (err == -ENOSPC) {
				refused++;
				continue;
			}
			if (err)
				continue;	/* no allocator in it, or gone */
		} else if (w->traced != TRACE_NONE) {
			daemon__stop_trace(d, w);
		} else {
			continue;
		}
		if (n < sizeof(pids) / sizeof(pids[0]))
			pids[n++] = w->pid;
	}
	if (on && req->sel.pid && !n)
		return fail(c, refused ? LEAKD_ERR_LIMIT : LEAKD_ERR_NOT_FOUND,
			    refused ? "%s: too many processes traced already (max-traced)" :
				      "%s: no allocator leakd knows in it",
			    what);
	if (c->json) {
		json_init(&j, c->out);
		json_object_begin(&j, NULL);
		json_array_begin(&j, on ? "traced" : "untraced");
		for (i = 0; i < n; i++)
			json_u64(&j, NULL, pids[i]);
		json_array_end(&j);
		json_u64(&j, "rules", rules);
		json_u64(&j, "refused", refused);
		json_u64(&j, "denied", denied);
		if (on)
			json_u64(&j, "duration_s", req->duration_ns / NSEC_PER_SEC);
		json_object_end(&j);
		return LEAKD_OK;
	}
	for (i = 0; i < n; i++)
		fprintf(c->out, "%s pid %d\n", on ? "tracing" : "no longer tracing", (int)pids[i]);
	if (on && !req->sel.pid)
		fprintf(c->out, "%s: processes that start later are traced too%s\n", what,
			req->duration_ns ? " (until the duration ends)" : "");
	if (!on && !req->sel.pid)
		fprintf(c->out, "%s: %d rule%s removed\n", what, rules, rules == 1 ? "" : "s");
	if (refused)
		fprintf(c->out, "%zu processes not traced: max-traced reached\n", refused);
	if (denied)
		fprintf(c->out, "%zu processes of other users left alone\n", denied);
	return LEAKD_OK;
}

static int exited(const struct request *c, const struct leakd_req_list *req)
{
	struct daemon *d = c->d;
	size_t i, shown = 0;
	struct json j;

	if (c->json) {
		json_init(&j, c->out);
		json_object_begin(&j, NULL);
		json_array_begin(&j, "processes");
	}
	/* Newest first: walk the ring backwards from the slot written last. */
	for (i = 1; i <= d->nr_exited; i++) {
		size_t k = (d->next_exited + d->o.max_exited - i) % d->o.max_exited;
		const struct summary *s = &d->exited[k];
		char when[32], a[32], b[32];
		struct tm tm;

		if (!procfs_cred_allows(&s->cred, c->who->uid, c->who->gid))
			continue;	/* as the check said when it exited */
		if (req->limit && shown == req->limit)
			break;
		shown++;
		if (c->json) {
			json_object_begin(&j, NULL);
			json_u64(&j, "pid", s->pid);
			json_str(&j, "comm", s->comm);
			json_u64(&j, "uid", s->uid);
			json_i64(&j, "exited", s->exited);
			json_u64(&j, "heap_bytes", s->heap_bytes);
			json_u64(&j, "heap_allocs", s->heap_allocs);
			json_u64(&j, "mapped_bytes", s->map_bytes);
			json_raw(&j, "stacks", s->json ? s->json : "[]");
			json_object_end(&j);
			continue;
		}
		localtime_r(&s->exited, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(c->out, "pid %" PRIu64 " (%s) exited %s: heap %s in %" PRIu64
				" allocations, mappings %s\n\n%s",
			s->pid, s->comm, when, fmt_bytes(s->heap_bytes, a, sizeof(a)), s->heap_allocs,
			fmt_bytes(s->map_bytes, b, sizeof(b)), s->text ? s->text : "");
	}
	if (c->json) {
		json_array_end(&j);
		json_object_end(&j);
	} else if (!shown) {
		fputs("no exited process kept\n", c->out);
	}
	return LEAKD_OK;
}

int control__handle(void *ctx, const struct peer *who, const struct leakd_req_hdr *h,
		    const void *payload, FILE *out)
{
	struct request c = { .d = ctx, .who = who, .json = h->flags & LEAKD_REQ_JSON, .out = out };

	switch (h->command) {
	case LEAKD_CMD_STATUS:
		return status(&c);
	case LEAKD_CMD_PS:
		return ps(&c, payload);
	case LEAKD_CMD_TOP:
		return top(&c, payload);
	case LEAKD_CMD_TRACE:
		return trace(&c, payload, true);
	case LEAKD_CMD_UNTRACE:
		return trace(&c, payload, false);
	case LEAKD_CMD_EXITED:
		return exited(&c, payload);
	}
	return fail(&c, LEAKD_ERR_COMMAND, "unknown command");
}
