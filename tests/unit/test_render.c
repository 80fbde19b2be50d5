// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Text and JSON come from one snapshot and must agree: each snapshot kind is
 * crafted with distinct figures, rendered both ways, and every value of the JSON
 * is looked for in the text.  The few fields text shows in another form (clock
 * times as dates, durations in seconds, code addresses) are named below.
 */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "present/diff.h"
#include "present/render.h"
#include "testutil.h"

/* JSON keys whose values the text shows in another form, or leaves to JSON. */
static const char *const other_form[] = {
	"schema",		/* a property of the JSON layout itself */
	"time", "exited",	/* epoch seconds; text shows the local date and time */
	"min_age_ns", "traced_ns",	/* text: seconds */
	"id", "pc", "offset",	/* code and stack identities, hex: JSON only */
	"path", "build_id",	/* text names the module by its base name */
	"unwound_by",		/* text marks only frame-pointer frames */
	"function_offset",	/* text: hex */
	"column",		/* text: file:line */
	"total_bytes", "freed_bytes",	/* text rows give counts (their format is pinned) */
	"level",		/* text says it in the row's wording */
	"unwinding",		/* ".eh_frame" / "frame-pointer" in text */
	"sample_interval", "sample_bytes", "trace_sample_bytes",	/* text: binary units */
	"interval_bytes",
	"cgroup",		/* text shows the unit it names */
	"container",		/* text: its first 12 digits, as container tools show it */
	"by",			/* text says it in the heading's wording */
	"a", "b",		/* diff: text names them in its heading (checked below) */
	"saved", "start",	/* epoch seconds; text shows the local date and time */
	NULL,
};

static bool skipped(const char *key)
{
	for (int i = 0; other_form[i]; i++)
		if (!strcmp(other_form[i], key))
			return true;
	return false;
}

/* A number as a whole token in text (not a part of a longer number). */
static bool has_number(const char *text, const char *num)
{
	size_t n = strlen(num);
	const char *p;

	for (p = strstr(text, num); p; p = strstr(p + 1, num)) {
		char before = p > text ? p[-1] : ' ', after = p[n];

		if (isdigit((unsigned char)before) || before == '.')
			continue;
		if (isdigit((unsigned char)after) || (after == '.' && isdigit((unsigned char)p[n + 1])))
			continue;
		return true;
	}
	return false;
}

#define ck_has(text, needle) \
	ck_assert_msg(strstr((text), (needle)), "missing %s in:\n%s", (needle), (text))

static char *draw(enum output_format fmt, const struct snapshot *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(render(f, fmt, s), 0);
	fclose(f);
	return buf;
}

/* Every string and number value of json appears in text; returns how many were checked. */
static int agree(const struct snapshot *s)
{
	char *json = draw(OUTPUT_JSON, s), *text = draw(OUTPUT_TEXT, s);
	char key[64] = "", tok[512];
	int checked = 0;
	const char *p = json;

	while (*p) {
		if (*p == '"') {
			size_t n = 0;
			bool plain = true;

			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\') {
					plain = false;
					p++;
				}
				if (n + 1 < sizeof(tok))
					tok[n++] = *p;
			}
			tok[n] = 0;
			p++;
			if (*p == ':') {
				snprintf(key, sizeof(key), "%s", tok);
				continue;
			}
			if (plain && !skipped(key)) {
				ck_assert_msg(strstr(text, tok), "%s: \"%s\" not in the text:\n%s\n%s",
					      key, tok, text, json);
				checked++;
			}
			continue;
		}
		if (*p == '-' || isdigit((unsigned char)*p)) {
			size_t n = 0;

			while (*p && strchr("-+.eE0123456789", *p) && n + 1 < sizeof(tok))
				tok[n++] = *p++;
			tok[n] = 0;
			if (!skipped(key)) {
				ck_assert_msg(has_number(text, tok), "%s: %s not in the text:\n%s\n%s",
					      key, tok, text, json);
				checked++;
			}
			continue;
		}
		p++;
	}
	free(json);
	free(text);
	return checked;
}

