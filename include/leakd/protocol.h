/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The control protocol between leakctl and the leakd daemon, over a UNIX stream
 * socket.  A request is a header and a fixed-size payload for its command; a
 * response is a header and a body: the answer in the format the request asked
 * for (text, one JSON object, or a profile of top's stacks: pprof, folded stacks,
 * an SVG flame graph).  An error response's body is one line of text (JSON:
 * {"error": "..."}).
 *
 * The server checks, in this order, before it trusts a byte: the size (a whole
 * header, a payload within LEAKD_REQ_MAX), the magic and version, the command,
 * the payload's size for that command, and then the arguments (the format and
 * flags of the header first).
 *
 * All integers are in the host's byte order: both ends run on the same machine.
 * Version 2 (1 had a JSON flag where 2 has the format); a trace request of 288
 * bytes (before its mode) is refused by its size.
 */
#ifndef LEAKD_PROTOCOL_H
#define LEAKD_PROTOCOL_H

#include <linux/types.h>

#define LEAKD_SOCKET_PATH "/run/leakd/leakd.sock"
#define LEAKD_PROTO_MAGIC 0x4c4b4431u	/* "LKD1" */
#define LEAKD_PROTO_VERSION 2
#define LEAKD_REQ_MAX 1024		/* payload bytes of a request */
#define LEAKD_RESP_MAX (64u << 20)	/* body bytes of a response */
#define LEAKD_PID_MAX (1u << 22)	/* the kernel's PID_MAX_LIMIT: no pid is larger */
#define LEAKD_TOP_MAX 65536u		/* stacks in one answer: a request's limit at most */
/* Durations (min_age_ns, duration_ns): at most ten years. */
#define LEAKD_DURATION_MAX (10ull * 366 * 86400 * 1000000000)

enum leakd_cmd {
	LEAKD_CMD_STATUS = 1,		/* no payload */
	LEAKD_CMD_PS,			/* struct leakd_req_list */
	LEAKD_CMD_TOP,			/* struct leakd_req_top */
	LEAKD_CMD_TRACE,		/* struct leakd_req_trace */
	LEAKD_CMD_UNTRACE,		/* struct leakd_req_trace (duration unused) */
	LEAKD_CMD_EXITED,		/* struct leakd_req_list */
	LEAKD_CMD_SNAPSHOT,		/* struct leakd_req_snapshot */
	LEAKD_CMD_DIFF,			/* struct leakd_req_diff */
	LEAKD_CMD_TIMELINE,		/* struct leakd_req_timeline */
	LEAKD_CMD__MAX,
};

/* The format of the answer. */
enum leakd_format {
	LEAKD_FORMAT_TEXT = 0,
	LEAKD_FORMAT_JSON = 1,
	/* Profiles, of top's stacks only (leakctl export); errors come as text. */
	LEAKD_FORMAT_PPROF = 2,		/* gzip-compressed profile.proto: binary */
	LEAKD_FORMAT_FOLDED = 3,	/* folded stacks */
	LEAKD_FORMAT_SVG = 4,		/* a flame graph */
	LEAKD_FORMAT__MAX,
};

/* Request flags; any other bit set is refused. */
#define LEAKD_REQ_SHORT_NAMES (1u << 0)	/* text: names without template arguments, parameters */
#define LEAKD_REQ_FLAGS LEAKD_REQ_SHORT_NAMES

struct leakd_req_hdr {
	__u32 magic;
	__u16 version;
	__u16 command;			/* enum leakd_cmd */
	__u32 length;			/* payload bytes that follow */
	__u16 format;			/* enum leakd_format */
	__u16 flags;			/* LEAKD_REQ_FLAGS */
};

/*
 * Which processes: at most one of pid, comm, unit and cgroup (the others
 * zero/empty); none at all means every process the caller may see.  Strings are
 * NUL-terminated within their arrays.
 */
struct leakd_selector {
	__u32 pid;
	__u32 _pad;
	char comm[16];			/* as /proc/PID/comm, exactly */
	char unit[256];			/* a systemd unit, e.g. "nginx.service" */
	char cgroup[256];		/* a cgroup (v2) path or a path it is under */
};

struct leakd_req_list {
	__u32 limit;			/* 0: all */
	__u32 _pad;
};

/* Levels for top: where the memory was counted. */
enum leakd_level {
	LEAKD_LEVEL_ALL = 0,
	LEAKD_LEVEL_HEAP = 1,		/* the allocator (traced processes) */
	LEAKD_LEVEL_MAP = 2,		/* anonymous mappings (every process) */
};

#define LEAKD_TOP_DEFAULT 10		/* stacks leakctl asks for without -n */

/* What top ranks by. */
enum leakd_top_by {
	LEAKD_TOP_BY_BYTES = 0,		/* outstanding bytes */
	LEAKD_TOP_BY_GROWTH = 1,	/* the trend of each stack's history */
	LEAKD_TOP_BY__MAX,
};

#define LEAKD_TOP_AGES (1u << 0)	/* a histogram of ages with each row */
#define LEAKD_TOP_FLAGS LEAKD_TOP_AGES

struct leakd_req_top {
	struct leakd_selector sel;
	__u32 limit;			/* stacks, at most LEAKD_TOP_MAX; 0: all, up to that
					 * (leakctl asks for LEAKD_TOP_DEFAULT without -n) */
	__u32 level;			/* enum leakd_level */
	__u64 min_age_ns;		/* only memory at least this old; <= LEAKD_DURATION_MAX */
	__u64 since_ns;			/* only memory allocated at most this long ago; 0: all */
	__u64 window_ns;		/* by growth: the trends' window; 0: the daemon's */
	__u32 by;			/* enum leakd_top_by */
	__u32 top_flags;		/* LEAKD_TOP_FLAGS */
};

