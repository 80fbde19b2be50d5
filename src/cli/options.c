// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "leakd/events.h"
#include "leakd/protocol.h"
#include "leakd/sampling.h"
#include "cli/options.h"
#include "collect/tracer.h"
#include "base/macros.h"
#include "base/clock.h"
#include "base/units.h"
#include "base/files.h"
#include "base/log.h"
#include "version.h"

enum kind {
	K_FLAG,		/* bool, set */
	K_U64,		/* uint64_t in [min, max] */
	K_SIZE,		/* uint64_t: bytes, K/M/G */
	K_DURATION,	/* uint64_t: ns */
	K_STRING,	/* const char * */
	K_OPTIONAL,	/* const char *; "off" sets it to NULL (a service switched off) */
	K_U64_OFF,	/* uint64_t in [min, max]; "off" sets it to 0 (a limit switched off) */
	K_SPECIAL,	/* handled in apply() */
};

/* Where an option may be given. */
#define IN_CLI 1
#define IN_CONF 2

struct opt {
	const char *name;
	int short_name;		/* 0: long only */
	enum kind kind;
	size_t offset;
	uint64_t min, max;
	int where;
	const char *arg, *help;	/* arg: NULL for switches */
};

#define OFF(f) offsetof(struct leakd_options, f)
#define BOTH (IN_CLI | IN_CONF)

