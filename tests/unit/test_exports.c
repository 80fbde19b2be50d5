// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The export renderers on a crafted profile: folded lines exactly; the pprof file
 * as `go tool pprof` reads it (top, traces, sample types, mappings with build-ids,
 * inlined lines); flame graph and timeline SVGs well-formed (xmllint), rendered
 * (rsvg-convert) and naming their frames; profiles built from a snapshot's stacks
 * (crafted, and gathered from the tables); the profile formats as renderers.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakd/events.h"
#include "model/tables.h"
#include "present/flamegraph.h"
#include "present/folded.h"
#include "present/profile_stacks.h"
#include "present/render.h"
#include "present/report.h"
#include "present/pprof.h"
#include "present/profile.h"
#include "present/timeline.h"
#include "stacks/symbolize.h"
#include "testutil.h"

#define PROG "/usr/bin/prog"
#define PROG_BUILD_ID "0123456789abcdef0123456789abcdef01234567"
#define WEIRD "ns::operator;weird<int>&"

/*
 * main calls leak_a (into which inline_helper was inlined), which calls malloc:
 * 3000 bytes live in 3 blocks; main calls leak_b: 1000 live in 1, and from a
 * second pc of leak_b 200 allocated, all freed; main calls an unnamed frame of
 * prog, which calls a C++ operator with ';' and markup in its name: 500 in 2.
 */
static struct profile *crafted(void)
{
	struct profile_line malloc_l[] = { { .function = "malloc" } };
	struct profile_line leak_a_l[] = {
		{ .function = "inline_helper", .file = "/src/a.c", .line = 12, .inlined = true },
		{ .function = "leak_a", .file = "/src/a.c", .line = 20 },
	};
	struct profile_line leak_b_l[] = { { .function = "leak_b", .file = "/src/b.c", .line = 30 } };
	struct profile_line leak_b2_l[] = { { .function = "leak_b", .file = "/src/b.c", .line = 31 } };
	struct profile_line main_l[] = { { .function = "main", .file = "/src/main.c", .line = 5 } };
	struct profile_line weird_l[] = { { .function = WEIRD } };
	struct profile *p = profile__new();
	uint32_t s1[] = { 1, 2, 4 }, s2[] = { 3, 4 }, s3[] = { 6, 5, 4 }, s4[] = { 7, 4 };
	int64_t v1[PROFILE__NR_VALUES] = { 5, 5000, 3, 3000, 3600 };
	int64_t v2[PROFILE__NR_VALUES] = { 1, 1000, 1, 1000, 0 };
	int64_t v3[PROFILE__NR_VALUES] = { 2, 500, 2, 500, 100 };
	int64_t v4[PROFILE__NR_VALUES] = { 2, 200, 0, 0, -50 };

	ck_assert_ptr_nonnull(p);
	p->comm = profile__strdup(p, "prog");
	p->pid = 4242;
	p->time_ns = 1700000000LL * 1000000000LL;
	p->duration_ns = 10LL * 1000000000LL;
	p->period = 1;
	ck_assert_int_eq(profile__add_mapping(p, 0x400000, 0x402000, 0, PROG, PROG_BUILD_ID), 1);
	ck_assert_int_eq(profile__add_mapping(p, 0x7f0000000000, 0x7f0000200000, 0,
					      "/lib/x86_64-linux-gnu/libc.so.6", ""), 2);
	ck_assert_int_eq(profile__add_location(p, 0x7f0000001000, 0x1000, 2, malloc_l, 1), 1);
	ck_assert_int_eq(profile__add_location(p, 0x401100, 0x1100, 1, leak_a_l, 2), 2);
	ck_assert_int_eq(profile__add_location(p, 0x401200, 0x1200, 1, leak_b_l, 1), 3);
	ck_assert_int_eq(profile__add_location(p, 0x401300, 0x1300, 1, main_l, 1), 4);
	ck_assert_int_eq(profile__add_location(p, 0x401400, 0x1400, 1, NULL, 0), 5);
	ck_assert_int_eq(profile__add_location(p, 0x401500, 0x1500, 1, weird_l, 1), 6);
	ck_assert_int_eq(profile__add_location(p, 0x401210, 0x1210, 1, leak_b2_l, 1), 7);
	ck_assert_int_eq(profile__add_sample(p, v1, s1, 3), 1);
	ck_assert_int_eq(profile__add_sample(p, v2, s2, 2), 2);
	ck_assert_int_eq(profile__add_sample(p, v3, s3, 3), 3);
	ck_assert_int_eq(profile__add_sample(p, v4, s4, 2), 4);
	return p;
}