/* A stack with two frames, one with a function inlined into it. */
static void craft_stack(struct stack_snap *st, uint64_t base, enum level l)
{
	static struct frame_name inl = { .function = "inlined_helper", .file = "helper.h",
					 .line = 777 };

	memset(st, 0, sizeof(*st));
	st->pid = base + 1;
	snprintf(st->comm, sizeof(st->comm), "comm%llu", (unsigned long long)base);
	st->show_proc = true;
	st->level = l;
	st->id = 0x4321;
	st->flags = STACK_HAS_FRAMES;
	st->bytes = base + 2;
	st->count = base + 3;
	st->stats.total_count = base + 4;
	st->stats.freed_count = base + 5;
	st->stats.total_bytes = base + 6;
	st->stats.freed_bytes = base + 7;
	st->nr_frames = 2;
	st->frames = calloc(2, sizeof(*st->frames));
	ck_assert_ptr_nonnull(st->frames);
	st->frames[0] = (struct frame_snap){ .pc = 0x401000, .offset = 0x1000,
					     .module = strdup("prog"),
					     .module_path = strdup("/usr/bin/prog"),
					     .build_id = strdup("abcd"),
					     .real = { .function = strdup("leaky_fn"),
						       .function_offset = 0x12,
						       .file = strdup("leaky.c"), .line = 642 } };
	st->frames[0].inlined = malloc(sizeof(inl));
	st->frames[0].inlined[0] = inl;
	st->frames[0].inlined[0].function = strdup(inl.function);
	st->frames[0].inlined[0].file = strdup(inl.file);
	st->frames[0].nr_inlined = 1;
	st->frames[1] = (struct frame_snap){ .pc = 0x402000, .offset = 0x2000,
					     .module = strdup("prog"),
					     .module_path = strdup("/usr/bin/prog"),
					     .build_id = strdup("abcd"),
					     .real = { .function = strdup("main"),
						       .file = strdup("main.c"), .line = 643 } };
}

START_TEST(status_agrees)
{
	struct status_snap st = {
		.version = "9.8.7", .uptime_s = 101, .uprobes = "uprobe_multi",
		.syscalls = "syscall tracepoints", .sampling = "uprobe sessions",
		.sample_bytes = 524288, .eh_frame = true, .watched = 102, .traced = 103,
		.traced_by = { 0, 104, 105, 106, 107, 163 }, .exited_kept = 108,
		.drilldown = { true, 109, 110, 111, 112, 113, 199 },
		.inject = { 168, 169, 178, 179 },
		.events = { 114, 115, 116 },
		.missed_runs = 117,
		.tables = { 118, 119, 120, 121, 122, 123, 124, 125, 126 },
		.limits = { 127, 128, 129, 130, 131, 132, 133 },
		.rules = { 134, 135, 136, 137, 138, 139, 140 },
		.unwind = { 141, 142, 143, 144, 145, 146, 147, 148, 149, 150, 151,
			    "read-only: tables not saved", 163, 164, 165 },
		.symbols = { 152, 153, 154 },
		.clients = { 155, 156, 157, 158, 159, 160, 166, 167, "/run/test/leakd.sock", false },
		.daemon = { 12.25, 161, 162, 168, 169, 170 },
		.restart = { "clean stop", "loaded", true, 180, 181, 182, 183, 184, 185, 186, 187,
			     188 },
	};
	struct snapshot s = { .kind = SNAP_STATUS, .status = &st };

	for (int k = 0; k < LEAKD_CNT__COUNT; k++)
		st.counters[k] = 200 + k;
	/* The asker's rules with their modes, and the event budget. */
	st.rules.list[0] = (struct status_rule){ .comm = "nginx", .owner = 1000,
						 .sample_bytes = 524288, .left_s = 170 };
	st.rules.list[1] = (struct status_rule){ .unit = "web.service", .owner = 171,
						 .forever = true };
	st.rules.listed = 2;
	st.rules.mine = 172;
	st.budget = (typeof(st.budget)){ .limit = 173, .rate = 174, .sampled_rate = 175,
					 .exempt_rate = 176, .factor = 177, .exceeded = true,
					 .samplers_paced = 178, .samplers_fixed = 179,
					 .pace_failed = 180 };
	/*
	 * Every figure of status: the four unwinder counters text once lacked among
	 * them, and the cache's and the clients' (its state, mismatches, refused and
	 * unsaved tables; clients beyond their share, past a deadline; the socket).
	 */
	ck_assert_int_ge(agree(&s), 101);
	{
		char *text = draw(OUTPUT_TEXT, &s), *json = draw(OUTPUT_JSON, &s);

		ck_has(text, "rule name nginx of uid 1000: sampled every 512.0 KiB, 170 s left");
		ck_has(text, "rule unit web.service of uid 171: exact, until removed");
		ck_has(text, "... 2 of your 172 rules listed");
		ck_has(text, "sampled intervals x177; exceeded\n");
		ck_has(json, "\"mode\":\"sampled\",\"sample_bytes\":524288,\"left_s\":170");
		ck_has(json, "\"mode\":\"exact\",\"left_s\":null");
		ck_has(json, "\"factor\":177,\"exceeded\":true,\"exceeded_by_exempt\":false");
		/* Samplers: leakd's widened, others' not (and said why). */
		ck_has(text, "event budget samplers: 178 of leakd's widened with them, 179 other "
			     "otel_memory emitters at their own intervals (leakd cannot widen those), "
			     "180 widenings failed\n");
		ck_has(json, "\"samplers_widened\":178,\"samplers_fixed\":179,"
			     "\"sampler_widenings_failed\":180");
		free(text);
		free(json);
		/* Exact traces alone over it: said so, as they are never widened. */
		st.budget.by_exempt = true;
		text = draw(OUTPUT_TEXT, &s);
		ck_has(text, "exceeded by exact traces alone, never widened");
		free(text);
		st.budget.limit = 0;
		text = draw(OUTPUT_TEXT, &s);
		json = draw(OUTPUT_JSON, &s);
		ck_has(text, "event budget: off (event-budget)");
		ck_has(json, "\"budget\":{\"on\":false");
		free(text);
		free(json);
	}
	/* The socket's group: a word in JSON, a sentence in text. */
	{
		char *text = draw(OUTPUT_TEXT, &s), *json = draw(OUTPUT_JSON, &s);

		ck_assert_ptr_nonnull(strstr(text, "root only (no such socket group)"));
		ck_assert_ptr_nonnull(strstr(json, "\"socket_group\":false"));
		free(text);
		free(json);
		st.clients.socket_group = true;
		text = draw(OUTPUT_TEXT, &s);
		json = draw(OUTPUT_JSON, &s);
		ck_assert_ptr_nonnull(strstr(text, "group members and root"));
		ck_assert_ptr_nonnull(strstr(json, "\"socket_group\":true"));
		free(text);
		free(json);
	}
}
END_TEST