static const struct opt opts[] = {
	{ "pid", 'p', K_SPECIAL, 0, 0, 0, IN_CLI, "PID", "trace the running process PID" },
	{ "interval", 'i', K_DURATION, OFF(interval_ns), 0, 0, IN_CLI, "DURATION",
	  "report this often (default 10s; 0: at the end)" },
	{ "top", 'n', K_U64, OFF(top), 0, UINT32_MAX, IN_CLI, "N",
	  "stacks per report (default 10; 0: all)" },
	{ "min-age", 0, K_DURATION, OFF(min_age_ns), 0, 0, IN_CLI, "DURATION",
	  "only allocations this old (default 0)" },
	{ "duration", 'd', K_DURATION, OFF(duration_ns), 1, 0, IN_CLI, "DURATION",
	  "stop after DURATION" },
	{ "json", 0, K_SPECIAL, 0, 0, 0, IN_CLI, NULL,
	  "reports as JSON, one object per line" },
	{ "format", 0, K_SPECIAL, 0, 0, 0, IN_CLI, "FORMAT",
	  "text, json, pprof, folded or svg (default text)" },
	{ "short-names", 0, K_FLAG, OFF(short_names), 0, 0, IN_CLI, NULL,
	  "text: names without template args, parameters" },
	{ "output", 'o', K_STRING, OFF(output), 0, 0, IN_CLI, "FILE",
	  "reports to FILE, not standard output" },
	{ "max-depth", 0, K_U64, OFF(max_depth), 1, LEAKD_MAX_FRAMES, BOTH, "N",
	  "frames per stack (default 64, at most 128)" },
	{ "ringbuf-size", 0, K_SPECIAL, OFF(ringbuf_bytes), 4096, 1ULL << 30, BOTH, "SIZE",
	  "kernel-to-leakd buffer, power of 2 (default 4M)" },
	{ "watch-ringbuf-size", 0, K_SPECIAL, OFF(watch_ringbuf_bytes), 4096, 1ULL << 30, BOTH,
	  "SIZE", "daemon: ... until it first traces (default 1M)" },
	{ "max-allocs", 0, K_U64, OFF(max_allocs), 1, 1ULL << 32, BOTH, "N",
	  "live allocations kept (default 16777216)" },
	{ "max-stacks", 0, K_U64, OFF(max_stacks), 1, 1ULL << 24, BOTH, "N",
	  "distinct stacks kept (default 262144)" },
	{ "max-mappings", 0, K_U64, OFF(max_mappings), 1, 1ULL << 26, BOTH, "N",
	  "anonymous mappings kept (default 1048576)" },
	{ "unwind-rows", 0, K_U64, OFF(unwind_rows), 1024, 1ULL << 26, BOTH, "N",
	  "kernel unwind table rows, 8 B each (default 524288)" },
	{ "cache-dir", 0, K_STRING, OFF(cache_dir), 0, 0, BOTH, "DIR",
	  "unwind table cache (default /var/cache/leakd)" },
	{ "no-cache", 0, K_SPECIAL, 0, 0, 0, BOTH, NULL,
	  "build unwind tables afresh, keep none" },
	{ "sample", 0, K_SIZE, OFF(sample_bytes), LEAKD_SAMPLE_MIN, LEAKD_SAMPLE_MAX, IN_CLI,
	  "SIZE", "sample one allocation per SIZE bytes on average" },
	{ "frame-pointers", 0, K_FLAG, OFF(frame_pointers), 0, 0, BOTH, NULL,
	  "walk stacks by frame pointers only (cheaper)" },
	{ "syscall-probes", 0, K_SPECIAL, OFF(syscall_probes), 0, 0, BOTH, "HOW",
	  "memory syscalls by auto, tracepoints or raw" },
	{ "exact", 0, K_FLAG, OFF(exact), 0, 0, IN_CLI, NULL,
	  "probe the allocator even where a sampler reports" },
	{ "follow-forks", 'f', K_FLAG, OFF(follow_forks), 0, 0, IN_CLI, NULL,
	  "trace children as they fork, each its own report" },
	{ "no-hold", 0, K_FLAG, OFF(no_hold), 0, 0, BOTH, NULL,
	  "never stop a process until its probes are in" },
	{ "config", 'c', K_SPECIAL, 0, 0, 0, IN_CLI, "FILE",
	  "daemon: config file (default " LEAKD_CONFIG_PATH ")" },
	{ "socket", 0, K_STRING, OFF(socket), 0, 0, BOTH, "PATH",
	  "daemon: socket (default /run/leakd/leakd.sock)" },
	{ "socket-group", 0, K_STRING, OFF(socket_group), 0, 0, BOTH, "GROUP",
	  "daemon: group of the socket (default leakd)" },
	{ "sample-interval", 0, K_DURATION, OFF(sample_interval_ns), 100000000ULL, 0, BOTH,
	  "DURATION", "daemon: sample memory this often (default 10s)" },
	{ "growth-window", 0, K_DURATION, OFF(growth_window_ns), 1000000000ULL, 0, BOTH,
	  "DURATION", "daemon: growth measured over this (default 30m)" },
	{ "metrics-listen", 0, K_OPTIONAL, OFF(metrics_listen), 0, 0, BOTH, "ADDR:PORT",
	  "daemon: serve /metrics over HTTP (default off)" },
	{ "metrics-top", 0, K_U64, OFF(metrics_top), 1, 1000, BOTH, "N",
	  "daemon: processes with series of their own (20)" },
	{ "state-dir", 0, K_STRING, OFF(state_dir), 0, 0, BOTH, "DIR",
	  "daemon: snapshots and restart state (default /var/lib/leakd)" },
	{ "restart-grace", 0, K_DURATION, OFF(restart_grace_ns), 0, 86400000000000ULL, BOTH,
	  "DURATION", "daemon: a stop leaves traced processes recorded this long, for the "
	  "next start (default 60s; 0: not at all)" },
	{ "release", 0, K_FLAG, OFF(release), 0, 0, IN_CLI, NULL,
	  "daemon: release what a stop left pinned for the socket, and exit" },
	{ "sampler", 0, K_STRING, OFF(sampler), 0, 0, BOTH, "PATH",
	  "daemon: what trace --inject loads (default " LEAKD_SAMPLER_PATH ")" },
	{ "max-snapshots", 0, K_U64, OFF(max_snapshots), 0, 1024, BOTH, "N",
	  "daemon: saved snapshots per user (default 32)" },
	{ "snapshot-stacks", 0, K_U64, OFF(snapshot_stacks), 1, 1 << 20, BOTH, "N",
	  "daemon: stacks a snapshot keeps (default 4096)" },
	{ "history-points", 0, K_U64, OFF(history_points), 8, 100000, BOTH, "N",
	  "daemon: points per memory history (default 96)" },
	{ "history-series", 0, K_U64, OFF(history_series), 0, 1 << 22, BOTH, "N",
	  "daemon: stack histories at most (default 4096)" },
	{ "drilldown-bytes", 0, K_SIZE, OFF(drilldown_bytes), 1, 0, BOTH, "SIZE",
	  "daemon: trace a process grown this much (64M)" },
	{ "drilldown-window", 0, K_DURATION, OFF(drilldown_window_ns), 1000000000ULL, 0, BOTH,
	  "DURATION", "daemon: ... steadily within this long (10m)" },
	{ "drilldown-for", 0, K_DURATION, OFF(drilldown_for_ns), 1000000000ULL, 0, BOTH,
	  "DURATION", "daemon: ... for this long (default 10m)" },
	{ "drilldown-max", 0, K_U64, OFF(drilldown_max), 0, 1024, BOTH, "N",
	  "daemon: automatic traces at once (default 2)" },
	{ "drilldown-exclude", 0, K_STRING, OFF(drilldown_exclude), 0, 0, BOTH, "NAMES",
	  "daemon: never drill into these (comma-separated)" },
	{ "event-budget", 0, K_U64_OFF, OFF(event_budget), 1, 100000000, BOTH, "N",
	  "daemon: events/s traced processes may send; over it, sampled intervals and "
	  "leakd's samplers' widen (20000)" },
	{ "untrace-sticky", 0, K_DURATION, OFF(untrace_sticky_ns), 0, 0, BOTH, "DURATION",
	  "daemon: no drill-down after untrace for (1h)" },
	{ "no-drilldown", 0, K_SPECIAL, 0, 0, 0, BOTH, NULL,
	  "daemon: no automatic tracing" },
	{ "trace-all", 0, K_FLAG, OFF(trace_all), 0, 0, BOTH, NULL,
	  "daemon: trace every process (test hosts)" },
	{ "max-procs", 0, K_U64, OFF(max_procs), 16, LEAKD_PID_MAX, BOTH, "N",
	  "daemon: processes watched (default 32768)" },
	{ "max-traced", 0, K_U64, OFF(max_traced), 1, 4096, BOTH, "N",
	  "processes traced at once (default 64)" },
	{ "max-sampler", 0, K_U64, OFF(max_sampler), 0, 4096, BOTH, "N",
	  "daemon: processes traced through their otel_memory probes, besides (default 64)" },
	{ "max-exited", 0, K_U64, OFF(max_exited), 0, 4096, BOTH, "N",
	  "daemon: exited processes kept (default 64)" },
	{ "exited-min-bytes", 0, K_SIZE, OFF(exited_min_bytes), 0, 0, BOTH, "SIZE",
	  "daemon: memory that makes an exit worth keeping (default 1M)" },
	{ "max-rules", 0, K_U64, OFF(max_rules), 1, 1 << 20, BOTH, "N",
	  "daemon: trace rules at once (default 1024)" },
	{ "max-clients", 0, K_U64, OFF(max_clients), 1, 1024, BOTH, "N",
	  "daemon: clients at once (default 16)" },
	{ "verbose", 'v', K_SPECIAL, 0, 0, 0, BOTH, NULL, "more messages; twice for libbpf's" },
	{ "help", 'h', K_SPECIAL, 0, 0, 0, IN_CLI, NULL, "show this help" },
	{ "version", 'V', K_SPECIAL, 0, 0, 0, IN_CLI, NULL,
	  "show the version and kernel features" },
};

