// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The control server's checks of a request (src/serve/proto.c) on any bytes, read
 * as the server reads them: a header, then exactly the payload it announces.  A
 * request they accept must be one the handlers can trust.
 */
#include <string.h>

#include "fuzz.h"
#include "serve/proto.h"

static void check_selector(const struct leakd_selector *sel, int required)
{
	int given = !!sel->pid + !!sel->comm[0] + !!sel->unit[0];

	fuzz_assert(memchr(sel->comm, 0, sizeof(sel->comm)));
	fuzz_assert(memchr(sel->unit, 0, sizeof(sel->unit)));
	fuzz_assert(given <= 1 && (!required || given == 1));
	fuzz_assert(sel->pid <= (1u << 22));
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
	fuzz_assert(!(h.flags & ~LEAKD_REQ_JSON));
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
		check_selector(&r->sel, 0);
		break;
	}
	case LEAKD_CMD_TRACE:
	case LEAKD_CMD_UNTRACE:
		fuzz_assert(h.length == sizeof(struct leakd_req_trace));
		check_selector(&((const struct leakd_req_trace *)(const void *)payload)->sel, 1);
		break;
	}
out:
	free(payload);
	return 0;
}
