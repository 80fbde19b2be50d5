/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The daemon's state across a restart: one file in the state directory per socket
 * (STATE/restart-HASH.state), written on a clean stop and read at the next start.
 * It holds the traced processes (the daemon's view of each, the names of the
 * allocator links kept for it, and its tables: figures, stacks with their
 * normalized frames, live blocks, mappings), the modules and JIT names those
 * frames name, the trace rules with their expiry, and the exit summaries.
 *
 * A versioned header (magic, version, the BPF side's LEAKD_HANDOVER_ABI, the boot
 * it was written in, the payload's size and checksum), then the payload; every
 * count is bounded by what is left of the file and by the tables' limits, every
 * field is checked as it is read.  The file is input: anything wrong in it is a
 * reason, never a crash.  Written whole or not at all (a temporary file renamed),
 * mode 0600.
 */
#ifndef LEAKD_SERVE_HANDOVER_H
#define LEAKD_SERVE_HANDOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/procfs.h"
#include "collect/tracer.h"
#include "present/snapshot.h"

struct tables;
struct symbolizer;
struct wbuf;

#define HANDOVER_VERSION 2
#define HANDOVER_MAX_BYTES (1ull << 31)	/* a larger file is refused */
#define HANDOVER_MAX_PROCS 8192		/* max-traced and max-sampler, both at most 4096 */
#define HANDOVER_MAX_EXITS 4096		/* as max-exited's own bound */
#define HANDOVER_MAX_RULES (1u << 20)	/* as max-rules' own bound */

/* A traced process: what the daemon knew of it besides its tables. */
struct handover_proc {
	uint64_t pid, start_time;	/* its identity (start_time: /proc/PID/stat) */
	uint32_t uid;
	struct procfs_cred cred;
	char cgroup[256];
	uint32_t traced;		/* enum trace_kind */
	uint64_t trace_until, sample;
	uint32_t slot;			/* its links' slot in the intervals in force */
	uint64_t interval;		/* the interval in force there; 0: sample */
	bool ever_traced;
	bool injected, inert;		/* its sampler injected; and pointed back since */
	struct tracer_pinned *objs;	/* its objects (allocators, or otel_memory probes)
					 * and their kept links */
	uint32_t nr_objs;
};

struct handover_rule {
	char comm[16];
	char unit[256];
	uint32_t owner, owner_gid;
	uint64_t until;
	uint64_t sample;		/* 0: exact; else mean bytes between samples */
};

struct handover_exit {
	struct exit_snap s;
	struct procfs_cred cred;
	uint32_t rank;			/* enum exit_rank */
	uint64_t seq;
};

struct handover {
	uint64_t saved_ns;		/* CLOCK_MONOTONIC, when written */
	uint64_t deadline_ns;		/* when the pinned programs stop; 0: nothing pinned */
	uint64_t drops;			/* the kernel's loss counters then, summed */
	struct handover_proc *procs;
	size_t nr_procs;
	struct handover_rule *rules;
	size_t nr_rules;
	struct handover_exit *exits;
	size_t nr_exits;
	uint64_t exit_seq;
};

/* Frees what decode made (not the processes' tables, which t owns). */
void handover__destroy(struct handover *h);

/*
 * The file's bytes for h; the tables of each process are taken from t, its
 * frames' modules and JIT names from sym.  0 or -errno (-E2BIG past the bound).
 */
int handover__encode(const struct handover *h, const struct tables *t,
		     const struct symbolizer *sym, struct wbuf *ret);
/*
 * Reads a file's bytes: the processes' tables go into t (their modules and JIT
 * names registered with sym), the rest into *ret.  -EINVAL with *ret_why (and
 * nothing added to t), -ESTALE (another boot, or another ABI: *ret_why), -ENOMEM.
 */
int handover__decode(const void *buf, size_t n, struct tables *t, struct symbolizer *sym,
		     struct handover *ret, const char **ret_why);

/* The header's checks alone (magic, version, ABI, boot, size, checksum): 0, or why not. */
int handover_check(const void *buf, size_t n, const char **ret_why);

/* STATE/restart-HASH.state for the socket; -ENAMETOOLONG. */
int handover_path(const char *state_dir, const char *socket, const char *suffix, char *ret,
		  size_t size);
/*
 * Reads path (a regular file of ours, not writable by others, at most
 * HANDOVER_MAX_BYTES) into a malloc'd buffer.  -ENOENT when there is none.
 */
int handover_read(const char *path, void **ret, size_t *ret_n, const char **ret_why);

#endif