/* Everything f's writer wrote, as a string (the caller frees it). */
static char *write_with(int (*fn)(FILE *, void *), void *arg, int *ret_err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	*ret_err = fn(f, arg);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

struct folded_arg {
	struct profile *p;
	enum profile_value v;
};

static int folded_fn(FILE *f, void *arg)
{
	struct folded_arg *a = arg;

	return folded__write(f, a->p, a->v);
}

START_TEST(folded_lines)
{
	struct folded_arg a = { .p = crafted(), .v = PROFILE_INUSE_SPACE };
	char *out;
	int err;

	out = write_with(folded_fn, &a, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_str_eq(out, "main;leak_a;inline_helper_[i];malloc 3000\n"
			      "main;leak_b 1000\n"
			      "main;[prog+0x1400];ns::operator:weird<int>& 500\n");
	free(out);
	/* Allocated bytes: the stack whose blocks were all freed shows too. */
	a.v = PROFILE_ALLOC_SPACE;
	out = write_with(folded_fn, &a, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_str_eq(out, "main;leak_a;inline_helper_[i];malloc 5000\n"
			      "main;leak_b 1000\n"
			      "main;[prog+0x1400];ns::operator:weird<int>& 500\n"
			      "main;leak_b 200\n");
	free(out);
	a.v = PROFILE__NR_VALUES;
	out = write_with(folded_fn, &a, &err);
	ck_assert_int_eq(err, -EINVAL);
	free(out);
	profile__free(a.p);
}
END_TEST

START_TEST(profile_bounds)
{
	struct profile *p = crafted();
	struct profile_line l = { .function = "f" };
	int64_t v[PROFILE__NR_VALUES] = { 0 };
	uint32_t bad[] = { 8 }, zero[] = { 0 };
	char buf[64];

	ck_assert_int_eq(profile__add_location(p, 1, 1, 3, &l, 1), -EINVAL);
	ck_assert_int_eq(profile__add_sample(p, v, bad, 1), -EINVAL);
	ck_assert_int_eq(profile__add_sample(p, v, zero, 1), -EINVAL);
	/* Unnamed frames: by module and offset, or by address outside any module. */
	ck_assert_str_eq(profile__frame_name(p, &p->locations[4], 0, buf, sizeof(buf)),
			 "[prog+0x1400]");
	ck_assert_int_eq(profile__add_location(p, 0xdead0, 0, 0, NULL, 0), 8);
	ck_assert_str_eq(profile__frame_name(p, &p->locations[7], 0, buf, sizeof(buf)),
			 "[0xdead0]");
	profile__free(p);
	profile__free(NULL);
}
END_TEST

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	ck_assert_int_eq(fclose(f), 0);
}

/* The output of a shell command; the test fails if it fails. */
static char *command_output(const char *cmd)
{
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];
	FILE *out = open_memstream(&buf, &len);
	FILE *p = popen(cmd, "r");

	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(p);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		fwrite(chunk, 1, n, out);
	ck_assert_msg(pclose(p) == 0, "failed: %s", cmd);
	ck_assert_int_eq(fclose(out), 0);
	return buf;
}

/* An SVG that xmllint finds well-formed and rsvg-convert renders to a PNG. */
static void check_svg(const char *svg, const char *name)
{
	char path[4096], png[4096];

	tmp_file(path, sizeof(path), name);
	fmt_path(png, sizeof(png), "%s.png", path);
	write_file(path, svg);
	run("xmllint --noout '%s'", path);
	run("rsvg-convert -o '%s' '%s'", png, path);
	/* A PNG, not an empty file. */
	run("test \"$(head -c 4 '%s' | od -An -c | tr -d ' ')\" = '211PNG'", png);
}

/* The inline script of an SVG parses as JavaScript (node --check). */
static void check_script(const char *svg)
{
	const char *start = strstr(svg, "<![CDATA["), *end;
	char path[4096];
	FILE *f;

	ck_assert_ptr_nonnull(start);
	start += strlen("<![CDATA[");
	end = strstr(start, "]]>");
	ck_assert_ptr_nonnull(end);
	tmp_file(path, sizeof(path), "script.js");
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(start, 1, end - start, f), (size_t)(end - start));
	ck_assert_int_eq(fclose(f), 0);
	run("node --check '%s'", path);
}

struct fg_arg {
	struct profile *p;
	struct flamegraph_opts o;
};

static int fg_fn(FILE *f, void *arg)
{
	struct fg_arg *a = arg;

	return flamegraph__write(f, a->p, &a->o);
}

START_TEST(flamegraph_svg)
{
	struct fg_arg a = { .p = crafted(), .o = { .value = PROFILE_INUSE_SPACE } };
	char *out, path[4096], cmd[8192];
	int err;

	out = write_with(fg_fn, &a, &err);
	ck_assert_int_eq(err, 0);
	check_svg(out, "live.svg");
	/* Every frame, with its exact figures in its tooltip. */
	ck_assert_ptr_nonnull(strstr(out, "<title>all: 4500 bytes (4.4 KiB), 100.00%</title>"));
	ck_assert_ptr_nonnull(strstr(out, "<title>main: 4500 bytes (4.4 KiB), 100.00%</title>"));
	ck_assert_ptr_nonnull(strstr(out, "<title>leak_a: 3000 bytes (2.9 KiB), 66.67%</title>"));
	ck_assert_ptr_nonnull(strstr(out, "<title>inline_helper (inlined): 3000 bytes"));
	ck_assert_ptr_nonnull(strstr(out, "<title>malloc: 3000 bytes"));
	ck_assert_ptr_nonnull(strstr(out, "<title>leak_b: 1000 bytes (1000 B), 22.22%</title>"));
	ck_assert_ptr_nonnull(strstr(out, "<title>[prog+0x1400]: 500 bytes"));
	ck_assert_ptr_nonnull(strstr(out, "<title>ns::operator;weird&lt;int&gt;&amp;: 500 bytes"));
	ck_assert_ptr_nonnull(strstr(out, ">leak_a</text>"));
	/* Self-contained: nothing referenced from elsewhere. */
	ck_assert_ptr_null(strstr(out, "href"));
	ck_assert_ptr_null(strstr(out, "src="));
	ck_assert_ptr_null(strstr(out, "@import"));
	check_script(out);
	free(out);
	/* The script zooms, searches and resets (node, on a stand-in DOM). */
	tmp_file(path, sizeof(path), "live.svg");
	fmt_path(cmd, sizeof(cmd), "node '%s' '%s' leak_b 'leak_'", ZOOM_SCRIPT, path);
	out = command_output(cmd);
	ck_assert_str_eq(out, "Matched: 88.89%\nOK\n");
	free(out);
	fmt_path(cmd, sizeof(cmd), "node '%s' '%s' inline_helper 'x^'", ZOOM_SCRIPT, path);
	out = command_output(cmd);
	ck_assert_str_eq(out, "\nOK\n");
	free(out);

	/* Growth: only what grew, and the total is the growth. */
	a.o.value = PROFILE_GROWTH;
	a.o.title = "Growth <of> prog";
	out = write_with(fg_fn, &a, &err);
	ck_assert_int_eq(err, 0);
	check_svg(out, "growth.svg");
	ck_assert_ptr_nonnull(strstr(out, "Growth &lt;of&gt; prog"));
	ck_assert_ptr_nonnull(strstr(out, "<title>all: +3700 bytes/h (3.6 KiB/h), 100.00%"));
	ck_assert_ptr_nonnull(strstr(out, "<title>leak_a: +3600 bytes/h"));
	ck_assert_ptr_null(strstr(out, "<title>leak_b"));
	ck_assert_ptr_null(strstr(out, "INCOMPLETE"));
	free(out);
	a.p->warning = "events <lost>";
	out = write_with(fg_fn, &a, &err);
	ck_assert_int_eq(err, 0);
	check_svg(out, "warning.svg");
	ck_assert_ptr_nonnull(strstr(out, ">INCOMPLETE: events &lt;lost&gt;</text>"));
	free(out);
	profile__free(a.p);
}
END_TEST

