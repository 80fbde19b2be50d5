// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/units.h"
#include "present/render.h"
#include "serve/daemon.h"
#include "serve/metrics.h"

/* The HTTP listener answers as root: it is the operator's, and off unless configured. */
static const struct peer operator = { .pid = 0, .uid = 0, .gid = 0 };

static int cmp_anon(const void *a, const void *b)
{
	const struct ps_row *x = a, *y = b;

	return x->anon_bytes > y->anon_bytes ? -1 : x->anon_bytes < y->anon_bytes;
}

/*
 * The processes worth a series: the top by growth (ps's order) and the top by
 * memory, each at most top, without repeats: label cardinality stays bounded.
 */
static size_t pick(struct ps_snap *ps, size_t top)
{
	struct ps_row *by_mem;
	size_t n = 0, i, k;

	if (ps->n <= top)
		return ps->n;
	by_mem = malloc(ps->n * sizeof(*by_mem));
	if (!by_mem)
		return top;
	memcpy(by_mem, ps->rows, ps->n * sizeof(*by_mem));
	qsort(by_mem, ps->n, sizeof(*by_mem), cmp_anon);
	n = top;		/* the first top rows of ps are the fastest growers */
	for (i = 0; i < top; i++) {
		bool have = false;

		for (k = 0; k < n && !have; k++)
			have = ps->rows[k].pid == by_mem[i].pid;
		if (have)
			continue;
		/* Bring it forward, into the rows shown. */
		for (k = n; k < ps->n; k++) {
			if (ps->rows[k].pid == by_mem[i].pid) {
				struct ps_row t = ps->rows[n];

				ps->rows[n] = ps->rows[k];
				ps->rows[k] = t;
				n++;
				break;
			}
		}
	}
	free(by_mem);
	return n;
}

static int metrics(struct daemon *d, FILE *out, const char **ret_type)
{
	struct status_snap st;
	struct ps_snap ps;
	struct metrics_snap m = { .status = &st, .ps = &ps };
	struct snapshot s = { .kind = SNAP_METRICS, .metrics = &m };
	int err;

	daemon__status(d, &operator, &st);
	if (daemon__ps(d, &operator, 0, &ps)) {
		fputs("out of memory\n", out);
		return 500;
	}
	m.top = pick(&ps, daemon__metrics_top(d));
	err = render(out, OUTPUT_METRICS, &s);
	ps_snap__free(&ps);
	if (err) {
		fputs("cannot render the metrics\n", out);
		return 500;
	}
	*ret_type = "text/plain; version=0.0.4; charset=utf-8";
	return 200;
}

static int heap_profile(struct daemon *d, const struct http_request *req, FILE *out,
			const char **ret_type)
{
	const char *pid = http_request__param(req, "pid"), *level = http_request__param(req, "level");
	struct top_query q = { .limit = 0, .with_freed = true };
	struct top_snap t;
	struct snapshot s = { .kind = SNAP_TOP, .top = &t };
	uint64_t v;
	int err;

	q.sel.comm = http_request__param(req, "comm");
	q.sel.unit = http_request__param(req, "unit");
	q.sel.cgroup = http_request__param(req, "cgroup");
	if (pid) {
		if (parse_u64(pid, 1, UINT32_MAX, &v)) {
			fputs("pid: a number\n", out);
			return 400;
		}
		q.sel.pid = v;
	}
	if (!!q.sel.pid + !!q.sel.comm + !!q.sel.unit + !!q.sel.cgroup != 1) {
		fputs("give one of pid=, comm=, unit= and cgroup=\n", out);
		return 400;
	}
	/* One level per profile: the allocator's by default (traced processes). */
	if (!level || !strcmp(level, "heap")) {
		q.level[LEVEL_HEAP] = true;
	} else if (!strcmp(level, "mapping")) {
		q.level[LEVEL_MAP] = true;
	} else {
		fputs("level: heap or mapping\n", out);
		return 400;
	}
	q.limit = daemon__profile_stacks(d);
	err = daemon__top(d, &operator, &q, &t);
	if (err == -ESRCH) {
		fputs("no such process watched\n", out);
		return 404;
	}
	if (err) {
		fputs("out of memory\n", out);
		return 500;
	}
	err = render(out, OUTPUT_PPROF, &s);
	top_snap__free(&t);
	if (err) {
		fputs("cannot render the profile\n", out);
		return 500;
	}
	*ret_type = "application/octet-stream";
	return 200;
}

int metrics__handle(void *ctx, const struct http_request *req, FILE *out, const char **ret_type)
{
	struct daemon *d = ctx;

	if (!strcmp(req->path, "/metrics"))
		return metrics(d, out, ret_type);
	if (!strcmp(req->path, "/debug/pprof/heap"))
		return heap_profile(d, req, out, ret_type);
	if (!strcmp(req->path, "/"))
		fputs("leakd: /metrics, /debug/pprof/heap?pid=PID\n", out);
	else
		fputs("not found: /metrics, /debug/pprof/heap?pid=PID\n", out);
	return strcmp(req->path, "/") ? 404 : 200;
}
