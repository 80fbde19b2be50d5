/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The system-wide daemon: the watch tier over every process, allocator tracing of
 * chosen ones (by request, by rule, by automatic drill-down on steady growth),
 * summaries of exited processes kept by importance, and its loop.  Its state is
 * its own; the control layer (control.c) asks through the functions below, which
 * answer with snapshots (present/snapshot.h) it renders.
 */
#ifndef LEAKD_DAEMON_H
#define LEAKD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cli/options.h"
#include "model/tables.h"
#include "present/snapshot.h"
#include "serve/http.h"
#include "serve/server.h"

struct daemon;

/*
 * Runs until SIGTERM or SIGINT; handler answers the control socket's requests
 * with the daemon as its context.  Returns an exit code of leakd(8).
 */
/* leakd --release: removes the handover a stop left pinned for o->socket; an exit code. */
int daemon__release(const struct leakd_options *o);
int daemon__run(int argc, char **argv, const struct leakd_options *o, server_handler handler,
		http_handler metrics);
/* The processes /metrics gives series of their own; the stacks of one profile. */
size_t daemon__metrics_top(const struct daemon *d);
uint32_t daemon__profile_stacks(const struct daemon *d);

/* Which processes a request is about: a pid, a comm or a unit; none: all. */
struct selector {
	pid_t pid;
	const char *comm;
	const char *unit;
	const char *cgroup;		/* a cgroup path, or one it is under */
};

struct top_query {
	struct selector sel;
	uint32_t limit;			/* stacks */
	bool level[LEVEL__COUNT];	/* the levels to rank */
	uint64_t min_age_ns;
	bool with_freed;		/* also stacks that hold nothing now (profiles) */
	uint64_t since_ns;		/* only what was allocated this long ago or later; 0: all */
	bool by_growth;			/* rank by the trend of each stack's history */
	uint64_t window_ns;		/* of the trends; 0: the growth window */
	bool ages;			/* a histogram of ages with each row */
};

struct trace_query {
	struct selector sel;
	bool on;			/* trace, else untrace */
	uint64_t duration_ns;		/* 0: until untraced */
	/* By pid: sampled every so many bytes on average, or exact; neither: the default. */
	uint64_t sample_bytes;
	bool exact;
	bool inject;			/* by pid: load the sampler into it first */
};

/*
 * Each answers who: root sees every process, anyone else those whose /proc/PID/maps
 * the kernel would let it read (procfs_cred_allows), exit summaries as that stood
 * when the process exited.
 */
/* The rules listed are who's (root's: everyone's). */
void daemon__status(struct daemon *d, const struct peer *who, struct status_snap *ret);
int daemon__ps(struct daemon *d, const struct peer *who, uint32_t limit, struct ps_snap *ret);
void ps_snap__free(struct ps_snap *s);
/* -ESRCH: a pid given that is not watched (or not who's). */
int daemon__top(struct daemon *d, const struct peer *who, const struct top_query *q,
		struct top_snap *ret);
void top_snap__free(struct top_snap *s);
/*
 * -ESRCH: the pid is not watched; -EPERM: not who's to inspect (the kernel's rule
 * for /proc/PID/maps: another user's, setuid, not dumpable); -ENOSPC: max-traced
 * reached (pid) or max-rules (comm, unit); -ENOENT: no allocator in the pid;
 * -EINVAL: a cgroup selector (rules name processes and units); -ECANCELED: the
 * sampler could not be injected (trace), or its GOT entries not restored (untrace,
 * which stopped the trace all the same), why in ret->why.
 */
int daemon__trace(struct daemon *d, const struct peer *who, const struct trace_query *q,
		  struct trace_snap *ret);
void trace_snap__free(struct trace_snap *s);
/*
 * pid's memory over time and its top growing stacks (at most nr_stacks) under it.
 * -ESRCH: not watched, or not who's to see.
 */
int daemon__timeline(struct daemon *d, const struct peer *who, pid_t pid, uint32_t nr_stacks,
		     uint64_t window_ns, struct timeline_snap *ret);

/* Saved snapshots of the caller's (serve/snapstore.h).  -EINVAL: bad name; -ENOSPC: full. */
int daemon__snapshot_save(struct daemon *d, const struct peer *who, const char *name,
			  const struct selector *sel, const bool level[LEVEL__COUNT]);
int daemon__snapshot_delete(struct daemon *d, const struct peer *who, const char *name);
/* ret->v is malloc'd; saved_list_snap__free frees it. */
int daemon__snapshot_list(struct daemon *d, const struct peer *who,
			  struct saved_list_snap *ret);
void saved_list_snap__free(struct saved_list_snap *s);

/* A diff and the two sets of stacks it points into. */
struct diff_answer {
	struct stack_list a, b;
	struct diff_snap *diff;
};

struct diff_query {
	const char *a, *b;		/* snapshot names, or "now" */
	struct selector sel;		/* for "now" */
	bool level[LEVEL__COUNT];
	uint32_t limit;			/* rows */
};

/*
 * -ENOENT: no such snapshot (*ret_why names it); -EINVAL: a snapshot that does
 * not read back (*ret_why says why).
 */
int daemon__diff(struct daemon *d, const struct peer *who, const struct diff_query *q,
		 struct diff_answer *ret, const char **ret_why);
void diff_answer__free(struct diff_answer *a);

/* ret->v points into the daemon's summaries: render before the daemon goes on. */
int daemon__exited(struct daemon *d, const struct peer *who, uint32_t limit,
		   struct exited_snap *ret);
void exited_snap__free(struct exited_snap *s);

#endif
