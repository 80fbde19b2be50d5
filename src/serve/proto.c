// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "serve/proto.h"
#include "leakd/sampling.h"

/* The payload each command takes. */
static const size_t payload_size[LEAKD_CMD__MAX] = {
	[LEAKD_CMD_STATUS] = 0,
	[LEAKD_CMD_PS] = sizeof(struct leakd_req_list),
	[LEAKD_CMD_TOP] = sizeof(struct leakd_req_top),
	[LEAKD_CMD_TRACE] = sizeof(struct leakd_req_trace),
	[LEAKD_CMD_UNTRACE] = sizeof(struct leakd_req_trace),
	[LEAKD_CMD_EXITED] = sizeof(struct leakd_req_list),
	[LEAKD_CMD_SNAPSHOT] = sizeof(struct leakd_req_snapshot),
	[LEAKD_CMD_DIFF] = sizeof(struct leakd_req_diff),
	[LEAKD_CMD_TIMELINE] = sizeof(struct leakd_req_timeline),
};

#define FMT(f) (1u << LEAKD_FORMAT_##f)
#define ANSWERS (FMT(TEXT) | FMT(JSON))
#define PROFILE_OF_TOP "a profile format shows top at one level (heap or mapping) only"

/* The formats each command answers in: profiles are of top's stacks, a timeline is a chart. */
static const uint32_t answers_in[LEAKD_CMD__MAX] = {
	[LEAKD_CMD_STATUS] = ANSWERS,
	[LEAKD_CMD_PS] = ANSWERS,
	[LEAKD_CMD_TOP] = ANSWERS | FMT(PPROF) | FMT(FOLDED) | FMT(SVG),
	[LEAKD_CMD_TRACE] = ANSWERS,
	[LEAKD_CMD_UNTRACE] = ANSWERS,
	[LEAKD_CMD_EXITED] = ANSWERS,
	[LEAKD_CMD_SNAPSHOT] = ANSWERS,
	[LEAKD_CMD_DIFF] = ANSWERS,
	[LEAKD_CMD_TIMELINE] = ANSWERS | FMT(SVG),
};

int proto__check_header(const struct leakd_req_hdr *h, const char **why)
{
	if (h->length > LEAKD_REQ_MAX) {
		*why = "request too large";
		return LEAKD_ERR_SIZE;
	}
	if (h->magic != LEAKD_PROTO_MAGIC) {
		*why = "not a leakd request (bad magic)";
		return LEAKD_ERR_VERSION;
	}
	if (h->version != LEAKD_PROTO_VERSION) {
		*why = "unsupported protocol version";
		return LEAKD_ERR_VERSION;
	}
	return LEAKD_OK;
}

static int check_string(const char *s, size_t size, const char **why, const char *what)
{
	size_t n = strnlen(s, size);

	if (n == size) {
		*why = what;
		return LEAKD_ERR_ARGS;
	}
	/* Bytes after the terminator must be zero: no hidden data rides along. */
	for (; n < size; n++) {
		if (s[n]) {
			*why = what;
			return LEAKD_ERR_ARGS;
		}
	}
	return LEAKD_OK;
}

/* At most one criterion; required: exactly one. */
static int check_selector(const struct leakd_selector *sel, bool required, const char **why)
{
	int given, err;

	err = check_string(sel->comm, sizeof(sel->comm), why, "bad process name");
	if (!err)
		err = check_string(sel->unit, sizeof(sel->unit), why, "bad unit name");
	if (!err)
		err = check_string(sel->cgroup, sizeof(sel->cgroup), why, "bad cgroup path");
	if (err)
		return err;
	if (sel->_pad) {
		*why = "reserved field set";
		return LEAKD_ERR_ARGS;
	}
	given = !!sel->pid + !!sel->comm[0] + !!sel->unit[0] + !!sel->cgroup[0];
	if (given > 1) {
		*why = "give one of pid, process name, unit and cgroup";
		return LEAKD_ERR_ARGS;
	}
	if (sel->cgroup[0] && sel->cgroup[0] != '/') {
		*why = "a cgroup path starts with /";
		return LEAKD_ERR_ARGS;
	}
	if (required && !given) {
		*why = "give a pid, a process name, a unit or a cgroup";
		return LEAKD_ERR_ARGS;
	}
	if (sel->pid > LEAKD_PID_MAX) {
		*why = "pid out of range";
		return LEAKD_ERR_ARGS;
	}
	return LEAKD_OK;
}

