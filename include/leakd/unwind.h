/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Unwind tables: what the BPF unwinder needs of an object's .eh_frame, one compact
 * row per address range.  Built in userspace, read by the BPF programs.
 */
#ifndef LEAKD_ABI_UNWIND_H
#define LEAKD_ABI_UNWIND_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/* How to find the CFA (the caller's stack pointer) at a pc: low 4 bits of kind. */
enum leakd_cfa_kind {
	LEAKD_CFA_NONE = 0,		/* no unwind info covers this pc: use frame pointers */
	LEAKD_CFA_RSP = 1,		/* CFA = RSP + cfa_off */
	LEAKD_CFA_RBP = 2,		/* CFA = RBP + cfa_off */
	LEAKD_CFA_PLT = 3,		/* PLT stub: CFA = RSP + cfa_off, + 8 when
					 * (pc & 15) >= rbp_off (the stub's threshold) */
	LEAKD_CFA_END = 4,		/* return address undefined: the outermost frame */
	LEAKD_CFA_SIGNAL = 5,		/* signal trampoline: registers in the ucontext at RSP */
	LEAKD_CFA_UNSUPPORTED = 6,	/* a rule leakd does not evaluate */
};

/* Where the caller's RBP is: high 4 bits of kind. */
enum leakd_rbp_rule {
	LEAKD_RBP_SAME = 0,		/* not saved (yet): RBP still holds the caller's value */
	LEAKD_RBP_AT_CFA = 1,		/* saved at CFA + 8 * rbp_off */
	LEAKD_RBP_UNDEFINED = 2,	/* not recoverable */
};

/*
 * One row: from pc up to the next row's pc.  pc is a file offset in the object
 * (not a virtual address), so that a row applies in every process that maps it.
 * The return address is always at CFA - 8 on x86-64.
 */
struct leakd_unwind_row {
	__u32 pc;
	__u16 cfa_off;
	__u8 kind;			/* enum leakd_cfa_kind | enum leakd_rbp_rule << 4 */
	__s8 rbp_off;
};

#define LEAKD_ROW_CFA(r) ((r)->kind & 0xf)
#define LEAKD_ROW_RBP(r) ((r)->kind >> 4)
#define LEAKD_ROW_KIND(cfa, rbp) ((__u8)((cfa) | ((rbp) << 4)))

/*
 * A process's executable file mappings, for the unwinder to find the table of a
 * pc: userspace writes one per traced process (key: pid), sorted by start.
 */
#define LEAKD_UNWIND_MAX_MAPS 256

struct leakd_unwind_map {
	__u64 start, end;		/* [start, end) in the process */
	__s64 off_base;			/* file offset of pc = pc + off_base */
	__u32 file;			/* index into the files array */
	__u32 _pad;
};

struct leakd_unwind_proc {
	__u32 nr;
	__u32 gen;			/* new at every write: rows the walker cached by pc
					 * for an older one are not used */
	struct leakd_unwind_map maps[LEAKD_UNWIND_MAX_MAPS];
};

/* Where a file's rows sit in the rows array. */
struct leakd_unwind_file {
	__u32 row_start;		/* LEAKD_UNWIND_NO_TABLE: there will be none */
	__u32 row_nr;			/* 0: no table (yet): frames here use frame pointers */
};

#define LEAKD_UNWIND_NO_TABLE 0xffffffffu

#ifndef __bpf__
_Static_assert(sizeof(struct leakd_unwind_row) == 8, "unwind row layout");
_Static_assert(sizeof(struct leakd_unwind_map) == 32, "unwind map layout");
_Static_assert(sizeof(struct leakd_unwind_proc) == 8 + 32 * LEAKD_UNWIND_MAX_MAPS,
	       "unwind proc layout");
#endif

#endif
