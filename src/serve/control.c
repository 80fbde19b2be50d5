// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The daemon's answers to leakctl: status, ps, top, trace, untrace, exited. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "serve/control.h"
#include "serve/daemon.h"
#include "present/render.h"


struct request {
	struct daemon *d;
	const struct peer *who;
	enum output_format format;
	bool short_names;	/* LEAKD_REQ_SHORT_NAMES */
	FILE *out;
};

/* The protocol's format as the renderers number it: the one mapping. */
static enum output_format format_of(uint16_t f)
{
	switch (f) {
	case LEAKD_FORMAT_JSON:
		return OUTPUT_JSON;
	case LEAKD_FORMAT_PPROF:
		return OUTPUT_PPROF;
	case LEAKD_FORMAT_FOLDED:
		return OUTPUT_FOLDED;
	case LEAKD_FORMAT_SVG:
		return OUTPUT_SVG;
	case LEAKD_FORMAT_TEXT:
	default:		/* checked before: proto__check_payload */
		return OUTPUT_TEXT;
	}
}

/* The protocol's levels as the model's: the one mapping. */
static void levels_of(uint32_t level, bool ret[LEVEL__COUNT])
{
	ret[LEVEL_HEAP] = level == LEAKD_LEVEL_ALL || level == LEAKD_LEVEL_HEAP;
	ret[LEVEL_MAP] = level == LEAKD_LEVEL_ALL || level == LEAKD_LEVEL_MAP;
	/* The brk heap's growth is counted with the mappings: the watch tier's. */
	ret[LEVEL_BRK] = ret[LEVEL_MAP];
}

static void selector_of(const struct leakd_selector *s, struct selector *ret)
{
	ret->pid = s->pid;
	ret->comm = s->comm;
	ret->unit = s->unit;
	ret->cgroup = s->cgroup;
}

static int __attribute__((format(printf, 3, 4)))
fail(const struct request *c, int status, const char *fmt, ...)
{
	struct error_snap e;
	struct snapshot s = { .kind = SNAP_ERROR, .error = &e };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e.message, sizeof(e.message), fmt, ap);
	va_end(ap);
	/* A profile cannot say what went wrong: errors come as text then. */
	render(c->out, c->format == OUTPUT_JSON ? OUTPUT_JSON : OUTPUT_TEXT, &s);
	return status;
}

static int answer(const struct request *c, const struct snapshot *s)
{
	struct snapshot with = *s;
	long at = ftell(c->out);
	int err;

	with.short_names = c->short_names;
	err = render(c->out, c->format, &with);

	/* Renderers refuse a kind before they write a byte. */
	if (err == -ENOTSUP)
		return fail(c, LEAKD_ERR_ARGS, "the %s format cannot show this answer",
			    output_format_name(c->format));
	/* Said, where nothing of the answer was written yet. */
	if (err && ftell(c->out) == at)
		return fail(c, LEAKD_ERR_INTERNAL, "cannot write the answer: %s", strerror(-err));
	return err ? LEAKD_ERR_INTERNAL : LEAKD_OK;
}

static int status(const struct request *c)
{
	struct status_snap st;
	struct snapshot s = { .kind = SNAP_STATUS, .status = &st };

	daemon__status(c->d, c->who, &st);
	return answer(c, &s);
}

static int ps(const struct request *c, const struct leakd_req_list *req)
{
	struct ps_snap p;
	struct snapshot s = { .kind = SNAP_PS, .ps = &p };
	int rc;

	if (daemon__ps(c->d, c->who, req->limit, &p))
		return fail(c, LEAKD_ERR_INTERNAL, "out of memory");
	rc = answer(c, &s);
	ps_snap__free(&p);
	return rc;
}