START_TEST(ps_agrees)
{
	struct ps_row rows[3] = {
		{ .pid = 301, .uid = 302, .comm = "grower", .unit = "web.service", .rss_bytes = 303,
		  .anon_bytes = 304, .mapped_bytes = 305, .heap_bytes = 306,
		  .reserved_bytes = 308, .growth_per_hour = 500, .growth = TREND_GROWING,
		  .growth_in_known = true, .growth_in = RUNTIME_V8,
		  .traced = TRACE_KIND_MANUAL, .sampling = "sampled", .sample_bytes = 524288,
		  .interval_bytes = 4194304, .unwind = "ready", .traced_live_bytes = 307,
		  .events_per_s = 322,
		  .cgroup = "/system.slice/web.service",
		  .container = "3f2a9c1b7e8d4f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718" },
		{ .pid = 311, .uid = 312, .comm = "shrinker", .unit = "", .rss_bytes = 313,
		  .anon_bytes = 314, .mapped_bytes = 315, .heap_bytes = 316,
		  .reserved_bytes = 319, .growth_per_hour = -600, .growth = TREND_SHRINKING,
		  .traced = TRACE_KIND_AUTO, .sampling = "sampler", .unwind = "pending",
		  .traced_live_bytes = 317, .sampler_fixed = true, .events_per_s = 323 },
		{ .pid = 321, .comm = "young", .unit = "", .sampling = "-", .unwind = "none" },
	};
	struct ps_snap ps = { .growth_window_s = 318, .rows = rows, .n = 3 };
	struct snapshot s = { .kind = SNAP_PS, .ps = &ps };
	char *text, *json;

	ck_assert_int_ge(agree(&s), 2 * 11);
	/* A process with too little history has no rate: null, and a dash, not a number. */
	text = draw(OUTPUT_TEXT, &s);
	json = draw(OUTPUT_JSON, &s);
	ck_assert(strstr(json, "\"growth_per_hour\":null,\"trend\":\"unknown\""));
	ck_assert(strstr(text, "3f2a9c1b7e8d "));
	/* Widened by the event budget: asked, then in force. */
	ck_has(text, " sampled/512.0 KiB>4.0 MiB ");
	ck_has(json, "\"sample_bytes\":524288,\"interval_bytes\":4194304");
	rows[0].interval_bytes = rows[0].sample_bytes;
	free(text);
	text = draw(OUTPUT_TEXT, &s);
	ck_has(text, " sampled/512.0 KiB ");
	/* Another emitter's sampler: its interval its own; leakd's: widened as sampled. */
	ck_has(text, " sampler/fixed ");
	ck_has(json, "\"sampling\":\"sampler\",\"sampler_fixed\":true,\"events_per_s\":323");
	rows[1].sampler_fixed = false;
	rows[1].sample_bytes = 4096;
	rows[1].interval_bytes = 65536;
	free(text);
	text = draw(OUTPUT_TEXT, &s);
	ck_has(text, " sampler/4.0 KiB>64.0 KiB ");
	free(text);
	free(json);
}
END_TEST