START_TEST(flamegraph_empty_and_odd_names)
{
	struct fg_arg a = { .p = profile__new(), .o = { .value = PROFILE_INUSE_SPACE } };
	struct profile_line l[] = { { .function = "bad\xff\x01utf8\xe2\x82" }, { .function = "root" } };
	int64_t v[PROFILE__NR_VALUES] = { 1, 10, 1, 10 };
	uint32_t s[] = { 1, 2 };
	char *out;
	int err;

	out = write_with(fg_fn, &a, &err);
	ck_assert_int_eq(err, 0);
	check_svg(out, "empty.svg");
	ck_assert_ptr_nonnull(strstr(out, "Nothing to show"));
	free(out);
	/* Bytes that are not UTF-8 and control characters never reach the XML. */
	ck_assert_int_eq(profile__add_location(a.p, 0x1000, 0, 0, &l[0], 1), 1);
	ck_assert_int_eq(profile__add_location(a.p, 0x2000, 0, 0, &l[1], 1), 2);
	ck_assert_int_eq(profile__add_sample(a.p, v, s, 2), 1);
	out = write_with(fg_fn, &a, &err);
	ck_assert_int_eq(err, 0);
	check_svg(out, "odd.svg");
	ck_assert_ptr_nonnull(strstr(out, "<title>bad??utf8??: 10 bytes"));
	free(out);
	a.o.width = 10;
	out = write_with(fg_fn, &a, &err);
	ck_assert_int_eq(err, -EINVAL);
	free(out);
	profile__free(a.p);
}
END_TEST

/* 600 frames under one root: narrow ones are left out, the picture stays whole. */
START_TEST(flamegraph_many_frames)
{
	struct fg_arg a = { .p = profile__new(), .o = { .value = PROFILE_INUSE_SPACE } };
	struct profile_line root = { .function = "root" };
	int64_t v[PROFILE__NR_VALUES] = { 0 };
	char name[32], *out;
	uint32_t s[2];
	int i, err, n = 0;
	const char *c;

	ck_assert_int_eq(profile__add_location(a.p, 0x1000, 0, 0, &root, 1), 1);
	for (i = 0; i < 600; i++) {
		struct profile_line l = { .function = name };

		snprintf(name, sizeof(name), "leaf_%03d", i);
		s[0] = profile__add_location(a.p, 0x2000 + i, 0, 0, &l, 1);
		s[1] = 1;
		v[PROFILE_INUSE_SPACE] = i < 10 ? 1000000 : 1;
		ck_assert_int_eq(profile__add_sample(a.p, v, s, 2), i + 1);
	}
	out = write_with(fg_fn, &a, &err);
	ck_assert_int_eq(err, 0);
	check_svg(out, "many.svg");
	for (c = out; (c = strstr(c, "<g class=\"f\"")); c++)
		n++;
	/* all, root, the ten wide leaves; 590 leaves of 1 byte in 10 MB are too narrow. */
	ck_assert_int_eq(n, 12);
	free(out);
	profile__free(a.p);
}
END_TEST

static char go_env[4096];

/* `go tool pprof ARGS FILE`, offline, with a home and cache of its own. */
static char *pprof(const char *args, const char *file)
{
	char cmd[8192];

	fmt_path(cmd, sizeof(cmd), "%s go tool pprof %s '%s' 2>/dev/null", go_env, args, file);
	return command_output(cmd);
}

static void setup_go(void)
{
	fmt_path(go_env, sizeof(go_env),
		 "HOME='%s' GOCACHE='%s/gocache' GOPATH='%s/gopath' GOFLAGS=-mod=mod GOPROXY=off "
		 "GOTOOLCHAIN=local PPROF_TMPDIR='%s' PPROF_BINARY_PATH=/nonexistent",
		 tmp_dir, tmp_dir, tmp_dir, tmp_dir);
}

static int pprof_fn(FILE *f, void *arg)
{
	return pprof__write(f, arg);
}