static int top(const struct request *c, const struct leakd_req_top *req)
{
	bool profile = render_is_profile(c->format);
	struct top_query q = { .limit = req->limit ? req->limit : LEAKD_TOP_MAX,
			       .min_age_ns = req->min_age_ns, .with_freed = profile,
			       .since_ns = req->since_ns,
			       .by_growth = req->by == LEAKD_TOP_BY_GROWTH,
			       .window_ns = req->window_ns,
			       .ages = req->top_flags & LEAKD_TOP_AGES };
	struct top_snap t;
	struct snapshot s = { .kind = SNAP_TOP, .top = &t };
	int rc;

	if (q.limit > LEAKD_TOP_MAX)
		q.limit = LEAKD_TOP_MAX;
	selector_of(&req->sel, &q.sel);
	levels_of(req->level, q.level);
	rc = daemon__top(c->d, c->who, &q, &t);
	if (rc == -ESRCH)
		return fail(c, LEAKD_ERR_NOT_FOUND, "no process %u watched (or not yours)",
			    req->sel.pid);
	if (rc)
		return fail(c, LEAKD_ERR_INTERNAL, "out of memory");
	rc = answer(c, &s);
	top_snap__free(&t);
	return rc;
}

static int trace(const struct request *c, const struct leakd_req_trace *req, bool on)
{
	struct trace_query q = { .on = on, .duration_ns = on ? req->duration_ns : 0,
				 .exact = req->mode == LEAKD_TRACE_EXACT,
				 .inject = on && (req->trace_flags & LEAKD_TRACE_INJECT),
				 .sample_bytes = req->mode == LEAKD_TRACE_SAMPLED ?
							 req->sample_bytes : 0 };
	struct trace_snap t;
	struct snapshot s = { .kind = SNAP_TRACE, .trace = &t };
	int rc;

	selector_of(&req->sel, &q.sel);
	rc = daemon__trace(c->d, c->who, &q, &t);
	switch (rc) {
	case 0:
		rc = answer(c, &s);
		break;
	case -ESRCH:
		rc = fail(c, LEAKD_ERR_NOT_FOUND, "no process with %s is watched", t.what);
		break;
	case -EPERM:
		rc = fail(c, LEAKD_ERR_PERM,
			  "%s is not yours to inspect (another user's, setuid or not dumpable)",
			  t.what);
		break;
	case -ENOSPC:
		rc = req->sel.pid ?
			fail(c, LEAKD_ERR_LIMIT, "%s: too many processes traced already (max-traced)",
			     t.what) :
			fail(c, LEAKD_ERR_LIMIT, "%s: too many trace rules already (max-rules)",
			     t.what);
		break;
	case -ENOENT:
		rc = fail(c, LEAKD_ERR_NOT_FOUND, "%s: no allocator leakd knows in it", t.what);
		break;
	case -EINVAL:
		rc = fail(c, LEAKD_ERR_ARGS, "tracing by cgroup is not supported: give a pid, a "
			  "name or a unit");
		break;
	case -ECANCELED:
		rc = on ? fail(c, LEAKD_ERR_INJECT, "cannot inject the sampler: %s", t.why) :
			  fail(c, LEAKD_ERR_INJECT, "untraced, but the sampler's GOT entries are "
			       "not restored: %s", t.why);
		break;
	default:
		rc = fail(c, LEAKD_ERR_INTERNAL, "%s: %s", t.what, strerror(-rc));
		break;
	}
	trace_snap__free(&t);
	return rc;
}

static int exited(const struct request *c, const struct leakd_req_list *req)
{
	struct exited_snap x;
	struct snapshot s = { .kind = SNAP_EXITED, .exited = &x };
	int rc;

	if (daemon__exited(c->d, c->who, req->limit, &x))
		return fail(c, LEAKD_ERR_INTERNAL, "out of memory");
	rc = answer(c, &s);
	exited_snap__free(&x);
	return rc;
}

