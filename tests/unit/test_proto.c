// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/proto.h"
#include "leakd/sampling.h"
#include "testutil.h"

static struct leakd_req_hdr hdr(unsigned int cmd, unsigned int len)
{
	return (struct leakd_req_hdr){ .magic = LEAKD_PROTO_MAGIC, .version = LEAKD_PROTO_VERSION,
				       .command = cmd, .length = len };
}

START_TEST(header_checks_in_order)
{
	struct leakd_req_hdr h = hdr(LEAKD_CMD_STATUS, 0);
	const char *why = NULL;

	ck_assert_int_eq(proto__check_header(&h, &why), LEAKD_OK);
	/* Size first: an oversized request with a bad magic is refused for its size. */
	h.length = LEAKD_REQ_MAX + 1;
	h.magic = 0;
	ck_assert_int_eq(proto__check_header(&h, &why), LEAKD_ERR_SIZE);
	ck_assert_ptr_nonnull(why);
	h.length = 0;
	ck_assert_int_eq(proto__check_header(&h, &why), LEAKD_ERR_VERSION);
	h.magic = LEAKD_PROTO_MAGIC;
	h.version = LEAKD_PROTO_VERSION + 1;
	ck_assert_int_eq(proto__check_header(&h, &why), LEAKD_ERR_VERSION);
}
END_TEST

START_TEST(commands_and_sizes)
{
	struct leakd_req_trace tr = { .sel.pid = 42 };
	struct leakd_req_top top = { 0 };
	struct leakd_req_list list = { 0 };
	struct leakd_req_hdr h;
	const char *why;

	h = hdr(0, 0);
	ck_assert_int_eq(proto__check_payload(&h, NULL, &why), LEAKD_ERR_COMMAND);
	h = hdr(LEAKD_CMD__MAX, 0);
	ck_assert_int_eq(proto__check_payload(&h, NULL, &why), LEAKD_ERR_COMMAND);
	h = hdr(LEAKD_CMD_STATUS, 4);
	ck_assert_int_eq(proto__check_payload(&h, &list, &why), LEAKD_ERR_ARGS);
	h = hdr(LEAKD_CMD_PS, sizeof(list));
	ck_assert_int_eq(proto__check_payload(&h, &list, &why), LEAKD_OK);
	h = hdr(LEAKD_CMD_PS, sizeof(list) - 1);
	ck_assert_int_eq(proto__check_payload(&h, &list, &why), LEAKD_ERR_ARGS);
	h = hdr(LEAKD_CMD_TOP, sizeof(top));
	ck_assert_int_eq(proto__check_payload(&h, &top, &why), LEAKD_OK);
	h = hdr(LEAKD_CMD_TRACE, sizeof(tr));
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_OK);
	h = hdr(LEAKD_CMD_UNTRACE, sizeof(tr));
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_OK);
	h = hdr(LEAKD_CMD_PS, sizeof(list));
	h.flags = 1u << 7;
	ck_assert_int_eq(proto__check_payload(&h, &list, &why), LEAKD_ERR_ARGS);
	h.flags = 0;
	h.format = LEAKD_FORMAT__MAX;
	ck_assert_int_eq(proto__check_payload(&h, &list, &why), LEAKD_ERR_ARGS);
	h.format = LEAKD_FORMAT_JSON;
	h.flags = LEAKD_REQ_FLAGS + 1;
	ck_assert_int_eq(proto__check_payload(&h, &list, &why), LEAKD_ERR_ARGS);
	h.flags = LEAKD_REQ_SHORT_NAMES;
	ck_assert_int_eq(proto__check_payload(&h, &list, &why), LEAKD_OK);
	h.flags = 0;
	ck_assert_int_eq(proto__check_payload(&h, &list, &why), LEAKD_OK);
	list._pad = 1;
	ck_assert_int_eq(proto__check_payload(&h, &list, &why), LEAKD_ERR_ARGS);
	list._pad = 0;
	/* Profiles: of top, at one level, only. */
	h.format = LEAKD_FORMAT_FOLDED;
	ck_assert_int_eq(proto__check_payload(&h, &list, &why), LEAKD_ERR_ARGS);
	ck_assert_str_eq(why, "a profile format shows top at one level (heap or mapping) only");
	h = hdr(LEAKD_CMD_TOP, sizeof(top));
	h.format = LEAKD_FORMAT_PPROF;
	top.level = LEAKD_LEVEL_ALL;
	ck_assert_int_eq(proto__check_payload(&h, &top, &why), LEAKD_ERR_ARGS);
	top.level = LEAKD_LEVEL_HEAP;
	ck_assert_int_eq(proto__check_payload(&h, &top, &why), LEAKD_OK);
	h.format = LEAKD_FORMAT_SVG;
	top.level = LEAKD_LEVEL_MAP;
	ck_assert_int_eq(proto__check_payload(&h, &top, &why), LEAKD_OK);
	h = hdr(LEAKD_CMD_STATUS, 0);
	h.format = LEAKD_FORMAT_PPROF;
	ck_assert_int_eq(proto__check_payload(&h, NULL, &why), LEAKD_ERR_ARGS);
}
END_TEST