START_TEST(pprof_read_by_go)
{
	struct profile *p = crafted();
	char path[4096], *out, *bin;
	FILE *f;
	int err;

	tmp_file(path, sizeof(path), "heap.pb.gz");
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(pprof__write(f, p), 0);
	ck_assert_int_eq(fclose(f), 0);
	/* gzip, as pprof files are. */
	run("gzip -t '%s'", path);
	bin = write_with(pprof_fn, p, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq((unsigned char)bin[0], 0x1f);
	ck_assert_uint_eq((unsigned char)bin[1], 0x8b);
	free(bin);
	setup_go();

	out = pprof("-raw", path);
	ck_assert_ptr_nonnull(strstr(out, "alloc_objects/count alloc_space/bytes "
					  "inuse_objects/count inuse_space/bytes[dflt]"));
	ck_assert_ptr_nonnull(strstr(out, "Period: 1"));
	ck_assert_ptr_nonnull(strstr(out, "Duration: 10s"));
	/* pprof numbers locations in the order it meets them. */
	ck_assert_ptr_nonnull(strstr(out, "          5       5000          3       3000: 1 2 3 \n"
					  "          1       1000          1       1000: 4 3 \n"
					  "          2        500          2        500: 5 6 3 \n"
					  "          2        200          0          0: 7 3 \n"));
	/* The inlined function and its caller are lines of one location. */
	ck_assert_ptr_nonnull(strstr(out, "     2: 0x401100 M=1 inline_helper /src/a.c:12 s=0\n"
					  "             leak_a /src/a.c:20 s=0\n"));
	ck_assert_ptr_nonnull(strstr(out, "(ns::operator;weird<int>&)"));
	ck_assert_ptr_nonnull(strstr(out, "1: 0x400000/0x402000/0x0 " PROG " " PROG_BUILD_ID
					  " [FN][FL][LN][IN]\n"));
	ck_assert_ptr_nonnull(strstr(out, "Comment: leakd "));
	ck_assert_ptr_nonnull(strstr(out, "Comment: pid 4242 (prog)"));
	ck_assert_ptr_null(strstr(out, "INCOMPLETE"));
	free(out);

	/* A profile whose figures may be short says so. */
	p->warning = profile__strdup(p, "events were lost");
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(pprof__write(f, p), 0);
	ck_assert_int_eq(fclose(f), 0);
	out = pprof("-raw", path);
	ck_assert_ptr_nonnull(strstr(out, "Comment: INCOMPLETE: events were lost\n"));
	free(out);
	p->warning = NULL;

	/* The top: flat figures per function, exactly, by live bytes by default. */
	out = pprof("-top -unit=B", path);
	ck_assert_ptr_nonnull(strstr(out, "Type: inuse_space"));
	ck_assert_ptr_nonnull(strstr(out, "Build ID: " PROG_BUILD_ID));
	ck_assert_ptr_nonnull(strstr(out, "Showing nodes accounting for 4500B, 100% of 4500B total"));
	ck_assert_ptr_nonnull(strstr(out, "     3000B 66.67% 66.67%      3000B 66.67%  malloc\n"
					  "     1000B 22.22% 88.89%      1000B 22.22%  leak_b\n"
					  "      500B 11.11%   100%       500B 11.11%  "
					  "ns::operator;weird&\n"));
	ck_assert_ptr_nonnull(strstr(out, "         0     0%   100%      4500B   100%  main\n"));
	ck_assert_ptr_nonnull(strstr(out, "         0     0%   100%      3000B 66.67%  leak_a\n"));
	ck_assert_ptr_nonnull(strstr(out, "         0     0%   100%      3000B 66.67%  "
					  "inline_helper (inline)\n"));
	free(out);
	out = pprof("-top -sample_index=alloc_objects", path);
	ck_assert_ptr_nonnull(strstr(out, "Type: alloc_objects"));
	ck_assert_ptr_nonnull(strstr(out, "Showing nodes accounting for 10, 100% of 10 total"));
	ck_assert_ptr_nonnull(strstr(out, "         5 50.00% 50.00%          5 50.00%  malloc\n"
					  "         3 30.00% 80.00%          3 30.00%  leak_b\n"));
	free(out);

	/* Traces: the stacks with their figures, leaf first. */
	out = pprof("-traces -unit=B", path);
	ck_assert_ptr_nonnull(strstr(out, "     3000B   malloc\n"
					  "             inline_helper (inline)\n"
					  "             leak_a\n"
					  "             main\n"));
	ck_assert_ptr_nonnull(strstr(out, "     1000B   leak_b\n"
					  "             main\n"));
	ck_assert_ptr_nonnull(strstr(out, "      500B   ns::operator;weird&\n"
					  "             [prog]\n"
					  "             main\n"));
	free(out);
	profile__free(p);
}
END_TEST

START_TEST(timeline_svg)
{
	struct timeline_point pts[6];
	uint64_t a[6], b[6], c[12][6];
	struct timeline_stack st[12] = {
		{ .name = "leak_steady <main>", .bytes = a, .growth = 3600 * 32 * 1024LL },
		{ .name = "cache_fill", .bytes = b, .growth = 0 },
	};
	struct timeline t = { .title = "pid 4242 (prog) & co", .points = pts, .nr_points = 6,
			      .stacks = st, .nr_stacks = 2, .wall_start_ns = 1700000000LL * 1000000000LL };
	char *buf = NULL, path[4096];
	size_t len = 0;
	FILE *f;
	int i, k;

	for (i = 0; i < 6; i++) {
		pts[i].t_ns = i * 10LL * 1000000000LL;
		a[i] = 32768ULL * 10 * i;
		b[i] = i < 3 ? 1048576ULL * i : 2 * 1048576ULL;
		pts[i].bytes[TIMELINE_TRACED] = a[i] + b[i];
		pts[i].bytes[TIMELINE_HEAP] = a[i] + b[i] + 135168;
		pts[i].bytes[TIMELINE_ANON] = 4 << 20;
		pts[i].bytes[TIMELINE_RSS] = pts[i].bytes[TIMELINE_HEAP] + (6 << 20);
	}
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(timeline__write(f, &t, 0), 0);
	ck_assert_int_eq(fclose(f), 0);
	check_svg(buf, "timeline.svg");
	ck_assert_ptr_nonnull(strstr(buf, "pid 4242 (prog) &amp; co"));
	ck_assert_ptr_nonnull(strstr(buf, "<title>leak_steady &lt;main&gt;: last 1638400 bytes "
					  "(1.6 MiB), +117964800 bytes/h</title>"));
	ck_assert_ptr_nonnull(strstr(buf, "<title>cache_fill: last 2097152 bytes (2.0 MiB)"));
	ck_assert_ptr_nonnull(strstr(buf, "<title>resident (RSS): last 10162176 bytes"));
	ck_assert_ptr_nonnull(strstr(buf, ">50s</text>"));
	free(buf);

	/* More stacks than drawn: the rest summed; one point only. */
	for (k = 0; k < 12; k++) {
		st[k].name = k < 2 ? st[k].name : "other";
		st[k].bytes = c[k];
		for (i = 0; i < 6; i++)
			c[k][i] = 1000 * (k + 1);
	}
	t.nr_stacks = 12;
	t.nr_points = 1;
	buf = NULL;
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(timeline__write(f, &t, 800), 0);
	ck_assert_int_eq(fclose(f), 0);
	check_svg(buf, "timeline_one.svg");
	ck_assert_ptr_nonnull(strstr(buf, "<title>2 other stacks: last 23000 bytes"));
	free(buf);

	/* A process just watched: no point yet, a valid chart that says so. */
	t.nr_points = 0;
	buf = NULL;
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(timeline__write(f, &t, 0), 0);
	ck_assert_int_eq(fclose(f), 0);
	check_svg(buf, "timeline_none.svg");
	ck_assert_ptr_nonnull(strstr(buf, ">No samples yet</text>"));
	free(buf);

	/* Bad input is refused: time going back. */
	tmp_file(path, sizeof(path), "bad.svg");
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	t.nr_points = 6;
	pts[3].t_ns = 0;
	ck_assert_int_eq(timeline__write(f, &t, 0), -EINVAL);
	fclose(f);
}
END_TEST

/* A frame of the snapshot; strings copied (the list owns them). */
static void craft_frame(struct frame_snap *f, uint64_t pc, uint64_t offset, const char *path,
			const char *build_id, const char *fn, const char *file, int line)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	memset(f, 0, sizeof(*f));
	f->pc = pc;
	f->offset = offset;
	f->module_path = path ? strdup(path) : NULL;
	f->module = slash ? strdup(slash + 1) : NULL;
	f->build_id = build_id ? strdup(build_id) : NULL;
	f->real.function = fn ? strdup(fn) : NULL;
	f->real.file = file ? strdup(file) : NULL;
	f->real.line = line;
}

