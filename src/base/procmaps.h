/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* A process's memory mappings, as /proc/PID/maps lists them. */
#ifndef LEAKD_PROCMAPS_H
#define LEAKD_PROCMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct map_entry {
	uint64_t start, end;
	uint64_t offset;	/* file offset of start */
	uint64_t inode;
	dev_t dev;
	bool readable, writable, exec, shared;
	bool deleted;		/* the file was removed or replaced since it was mapped */
	char *path;		/* file path, "[heap]"-style name, or NULL when anonymous */
};

struct proc_maps {
	struct map_entry *v;	/* sorted by start, as the kernel lists them */
	size_t n;
};

/* Parses the text of a maps file.  -EINVAL on a malformed line. */
int procmaps__parse(const char *text, struct proc_maps *ret);
int procmaps__read(pid_t pid, struct proc_maps *ret);
void procmaps__destroy(struct proc_maps *m);
const struct map_entry *procmaps__find(const struct proc_maps *m, uint64_t addr);
/* True when the entry maps a regular file (not anonymous, not [vdso] and the like). */
bool map_entry__is_file(const struct map_entry *e);
/*
 * A path through which leakd can open the file the process maps, whatever its
 * mount namespace and even if the file was deleted since: /proc/PID/map_files/.
 */
int map_entry__open_path(const struct map_entry *e, pid_t pid, char *buf, size_t size);
/*
 * After a mapped file of pid was not found where its maps said: -ESRCH when the
 * process is gone, 0 when only the mapping went (a dlclose meanwhile).
 */
int map_entry__gone(pid_t pid);

#endif