START_TEST(selectors)
{
	struct leakd_req_hdr h = hdr(LEAKD_CMD_TRACE, sizeof(struct leakd_req_trace));
	struct leakd_req_trace tr;
	struct leakd_req_top top;
	const char *why;

	memset(&tr, 0, sizeof(tr));
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_ERR_ARGS); /* none */
	memcpy(tr.sel.comm, "nginx", 6);
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_OK);
	tr.sel.pid = 7;
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_ERR_ARGS); /* two */
	tr.sel.pid = 0;
	memset(tr.sel.comm, 'x', sizeof(tr.sel.comm));
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_ERR_ARGS); /* no NUL */
	memset(&tr, 0, sizeof(tr));
	memcpy(tr.sel.unit, "a.service", 10);
	tr.sel.unit[200] = 'z';		/* hidden bytes after the terminator */
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_ERR_ARGS);
	memset(&tr, 0, sizeof(tr));
	tr.sel.pid = (1u << 22) + 1;
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_ERR_ARGS);
	tr.sel.pid = 1;
	tr.sel._pad = 1;
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_ERR_ARGS);

	/* top takes no selector at all, but a known level. */
	memset(&top, 0, sizeof(top));
	h = hdr(LEAKD_CMD_TOP, sizeof(top));
	ck_assert_int_eq(proto__check_payload(&h, &top, &why), LEAKD_OK);
	top.level = LEAKD_LEVEL_MAP + 1;
	ck_assert_int_eq(proto__check_payload(&h, &top, &why), LEAKD_ERR_ARGS);
}
END_TEST

/* A trace's mode: known, with an interval in range when sampled, for pids and rules alike,
 * not for untrace. */
START_TEST(trace_modes)
{
	struct leakd_req_hdr h = hdr(LEAKD_CMD_TRACE, sizeof(struct leakd_req_trace));
	struct leakd_req_trace tr;
	const char *why;

	memset(&tr, 0, sizeof(tr));
	tr.sel.pid = 42;
	tr.mode = LEAKD_TRACE_EXACT;
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_OK);
	tr.sample_bytes = 4096;		/* an interval goes with SAMPLED only */
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_ERR_ARGS);
	tr.mode = LEAKD_TRACE_SAMPLED;
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_OK);
	tr.sample_bytes = LEAKD_SAMPLE_MIN - 1;
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_ERR_ARGS);
	tr.sample_bytes = LEAKD_SAMPLE_MAX + 1;
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_ERR_ARGS);
	tr.sample_bytes = 0;
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_ERR_ARGS);
	tr.sample_bytes = LEAKD_SAMPLE_MAX;
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_OK);
	tr.mode = LEAKD_TRACE__MAX;
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_ERR_ARGS);
	tr.mode = LEAKD_TRACE_SAMPLED;
	tr.trace_flags = 2;
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_ERR_ARGS);
	/* Injected: the sampler's interval may go down to a byte; never exact; by pid. */
	tr.trace_flags = LEAKD_TRACE_INJECT;
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_OK);
	tr.sample_bytes = LEAKD_INJECT_SAMPLE_MIN;
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_OK);
	tr.sample_bytes = 0;
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_ERR_ARGS);
	tr.mode = LEAKD_TRACE_EXACT;
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_ERR_ARGS);
	tr.mode = LEAKD_TRACE_DEFAULT;
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_OK);
	h = hdr(LEAKD_CMD_UNTRACE, sizeof(tr));
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_ERR_ARGS);
	h = hdr(LEAKD_CMD_TRACE, sizeof(tr));
	tr.sel.pid = 0;
	memcpy(tr.sel.comm, "nginx", 6);
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_ERR_ARGS);
	memset(tr.sel.comm, 0, sizeof(tr.sel.comm));
	tr.sel.pid = 42;
	tr.trace_flags = 0;
	tr.mode = LEAKD_TRACE_SAMPLED;
	tr.sample_bytes = LEAKD_SAMPLE_MAX;
	/* Untrace takes no mode; rules take one as pids do. */
	h = hdr(LEAKD_CMD_UNTRACE, sizeof(tr));
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_ERR_ARGS);
	h = hdr(LEAKD_CMD_TRACE, sizeof(tr));
	tr.sel.pid = 0;
	memcpy(tr.sel.comm, "nginx", 6);
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_OK);
	memset(tr.sel.comm, 0, sizeof(tr.sel.comm));
	memcpy(tr.sel.unit, "nginx.service", 14);
	tr.mode = LEAKD_TRACE_EXACT;
	tr.sample_bytes = 0;
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_OK);
	h = hdr(LEAKD_CMD_UNTRACE, sizeof(tr));
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_ERR_ARGS);
	h = hdr(LEAKD_CMD_TRACE, sizeof(tr));
	tr.mode = LEAKD_TRACE_DEFAULT;
	tr.sample_bytes = 0;
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_OK);
	/* The layout before the mode (544 bytes) is refused by its size. */
	h = hdr(LEAKD_CMD_TRACE, 544);
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_ERR_ARGS);
}
END_TEST