static struct stack_snap *craft_stack(struct stack_list *l, uint64_t pid, uint64_t id,
				      uint64_t bytes, uint64_t count, uint64_t total_bytes,
				      uint64_t total_count, uint32_t nr_frames)
{
	struct stack_snap *st;

	l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	ck_assert_ptr_nonnull(l->v);
	st = &l->v[l->n++];
	memset(st, 0, sizeof(*st));
	st->pid = pid;
	snprintf(st->comm, sizeof(st->comm), "p%llu", (unsigned long long)pid);
	st->id = id;
	st->bytes = bytes;
	st->count = count;
	st->stats.total_bytes = total_bytes;
	st->stats.total_count = total_count;
	st->stats.live_bytes = bytes;
	st->stats.live_count = count;
	if (nr_frames) {
		st->frames = calloc(nr_frames, sizeof(*st->frames));
		ck_assert_ptr_nonnull(st->frames);
		st->nr_frames = nr_frames;
		st->flags |= STACK_HAS_FRAMES;
	}
	return st;
}

/*
 * pid 10: malloc (libc) <- leak_a with inline_helper inlined <- main, 3000 live of
 * 5000; a second stack through an unnamed frame of prog, a signal trampoline
 * and a JIT frame, cut by the depth limit; pid 20: the same pc of prog as pid 10's
 * leak_a (another process: another location, another mapping); a stack not
 * captured, a preexisting mapping, one past the stack table.
 */
static void crafted_stacks(struct stack_list *l)
{
	struct stack_snap *st;
	struct frame_snap *f;

	st = craft_stack(l, 10, 1, 3000, 3, 5000, 5, 3);
	craft_frame(&st->frames[0], 0x7f0000001000, 0x1000, "/lib/libc.so.6", "", "malloc",
		    NULL, 0);
	craft_frame(&st->frames[1], 0x401100, 0x1100, PROG, PROG_BUILD_ID, "leak_a", "/src/a.c",
		    20);
	f = &st->frames[1];
	f->inlined = calloc(1, sizeof(*f->inlined));
	ck_assert_ptr_nonnull(f->inlined);
	f->nr_inlined = 1;
	f->inlined[0].function = strdup("inline_helper");
	f->inlined[0].file = strdup("/src/a.c");
	f->inlined[0].line = 12;
	craft_frame(&st->frames[2], 0x401300, 0x1300, PROG, PROG_BUILD_ID, "main", "/src/main.c",
		    5);

	st = craft_stack(l, 10, 2, 1000, 1, 1000, 1, 5);
	st->flags |= LEAKD_STACK_TRUNCATED;
	craft_frame(&st->frames[0], 0x401400, 0x1400, PROG, PROG_BUILD_ID, NULL, NULL, 0);
	/* The next frame was interrupted by a signal: this one is the trampoline. */
	craft_frame(&st->frames[1], 0x7ffff000, 0x500, "[vdso]", NULL, NULL, NULL, 0);
	craft_frame(&st->frames[2], 0x401500, 0x1500, PROG, PROG_BUILD_ID, "handler", NULL, 0);
	st->frames[2].flags = LEAKD_FRAME_EXACT;
	craft_frame(&st->frames[3], 0x9000000, 0, NULL, NULL, "LazyCompile:jitted", NULL, 0);
	st->frames[3].jit = true;
	craft_frame(&st->frames[4], 0x401300, 0x1300, PROG, PROG_BUILD_ID, "main", "/src/main.c",
		    5);

	st = craft_stack(l, 20, 1, 500, 2, 600, 3, 1);
	craft_frame(&st->frames[0], 0x401100, 0x1100, PROG, PROG_BUILD_ID, "leak_a", "/src/a.c",
		    20);
	st->frames[0].pc = 0x501100;	/* loaded elsewhere in pid 20 */

	craft_stack(l, 10, 3, 70, 1, 70, 1, 0);
	st = craft_stack(l, 10, STACK_ID_PREEXISTING, 60, 1, 60, 1, 0);
	st->level = LEVEL_MAP;
	st = craft_stack(l, 10, 4, 50, 1, 50, 1, 0);
	st->flags |= STACK_OVERFLOW;
	/* All freed: its allocated figures only. */
	craft_stack(l, 10, 5, 0, 0, 7, 1, 0);
}

