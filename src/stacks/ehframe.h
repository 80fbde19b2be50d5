/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Unwind tables built from an x86-64 object's call frame information (.eh_frame, or
 * .debug_frame when there is none): the rows of include/leakd/unwind.h, sorted by file
 * offset, that the BPF unwinder binary-searches.  Also their on-disk cache, which is
 * keyed by build-id so that a binary is read once, not once per process mapping it.
 */
#ifndef LEAKD_EHFRAME_H
#define LEAKD_EHFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <leakd/unwind.h>

/* Past this many rows a table stays partial (it still ends with a NONE row). */
#define UNWIND_TABLE_MAX_ROWS (1u << 24)
/* Longest build-id the cache records, in hex digits (ld accepts any length). */
#define UNWIND_CACHE_BUILD_ID_MAX 64

/* What building a table skipped, so that a caller can tell how complete it is. */
struct unwind_stats {
	uint32_t fdes;			/* FDEs that gave rows */
	uint32_t bad_range;		/* skipped: empty, outside an executable PT_LOAD,
					 * or beyond a 32-bit file offset */
	uint32_t overlapping;		/* skipped: starts inside an earlier FDE */
	uint32_t bad_cie;		/* skipped: CIE or FDE header undecodable */
	uint32_t bad_cfi;		/* instructions undecodable: UNSUPPORTED from there on */
	uint32_t dropped;		/* not used: UNWIND_TABLE_MAX_ROWS reached */
	bool truncated;			/* the section ended inside an entry */
	bool debug_frame;		/* built from .debug_frame, not .eh_frame */
};

struct unwind_table {
	struct leakd_unwind_row *rows;	/* by strictly increasing pc; the last is NONE */
	size_t nr;
	struct unwind_stats stats;	/* zero for a table loaded from the cache */
};

/*
 * Builds the table of the ELF object at path, or open as fd (which stays open).
 * -ENOENT when it has no call frame information, -ENOEXEC when it is not an ELF
 * object, -EPROTONOSUPPORT when not x86-64, -EBADMSG when its CFI yields no row at
 * all.  Corrupt CFI otherwise gives a partial table and counts in ret->stats.
 */
int ehframe__build(const char *path, struct unwind_table *ret);
int ehframe__build_fd(int fd, struct unwind_table *ret);

/* Frees the rows; t itself is the caller's.  Accepts NULL and a zeroed table. */
void unwind_table__destroy(struct unwind_table *t);

/*
 * The row covering a file offset, or NULL below the first row.  Between functions and
 * past the last one that row is LEAKD_CFA_NONE.  A caller frame must be looked up at
 * its return address - 1: after a call to a noreturn function the return address is
 * already the next function's first byte.
 */
const struct leakd_unwind_row *unwind_table__find(const struct unwind_table *t, uint32_t off);

/*
 * What a cache entry is for: the object's build-id (hex) and the identity of the file
 * it was built from.  Only a file of root's that no one else may write is cached: no
 * one else can then change what a matching entry stands for.
 */
struct unwind_cache_key {
	char build_id[UNWIND_CACHE_BUILD_ID_MAX + 1];
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
};

/*
 * The key of the open file fd: -EPERM when the file is not root's or others may
 * write it (it must not be cached), -ENOENT without a build-id.
 */
int unwind_cache_key__of_fd(int fd, struct unwind_cache_key *ret);

/*
 * The cache file: a header (magic, version, row size, row count, CRC-32 of the rows,
 * build-id, and the source file's device, inode, size, modification and change times)
 * then the rows, in host byte order.  Saving writes a temporary file next to path and
 * renames it over path.
 * Loading fails with -EBADMSG when the file is not a cache or is truncated or corrupt,
 * -EPROTONOSUPPORT for another format version or row size, -ESTALE when it was built
 * from another file (another build-id, or the same build-id in another file: forged
 * or replaced), -EPERM when the cache file is not the caller's or others may write
 * it, -EINVAL for a build-id the cache cannot record.
 */
int unwind_table__save(const struct unwind_table *t, const char *path,
		       const struct unwind_cache_key *key);
int unwind_table__load(const char *path, const struct unwind_cache_key *key,
		       struct unwind_table *ret);

#endif
