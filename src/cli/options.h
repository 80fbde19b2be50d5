/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * leakd's options: one table gives the command line, the configuration file
 * (leakd.conf: "name = value", the long option names), --help and the defaults.
 */
#ifndef LEAKD_OPTIONS_H
#define LEAKD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "present/render.h"

/* Exit codes, documented in leakd(8). */
enum leakd_exit {
	EXIT_OK = 0,
	EXIT_FAILURE_RUNTIME = 1,	/* anything not listed below */
	EXIT_USAGE = 2,			/* bad arguments or configuration */
	EXIT_NO_PRIVILEGE = 3,		/* not root / missing capabilities */
	EXIT_NO_KERNEL_FEATURE = 4,	/* no BTF, uprobes, BPF ... */
	EXIT_NO_TARGET = 5,		/* no such process, or one leakd cannot trace */
	EXIT_NO_ALLOCATOR = 6,		/* the process maps no allocator leakd knows */
	EXIT_COMMAND_FAILED = 7,	/* the command could not be started */
	EXIT_ALREADY_RUNNING = 8,	/* another daemon holds the socket's lock */
};

enum leakd_mode {
	MODE_DAEMON,
	MODE_PID,
	MODE_COMMAND,
};

#define LEAKD_CONFIG_PATH "/etc/leakd/leakd.conf"
/* Package managers, compilers and build tools grow by design; leakd itself is not a target. */
#define DRILLDOWN_EXCLUDE "apt,apt-get,aptitude,dpkg,rpm,dnf,yum,cc1,cc1plus,cc,gcc,g++," \
			  "clang,ld,ld.gold,ld.lld,collect2,rustc,cargo,go,make,ninja,leakd"
/*
 * Events a second (allocations, frees, stacks) the daemon's traced processes may
 * send before sampled traces are widened: about 5 % of a core in the processes
 * at the few microseconds a sampled call costs, and far below what one consumer
 * drains.
 */
#define OPTIONS_EVENT_BUDGET 20000

struct leakd_options {
	enum leakd_mode mode;
	pid_t pid;
	char **command;			/* NULL-terminated, from argv */
	/* Ad-hoc reports. */
	uint64_t interval_ns;		/* 0: final report only */
	uint64_t top;			/* 0: all */
	uint64_t min_age_ns;
	uint64_t duration_ns;		/* 0: until the process exits or a signal */
	enum output_format format;	/* of the reports; a profile format: the final one */
	bool short_names;		/* text: names without template arguments */
	const char *output;		/* NULL: stdout */
	/* Tracing. */
	uint64_t max_depth;
	uint64_t ringbuf_bytes;
	uint64_t watch_ringbuf_bytes;	/* daemon: the ring until the first trace */
	uint64_t max_allocs;
	uint64_t max_stacks;
	uint64_t max_mappings;
	uint64_t unwind_rows;		/* the kernel's unwind table budget, in rows */
	const char *cache_dir;		/* unwind tables built before; NULL: none */
	bool frame_pointers;		/* no unwind tables: frame pointers only */
	int syscall_probes;		/* enum syscall_probes (collect/tracer.h) */
	uint64_t sample_bytes;		/* ad hoc: sample allocations every this many bytes
					 * on average; 0: trace every call */
	bool exact;			/* allocator probes even where otel_memory probes are */
	bool follow_forks;		/* ad hoc: children traced from their fork */
	bool no_hold;			/* never stop a process until its probes are in */
	/* The daemon. */
	const char *config;		/* NULL: no configuration file */
	const char *socket;
	const char *socket_group;
	uint64_t sample_interval_ns;	/* memory of every process sampled this often */
	uint64_t growth_window_ns;	/* growth measured over this much history */
	uint64_t history_points;	/* points per history (thinned as they age) */
	const char *drilldown_exclude;	/* comm names drill-down leaves alone */
	uint64_t untrace_sticky_ns;	/* an untraced process is not drilled into again for */
	uint64_t event_budget;		/* events/s all traced processes may send before the
					 * sampled ones are widened; 0: no budget */
	const char *state_dir;		/* saved snapshots, the state kept across a restart */
	uint64_t restart_grace_ns;	/* a handover's pins work this long without a daemon */
	bool release;			/* --release: remove this socket's handover, exit */
	const char *sampler;		/* libleakd-sampler.so, for trace --inject */
	const char *metrics_listen;	/* HTTP for /metrics and profiles; NULL: off */
	uint64_t metrics_top;		/* processes with series of their own */
	uint64_t max_snapshots;		/* per user */
	uint64_t snapshot_stacks;	/* stacks one snapshot keeps */
	uint64_t history_series;	/* stack histories, all processes together */
	bool drilldown;			/* automatic tracing of steady growers */
	uint64_t drilldown_bytes;	/* growth that makes a grower ... */
	uint64_t drilldown_window_ns;	/* ... within this long */
	uint64_t drilldown_for_ns;	/* how long it is traced */
	uint64_t drilldown_max;		/* processes traced automatically at once */
	bool trace_all;			/* allocator tracing of every process (test hosts) */
	uint64_t max_procs;		/* processes watched */
	uint64_t max_traced;		/* processes traced at once */
	uint64_t max_sampler;		/* daemon: processes traced through their otel_memory
					 * probes, found by itself, apart from max_traced */
	uint64_t max_exited;		/* summaries of exited processes kept */
	uint64_t exited_min_bytes;	/* held or grown: an exit worth keeping */
	uint64_t max_rules;		/* trace rules at once */
	uint64_t max_clients;		/* control connections at once */
	int verbose;
	bool help, version;
	struct config_text *texts;	/* what the configuration's strings point into */
};

void options__defaults(struct leakd_options *o);
/* Parses argv into o (defaults first).  -EINVAL with a one-line reason in err. */
int options__parse(int argc, char **argv, struct leakd_options *o, char *err, size_t errlen);
/* The same on top of what o holds (a loaded configuration): the command line wins. */
int options__parse_over(int argc, char **argv, struct leakd_options *o, char *err,
			size_t errlen);
/*
 * Applies a configuration file on top of o: lines "name = value" (or a bare name
 * for a switch), '#' comments, the daemon's long option names; then the drop-ins,
 * the files PATH.d/\*.conf in lexical (byte) order.  -errno with a reason naming
 * the file and line.  The strings it sets live until options__free(o).
 */
int options__load_config(const char *path, struct leakd_options *o, char *err, size_t errlen);
/* Frees what the configuration's strings point into; o's other fields stay. */
void options__free(struct leakd_options *o);
void options__usage(FILE *f);
/*
 * The daemon's options: defaults, then the configuration file (when required, or
 * when it exists), then the command line over it.  config is NULL in ret when
 * there was none to read (nothing to reload).  -EINVAL with a reason in err.
 * Either way, options__free(ret) frees what its strings point into.
 */
int options__daemon(int argc, char **argv, const char *config, bool required,
		    struct leakd_options *ret, char *err, size_t errlen);

/* Log levels for -v given n times: info, debug, and debug with libbpf's chatter. */
int options__log_level(int verbose);

#endif
