/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Whole files read into memory: /proc files, and files users name (bounded);
 * files of leakd's own written whole or not at all.
 */
#ifndef LEAKD_BASE_FILES_H
#define LEAKD_BASE_FILES_H

#include <stddef.h>
#include <sys/types.h>

struct iovec;

/*
 * Reads what is left of fd, at most max bytes (more is -EFBIG), into a
 * NUL-terminated buffer the caller frees; closes fd.
 */
int read_fd(int fd, size_t max, char **ret_buf, size_t *ret_len);
/* Reads a whole (small, /proc) file into a NUL-terminated buffer the caller frees. */
int read_file(const char *path, char **ret_buf, size_t *ret_len);

/*
 * Reads a regular file of at most max bytes, as read_file.  Anything else (a FIFO
 * would block, a device never ends) is -EINVAL; a larger file, or one that grows past
 * max while read, -EFBIG.
 */
int read_regular_file(const char *path, size_t max, char **ret_buf, size_t *ret_len);

/*
 * Writes the n pieces as path, whole or not at all: into a new file beside it
 * (path.XXXXXX, created exclusively, mode), synced, then renamed over path, so a
 * crash or a failure leaves path as it was.
 */
int write_file_atomic(const char *path, const struct iovec *v, size_t n, mode_t mode);

#endif
