// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The daemon's answers to leakctl: status, ps, top, trace, untrace, exited. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "serve/control.h"
#include "serve/daemon.h"
#include "present/render.h"

#define DEFAULT_TOP 10		/* stacks when the request says 0 */

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
}

static void selector_of(const struct leakd_selector *s, struct selector *ret)
{
	ret->pid = s->pid;
	ret->comm = s->comm;
	ret->unit = s->unit;
}

static int answer(const struct request *c, const struct snapshot *s)
{
	struct snapshot with = *s;
	int err;

	with.short_names = c->short_names;
	err = render(c->out, c->format, &with);

	if (err == -ENOTSUP)
		return LEAKD_ERR_ARGS;
	return err ? LEAKD_ERR_INTERNAL : LEAKD_OK;
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
	answer(c, &s);
	return status;
}

static int status(const struct request *c)
{
	struct status_snap st;
	struct snapshot s = { .kind = SNAP_STATUS, .status = &st };

	daemon__status(c->d, &st);
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
	struct top_query q = { .limit = req->limit ? req->limit : DEFAULT_TOP,
			       .min_age_ns = req->min_age_ns };
	struct top_snap t;
	struct snapshot s = { .kind = SNAP_TOP, .top = &t };
	int rc;

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
		rc = fail(c, LEAKD_ERR_PERM, "%s belongs to another user", t.what);
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
	}
	return fail(&c, LEAKD_ERR_COMMAND, "unknown command");
}