START_TEST(top_agrees)
{
	struct top_snap t = { .processes = 401 };
	struct snapshot s = { .kind = SNAP_TOP, .top = &t };

	char *json, *text;

	t.stacks.v = calloc(3, sizeof(*t.stacks.v));
	t.stacks.n = 3;
	craft_stack(&t.stacks.v[0], 410, LEVEL_HEAP);
	craft_stack(&t.stacks.v[1], 420, LEVEL_MAP);
	craft_stack(&t.stacks.v[2], 430, LEVEL_BRK);
	t.stacks.v[0].trace_ended = true;
	snprintf(t.stacks.v[0].unit, sizeof(t.stacks.v[0].unit), "web.service");
	t.stacks.v[1].has_owner = true;
	t.stacks.v[1].owner = RUNTIME_JVM;
	snprintf(t.stacks.v[1].container, sizeof(t.stacks.v[1].container),
		 "3f2a9c1b7e8d4f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718");
	ck_assert_int_ge(agree(&s), 3 * 12);
	/* A brk row is a growth attribution, said so in both. */
	json = draw(OUTPUT_JSON, &s);
	text = draw(OUTPUT_TEXT, &s);
	ck_assert_ptr_nonnull(strstr(json, "\"level\":\"brk\""));
	ck_assert_ptr_nonnull(strstr(json, "\"extensions\":433,"));
	ck_assert_ptr_nonnull(strstr(json, "\"attribution\":\"growth\""));
	ck_assert_ptr_nonnull(strstr(text, "pid 431 (comm430), brk: 432 bytes of heap growth (brk) "
					  "in 433 extensions from stack (434 grown, 435 freed"));
	ck_assert_ptr_nonnull(strstr(text, "[growth attribution: the call that grew the heap"));
	/* Only the brk row says so. */
	ck_assert_ptr_null(strstr(strstr(json, "attribution") + 1, "attribution"));
	free(json);
	free(text);
	/* By growth: trends and ages, with a histogram. */
	t.by_growth = true;
	t.window_s = 460;
	t.stacks.v[0].has_trend = true;
	t.stacks.v[0].trend = (struct trend){ .cls = TREND_GROWING, .per_hour = 461,
					      .recent_per_hour = 462, .fit = 0.46, .points = 463 };
	t.stacks.v[0].trend_window_s = 464;
	t.stacks.v[0].has_ages = true;
	t.stacks.v[0].age_histogram = true;
	t.stacks.v[0].ages = (struct stack_ages){ .count = 3, .oldest_ns = 465000000000ULL,
						  .median_ns = 466000000000ULL,
						  .counts = { 1, 2 }, .bytes = { 467, 468 } };
	t.stacks.v[1].has_trend = true;
	t.stacks.v[1].trend = (struct trend){ .cls = TREND_UNKNOWN, .points = 2,
					      .span_ns = 469000000000ULL };
	ck_assert_int_ge(agree(&s), 3 * 12 + 10);
	/* Since: its own heading. */
	t.by_growth = false;
	t.since_s = 470;
	ck_assert_int_ge(agree(&s), 3 * 12);
	stack_list__free(&t.stacks);
}
END_TEST

START_TEST(trace_agrees)
{
	uint64_t pids[2] = { 501, 502 };
	struct trace_snap t = { .on = true, .what = "name grower", .pids = pids, .n = 2,
				.rules = 503, .refused = 504, .denied = 505, .duration_s = 506 };
	struct snapshot s = { .kind = SNAP_TRACE, .trace = &t };

	ck_assert_int_ge(agree(&s), 6);
	t.on = false;
	t.by_pid = false;
	ck_assert_int_ge(agree(&s), 5);
}
END_TEST

START_TEST(exited_agrees)
{
	struct exit_snap e = { .pid = 601, .comm = "gone", .uid = 602, .exited = 1700000000,
			       .traced = true, .heap_bytes = 603, .heap_allocs = 604,
			       .map_bytes = 605 };
	const struct exit_snap *v[1] = { &e };
	struct exited_snap x = { .v = v, .n = 1 };
	struct snapshot s = { .kind = SNAP_EXITED, .exited = &x };

	e.stacks.v = calloc(1, sizeof(*e.stacks.v));
	e.stacks.n = 1;
	craft_stack(&e.stacks.v[0], 610, LEVEL_HEAP);
	e.stacks.v[0].show_proc = false;
	e.stacks.v[0].pid = 601;
	snprintf(e.stacks.v[0].comm, sizeof(e.stacks.v[0].comm), "gone");
	ck_assert_int_ge(agree(&s), 5 + 10);
	exit_snap__free(&e);
}
END_TEST

