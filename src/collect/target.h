/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Starting a command so that its very first allocation is traced: the child runs
 * under ptrace, syscall by syscall, until an allocator is mapped and the probes
 * are in; then it is let go.
 */
#ifndef LEAKD_TARGET_H
#define LEAKD_TARGET_H

#include <signal.h>
#include <sys/types.h>

/*
 * Forks and execs argv with the signal mask orig_mask; returns with the child
 * stopped right after its exec.  -errno of a failed exec (ENOENT, EACCES ...).
 */
int target__spawn(char *const argv[], const sigset_t *orig_mask, pid_t *ret_pid);

/*
 * Runs the stopped child until attach(ctx, pid) returns > 0, trying after the exec
 * and after every mmap; then detaches.  attach returning -ENOENT means "not yet".
 * Returns 0, attach's error, or -ESRCH if the child ended first.
 */
int target__run_until(pid_t pid, int (*attach)(void *ctx, pid_t pid), void *ctx);

/* A descriptor that becomes readable when the process exits (pidfd). */
int target__pidfd(pid_t pid);

#endif
