/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The system-wide daemon: the watch tier over every process, allocator tracing of
 * chosen ones (by request, by rule, by automatic drill-down on steady growth),
 * summaries of exited processes, and the control socket.  daemon.c keeps the
 * state and the loop; control.c answers leakctl from it.
 */
#ifndef LEAKD_DAEMON_H
#define LEAKD_DAEMON_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "model/growth.h"
#include "base/hashtab.h"
#include "base/procfs.h"
#include "cli/options.h"
#include "serve/server.h"
#include "model/tables.h"

enum trace_how {
	TRACE_NONE,
	TRACE_MANUAL,		/* leakctl trace PID */
	TRACE_RULE,		/* leakctl trace --comm/--unit: a rule that matched */
	TRACE_AUTO,		/* drill-down on steady growth */
	TRACE_ALL,		/* --trace-all */
};

/* What the daemon keeps of each watched process besides its tables. */
struct watch {
	uint64_t pid;		/* hashtab key */
	uint32_t uid;
	struct procfs_cred cred;	/* who may see it, as last read */
	char cgroup[256];
	struct series anon;	/* RssAnon over time */
	uint64_t rss_bytes, anon_bytes;
	enum trace_how traced;
	uint64_t trace_until;	/* CLOCK_MONOTONIC ns; 0: no end */
	enum trace_how wanted;	/* to be traced once an allocator is mapped (after exec) */
	uint64_t wanted_until;
	uint64_t trace_ended;	/* since then the allocator figures are frozen */
	uint64_t auto_after;	/* no automatic trace before then (cooldown) */
	bool unwound;		/* it has an entry in the kernel's unwind tables */
};

/* leakctl trace --comm/--unit: processes that match, now or later, are traced. */
struct trace_rule {
	char comm[16];
	char unit[256];
	uint32_t owner;		/* uid of who asked; 0: root, every process */
	uint32_t owner_gid;	/* and the group: processes it may inspect */
	uint64_t until;		/* 0: until untraced */
	struct trace_rule *next;
};

/* What a process left behind when it exited, rendered then. */
struct summary {
	uint64_t pid;
	char comm[16];
	uint32_t uid;
	struct procfs_cred cred;	/* who could see the process when it exited */
	time_t exited;
	uint64_t heap_bytes, heap_allocs, map_bytes;
	char *text, *json;
};

struct daemon_stats {
	uint64_t procs_dropped;		/* max_procs reached */
	uint64_t traces_refused;	/* max_traced reached */
	uint64_t traces_auto;		/* automatic traces started */
	uint64_t unwind_skipped;	/* processes left without unwind tables */
	uint64_t exited_evicted;	/* summaries dropped for newer ones */
};

struct daemon {
	struct leakd_options o;
	int argc;
	char **argv;
	struct tracer *tracer;
	struct tables tables;
	struct symbolizer *sym;
	struct unwinder *unw;
	struct events *events;
	struct server *server;
	struct hashtab watches;		/* struct watch */
	struct trace_rule *rules;
	struct summary *exited;		/* a ring of o.max_exited */
	size_t nr_exited, next_exited;
	struct daemon_stats stats;
	uint64_t started_ns;
	time_t started_wall;
	uint64_t next_sample, next_rediscover;
	int epfd, sigfd, timerfd;
	bool stop;
};

int daemon__run(int argc, char **argv, const struct leakd_options *o, const sigset_t *orig_mask);

/* For control.c. */
struct watch *daemon__watch(struct daemon *d, pid_t pid);
int daemon__start_trace(struct daemon *d, struct watch *w, enum trace_how how, uint64_t until);
void daemon__stop_trace(struct daemon *d, struct watch *w);
bool daemon__matches(const struct daemon *d, const struct watch *w, const char *comm,
		     const char *unit);
void daemon__add_rule(struct daemon *d, const struct trace_rule *r);
int daemon__remove_rules(struct daemon *d, const char *comm, const char *unit, uint32_t owner);
const char *daemon__trace_how(enum trace_how how);

int control__handle(void *ctx, const struct peer *who, const struct leakd_req_hdr *h,
		    const void *payload, FILE *out);

#endif