static int snapshot_cmd(const struct request *c, const struct leakd_req_snapshot *req)
{
	struct saved_list_snap l;
	struct snapshot s = { .kind = SNAP_SAVED, .saved = &l };
	struct selector sel;
	bool level[LEVEL__COUNT];
	int rc;

	selector_of(&req->sel, &sel);
	levels_of(req->level, level);
	switch (req->op) {
	case LEAKD_SNAPSHOT_SAVE:
		rc = daemon__snapshot_save(c->d, c->who, req->name, &sel, level);
		break;
	case LEAKD_SNAPSHOT_DELETE:
		rc = daemon__snapshot_delete(c->d, c->who, req->name);
		break;
	default:
		rc = 0;
		break;
	}
	switch (rc) {
	case 0:
		break;
	case -EINVAL:
		return fail(c, LEAKD_ERR_ARGS, "bad snapshot name '%s' (1 to 63 of A-Z a-z 0-9 . _ -, "
			    "not starting with '.', not 'now')", req->name);
	case -ENOSPC:
		return fail(c, LEAKD_ERR_LIMIT, "too many snapshots saved already (max-snapshots); "
			    "delete one first");
	case -ENOENT:
		return fail(c, LEAKD_ERR_NOT_FOUND, "no snapshot '%s'", req->name);
	case -ESRCH:
		return fail(c, LEAKD_ERR_NOT_FOUND, "no process %u watched (or not yours)",
			    req->sel.pid);
	default:
		return fail(c, LEAKD_ERR_INTERNAL, "snapshot '%s': %s", req->name, strerror(-rc));
	}
	/* Every operation answers with what is saved now. */
	if (daemon__snapshot_list(c->d, c->who, &l))
		return fail(c, LEAKD_ERR_INTERNAL, "cannot list the snapshots");
	rc = answer(c, &s);
	saved_list_snap__free(&l);
	return rc;
}

static int diff_cmd(const struct request *c, const struct leakd_req_diff *req)
{
	struct diff_query q = { .a = req->a, .b = req->b, .limit = req->limit };
	struct diff_answer ans;
	struct snapshot s = { .kind = SNAP_DIFF };
	const char *why;
	int rc;

	selector_of(&req->sel, &q.sel);
	levels_of(req->level, q.level);
	rc = daemon__diff(c->d, c->who, &q, &ans, &why);
	if (rc == -ENOENT)
		return fail(c, LEAKD_ERR_NOT_FOUND, "no snapshot '%s'", why ? why : "?");
	if (rc == -EINVAL || rc == -E2BIG)
		return fail(c, LEAKD_ERR_ARGS, "a snapshot does not read back: %s",
			    why ? why : "malformed");
	if (rc)
		return fail(c, LEAKD_ERR_INTERNAL, "diff: %s", strerror(-rc));
	s.diff = ans.diff;
	rc = answer(c, &s);
	diff_answer__free(&ans);
	return rc;
}

static int timeline_cmd(const struct request *c, const struct leakd_req_timeline *req)
{
	struct timeline_snap t;
	struct snapshot s = { .kind = SNAP_TIMELINE, .timeline = &t };
	int rc;

	rc = daemon__timeline(c->d, c->who, req->pid, req->stacks ? req->stacks :
							 LEAKD_TIMELINE_STACKS,
			      req->window_ns, &t);
	if (rc == -ESRCH)
		return fail(c, LEAKD_ERR_NOT_FOUND, "no process %u watched (or not yours)", req->pid);
	if (rc)
		return fail(c, LEAKD_ERR_INTERNAL, "timeline: %s", strerror(-rc));
	rc = answer(c, &s);
	timeline_snap__free(&t);
	return rc;
}

int control__handle(void *ctx, const struct peer *who, const struct leakd_req_hdr *h,
		    const void *payload, FILE *out)
{
	struct request c = { .d = ctx, .who = who, .format = format_of(h->format),
			     .short_names = h->flags & LEAKD_REQ_SHORT_NAMES, .out = out };

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
	case LEAKD_CMD_SNAPSHOT:
		return snapshot_cmd(&c, payload);
	case LEAKD_CMD_DIFF:
		return diff_cmd(&c, payload);
	case LEAKD_CMD_TIMELINE:
		return timeline_cmd(&c, payload);
	}
	return fail(&c, LEAKD_ERR_COMMAND, "unknown command");
}
