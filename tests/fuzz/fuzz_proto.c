// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The control server's checks of a request (src/serve/proto.c) on any bytes, read
 * as the server reads them: a header, then exactly the payload it announces.  A
 * request they accept must be one the handlers can trust.
 */
#include <string.h>

#include "fuzz.h"
#include "leakd/sampling.h"
#include "serve/proto.h"

static void check_name(const char *s, size_t size)
{
	fuzz_assert(memchr(s, 0, size));
}

static void check_selector(const struct leakd_selector *sel, int required)
{
	int given = !!sel->pid + !!sel->comm[0] + !!sel->unit[0] + !!sel->cgroup[0];

	check_name(sel->comm, sizeof(sel->comm));
	check_name(sel->unit, sizeof(sel->unit));
	check_name(sel->cgroup, sizeof(sel->cgroup));
	fuzz_assert(!sel->cgroup[0] || sel->cgroup[0] == '/');
	fuzz_assert(given <= 1 && (!required || given == 1));
	fuzz_assert(sel->pid <= LEAKD_PID_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct leakd_req_hdr h;
	const char *why = NULL;
	uint8_t *payload;
	int st;

	if (size < sizeof(h))
		return 0;
	memcpy(&h, data, sizeof(h));
	st = proto__check_header(&h, &why);
	if (st != LEAKD_OK) {
		fuzz_assert(why && *why);
		return 0;
	}
	fuzz_assert(h.length <= LEAKD_REQ_MAX);
	if (size - sizeof(h) < h.length)
		return 0;		/* the server waits for the rest */
	/* Exactly the announced bytes, so that any read past them is caught. */
	payload = malloc(h.length ? h.length : 1);
	fuzz_assert(payload);
	memcpy(payload, data + sizeof(h), h.length);
	why = NULL;
	st = proto__check_payload(&h, payload, &why);
	if (st != LEAKD_OK) {
		fuzz_assert(why && *why);
		fuzz_assert(st == LEAKD_ERR_COMMAND || st == LEAKD_ERR_ARGS);
		goto out;
	}
	fuzz_assert(h.command >= LEAKD_CMD_STATUS && h.command < LEAKD_CMD__MAX);
	fuzz_assert(h.format < LEAKD_FORMAT__MAX);
	fuzz_assert(!(h.flags & ~LEAKD_REQ_FLAGS));
	switch (h.command) {
	case LEAKD_CMD_STATUS:
		fuzz_assert(h.length == 0);
		break;
	case LEAKD_CMD_PS:
	case LEAKD_CMD_EXITED:
		fuzz_assert(h.length == sizeof(struct leakd_req_list));
		break;
	case LEAKD_CMD_TOP: {
		const struct leakd_req_top *r = (const void *)payload;

		fuzz_assert(h.length == sizeof(*r));
		fuzz_assert(r->level <= LEAKD_LEVEL_MAP);
		fuzz_assert(h.format < LEAKD_FORMAT_PPROF || r->level != LEAKD_LEVEL_ALL);
		fuzz_assert(r->limit <= LEAKD_TOP_MAX);
		fuzz_assert(r->by < LEAKD_TOP_BY__MAX && !(r->top_flags & ~LEAKD_TOP_FLAGS));
		fuzz_assert(r->min_age_ns <= LEAKD_DURATION_MAX &&
			    r->since_ns <= LEAKD_DURATION_MAX && r->window_ns <= LEAKD_DURATION_MAX);
		check_selector(&r->sel, 0);
		break;
	}
	case LEAKD_CMD_TRACE:
	case LEAKD_CMD_UNTRACE: {
		const struct leakd_req_trace *r = (const void *)payload;

		fuzz_assert(h.length == sizeof(*r));
		fuzz_assert(r->duration_ns <= LEAKD_DURATION_MAX);
		/* A mode for a pid or a rule alike; an interval with SAMPLED alone, in range. */
		fuzz_assert(r->mode < LEAKD_TRACE__MAX && !(r->trace_flags & ~LEAKD_TRACE_FLAGS));
		fuzz_assert(h.command == LEAKD_CMD_TRACE || r->mode == LEAKD_TRACE_DEFAULT);
		if (r->mode == LEAKD_TRACE_SAMPLED)
			fuzz_assert(r->sample_bytes >= ((r->trace_flags & LEAKD_TRACE_INJECT) ?
							LEAKD_INJECT_SAMPLE_MIN :
							LEAKD_SAMPLE_MIN) &&
				    r->sample_bytes <= LEAKD_SAMPLE_MAX);
		else
			fuzz_assert(r->sample_bytes == 0);
		/* --inject: by pid, tracing, sampled. */
		fuzz_assert(!(r->trace_flags & LEAKD_TRACE_INJECT) ||
			    (h.command == LEAKD_CMD_TRACE && r->sel.pid &&
			     r->mode != LEAKD_TRACE_EXACT));
		check_selector(&r->sel, 1);
		break;
	}
	case LEAKD_CMD_SNAPSHOT: {
		const struct leakd_req_snapshot *r = (const void *)payload;

		fuzz_assert(h.length == sizeof(*r));
		fuzz_assert(r->op >= LEAKD_SNAPSHOT_SAVE && r->op < LEAKD_SNAPSHOT__MAX);
		fuzz_assert(r->level <= LEAKD_LEVEL_MAP);
		check_name(r->name, sizeof(r->name));
		fuzz_assert(r->op == LEAKD_SNAPSHOT_LIST || r->name[0]);
		check_selector(&r->sel, 0);
		break;
	}
	case LEAKD_CMD_DIFF: {
		const struct leakd_req_diff *r = (const void *)payload;

		fuzz_assert(h.length == sizeof(*r));
		check_name(r->a, sizeof(r->a));
		check_name(r->b, sizeof(r->b));
		fuzz_assert(r->a[0] && r->b[0]);
		fuzz_assert(r->level <= LEAKD_LEVEL_MAP && r->limit <= LEAKD_TOP_MAX);
		check_selector(&r->sel, 0);
		break;
	}
	}
	/* Profiles are of top's stacks only; a timeline is a chart (SVG) too. */
	fuzz_assert(h.format < LEAKD_FORMAT_PPROF || h.command == LEAKD_CMD_TOP ||
		    (h.command == LEAKD_CMD_TIMELINE && h.format == LEAKD_FORMAT_SVG));
out:
	free(payload);
	return 0;
}
