/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The names a JIT runtime gives its generated code in /tmp/perf-PID.map (Node.js
 * with --perf-basic-prof, .NET with DOTNET_PerfMapEnabled=1): one line per code
 * object, "START SIZE NAME" in hex, appended while the process runs, a later
 * line winning where ranges overlap (code is moved and its memory reused).  A
 * perfmap owns what it read of one process's file: ranges that do not overlap,
 * each naming the line that owns it, within bounds on entries and bytes.
 */
#ifndef LEAKD_PERFMAP_H
#define LEAKD_PERFMAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Defaults; see perfmap.c for why. */
#define PERFMAP_MAX_ENTRIES (1u << 18)
#define PERFMAP_MAX_BYTES (32u << 20)
/* Longer lines are garbage. */
#define PERFMAP_LINE_MAX 8192
/* Read by one perfmap__refresh() at most; the next one reads on. */
#define PERFMAP_READ_MAX (64u << 20)

struct perfmap;

struct perfmap_stats {
	uint64_t lines;		/* complete lines read */
	uint64_t garbage;	/* skipped: not "START SIZE NAME", empty range, too long */
	uint64_t dropped;	/* forgotten to stay within the bounds (the oldest first) */
	uint64_t entries;	/* kept now (lines still owning some range) */
	uint64_t bytes;		/* of their names */
	uint64_t resets;	/* times the file was replaced or truncated and read anew */
};

/*
 * The map of process pid: /proc/PID/root/tmp/perf-NSPID.map, NSPID being pid as
 * the process sees it in its own pid namespace.  Holds an O_PATH descriptor of
 * the process's root, so the file is still read after the process exits and
 * never that of a later process with the same pid.  Only a regular file owned by
 * root or by one of the process's uids is read, not through a symbolic link and
 * never out of the process's root (links on the way resolve inside it with
 * openat2(); without openat2() none is followed).  The file need not exist yet.
 * NULL with errno: ESRCH (or ENOENT) when the process is gone.
 */
struct perfmap *perfmap__new(pid_t pid);
/* The same with another directory than /proc, for tests. */
struct perfmap *perfmap__new_at(const char *proc_root, pid_t pid);
/* A map file by its path, without the owner check. */
struct perfmap *perfmap__open(const char *path);
void perfmap__free(struct perfmap *m);

/* The path read, for messages. */
const char *perfmap__path(const struct perfmap *m);
/* Bounds on kept entries and name bytes (at most UINT32_MAX).  -EINVAL. */
int perfmap__set_limits(struct perfmap *m, size_t max_entries, size_t max_bytes);

/*
 * Reads the lines appended since the last call, at most PERFMAP_READ_MAX bytes
 * (an open and a stat when nothing was: microseconds); a line not finished yet is
 * read next time.  Starts over when the file was replaced or truncated.  Returns
 * how many lines were read, -ENOENT when there is no map file, -EPERM when its
 * owner is not the process's, -ELOOP for a symbolic link, -EINVAL when it is not
 * a regular file.  What was read before stays on error.
 */
int perfmap__refresh(struct perfmap *m);

/*
 * The name of the code object holding addr, or NULL; *ret_off (if ret_off) is
 * addr - its start.  The name is valid until the next refresh or free.
 */
const char *perfmap__lookup(const struct perfmap *m, uint64_t addr, uint64_t *ret_off);

void perfmap__stats(const struct perfmap *m, struct perfmap_stats *ret);
size_t perfmap__memory(const struct perfmap *m);

#endif
