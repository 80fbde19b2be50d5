/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The control protocol between leakctl and the leakd daemon, over a UNIX stream
 * socket.  A request is a header and a fixed-size payload for its command; a
 * response is a header and a body: the answer in the format the request asked
 * for (text, or one JSON object).  An error response's body is one line of text
 * (JSON: {"error": "..."}).
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

enum leakd_cmd {
	LEAKD_CMD_STATUS = 1,		/* no payload */
	LEAKD_CMD_PS,			/* struct leakd_req_list */
	LEAKD_CMD_TOP,			/* struct leakd_req_top */
	LEAKD_CMD_TRACE,		/* struct leakd_req_trace */
	LEAKD_CMD_UNTRACE,		/* struct leakd_req_trace (duration unused) */
	LEAKD_CMD_EXITED,		/* struct leakd_req_list */
	LEAKD_CMD__MAX,
};

/* The format of the answer. */
enum leakd_format {
	LEAKD_FORMAT_TEXT = 0,
	LEAKD_FORMAT_JSON = 1,
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
 * Which processes: at most one of pid, comm and unit (the others zero/empty);
 * none at all means every process the caller may see.  Strings are
 * NUL-terminated within their arrays.
 */
struct leakd_selector {
	__u32 pid;
	__u32 _pad;
	char comm[16];			/* as /proc/PID/comm, exactly */
	char unit[256];			/* a systemd unit, e.g. "nginx.service" */
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

struct leakd_req_top {
	struct leakd_selector sel;
	__u32 limit;			/* stacks; 0: the server's default (10) */
	__u32 level;			/* enum leakd_level */
	__u64 min_age_ns;		/* only memory at least this old */
};

/* How a trace request by pid traces: the daemon's default is sampled (512 KiB). */
enum leakd_trace_mode {
	LEAKD_TRACE_DEFAULT = 0,	/* the daemon's choice (and always for rules, untrace) */
	LEAKD_TRACE_SAMPLED = 1,	/* sample_bytes: mean bytes between samples */
	LEAKD_TRACE_EXACT = 2,		/* every allocator call, even where otel_memory
					 * probes report */
	LEAKD_TRACE__MAX,
};

struct leakd_req_trace {
	struct leakd_selector sel;	/* one of the three must be given */
	__u64 duration_ns;		/* 0: until untraced */
	__u32 mode;			/* enum leakd_trace_mode; other than DEFAULT: by pid */
	__u32 _pad;			/* 0 */
	__u64 sample_bytes;		/* SAMPLED: LEAKD_SAMPLE_MIN..MAX (leakd/sampling.h);
					 * else 0 */
};

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
_Static_assert(sizeof(struct leakd_selector) == 280, "selector layout");
_Static_assert(sizeof(struct leakd_req_top) == 296, "top layout");
_Static_assert(sizeof(struct leakd_req_trace) == 304, "trace layout");
#endif

#endif