void options__usage(FILE *f)
{
	char left[48];
	size_t i;

	fputs("Usage: leakd [OPTIONS]\n"
	      "       leakd [OPTIONS] --pid PID\n"
	      "       leakd [OPTIONS] -- COMMAND [ARG...]\n"
	      "\n"
	      "Without --pid or a command leakd runs as the daemon: it watches every\n"
	      "process's memory and answers leakctl.  With them it traces one process's\n"
	      "allocations and reports the call stacks that hold outstanding memory.\n"
	      "\n"
	      "Options:\n",
	      f);
	for (i = 0; i < ARRAY_SIZE(opts); i++) {
		const struct opt *o = &opts[i];

		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		if (strlen(left) <= 25)
			fprintf(f, "  %-25s %s\n", left, o->help);
		else
			fprintf(f, "  %s\n  %-25s %s\n", left, "", o->help);
	}
	fputs("\n"
	      "DURATION: a number with a unit: ms, s, m, h, d (a bare number is seconds).\n"
	      "SIZE: bytes, or a number with K, M or G.\n"
	      "Exit status: 0 done, 1 runtime failure, 2 bad arguments or configuration,\n"
	      "3 not permitted, 4 kernel feature missing, 5 no such process, 6 no allocator\n"
	      "in the process, 7 the command could not be started, 8 another daemon runs\n"
	      "on the socket.  See leakd(8).\n",
	      f);
}