START_TEST(report_agrees)
{
	struct report_snap r = {
		.time = 1700000000, .final = true, .reason = "exit", .pid = 701, .comm = "leaker",
		.complete = false, .min_age_ns = 2000000000, .traced_ns = 3250000000,
		.live_bytes = 702, .live_allocs = 703,
		.total_allocs = 704, .total_frees = 705,
		.notes = { .unmatched_frees = 706, .replaced_allocs = 707, .unmatched_unmaps = 708,
			   .refreed_frees = 740, .cache_untracked = 741 },
		.nr_stacks = 709, .map_bytes = 710, .map_count = 711, .reserved_bytes = 712,
		.brk_bytes = 713,
		.losses = { .missed_runs = 714, .tables = { 715, 716, 717 } },
	};
	struct snapshot s = { .kind = SNAP_REPORT, .report = &r };
	char *text;

	for (int k = 0; k < LEAKD_CNT__COUNT; k++)
		r.losses.counters[k] = 800 + k;
	r.heap.v = calloc(1, sizeof(*r.heap.v));
	r.heap.n = 1;
	craft_stack(&r.heap.v[0], 720, LEVEL_HEAP);
	r.heap.v[0].show_proc = false;
	r.heap.v[0].pid = 701;
	snprintf(r.heap.v[0].comm, sizeof(r.heap.v[0].comm), "leaker");
	r.maps.v = calloc(1, sizeof(*r.maps.v));
	r.maps.n = 1;
	craft_stack(&r.maps.v[0], 730, LEVEL_MAP);
	r.maps.v[0].show_proc = false;
	r.maps.v[0].pid = 701;
	snprintf(r.maps.v[0].comm, sizeof(r.maps.v[0].comm), "leaker");
	r.brk.v = calloc(1, sizeof(*r.brk.v));
	r.brk.n = 1;
	craft_stack(&r.brk.v[0], 750, LEVEL_BRK);
	r.brk.v[0].show_proc = false;
	r.brk.v[0].pid = 701;
	snprintf(r.brk.v[0].comm, sizeof(r.brk.v[0].comm), "leaker");
	ck_assert_int_ge(agree(&s), 52);
	text = draw(OUTPUT_TEXT, &s);
	ck_assert_ptr_nonnull(strstr(text, "  traced for 3.250 s\n"));
	free(text);
	report_snap__free(&r);
}
END_TEST

/* A sampled report: the mode, estimates, their standard errors and sampled counts agree. */
START_TEST(sampled_report_agrees)
{
	struct report_snap r = {
		.time = 1700000000, .final = true, .reason = "exit", .pid = 901, .comm = "sampled",
		.complete = true, .live_bytes = 902, .live_allocs = 903, .total_allocs = 904,
		.total_frees = 905, .sampled = true, .sample_interval = 524288,
		.live_bytes_se = 906, .live_allocs_se = 907, .sampled_live = 908,
		.sampled_allocs = 909, .nr_stacks = 910,
	};
	struct snapshot s = { .kind = SNAP_REPORT, .report = &r };
	char *json, *text;

	r.heap.v = calloc(1, sizeof(*r.heap.v));
	r.heap.n = 1;
	craft_stack(&r.heap.v[0], 920, LEVEL_HEAP);
	r.heap.v[0].show_proc = false;
	r.heap.v[0].pid = 901;
	snprintf(r.heap.v[0].comm, sizeof(r.heap.v[0].comm), "sampled");
	r.heap.v[0].samples = 930;
	r.heap.v[0].se_bytes = 931;
	r.heap.v[0].se_count = 932;
	ck_assert_int_ge(agree(&s), 30);
	json = draw(OUTPUT_JSON, &s);
	text = draw(OUTPUT_TEXT, &s);
	ck_has(json, "\"mode\":\"sampled\"");
	ck_has(json, "\"live_bytes_se\":906");
	ck_has(json, "\"bytes_se\":931,\"allocs_se\":932,\"samples\":930");
	ck_has(text, "sampled every 512.0 KiB on average (908 sampled blocks live)");
	ck_has(text, "922 ± 931 bytes in 923 ± 932 allocations from stack (estimated from 930 sampled");
	free(json);
	free(text);
	/* The process's own probes: no interval, the weights alone. */
	r.sample_interval = 0;
	ck_assert_int_ge(agree(&s), 30);
	text = draw(OUTPUT_TEXT, &s);
	ck_has(text, "sampled by the process's own probes (908 sampled blocks live)");
	free(text);
	report_snap__free(&r);
}
END_TEST