/* The snapshot's stacks as a profile: locations, lines, mappings, markers, figures. */
START_TEST(profile_from_stacks)
{
	struct profile_stacks_opts o = { .comm = "p10", .pid = 10, .time_ns = 5, .duration_ns = 6,
					 .warning = "lost" };
	struct stack_list l = { 0 };
	const struct profile_location *loc;
	struct folded_arg a;
	struct profile *p;
	char buf[64], *out;
	int err;

	crafted_stacks(&l);
	p = profile__from_stacks(&l, &o);
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->comm, "p10");
	ck_assert_uint_eq(p->pid, 10);
	ck_assert_int_eq(p->time_ns, 5);
	ck_assert_int_eq(p->duration_ns, 6);
	ck_assert_int_eq(p->period, 1);
	ck_assert_str_eq(p->warning, "lost");
	ck_assert_uint_eq(p->nr_samples, 7);
	ck_assert_int_eq(p->samples[0].value[PROFILE_ALLOC_OBJECTS], 5);
	ck_assert_int_eq(p->samples[0].value[PROFILE_ALLOC_SPACE], 5000);
	ck_assert_int_eq(p->samples[0].value[PROFILE_INUSE_OBJECTS], 3);
	ck_assert_int_eq(p->samples[0].value[PROFILE_INUSE_SPACE], 3000);
	ck_assert_int_eq(p->samples[6].value[PROFILE_INUSE_SPACE], 0);
	ck_assert_int_eq(p->samples[6].value[PROFILE_ALLOC_SPACE], 7);
	/* Mappings per module of each process, from pc - offset. */
	ck_assert_uint_eq(p->nr_mappings, 4);
	ck_assert_str_eq(p->mappings[0].path, "/lib/libc.so.6");
	ck_assert_uint_eq(p->mappings[0].start, 0x7f0000000000);
	ck_assert_str_eq(p->mappings[1].path, PROG);
	ck_assert_str_eq(p->mappings[1].build_id, PROG_BUILD_ID);
	ck_assert_uint_eq(p->mappings[1].start, 0x400000);
	ck_assert_uint_eq(p->mappings[1].limit, 0x401501);
	ck_assert_uint_eq(p->mappings[1].offset, 0);
	ck_assert_str_eq(p->mappings[2].path, "[vdso]");
	ck_assert_str_eq(p->mappings[3].path, PROG);
	ck_assert_uint_eq(p->mappings[3].start, 0x500000);
	/* leak_a with its inlined helper: one location, two lines, innermost first. */
	loc = &p->locations[p->samples[0].locs[1] - 1];
	ck_assert_uint_eq(loc->nr_lines, 2);
	ck_assert_str_eq(loc->lines[0].function, "inline_helper");
	ck_assert(loc->lines[0].inlined);
	ck_assert_int_eq(loc->lines[0].line, 12);
	ck_assert_str_eq(loc->lines[1].function, "leak_a");
	ck_assert(!loc->lines[1].inlined);
	ck_assert_str_eq(loc->lines[1].file, "/src/a.c");
	ck_assert_uint_eq(loc->mapping, 2);
	/* main is one location for both stacks of pid 10. */
	ck_assert_uint_eq(p->samples[0].locs[2], p->samples[1].locs[4]);
	/* pid 20's leak_a is a location of its own. */
	ck_assert_uint_ne(p->samples[0].locs[1], p->samples[2].locs[0]);
	ck_assert_uint_eq(p->locations[p->samples[2].locs[0] - 1].mapping, 4);
	/* Unnamed: named by module and offset; the JIT frame in no mapping. */
	loc = &p->locations[p->samples[1].locs[0] - 1];
	ck_assert_uint_eq(loc->nr_lines, 0);
	ck_assert_str_eq(profile__frame_name(p, loc, 0, buf, sizeof(buf)), "[prog+0x1400]");
	ck_assert_uint_eq(p->locations[p->samples[1].locs[3] - 1].mapping, 0);
	profile__free(p);

	a.p = p = profile__from_stacks(&l, &(struct profile_stacks_opts){ 0 });
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_null(p->comm);
	ck_assert_ptr_null(p->warning);
	a.v = PROFILE_ALLOC_SPACE;
	out = write_with(folded_fn, &a, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_str_eq(out, "main;leak_a;inline_helper_[i];malloc 5000\n"
			      "[deeper frames cut: depth limit];main;LazyCompile:jitted;handler;"
			      "[signal handler called];[prog+0x1400] 1000\n"
			      "leak_a 600\n"
			      "[stack not captured] 70\n"
			      "[mapped before leakd began watching] 60\n"
			      "[stacks past the stack table's limit] 50\n"
			      "[stack not captured] 7\n");
	free(out);
	/* Marker locations are shared. */
	ck_assert_uint_eq(p->samples[3].locs[0], p->samples[6].locs[0]);
	profile__free(p);

	/* An empty list: an empty profile. */
	p = profile__from_stacks(&(struct stack_list){ 0 }, &o);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->nr_samples, 0);
	profile__free(p);
	stack_list__free(&l);
}
END_TEST