void options__defaults(struct leakd_options *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = MODE_DAEMON;
	o->interval_ns = 10 * NSEC_PER_SEC;
	o->top = 10;
	o->max_depth = LEAKD_DEFAULT_FRAMES;
	/* Both mapped into leakd whole (the ring twice): they are most of its resident size. */
	o->ringbuf_bytes = 4 << 20;
	/* Enough for the watch tier's events between two drains on a busy host. */
	o->watch_ringbuf_bytes = 1 << 20;
	o->max_allocs = 16 << 20;
	o->max_stacks = 256 << 10;
	o->max_mappings = 1 << 20;
	o->unwind_rows = 512 << 10;
	o->cache_dir = "/var/cache/leakd";
	o->config = LEAKD_CONFIG_PATH;
	o->socket = "/run/leakd/leakd.sock";
	o->socket_group = "leakd";
	o->sample_interval_ns = 10 * NSEC_PER_SEC;
	o->growth_window_ns = 30 * 60 * NSEC_PER_SEC;
	o->drilldown_exclude = DRILLDOWN_EXCLUDE;
	o->untrace_sticky_ns = 3600 * NSEC_PER_SEC;
	o->event_budget = OPTIONS_EVENT_BUDGET;
	o->history_points = 96;
	o->state_dir = "/var/lib/leakd";
	o->restart_grace_ns = 60 * NSEC_PER_SEC;
	o->sampler = LEAKD_SAMPLER_PATH;
	o->metrics_top = 20;
	o->max_snapshots = 32;
	o->snapshot_stacks = 4096;
	o->history_series = 4096;
	o->drilldown = true;
	o->drilldown_bytes = 64 << 20;
	o->drilldown_window_ns = 10 * 60 * NSEC_PER_SEC;
	o->drilldown_for_ns = 10 * 60 * NSEC_PER_SEC;
	o->drilldown_max = 2;
	o->max_procs = 32768;
	o->max_traced = 64;
	o->max_sampler = 64;
	o->max_exited = 64;
	o->exited_min_bytes = 1 << 20;
	o->max_rules = 1024;
	o->max_clients = 16;
}

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * --json and --format: the last one given wins, but --json with a profile
 * format (one file of the whole run) is refused as a contradiction.
 */
static bool json_given, profile_given;

/* Sets one option from its text value (NULL for switches). */
static int apply(const struct opt *d, const char *val, struct leakd_options *o, char *err,
		 size_t errlen)
{
	void *field = (char *)o + d->offset;
	uint64_t v;

	switch (d->kind) {
	case K_FLAG:
		*(bool *)field = true;
		return 0;
	case K_STRING:
		*(const char **)field = val;
		return 0;
	case K_OPTIONAL:
		*(const char **)field = strcmp(val, "off") ? val : NULL;
		return 0;
	case K_U64_OFF:
		if (!strcmp(val, "off")) {
			*(uint64_t *)field = 0;
			return 0;
		}
		if (parse_u64(val, d->min, d->max, &v))
			return fail(err, errlen, "invalid --%s '%s' (%llu to %llu, or off)", d->name,
				    val, (unsigned long long)d->min, (unsigned long long)d->max);
		*(uint64_t *)field = v;
		return 0;
	case K_U64:
		if (parse_u64(val, d->min, d->max, &v))
			return fail(err, errlen, "invalid --%s '%s' (%llu to %llu)", d->name, val,
				    (unsigned long long)d->min, (unsigned long long)d->max);
		*(uint64_t *)field = v;
		return 0;
	case K_SIZE:
	case K_DURATION:
		if ((d->kind == K_SIZE ? parse_size(val, &v) : parse_duration(val, &v)) ||
		    v < d->min || (d->max && v > d->max))
			return fail(err, errlen, "invalid --%s '%s'", d->name, val);
		*(uint64_t *)field = v;
		return 0;
	case K_SPECIAL:
		break;
	}
	if (!strcmp(d->name, "pid")) {
		if (parse_u64(val, 1, INT32_MAX, &v))
			return fail(err, errlen, "invalid pid '%s'", val);
		o->pid = v;
		o->mode = MODE_PID;
	} else if (!strcmp(d->name, "ringbuf-size") || !strcmp(d->name, "watch-ringbuf-size")) {
		if (parse_size(val, &v) || v < d->min || v > d->max || (v & (v - 1)))
			return fail(err, errlen,
				    "invalid --%s '%s' (a power of two, 4K to 1G)", d->name, val);
		*(uint64_t *)field = v;
	} else if (!strcmp(d->name, "json")) {
		o->format = OUTPUT_JSON;
		json_given = true;
	} else if (!strcmp(d->name, "format")) {
		enum output_format f;

		/* The metrics answer the daemon's questions, not a report's. */
		if (output_format_parse(val, &f) || f == OUTPUT_METRICS)
			return fail(err, errlen,
				    "invalid --format '%s' (text, json, pprof, folded or svg)", val);
		o->format = f;
		profile_given |= render_is_profile(f);
	} else if (!strcmp(d->name, "syscall-probes")) {
		enum syscall_probes sp;

		if (syscall_probes_parse(val, &sp))
			return fail(err, errlen,
				    "invalid --syscall-probes '%s' (auto, tracepoints or raw)",
				    val);
		o->syscall_probes = sp;
	} else if (!strcmp(d->name, "no-cache")) {
		o->cache_dir = NULL;
	} else if (!strcmp(d->name, "no-drilldown")) {
		o->drilldown = false;
	} else if (!strcmp(d->name, "config")) {
		o->config = val;
	} else if (!strcmp(d->name, "verbose")) {
		o->verbose++;
	} else if (!strcmp(d->name, "help")) {
		o->help = true;
	} else if (!strcmp(d->name, "version")) {
		o->version = true;
	}
	return 0;
}