/* Whether tracing began with the program changes what unmatched frees can be. */
START_TEST(report_from_start)
{
	struct report_snap r = { .pid = 701, .comm = "leaker", .complete = true,
				 .notes = { .unmatched_frees = 3, .refreed_frees = 50 } };
	struct snapshot s = { .kind = SNAP_REPORT, .report = &r };
	char *json, *text;

	for (int from_start = 0; from_start < 2; from_start++) {
		r.from_start = from_start;
		json = draw(OUTPUT_JSON, &s);
		text = draw(OUTPUT_TEXT, &s);
		ck_assert_ptr_nonnull(strstr(json, from_start ? "\"from_start\":true" :
							       "\"from_start\":false"));
		ck_assert_ptr_nonnull(strstr(json, "\"refreed_frees\":50,"));
		ck_assert_ptr_nonnull(strstr(text, "50 frees of blocks already freed"));
		ck_assert_ptr_nonnull(strstr(text, "3 frees of blocks not seen allocated"));
		ck_assert_int_eq(!!strstr(text, "before the probes were in place"), from_start);
		ck_assert_int_eq(!!strstr(text, "allocated before tracing began"), !from_start);
		free(json);
		free(text);
	}
}
END_TEST

/*
 * leakd -f: the first process and each forked child with its own section; a
 * child's parent, exit and frees of inherited blocks in both forms.
 */
START_TEST(report_children_agree)
{
	struct report_snap r = {
		.time = 1700000000, .final = true, .reason = "exit", .pid = 501, .comm = "server",
		.complete = true, .live_bytes = 502, .live_allocs = 503, .total_allocs = 504,
		.total_frees = 505, .nr_stacks = 506, .follow = true, .children_dropped = 507,
		.children_forgotten = 508,
	};
	struct snapshot s = { .kind = SNAP_REPORT, .report = &r };
	char *text, *json;

	r.children = calloc(2, sizeof(*r.children));
	r.nr_children = 2;
	for (int i = 0; i < 2; i++) {
		struct report_snap *c = &r.children[i];

		c->time = r.time;
		c->final = true;
		c->pid = 600 + 100 * i;
		c->ppid = 501;
		c->exited = i == 0;
		snprintf(c->comm, sizeof(c->comm), "worker%d", i);
		c->complete = true;
		c->live_bytes = 611 + 100 * i;
		c->live_allocs = 612 + 100 * i;
		c->total_allocs = 613 + 100 * i;
		c->total_frees = 614 + 100 * i;
		c->nr_stacks = 615 + 100 * i;
		c->notes.inherited_frees = 616 + 100 * i;
		c->notes.inherited_untracked = 617 + 100 * i;
		c->heap.v = calloc(1, sizeof(*c->heap.v));
		c->heap.n = 1;
		craft_stack(&c->heap.v[0], 620 + 100 * i, LEVEL_HEAP);
		c->heap.v[0].show_proc = false;
		c->heap.v[0].pid = c->pid;
		memcpy(c->heap.v[0].comm, c->comm, sizeof(c->comm));
	}
	ck_assert_int_ge(agree(&s), 60);
	text = draw(OUTPUT_TEXT, &s);
	json = draw(OUTPUT_JSON, &s);
	ck_has(text, "Forked children followed: 2 (507 more not followed");
	ck_has(text, "(the reports of 508 that exited first went for room)");
	ck_has(text, "] pid 600 (worker0), forked from pid 501, exited, final report:");
	ck_has(text, "] pid 700 (worker1), forked from pid 501, final report:");
	ck_has(text, "616 frees of blocks inherited at fork");
	ck_has(json, "\"children\":[{\"time\":");
	ck_has(json, "\"ppid\":501,\"exited\":true");
	ck_has(json, "\"ppid\":501,\"exited\":false");
	ck_assert_ptr_null(strstr(json, "\"children\":[{\"type\""));
	free(text);
	free(json);
	/* Without -f: neither children nor their fields. */
	r.follow = false;
	report_snap__free(&r);
	json = draw(OUTPUT_JSON, &s);
	text = draw(OUTPUT_TEXT, &s);
	ck_assert_ptr_null(strstr(json, "children"));
	ck_assert_ptr_null(strstr(json, "inherited"));
	ck_assert_ptr_null(strstr(text, "Forked children"));
	free(text);
	free(json);
}
END_TEST

START_TEST(error_agrees)
{
	struct error_snap e = { .message = "no process 4242 watched" };
	struct snapshot s = { .kind = SNAP_ERROR, .error = &e };

	ck_assert_int_eq(agree(&s), 1);
}
END_TEST

