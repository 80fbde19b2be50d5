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
#include "serve/server.h"

struct daemon;

/*
 * Runs until SIGTERM or SIGINT; handler answers the control socket's requests
 * with the daemon as its context.  Returns an exit code of leakd(8).
 */
int daemon__run(int argc, char **argv, const struct leakd_options *o, server_handler handler);

/* Which processes a request is about: a pid, a comm or a unit; none: all. */
struct selector {
	pid_t pid;
	const char *comm;
	const char *unit;
};

struct top_query {
	struct selector sel;
	uint32_t limit;			/* stacks */
	bool level[LEVEL__COUNT];	/* the levels to rank */
	uint64_t min_age_ns;
};

struct trace_query {
	struct selector sel;
	bool on;			/* trace, else untrace */
	uint64_t duration_ns;		/* 0: until untraced */
	/* By pid: sampled every so many bytes on average, or exact; neither: the default. */
	uint64_t sample_bytes;
	bool exact;
};

/* Each answers who (a peer may see only its own processes unless root). */
void daemon__status(struct daemon *d, struct status_snap *ret);
int daemon__ps(struct daemon *d, const struct peer *who, uint32_t limit, struct ps_snap *ret);
void ps_snap__free(struct ps_snap *s);
/* -ESRCH: a pid given that is not watched (or not who's). */
int daemon__top(struct daemon *d, const struct peer *who, const struct top_query *q,
		struct top_snap *ret);
void top_snap__free(struct top_snap *s);
/*
 * -ESRCH: the pid is not watched; -EPERM: another user's; -ENOSPC: max-traced
 * reached (pid) or max-rules (comm, unit); -ENOENT: no allocator in the pid.
 */
int daemon__trace(struct daemon *d, const struct peer *who, const struct trace_query *q,
		  struct trace_snap *ret);
void trace_snap__free(struct trace_snap *s);
/* ret->v points into the daemon's summaries: render before the daemon goes on. */
int daemon__exited(struct daemon *d, const struct peer *who, uint32_t limit,
		   struct exited_snap *ret);
void exited_snap__free(struct exited_snap *s);

#endif
