/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Small helpers without a better home: number and duration parsing, file reading, time. */
#ifndef LEAKD_UTIL_H
#define LEAKD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NSEC_PER_SEC ((uint64_t)1000000000)
#define NSEC_PER_MSEC ((uint64_t)1000000)

/* "1.5s", "200ms", "10m", "2h", "1d"; a bare number is seconds.  -EINVAL / -ERANGE. */
int parse_duration(const char *s, uint64_t *ret_ns);
/* "64K", "16M", "1G" (powers of 1024); a bare number is bytes. */
int parse_size(const char *s, uint64_t *ret);
/* A whole decimal number in [min, max]. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

/* Reads a whole (small, /proc) file into a NUL-terminated buffer the caller frees. */
int read_file(const char *path, char **ret_buf, size_t *ret_len);

uint64_t now_ns(void);		/* CLOCK_MONOTONIC, the clock of BPF timestamps */

/* Process start time in clock ticks since boot (/proc/PID/stat field 22), or 0. */
uint64_t proc_start_time(pid_t pid);
/* Reads /proc/PID/comm into buf (at most 16 bytes).  -errno when the process is gone. */
int proc_comm(pid_t pid, char *buf, size_t size);
/* True when the pid is a kernel thread (no address space). */
bool proc_is_kernel_thread(pid_t pid);

/* What /proc/PID/status says of a process's owner and memory. */
struct proc_status {
	uint32_t uid;			/* real uid */
	uint64_t rss_bytes;		/* VmRSS */
	uint64_t anon_bytes;		/* RssAnon */
};

int proc_read_status(pid_t pid, struct proc_status *ret);
/* The process's cgroup (v2) path, e.g. "/system.slice/nginx.service". */
int proc_cgroup(pid_t pid, char *buf, size_t size);
/* Whether a cgroup path has a component equal to unit. */
bool cgroup_has_unit(const char *cgroup, const char *unit);
/* The unit to show for a cgroup path: its last .service or .scope, else its last part. */
const char *cgroup_unit(const char *cgroup, char *buf, size_t size);
/* Tells systemd (Type=notify) a state, if it started us; no libsystemd needed. */
void sd_notify_msg(const char *msg);

/* Bytes as "1.5 MiB" into buf. */
const char *fmt_bytes(uint64_t bytes, char *buf, size_t size);

#endif