START_TEST(formats_by_name)
{
	enum output_format f;
	struct error_snap e = { .message = "x" };
	struct snapshot s = { .kind = SNAP_ERROR, .error = &e };
	FILE *null = fopen("/dev/null", "w");

	ck_assert_int_eq(output_format_parse("json", &f), 0);
	ck_assert_int_eq(f, OUTPUT_JSON);
	ck_assert_int_eq(output_format_parse("text", &f), 0);
	ck_assert_int_eq(f, OUTPUT_TEXT);
	ck_assert_int_eq(output_format_parse("yaml", &f), -EINVAL);
	ck_assert_str_eq(output_format_name(OUTPUT_JSON), "json");
	ck_assert_ptr_null(output_format_name(OUTPUT__COUNT));
	ck_assert_int_eq(render(null, OUTPUT__COUNT, &s), -ENOTSUP);
	fclose(null);
}
END_TEST

START_TEST(json_has_schema)
{
	struct error_snap e = { .message = "x" };
	struct snapshot s = { .kind = SNAP_ERROR, .error = &e };
	char *json = draw(OUTPUT_JSON, &s);

	ck_assert_str_eq(json, "{\"error\":\"x\",\"schema\":1}\n");
	free(json);
}
END_TEST

START_TEST(saved_agrees)
{
	struct saved_snap v[2] = { { .name = "before-deploy", .saved = 1700000000, .size = 801 },
				   { .name = "after", .saved = 1700000100, .size = 802 } };
	struct saved_list_snap l = { .v = v, .n = 2, .limit = 803 };
	struct snapshot s = { .kind = SNAP_SAVED, .saved = &l };

	ck_assert_int_ge(agree(&s), 5);
}
END_TEST

START_TEST(timeline_agrees)
{
	uint64_t t[3] = { 0, 901, 902 }, rss[3] = { 911, 912, 913 }, anon[3] = { 921, 922, 923 };
	uint64_t heap[3] = { 931, 932, 933 }, traced[3] = { 941, 942, 943 };
	uint64_t b1[3] = { 951, 952, 953 }, file[3] = { 981, 982, 983 };
	struct timeline_row row = { .name = "leak_request", .level = LEVEL_HEAP, .growth = 960,
				    .bytes = b1 };
	struct timeline_snap tl = { .pid = 970, .comm = "grower", .window_s = 971,
				    .wall_start = 1700000000, .n = 3, .t_ms = t,
				    .values = { rss, anon, heap, traced, file }, .rows = &row,
				    .nr_rows = 1 };
	struct snapshot s = { .kind = SNAP_TIMELINE, .timeline = &tl };
	char *svg;

	ck_assert_int_ge(agree(&s), 3 * 6 + 3 + 5);
	svg = draw(OUTPUT_SVG, &s);
	ck_assert_ptr_nonnull(strstr(svg, "<svg"));
	ck_assert_ptr_nonnull(strstr(svg, "leak_request"));
	free(svg);
}
END_TEST

START_TEST(diff_agrees)
{
	struct stack_list a = { 0 }, b = { 0 };
	struct diff_snap d;
	struct snapshot s = { .kind = SNAP_DIFF };
	char *text;

	a.v = calloc(1, sizeof(*a.v));
	b.v = calloc(2, sizeof(*b.v));
	a.n = 1;
	b.n = 2;
	craft_stack(&a.v[0], 100, LEVEL_HEAP);
	craft_stack(&b.v[0], 200, LEVEL_HEAP);	/* the same code: it grew by 100 */
	craft_stack(&b.v[1], 300, LEVEL_MAP);	/* new */
	ck_assert_int_eq(diff__compute(&a, &b, 0, &d), 0);
	snprintf(d.a, sizeof(d.a), "before-leak");
	snprintf(d.b, sizeof(d.b), "now");
	s.diff = &d;
	ck_assert_uint_eq(d.n, 2);
	ck_assert_int_ge(agree(&s), 20);
	text = draw(OUTPUT_TEXT, &s);
	ck_assert(strstr(text, "before-leak -> now"));
	ck_assert(strstr(text, "+100 B (+100 allocations), heap: 102 B in 103 -> 202 B in 203"));
	free(text);
	diff_snap__free(&d);
	stack_list__free(&a);
	stack_list__free(&b);
}
END_TEST

