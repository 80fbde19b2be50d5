/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Speaks to systemd (Type=notify) without libsystemd: states on $NOTIFY_SOCKET,
 * descriptors for its file descriptor store (FDSTORE=1), and the descriptors it
 * passes back at the next start ($LISTEN_PID, $LISTEN_FDS, $LISTEN_FDNAMES).
 */
#ifndef LEAKD_BASE_SDNOTIFY_H
#define LEAKD_BASE_SDNOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SD_LISTEN_FDS_START 3
#define SD_FDNAME_MAX 255	/* systemd's bound on a name in its store */
#define SD_LISTEN_MAX 65536	/* descriptors taken from $LISTEN_FDS, at most */

void sd_notify_msg(const char *msg);
/* Whether a service manager listens on $NOTIFY_SOCKET. */
bool sd_notify_available(void);
/* Sends msg with n descriptors (SCM_RIGHTS, at most 253); 0 or -errno. */
int sd_notify_fds(const char *msg, const int *fds, size_t n);
/*
 * The message that stores one descriptor under name (remove: that drops every
 * descriptor of that name from the store); -EINVAL for a name systemd refuses
 * (empty, too long, a colon or a control character), -ENOSPC when buf is short.
 */
int sd_fdstore_msg(char *buf, size_t size, bool remove, const char *name);
/*
 * How many descriptors the manager passed this process (self): 0 when either is
 * unset, -ESRCH when pid is not self (they are not ours), -EINVAL when malformed,
 * -E2BIG past SD_LISTEN_MAX.
 */
int sd_listen_count(const char *pid, const char *fds, pid_t self);
/*
 * The next name of $LISTEN_FDNAMES from *cursor (colon-separated; "" past the
 * last), advanced past it; -ENAMETOOLONG for a name past SD_FDNAME_MAX (skipped).
 */
int sd_listen_next_name(const char **cursor, char *ret, size_t size);

#endif