/* The tables of a process gathered into a report, and its stacks into a profile. */
START_TEST(profile_from_tables)
{
	struct tables_limits lim = { .max_allocs = 1024, .max_stacks = 16, .max_maps = 16 };
	struct report_opts ro = { .top = 0, .with_freed = true };
	struct report_meta m = { .now_ns = 100, .final = true };
	struct profile_stacks_opts o = { 0 };
	struct symbolizer *s = symbolizer__new(16);
	struct report_snap r;
	struct stack_frame *fr;
	struct proc_stack *st;
	struct folded_arg a;
	struct proc_mem *p;
	struct tables t;
	char *out;
	int err;

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(tables__init(&t, &lim), 0);
	p = tables__add_proc(&t, 77, 1);
	ck_assert_ptr_nonnull(p);
	snprintf(p->comm, sizeof(p->comm), "g");
	proc_mem__alloc(p, 1, LEAKD_FN_MALLOC, 0x1000, 100, 0x11, 0, 10);
	proc_mem__alloc(p, 1, LEAKD_FN_MALLOC, 0x2000, 300, 0x21, 0, 90);
	proc_mem__alloc(p, 1, LEAKD_FN_MALLOC, 0x3000, 50, 0x21, 0, 10);
	proc_mem__alloc(p, 1, LEAKD_FN_MALLOC, 0x4000, 7, 0x31, 0, 10);
	proc_mem__dealloc(p, 1, 0x4000);
	/* 0x21: two frames outside any module, its walk cut by the depth limit. */
	fr = calloc(2, sizeof(*fr));
	ck_assert_ptr_nonnull(fr);
	fr[0].pc = 0x5000;
	fr[1].pc = 0x6000;
	st = proc_mem__stack(p, 0x21);
	stack__set_frames(st, fr, 2, LEAKD_STACK_TRUNCATED);

	ck_assert_int_eq(report__gather(&ro, &m, p, s, &r), 0);
	o.pid = r.pid;
	o.comm = r.comm;
	struct profile *prof = profile__from_stacks(&r.heap, &o);

	ck_assert_ptr_nonnull(prof);
	ck_assert_uint_eq(prof->pid, 77);
	ck_assert_str_eq(prof->comm, "g");
	ck_assert_uint_eq(prof->nr_samples, 3);
	ck_assert_int_eq(prof->samples[0].value[PROFILE_INUSE_SPACE], 350);
	ck_assert_int_eq(prof->samples[0].value[PROFILE_INUSE_OBJECTS], 2);
	ck_assert_int_eq(prof->samples[0].value[PROFILE_ALLOC_SPACE], 350);
	ck_assert_int_eq(prof->samples[2].value[PROFILE_INUSE_SPACE], 0);
	ck_assert_int_eq(prof->samples[2].value[PROFILE_ALLOC_OBJECTS], 1);
	a.p = prof;
	a.v = PROFILE_ALLOC_SPACE;
	out = write_with(folded_fn, &a, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_str_eq(out, "[deeper frames cut: depth limit];[0x6000];[0x5000] 350\n"
			      "[stack not captured] 100\n"
			      "[stack not captured] 7\n");
	free(out);
	profile__free(prof);
	report_snap__free(&r);

	/* Without freed stacks (text and JSON reports), the freed one is not there. */
	ro.with_freed = false;
	ck_assert_int_eq(report__gather(&ro, &m, p, s, &r), 0);
	ck_assert_uint_eq(r.heap.n, 2);
	report_snap__free(&r);

	/* A minimum age counts only the old blocks as live. */
	ro.with_freed = true;
	ro.min_age_ns = 50;
	ck_assert_int_eq(report__gather(&ro, &m, p, s, &r), 0);
	prof = profile__from_stacks(&r.heap, &o);
	ck_assert_ptr_nonnull(prof);
	ck_assert_int_eq(prof->samples[0].value[PROFILE_INUSE_SPACE], 100);
	ck_assert_int_eq(prof->samples[1].value[PROFILE_INUSE_SPACE], 50);
	ck_assert_int_eq(prof->samples[1].value[PROFILE_ALLOC_SPACE], 350);
	profile__free(prof);
	report_snap__free(&r);
	tables__destroy(&t);
	symbolizer__free(s);
}
END_TEST

/* Everything render() wrote in fmt, and its result. */
static char *render_snap(enum output_format fmt, const struct snapshot *s, int *ret_err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	*ret_err = render(f, fmt, s);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

/* The profile formats as renderers: by name, binary or not, of the kinds with stacks. */
START_TEST(profile_renderers)
{
	struct report_snap r = { .time = 1700000000, .pid = 10, .comm = "p10", .complete = true,
				 .traced_ns = 2000000000 };
	struct top_snap t = { .processes = 2 };
	struct error_snap e = { .message = "x" };
	struct snapshot rs = { .kind = SNAP_REPORT, .report = &r };
	struct snapshot ts = { .kind = SNAP_TOP, .top = &t };
	struct snapshot es = { .kind = SNAP_ERROR, .error = &e };
	struct stack_snap *st;
	struct diff_snap d;
	struct snapshot ds = { .kind = SNAP_DIFF, .diff = &d };
	enum output_format f;
	char path[4096], *out;
	FILE *file;
	int err;

	ck_assert_int_eq(output_format_parse("pprof", &f), 0);
	ck_assert_int_eq(f, OUTPUT_PPROF);
	ck_assert_int_eq(output_format_parse("folded", &f), 0);
	ck_assert_int_eq(f, OUTPUT_FOLDED);
	ck_assert_int_eq(output_format_parse("svg", &f), 0);
	ck_assert_int_eq(f, OUTPUT_SVG);
	ck_assert_str_eq(output_format_name(OUTPUT_SVG), "svg");
	ck_assert(render_is_binary(OUTPUT_PPROF));
	ck_assert(!render_is_binary(OUTPUT_FOLDED) && !render_is_binary(OUTPUT_SVG));
	ck_assert(!render_is_binary(OUTPUT_TEXT) && !render_is_binary(OUTPUT_JSON));
	ck_assert(render_is_profile(OUTPUT_PPROF) && render_is_profile(OUTPUT_FOLDED) &&
		  render_is_profile(OUTPUT_SVG));
	ck_assert(!render_is_profile(OUTPUT_TEXT) && !render_is_profile(OUTPUT_METRICS));
	ck_assert(!render_is_profile(OUTPUT__COUNT) && !render_is_binary(OUTPUT__COUNT));

	/* A report: its heap stacks; its mapping stacks when it has none. */
	crafted_stacks(&r.heap);
	st = craft_stack(&r.maps, 10, 9, 4096, 1, 8192, 2, 1);
	st->level = LEVEL_MAP;
	craft_frame(&st->frames[0], 0x401300, 0x1300, PROG, PROG_BUILD_ID, "main", NULL, 0);
	out = render_snap(OUTPUT_FOLDED, &rs, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_ptr_nonnull(strstr(out, "main;leak_a;inline_helper_[i];malloc 3000\n"));
	ck_assert_ptr_null(strstr(out, "main 4096"));
	free(out);
	out = render_snap(OUTPUT_SVG, &rs, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_ptr_nonnull(strstr(out, ">Live bytes of pid 10 (p10)</text>"));
	ck_assert_ptr_null(strstr(out, "INCOMPLETE"));
	check_svg(out, "report.svg");
	free(out);
	r.complete = false;
	out = render_snap(OUTPUT_SVG, &rs, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_ptr_nonnull(strstr(out, ">INCOMPLETE: events were lost"));
	free(out);
	stack_list__free(&r.heap);
	out = render_snap(OUTPUT_FOLDED, &rs, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_str_eq(out, "main 4096\n");
	free(out);
	out = render_snap(OUTPUT_SVG, &rs, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_ptr_nonnull(strstr(out, ">Mapped bytes of pid 10 (p10)</text>"));
	free(out);

	/* The report as pprof: its time, duration and process, read back by go. */
	setup_go();
	tmp_file(path, sizeof(path), "report.pb.gz");
	file = fopen(path, "w");
	ck_assert_ptr_nonnull(file);
	ck_assert_int_eq(render(file, OUTPUT_PPROF, &rs), 0);
	ck_assert_int_eq(fclose(file), 0);
	out = pprof("-raw", path);
	ck_assert_ptr_nonnull(strstr(out, "Duration: 2s"));
	ck_assert_ptr_nonnull(strstr(out, "Comment: pid 10 (p10)"));
	ck_assert_ptr_nonnull(strstr(out, "Comment: INCOMPLETE: events were lost"));
	ck_assert_ptr_nonnull(strstr(out, "          2       8192          1       4096: 1 \n"));
	free(out);
	report_snap__free(&r);

	/* A top of two processes. */
	crafted_stacks(&t.stacks);
	out = render_snap(OUTPUT_SVG, &ts, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_ptr_nonnull(strstr(out, ">Outstanding bytes of 2 processes</text>"));
	check_svg(out, "top.svg");
	free(out);
	out = render_snap(OUTPUT_FOLDED, &ts, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_str_eq(out, "main;leak_a;inline_helper_[i];malloc 3000\n"
			      "[deeper frames cut: depth limit];main;LazyCompile:jitted;handler;"
			      "[signal handler called];[prog+0x1400] 1000\n"
			      "leak_a 500\n"
			      "[stack not captured] 70\n"
			      "[mapped before leakd began watching] 60\n"
			      "[stacks past the stack table's limit] 50\n");
	free(out);

	/* A diff: what grew, as folded stacks and a flame graph; not as pprof. */
	memset(&d, 0, sizeof(d));
	snprintf(d.a, sizeof(d.a), "before");
	snprintf(d.b, sizeof(d.b), "after");
	d.rows = calloc(2, sizeof(*d.rows));
	ck_assert_ptr_nonnull(d.rows);
	d.n = 2;
	d.rows[0] = (struct diff_row){ .stack = &t.stacks.v[0], .delta_bytes = 1200,
				       .delta_count = 2 };
	d.rows[1] = (struct diff_row){ .stack = &t.stacks.v[2], .delta_bytes = -300,
				       .delta_count = -1 };
	out = render_snap(OUTPUT_FOLDED, &ds, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_str_eq(out, "main;leak_a;inline_helper_[i];malloc 1200\n");
	free(out);
	out = render_snap(OUTPUT_SVG, &ds, &err);
	ck_assert_int_eq(err, 0);
	ck_assert_ptr_nonnull(strstr(out, ">Growth from before to after</text>"));
	ck_assert_ptr_nonnull(strstr(out, "<title>leak_a: 1200 bytes"));
	free(out);
	out = render_snap(OUTPUT_PPROF, &ds, &err);
	ck_assert_int_eq(err, -ENOTSUP);
	ck_assert_uint_eq(strlen(out), 0);
	free(out);
	free(d.rows);
	stack_list__free(&t.stacks);

	/* Kinds without stacks: refused before a byte is written. */
	for (f = OUTPUT_PPROF; f <= OUTPUT_SVG; f++) {
		out = render_snap(f, &es, &err);
		ck_assert_int_eq(err, -ENOTSUP);
		ck_assert_uint_eq(strlen(out), 0);
		free(out);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("exports");
	TCase *tc = tcase_create("renderers");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, folded_lines);
	tcase_add_test(tc, profile_bounds);
	tcase_add_test(tc, flamegraph_svg);
	tcase_add_test(tc, flamegraph_empty_and_odd_names);
	tcase_add_test(tc, flamegraph_many_frames);
	tcase_add_test(tc, pprof_read_by_go);
	tcase_add_test(tc, timeline_svg);
	tcase_add_test(tc, profile_from_stacks);
	tcase_add_test(tc, profile_from_tables);
	tcase_add_test(tc, profile_renderers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (test_dirs("exports"))
		return EXIT_FAILURE;
	return run_suite(suite());
}