/* Every number that sizes something or is added to the clock has a maximum. */
START_TEST(sizes_within_their_maximum)
{
	struct leakd_req_hdr h = hdr(LEAKD_CMD_TOP, sizeof(struct leakd_req_top));
	struct leakd_req_trace tr;
	struct leakd_req_top top;
	struct leakd_req_list list;
	const char *why;

	memset(&top, 0, sizeof(top));
	top.limit = LEAKD_TOP_MAX;
	ck_assert_int_eq(proto__check_payload(&h, &top, &why), LEAKD_OK);
	top.limit = LEAKD_TOP_MAX + 1;
	ck_assert_int_eq(proto__check_payload(&h, &top, &why), LEAKD_ERR_ARGS);
	ck_assert_ptr_nonnull(strstr(why, "stacks"));
	top.limit = UINT32_MAX;		/* once sized a 118 GB table */
	ck_assert_int_eq(proto__check_payload(&h, &top, &why), LEAKD_ERR_ARGS);
	top.limit = 0;
	top.min_age_ns = LEAKD_DURATION_MAX;
	ck_assert_int_eq(proto__check_payload(&h, &top, &why), LEAKD_OK);
	top.min_age_ns = LEAKD_DURATION_MAX + 1;
	ck_assert_int_eq(proto__check_payload(&h, &top, &why), LEAKD_ERR_ARGS);
	top.min_age_ns = UINT64_MAX;
	ck_assert_int_eq(proto__check_payload(&h, &top, &why), LEAKD_ERR_ARGS);

	memset(&tr, 0, sizeof(tr));
	tr.sel.pid = 1;
	tr.duration_ns = LEAKD_DURATION_MAX;
	h = hdr(LEAKD_CMD_TRACE, sizeof(tr));
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_OK);
	tr.duration_ns = UINT64_MAX;	/* now + duration would wrap */
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_ERR_ARGS);
	h = hdr(LEAKD_CMD_UNTRACE, sizeof(tr));
	ck_assert_int_eq(proto__check_payload(&h, &tr, &why), LEAKD_ERR_ARGS);

	/* A list's limit only cuts it short. */
	memset(&list, 0, sizeof(list));
	list.limit = UINT32_MAX;
	h = hdr(LEAKD_CMD_PS, sizeof(list));
	ck_assert_int_eq(proto__check_payload(&h, &list, &why), LEAKD_OK);

	/* The announced payload size: the header check, before a byte of it is read. */
	h = hdr(LEAKD_CMD_TOP, LEAKD_REQ_MAX);
	ck_assert_int_eq(proto__check_header(&h, &why), LEAKD_OK);
	h.length = UINT32_MAX;
	ck_assert_int_eq(proto__check_header(&h, &why), LEAKD_ERR_SIZE);
}
END_TEST

START_TEST(random_payloads_never_crash)
{
	unsigned char buf[LEAKD_REQ_MAX];
	struct leakd_req_hdr h;
	const char *why;
	int i, ok = 0;

	srand(11);
	for (i = 0; i < 100000; i++) {
		size_t k;

		for (k = 0; k < sizeof(buf); k++)
			buf[k] = rand();
		h = hdr(1 + rand() % (LEAKD_CMD__MAX + 1), 0);
		h.length = rand() % 2 ? 0 : rand() % 300;
		ok += proto__check_payload(&h, buf, &why) == LEAKD_OK;
	}
	/* Random bytes as a selector are never a well-formed trace request. */
	ck_assert_int_lt(ok, 100000);
}
END_TEST

