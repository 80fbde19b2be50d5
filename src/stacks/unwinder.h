/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Feeds the BPF stack walker: builds (on a thread of its own, or from the on-disk
 * cache) the unwind table of every executable file a traced process maps, places
 * the tables in the kernel's row array within its budget, and keeps each traced
 * process's list of executable mappings current.
 */
#ifndef LEAKD_UNWIND_H
#define LEAKD_UNWIND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct unwinder;

struct unwinder_maps {
	int rows_fd;		/* BPF_F_MMAPABLE array of struct leakd_unwind_row */
	uint32_t max_rows;
	int files_fd;		/* array of struct leakd_unwind_file */
	uint32_t max_files;
	int procs_fd;		/* hash: pid -> struct leakd_unwind_proc */
	/* Told after a process's entry changed: the walks remembered lapse. */
	void (*procs_changed)(void *ctx);
	void *ctx;
};

struct unwinder_stats {
	uint64_t tables_ready;
	uint64_t tables_pending;	/* queued or being built */
	uint64_t tables_failed;		/* no usable call frame information */
	uint64_t tables_no_room;	/* did not fit the row budget: frame pointers there */
	uint64_t tables_evicted;	/* rows given to another table; unmapped everywhere */
	uint64_t tables_from_cache;
	uint64_t cache_mismatches;	/* entries built from another file (forged, replaced) */
	uint64_t cache_refused;		/* cache files not root's or writable by others */
	uint64_t cache_save_failed;	/* tables not saved (full, read-only ...) */
	int cache_error;		/* the cache directory's last problem, -errno; 0: none */
	uint64_t rows_used, rows_max;
	uint64_t maps_dropped;		/* mappings past LEAKD_UNWIND_MAX_MAPS in a process */
	uint64_t procs_dropped;		/* processes past the kernel's table of them */
	uint64_t files_dropped;		/* files past the files array */
};

/*
 * cache_dir may be NULL (no cache), read-only or full (tables are loaded, not saved),
 * or not root's alone (not used): stats' cache_error says which.
 */
struct unwinder *unwinder__new(const struct unwinder_maps *maps, const char *cache_dir);
void unwinder__free(struct unwinder *u);

/*
 * Reads pid's mappings, queues tables not yet built and tells the kernel.  The
 * tables of a traced process come first: they take the rows of tables only
 * watched processes map when the budget is spent.
 */
int unwinder__update_proc(struct unwinder *u, pid_t pid, bool traced);
void unwinder__forget_proc(struct unwinder *u, pid_t pid);

/* Readable when built tables wait to be installed by unwinder__poll. */
int unwinder__fd(const struct unwinder *u);
/* What unwinder__poll tells of each table installed (or found unusable). */
struct unwind_table_note {
	const char *path;
	uint32_t rows;		/* 0: none usable, frame pointers there */
	bool from_cache;
	uint32_t build_us;	/* building it, or loading it from the cache */
};
typedef void (*unwinder_cb)(void *ctx, const struct unwind_table_note *note);

/* Installs the tables built since the last call; returns how many. */
int unwinder__poll(struct unwinder *u, unwinder_cb cb, void *ctx);
/* Whether pid's tables are all in the kernel (1), some still being built (0), or
 * pid has no entry at all (-ENOENT). */
int unwinder__proc_ready(struct unwinder *u, pid_t pid);
/* Waits (at most timeout_ms) until no table of pid is still being built. */
int unwinder__wait(struct unwinder *u, pid_t pid, int timeout_ms, unwinder_cb cb, void *ctx);

void unwinder__stats(const struct unwinder *u, struct unwinder_stats *ret);
/* The cache's state in words: "ok", "off", "read-only: tables not saved" ... */
const char *unwinder__cache_state(const struct unwinder *u);

#endif