/* Each sample line of the exposition format: a name, labels, a number. */
static void check_exposition(const char *text)
{
	const char *line = text;

	while (*line) {
		const char *nl = strchr(line, '\n'), *sp;
		char name[128];
		double v;

		ck_assert_ptr_nonnull(nl);
		if (line[0] == '#') {
			ck_assert(!strncmp(line, "# HELP leakd_", 13) ||
				  !strncmp(line, "# TYPE leakd_", 13));
		} else {
			ck_assert_int_eq(sscanf(line, "%127[a-z_]", name), 1);
			ck_assert(!strncmp(name, "leakd_", 6));
			sp = memrchr(line, ' ', nl - line);
			ck_assert_ptr_nonnull(sp);
			ck_assert_int_eq(sscanf(sp + 1, "%lf", &v), 1);
		}
		line = nl + 1;
	}
}

START_TEST(metrics_exposition)
{
	struct status_snap st = { .version = "9.8.7", .uptime_s = 11, .watched = 12,
				  .traced_by = { 0, 1, 2, 3, 4 }, .events = { 13, 14, 15 },
				  .daemon = { 1.5, 16, 17 },
				  .budget = { .limit = 18, .sampled_rate = 19, .exempt_rate = 20,
					      .factor = 4 } };
	struct ps_row rows[2] = {
		{ .pid = 21, .comm = "we\"ird\\name", .unit = "web.service", .rss_bytes = 22,
		  .anon_bytes = 23, .growth_per_hour = 3600, .growth = TREND_GROWING,
		  .traced = TRACE_KIND_MANUAL, .sampling = "sampled", .sample_bytes = 524288,
		  .interval_bytes = 2097152 },
		{ .pid = 31, .comm = "other", .rss_bytes = 32 },
	};
	struct ps_snap ps = { .rows = rows, .n = 2 };
	struct metrics_snap m = { .status = &st, .ps = &ps, .top = 1 };
	struct snapshot s = { .kind = SNAP_METRICS, .metrics = &m };
	char *text = draw(OUTPUT_METRICS, &s), *json = NULL;
	size_t len = 0;
	FILE *f;

	check_exposition(text);
	ck_assert(strstr(text, "leakd_processes_watched 12\n"));
	ck_assert(strstr(text, "leakd_events_total 13\n"));
	ck_assert(strstr(text, "leakd_build_info{version=\"9.8.7\"} 1\n"));
	/* Label values escaped; rate in bytes per second. */
	ck_assert(strstr(text, "leakd_process_memory_bytes{pid=\"21\",comm=\"we\\\"ird\\\\name\","
				 "unit=\"web.service\",kind=\"rss\"} 22\n"));
	ck_assert(strstr(text, "leakd_process_growth_bytes_per_second{pid=\"21\""));
	ck_assert(strstr(text, "} 1\n"));
	/* How it is traced: a label, and the sampling interval as a series. */
	ck_assert(strstr(text, "leakd_process_traced{pid=\"21\",comm=\"we\\\"ird\\\\name\","
				 "unit=\"web.service\",how=\"manual\",sampling=\"sampled\"} 1\n"));
	/* The interval in force, widened by the event budget, and the budget itself. */
	ck_assert(strstr(text, "leakd_process_sample_interval_bytes{pid=\"21\",comm=\"we\\\"ird"
				 "\\\\name\",unit=\"web.service\",} 2097152\n"));
	ck_assert(strstr(text, "leakd_event_budget_events_per_second 18\n"));
	ck_assert(strstr(text, "leakd_trace_events_per_second{traces=\"sampled\"} 19\n"));
	ck_assert(strstr(text, "leakd_trace_events_per_second{traces=\"exempt\"} 20\n"));
	ck_assert(strstr(text, "leakd_sample_widening_factor 4\n"));
	/* Only the top rows: the second process is left out. */
	ck_assert(!strstr(text, "pid=\"31\""));
	for (int k = 0; k < LEAKD_DROP__COUNT; k++)
		ck_assert(strstr(text, "leakd_dropped_events_total{cause="));
	/* Text and JSON have no metrics form. */
	f = open_memstream(&json, &len);
	ck_assert_int_eq(render(f, OUTPUT_JSON, &s), -ENOTSUP);
	fclose(f);
	free(json);
	free(text);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("render");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, status_agrees);
	tcase_add_test(tc, report_children_agree);
	tcase_add_test(tc, ps_agrees);
	tcase_add_test(tc, top_agrees);
	tcase_add_test(tc, trace_agrees);
	tcase_add_test(tc, exited_agrees);
	tcase_add_test(tc, report_agrees);
	tcase_add_test(tc, sampled_report_agrees);
	tcase_add_test(tc, report_from_start);
	tcase_add_test(tc, error_agrees);
	tcase_add_test(tc, formats_by_name);
	tcase_add_test(tc, json_has_schema);
	tcase_add_test(tc, saved_agrees);
	tcase_add_test(tc, timeline_agrees);
	tcase_add_test(tc, diff_agrees);
	tcase_add_test(tc, metrics_exposition);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