START_TEST(snapshots_diffs_timelines)
{
	struct leakd_req_snapshot sn = { .op = LEAKD_SNAPSHOT_SAVE, .name = "before" };
	struct leakd_req_diff df = { .a = "before", .b = "now" };
	struct leakd_req_timeline tl = { .pid = 42 };
	struct leakd_req_top top = { 0 };
	struct leakd_req_hdr h = hdr(LEAKD_CMD_SNAPSHOT, sizeof(sn));
	const char *why;

	ck_assert_int_eq(proto__check_payload(&h, &sn, &why), LEAKD_OK);
	sn.op = LEAKD_SNAPSHOT__MAX;
	ck_assert_int_eq(proto__check_payload(&h, &sn, &why), LEAKD_ERR_ARGS);
	sn.op = LEAKD_SNAPSHOT_DELETE;
	memset(sn.name, 0, sizeof(sn.name));
	ck_assert_int_eq(proto__check_payload(&h, &sn, &why), LEAKD_ERR_ARGS);
	sn.op = LEAKD_SNAPSHOT_LIST;
	ck_assert_int_eq(proto__check_payload(&h, &sn, &why), LEAKD_OK);
	memset(sn.name, 'a', sizeof(sn.name));	/* unterminated */
	ck_assert_int_eq(proto__check_payload(&h, &sn, &why), LEAKD_ERR_ARGS);

	h = hdr(LEAKD_CMD_DIFF, sizeof(df));
	ck_assert_int_eq(proto__check_payload(&h, &df, &why), LEAKD_OK);
	df.limit = LEAKD_TOP_MAX + 1;
	ck_assert_int_eq(proto__check_payload(&h, &df, &why), LEAKD_ERR_ARGS);
	df.limit = 0;
	memset(df.b, 0, sizeof(df.b));
	ck_assert_int_eq(proto__check_payload(&h, &df, &why), LEAKD_ERR_ARGS);

	h = hdr(LEAKD_CMD_TIMELINE, sizeof(tl));
	ck_assert_int_eq(proto__check_payload(&h, &tl, &why), LEAKD_OK);
	h.format = LEAKD_FORMAT_SVG;
	ck_assert_int_eq(proto__check_payload(&h, &tl, &why), LEAKD_OK);
	h.format = LEAKD_FORMAT_PPROF;
	ck_assert_int_eq(proto__check_payload(&h, &tl, &why), LEAKD_ERR_ARGS);
	h.format = LEAKD_FORMAT_TEXT;
	tl.stacks = LEAKD_TIMELINE_STACKS + 1;
	ck_assert_int_eq(proto__check_payload(&h, &tl, &why), LEAKD_ERR_ARGS);
	tl.stacks = 0;
	tl.pid = 0;
	ck_assert_int_eq(proto__check_payload(&h, &tl, &why), LEAKD_ERR_ARGS);

	/* top: rankings, flags and windows checked. */
	h = hdr(LEAKD_CMD_TOP, sizeof(top));
	top.by = LEAKD_TOP_BY__MAX;
	ck_assert_int_eq(proto__check_payload(&h, &top, &why), LEAKD_ERR_ARGS);
	top.by = LEAKD_TOP_BY_GROWTH;
	top.top_flags = LEAKD_TOP_FLAGS + 1;
	ck_assert_int_eq(proto__check_payload(&h, &top, &why), LEAKD_ERR_ARGS);
	top.top_flags = LEAKD_TOP_AGES;
	top.window_ns = LEAKD_DURATION_MAX + 1;
	ck_assert_int_eq(proto__check_payload(&h, &top, &why), LEAKD_ERR_ARGS);
	top.window_ns = 60ull * 1000000000;
	ck_assert_int_eq(proto__check_payload(&h, &top, &why), LEAKD_OK);
	snprintf(top.sel.cgroup, sizeof(top.sel.cgroup), "relative");
	ck_assert_int_eq(proto__check_payload(&h, &top, &why), LEAKD_ERR_ARGS);
	snprintf(top.sel.cgroup, sizeof(top.sel.cgroup), "/system.slice");
	ck_assert_int_eq(proto__check_payload(&h, &top, &why), LEAKD_OK);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("proto");
	TCase *tc = tcase_create("checks");

	tcase_add_test(tc, header_checks_in_order);
	tcase_add_test(tc, commands_and_sizes);
	tcase_add_test(tc, selectors);
	tcase_add_test(tc, trace_modes);
	tcase_add_test(tc, sizes_within_their_maximum);
	tcase_add_test(tc, snapshots_diffs_timelines);
	tcase_add_test(tc, random_payloads_never_crash);
	/* 100,000 random requests take seconds on a busy host: more than check's 4 s. */
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
