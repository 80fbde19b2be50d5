/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Unwind tables built from an x86-64 object's call frame information (.eh_frame, or
 * .debug_frame when there is none): the rows of include/leakd/unwind.h, sorted by file
 * offset, that the BPF unwinder binary-searches.
 */
#ifndef LEAKD_EHFRAME_H
#define LEAKD_EHFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <leakd/unwind.h>

/* Past this many rows a table stays partial (it still ends with a NONE row). */
#define UNWIND_TABLE_MAX_ROWS (1u << 24)

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
	struct unwind_stats stats;
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

#endif