int proto__check_payload(const struct leakd_req_hdr *h, const void *payload, const char **why)
{
	if (h->command == 0 || h->command >= LEAKD_CMD__MAX) {
		*why = "unknown command";
		return LEAKD_ERR_COMMAND;
	}
	if (h->length != payload_size[h->command]) {
		*why = "wrong payload size for the command";
		return LEAKD_ERR_ARGS;
	}
	if (h->format >= LEAKD_FORMAT__MAX) {
		*why = "unknown output format";
		return LEAKD_ERR_ARGS;
	}
	if (h->flags & ~LEAKD_REQ_FLAGS) {
		*why = "unknown request flags";
		return LEAKD_ERR_ARGS;
	}
	if (!(answers_in[h->command] & 1u << h->format)) {
		*why = h->command == LEAKD_CMD_TIMELINE ? "a timeline is text, json or svg" :
							   PROFILE_OF_TOP;
		return LEAKD_ERR_ARGS;
	}
	switch (h->command) {
	case LEAKD_CMD_PS:
	case LEAKD_CMD_EXITED: {
		const struct leakd_req_list *r = payload;

		/* Its limit only cuts a list short: any value is safe. */
		if (r->_pad) {
			*why = "reserved field set";
			return LEAKD_ERR_ARGS;
		}
		return LEAKD_OK;
	}
	case LEAKD_CMD_TOP: {
		const struct leakd_req_top *r = payload;

		if (r->level > LEAKD_LEVEL_MAP) {
			*why = "unknown level";
			return LEAKD_ERR_ARGS;
		}
		if (h->format >= LEAKD_FORMAT_PPROF && r->level == LEAKD_LEVEL_ALL) {
			*why = PROFILE_OF_TOP;		/* a profile is of one level */
			return LEAKD_ERR_ARGS;
		}
		/* The limit sizes the answer's table: checked before anything uses it. */
		if (r->limit > LEAKD_TOP_MAX) {
			*why = "too many stacks asked for (at most 65536)";
			return LEAKD_ERR_ARGS;
		}
		if (r->by >= LEAKD_TOP_BY__MAX || (r->top_flags & ~LEAKD_TOP_FLAGS)) {
			*why = "unknown ranking or flags";
			return LEAKD_ERR_ARGS;
		}
		if (r->min_age_ns > LEAKD_DURATION_MAX || r->since_ns > LEAKD_DURATION_MAX ||
		    r->window_ns > LEAKD_DURATION_MAX) {
			*why = "duration out of range";
			return LEAKD_ERR_ARGS;
		}
		return check_selector(&r->sel, false, why);
	}
	case LEAKD_CMD_TRACE:
	case LEAKD_CMD_UNTRACE: {
		const struct leakd_req_trace *r = payload;
		bool inject;

		/* Field by field, in their order.  The end is now + duration: no wrap-around. */
		if (r->duration_ns > LEAKD_DURATION_MAX) {
			*why = "duration out of range";
			return LEAKD_ERR_ARGS;
		}
		if (r->mode >= LEAKD_TRACE__MAX) {
			*why = "unknown trace mode";
			return LEAKD_ERR_ARGS;
		}
		if (r->trace_flags & ~LEAKD_TRACE_FLAGS) {
			*why = "unknown trace flags";
			return LEAKD_ERR_ARGS;
		}
		inject = r->trace_flags & LEAKD_TRACE_INJECT;
		if (r->mode == LEAKD_TRACE_SAMPLED ?
			    r->sample_bytes < (inject ? LEAKD_INJECT_SAMPLE_MIN : LEAKD_SAMPLE_MIN) ||
			    r->sample_bytes > LEAKD_SAMPLE_MAX :
			    r->sample_bytes != 0) {
			*why = "sampling interval out of range";
			return LEAKD_ERR_ARGS;
		}
		if (r->mode != LEAKD_TRACE_DEFAULT && h->command == LEAKD_CMD_UNTRACE) {
			*why = "untrace takes no trace mode";
			return LEAKD_ERR_ARGS;
		}
		if (inject && (h->command == LEAKD_CMD_UNTRACE || !r->sel.pid)) {
			*why = "--inject goes with tracing a pid only";
			return LEAKD_ERR_ARGS;
		}
		if (inject && r->mode == LEAKD_TRACE_EXACT) {
			*why = "the injected sampler samples: not with an exact trace";
			return LEAKD_ERR_ARGS;
		}
		return check_selector(&r->sel, true, why);
	}
	case LEAKD_CMD_SNAPSHOT: {
		const struct leakd_req_snapshot *r = payload;
		int err;

		if (!r->op || r->op >= LEAKD_SNAPSHOT__MAX || r->level > LEAKD_LEVEL_MAP) {
			*why = "unknown snapshot operation or level";
			return LEAKD_ERR_ARGS;
		}
		err = check_string(r->name, sizeof(r->name), why, "bad snapshot name");
		if (err)
			return err;
		if (r->op != LEAKD_SNAPSHOT_LIST && !r->name[0]) {
			*why = "give a snapshot name";
			return LEAKD_ERR_ARGS;
		}
		return check_selector(&r->sel, false, why);
	}
	case LEAKD_CMD_TIMELINE: {
		const struct leakd_req_timeline *r = payload;

		if (!r->pid || r->pid > LEAKD_PID_MAX) {
			*why = "give a pid";
			return LEAKD_ERR_ARGS;
		}
		if (r->stacks > LEAKD_TIMELINE_STACKS || r->window_ns > LEAKD_DURATION_MAX) {
			*why = "too many stacks or a window out of range";
			return LEAKD_ERR_ARGS;
		}
		return LEAKD_OK;
	}
	case LEAKD_CMD_DIFF: {
		const struct leakd_req_diff *r = payload;
		int err;

		err = check_string(r->a, sizeof(r->a), why, "bad snapshot name");
		if (!err)
			err = check_string(r->b, sizeof(r->b), why, "bad snapshot name");
		if (err)
			return err;
		if (!r->a[0] || !r->b[0] || r->level > LEAKD_LEVEL_MAP) {
			*why = "give two snapshots (or now) and a known level";
			return LEAKD_ERR_ARGS;
		}
		if (r->limit > LEAKD_TOP_MAX) {
			*why = "too many rows asked for (at most 65536)";
			return LEAKD_ERR_ARGS;
		}
		return check_selector(&r->sel, false, why);
	}
	}
	return LEAKD_OK;
}