int options__parse_over(int argc, char **argv, struct leakd_options *o, char *err,
			size_t errlen)
{
	struct option long_opts[ARRAY_SIZE(opts) + 1];
	char shorts[2 * ARRAY_SIZE(opts) + 3] = "+:";
	size_t i, ns = 2;
	int c, idx;

	memset(long_opts, 0, sizeof(long_opts));
	for (i = 0; i < ARRAY_SIZE(opts); i++) {
		long_opts[i].name = opts[i].name;
		long_opts[i].has_arg = opts[i].arg ? required_argument : no_argument;
		long_opts[i].val = 256 + i;
		if (opts[i].short_name) {
			shorts[ns++] = opts[i].short_name;
			if (opts[i].arg)
				shorts[ns++] = ':';
		}
	}
	json_given = profile_given = false;
	optind = 0;		/* restart getopt: parse may run more than once */
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, long_opts, &idx)) != -1) {
		const struct opt *d = NULL;
		int e;

		if (c == ':')
			return fail(err, errlen, "option '%s' needs an argument", argv[optind - 1]);
		if (c == '?') {
			if (optopt > 0 && optopt < 256)
				return fail(err, errlen, "unknown option '-%c'", optopt);
			return fail(err, errlen, "unknown option '%s'", argv[optind - 1]);
		}
		if (c >= 256) {
			d = &opts[c - 256];
		} else {
			for (i = 0; i < ARRAY_SIZE(opts) && !d; i++)
				if (opts[i].short_name == c)
					d = &opts[i];
		}
		if (!d || !(d->where & IN_CLI))
			return fail(err, errlen, "unknown option '%s'", argv[optind - 1]);
		e = apply(d, optarg, o, err, errlen);
		if (e)
			return e;
		if (o->help || o->version)
			return 0;
	}
	if (json_given && profile_given)
		return fail(err, errlen, "--json and --format pprof, folded or svg exclude each other");
	if (optind == argc && optind > 1 && !strcmp(argv[optind - 1], "--"))
		return fail(err, errlen, "no command after --");
	if (optind < argc) {
		/* getopt stops at "--" or at the first operand: both start the command. */
		if (optind == 0 || strcmp(argv[optind - 1], "--"))
			return fail(err, errlen, "unexpected argument '%s' (a command goes after --)",
				    argv[optind]);
		if (o->mode == MODE_PID)
			return fail(err, errlen, "--pid and a command exclude each other");
		o->command = argv + optind;
		o->mode = MODE_COMMAND;
	}
	if (o->follow_forks && o->mode == MODE_DAEMON)
		return fail(err, errlen, "--follow-forks needs --pid or a command "
				    "(the daemon's rules cover children by name)");
	return 0;
}

int options__parse(int argc, char **argv, struct leakd_options *o, char *err, size_t errlen)
{
	options__defaults(o);
	return options__parse_over(argc, argv, o, err, errlen);
}

int options__log_level(int verbose)
{
	return verbose >= 2 ? LOG_LVL_TRACE : verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO;
}

