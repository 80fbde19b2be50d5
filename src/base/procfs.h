/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* What /proc says of a process: its name, start, owner, memory and cgroup. */
#ifndef LEAKD_BASE_PROCFS_H
#define LEAKD_BASE_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Process start time in clock ticks since boot (/proc/PID/stat field 22), or 0. */
uint64_t procfs_start_time(pid_t pid);
/* Reads /proc/PID/comm into buf (at most 16 bytes).  -errno when the process is gone. */
int procfs_comm(pid_t pid, char *buf, size_t size);
/* True when the pid is a kernel thread (no address space). */
bool procfs_is_kernel_thread(pid_t pid);

/*
 * Who a process belongs to, as the kernel decides who may read its /proc/PID/maps
 * (ptrace read access): its real, effective and saved uids and gids, and whether it
 * is dumpable.  A setuid program or one that said prctl(PR_SET_DUMPABLE, 0) is
 * root's alone.
 */
struct procfs_cred {
	uint32_t uid[3];		/* real, effective, saved */
	uint32_t gid[3];
	bool dumpable;
	bool known;			/* read whole, of a process with an address space
					 * (not exiting); an unknown one is root's */
};

/* What /proc/PID/status says of a process's owner and memory. */
struct procfs_status {
	uint32_t uid;			/* real uid */
	uint64_t rss_bytes;		/* VmRSS */
	uint64_t anon_bytes;		/* RssAnon */
	uint64_t file_bytes;		/* RssFile: resident pages of mapped files */
	struct procfs_cred cred;
	char state;			/* State: R, S, D, T (stopped), t (traced), Z ... */
	uint32_t tracer_pid;		/* TracerPid: who ptraces it; 0: nobody */
	uint32_t seccomp;		/* Seccomp: 0 none, 1 strict, 2 a filter */
};

int procfs_status(pid_t pid, struct procfs_status *ret);
/*
 * Whether the mapping that starts at start was made with MAP_NORESERVE ("nr" in its
 * VmFlags), from an smaps text (procfs_smaps_noreserve) or from /proc/PID/smaps:
 * 1 or 0, -ENOENT when no mapping starts there, -errno when unreadable.
 */
int procfs_smaps_noreserve(FILE *smaps, uint64_t start);
int procfs_noreserve(pid_t pid, uint64_t start);
/* Parses the text of /proc/PID/status into ret (cred.dumpable: false). */
void procfs_parse_status(const char *text, struct procfs_status *ret);
/*
 * Whether a caller with this uid and (effective) gid may inspect a process with
 * cred: root may; anyone else only with all three uids and gids equal to its own,
 * and the process dumpable -- the kernel's rule for /proc/PID/maps.
 */
bool procfs_cred_allows(const struct procfs_cred *cred, uint32_t uid, uint32_t gid);
/* The same rule, for the process pid as it is now; false when it is gone. */
bool procfs_may_inspect(pid_t pid, uint32_t uid, uint32_t gid);
/* The process's cgroup (v2) path, e.g. "/system.slice/nginx.service". */
int procfs_cgroup(pid_t pid, char *buf, size_t size);

#endif