/*
 * How a trace request traces, a process (pid) or those a rule (comm, unit) covers,
 * now and later: the daemon's default is sampled (512 KiB).
 */
enum leakd_trace_mode {
	LEAKD_TRACE_DEFAULT = 0,	/* the daemon's choice (always for untrace) */
	LEAKD_TRACE_SAMPLED = 1,	/* sample_bytes: mean bytes between samples */
	LEAKD_TRACE_EXACT = 2,		/* every allocator call, even where otel_memory
					 * probes report */
	LEAKD_TRACE__MAX,
};

/*
 * Trace flags; any other bit set is refused.  INJECT: load libleakd-sampler.so into
 * the running process and trace it through the sampler's probes (by pid, not with
 * EXACT; with SAMPLED the sampler's interval, which may go down to 1 byte).
 */
#define LEAKD_TRACE_INJECT (1u << 0)
#define LEAKD_TRACE_FLAGS LEAKD_TRACE_INJECT
#define LEAKD_INJECT_SAMPLE_MIN 1ull	/* the sampler samples every byte at 1 */

struct leakd_req_trace {
	struct leakd_selector sel;	/* one of the three must be given */
	__u64 duration_ns;		/* 0: until untraced; <= LEAKD_DURATION_MAX */
	__u32 mode;			/* enum leakd_trace_mode; untrace: DEFAULT */
	__u32 trace_flags;		/* LEAKD_TRACE_FLAGS (0 before --inject: compatible) */
	__u64 sample_bytes;		/* SAMPLED: LEAKD_SAMPLE_MIN..MAX (leakd/sampling.h),
					 * from LEAKD_INJECT_SAMPLE_MIN with INJECT; else 0 */
};

/* What to do with snapshots. */
enum leakd_snapshot_op {
	LEAKD_SNAPSHOT_SAVE = 1,	/* the stacks of sel at level, under name */
	LEAKD_SNAPSHOT_LIST,		/* the caller's saved snapshots */
	LEAKD_SNAPSHOT_DELETE,		/* the one called name */
	LEAKD_SNAPSHOT__MAX,
};

#define LEAKD_SNAPSHOT_NAME 64		/* bytes of a name, with its NUL */

struct leakd_req_snapshot {
	__u32 op;			/* enum leakd_snapshot_op */
	__u32 level;			/* enum leakd_level: save */
	char name[LEAKD_SNAPSHOT_NAME];	/* [A-Za-z0-9._-], not starting with '.'; not "now" */
	struct leakd_selector sel;	/* save: which processes */
};

/* What grew between two saved snapshots of the caller, or a snapshot and now. */
struct leakd_req_diff {
	char a[LEAKD_SNAPSHOT_NAME];	/* a snapshot's name, or "now" */
	char b[LEAKD_SNAPSHOT_NAME];
	struct leakd_selector sel;	/* "now": which processes */
	__u32 level;			/* "now": enum leakd_level */
	__u32 limit;			/* rows, at most LEAKD_TOP_MAX; 0: all */
};

/* A process's memory over time, with its top growing stacks. */
struct leakd_req_timeline {
	__u32 pid;
	__u32 stacks;			/* growing stacks drawn, at most LEAKD_TIMELINE_STACKS */
	__u64 window_ns;		/* of their trends; 0: the daemon's growth window */
};

#define LEAKD_TIMELINE_STACKS 10

/* Response status, in leakd_resp_hdr.status; leakctl's exit status follows it. */
enum leakd_status {
	LEAKD_OK = 0,
	LEAKD_ERR_SIZE,			/* truncated header or oversized payload */
	LEAKD_ERR_VERSION,		/* bad magic or unsupported version */
	LEAKD_ERR_COMMAND,		/* unknown command */
	LEAKD_ERR_ARGS,			/* payload of the wrong size or bad arguments */
	LEAKD_ERR_PERM,			/* the caller may not do this */
	LEAKD_ERR_NOT_FOUND,		/* no such process */
	LEAKD_ERR_LIMIT,		/* a limit was reached (traced processes ...) */
	LEAKD_ERR_INTERNAL,
	LEAKD_ERR_INJECT,		/* the sampler cannot be injected safely (static,
					 * seccomp, ptrace refused, traced already ...) */
};

struct leakd_resp_hdr {
	__u32 magic;
	__u16 version;
	__u16 status;			/* enum leakd_status */
	__u32 length;			/* body bytes that follow */
	__u32 _reserved;
};

#ifndef __bpf__
_Static_assert(sizeof(struct leakd_req_hdr) == 16, "request header layout");
_Static_assert(sizeof(struct leakd_resp_hdr) == 16, "response header layout");
_Static_assert(sizeof(struct leakd_selector) == 536, "selector layout");
_Static_assert(sizeof(struct leakd_req_top) == 576, "top layout");
_Static_assert(sizeof(struct leakd_req_trace) == 560, "trace layout");
_Static_assert(sizeof(struct leakd_req_snapshot) == 608, "snapshot layout");
_Static_assert(sizeof(struct leakd_req_diff) == 672, "diff layout");
_Static_assert(sizeof(struct leakd_req_timeline) == 16, "timeline layout");
#endif

#endif
