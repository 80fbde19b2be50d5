/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Where BPF objects wait between two daemons (leakd(8), RESTARTS): descriptors put
 * under a name by a stop, got back by name at the next start, forgotten once taken.
 * Two back ends, one interface: pins in a bpffs directory, or systemd's file
 * descriptor store, which closes them when the service is stopped for good (so a
 * stop leaves nothing attached) and passes them to the next start as $LISTEN_FDS.
 */
#ifndef LEAKD_COLLECT_KEEPER_H
#define LEAKD_COLLECT_KEEPER_H

#include <stdbool.h>
#include <stddef.h>

struct keeper;

/* The bpffs directory of a daemon on this socket (mounts bpffs if needed). */
int keeper_bpffs_dir(const char *socket, char *ret, size_t size);
/* Pins in dir (made, mode 0700, at the first put).  NULL with errno set. */
struct keeper *keeper__bpffs(const char *dir);
/*
 * systemd's store, with the descriptors it passed this process ($LISTEN_*, read
 * and unset; made close-on-exec).  ret_dropped: descriptors passed that cannot be
 * used (no name, a name too long, beyond SD_LISTEN_MAX), closed at once; ret_why:
 * why none were taken, or NULL.  NULL with errno set.
 */
struct keeper *keeper__fdstore(size_t *ret_dropped, const char **ret_why);
/* Closes what it was given; forgets nothing kept.  Accepts NULL. */
void keeper__free(struct keeper *k);

/* Keeps fd (which stays the caller's) under name; 0 or -errno. */
int keeper__put(struct keeper *k, const char *name, int fd);
/* A new descriptor of what is kept under name (close-on-exec), or -errno (-ENOENT). */
int keeper__get(struct keeper *k, const char *name);
/* Whether anything is kept: a handover to take. */
bool keeper__any(const struct keeper *k);
/* Lets go of all it keeps: 0, or -ENOENT when there was nothing. */
int keeper__forget(struct keeper *k);
/* Where, for messages: the directory, or "systemd's file descriptor store". */
const char *keeper__where(const struct keeper *k);

#endif