int options__daemon(int argc, char **argv, const char *config, bool required,
		    struct leakd_options *ret, char *err, size_t errlen)
{
	options__defaults(ret);
	ret->config = config;
	if (config && (required || !access(config, F_OK)) &&
	    options__load_config(config, ret, err, errlen))
		return -EINVAL;
	if (options__parse_over(argc, argv, ret, err, errlen))
		return -EINVAL;
	if (config && !required && access(config, F_OK))
		ret->config = NULL;	/* none there: nothing to reload */
	return 0;
}

/*
 * The configuration's strings point into the text they were read from: each text
 * belongs to the options it was loaded into, and goes with options__free.
 */
struct config_text {
	struct config_text *prev;
	char text[];
};

void options__free(struct leakd_options *o)
{
	struct config_text *ct;

	while ((ct = o->texts)) {
		o->texts = ct->prev;
		free(ct);
	}
}

static int load_one(const char *path, struct leakd_options *o, char *err, size_t errlen);

static int is_dropin(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return de->d_name[0] != '.' && n > 5 && !strcmp(de->d_name + n - 5, ".conf");
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);	/* bytes, whatever the locale */
}

int options__load_config(const char *path, struct leakd_options *o, char *err, size_t errlen)
{
	struct dirent **names = NULL;
	char dir[PATH_MAX], file[PATH_MAX];
	int n, i, e;

	e = load_one(path, o, err, errlen);
	if (e)
		return e;
	if (snprintf(dir, sizeof(dir), "%s.d", path) >= (int)sizeof(dir))
		return fail(err, errlen, "%s.d: path too long", path);
	n = scandir(dir, &names, is_dropin, by_name);
	if (n < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 :
		       fail(err, errlen, "cannot read %s: %s", dir, strerror(errno));
	for (i = 0, e = 0; i < n; i++) {
		struct stat st;

		if (!e && snprintf(file, sizeof(file), "%s/%s", dir, names[i]->d_name) >=
				  (int)sizeof(file))
			e = fail(err, errlen, "%s/%s: path too long", dir, names[i]->d_name);
		/* Files only: a directory or a socket named *.conf is no drop-in. */
		if (!e && !stat(file, &st) && S_ISREG(st.st_mode))
			e = load_one(file, o, err, errlen);
		free(names[i]);
	}
	free(names);
	return e;
}

/* A configuration is a few hundred bytes; a bound keeps a mistaken path from costing the daemon. */
#define CONFIG_MAX_BYTES (4u << 20)

static int load_one(const char *path, struct leakd_options *o, char *err, size_t errlen)
{
	struct config_text *ct;
	char *text, *line, *next;
	int lineno = 0, e;
	size_t len;

	e = read_regular_file(path, CONFIG_MAX_BYTES, &text, &len);
	if (e) {
		snprintf(err, errlen, "cannot read %s: %s", path,
			 e == -EINVAL ? "not a regular file" :
			 e == -EFBIG ? "larger than 4 MiB" : strerror(-e));
		return e;
	}
	ct = malloc(sizeof(*ct) + len + 1);
	if (!ct) {
		free(text);
		return fail(err, errlen, "out of memory");
	}
	memcpy(ct->text, text, len + 1);
	free(text);
	ct->prev = o->texts;
	o->texts = ct;
	text = ct->text;
	for (line = text; line; line = next) {
		char *name, *val = NULL, *end;
		const struct opt *d = NULL;
		size_t i;

		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		end = strchr(line, '#');
		if (end)
			*end = 0;
		name = line + strspn(line, " \t");
		end = name + strlen(name);
		while (end > name && isspace((unsigned char)end[-1]))
			*--end = 0;
		if (!*name)
			continue;
		val = strchr(name, '=');
		if (val) {
			*val++ = 0;
			val += strspn(val, " \t");
			end = name + strlen(name);
			while (end > name && isspace((unsigned char)end[-1]))
				*--end = 0;
		}
		for (i = 0; i < ARRAY_SIZE(opts) && !d; i++)
			if (!strcmp(opts[i].name, name) && (opts[i].where & IN_CONF))
				d = &opts[i];
		if (!d)
			return fail(err, errlen, "%s:%d: unknown setting '%s'", path, lineno, name);
		if (!d->arg != !val)
			return fail(err, errlen, "%s:%d: '%s' %s", path, lineno, name,
				    d->arg ? "needs a value" : "takes no value");
		e = apply(d, val, o, err, errlen);
		if (e) {
			char msg[256];

			snprintf(msg, sizeof(msg), "%s", err);
			return fail(err, errlen, "%s:%d: %s", path, lineno, msg);
		}
	}
	return 0;
}
