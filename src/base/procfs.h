/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* What /proc says of a process: its name, start, owner, memory and cgroup. */
#ifndef LEAKD_BASE_PROCFS_H
#define LEAKD_BASE_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Reads a whole (small, /proc) file into a NUL-terminated buffer the caller frees. */
int read_file(const char *path, char **ret_buf, size_t *ret_len);

/* Process start time in clock ticks since boot (/proc/PID/stat field 22), or 0. */
uint64_t procfs_start_time(pid_t pid);
/* Reads /proc/PID/comm into buf (at most 16 bytes).  -errno when the process is gone. */
int procfs_comm(pid_t pid, char *buf, size_t size);
/* True when the pid is a kernel thread (no address space). */
bool procfs_is_kernel_thread(pid_t pid);

/* What /proc/PID/status says of a process's owner and memory. */
struct procfs_status {
	uint32_t uid;			/* real uid */
	uint64_t rss_bytes;		/* VmRSS */
	uint64_t anon_bytes;		/* RssAnon */
};

int procfs_status(pid_t pid, struct procfs_status *ret);
/*
 * Whether the mapping that starts at start was made with MAP_NORESERVE ("nr" in its
 * VmFlags), from an smaps text (procfs_smaps_noreserve) or from /proc/PID/smaps:
 * 1 or 0, -ENOENT when no mapping starts there, -errno when unreadable.
 */
int procfs_smaps_noreserve(FILE *smaps, uint64_t start);
int procfs_noreserve(pid_t pid, uint64_t start);
/* The process's cgroup (v2) path, e.g. "/system.slice/nginx.service". */
int procfs_cgroup(pid_t pid, char *buf, size_t size);

#endif
