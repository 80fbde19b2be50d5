/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Records that the BPF programs send to userspace through the ring buffer, the
 * counters they keep, and the constants both sides must agree on.  Every record
 * starts with struct leakd_event_hdr; its type says which struct follows.
 * Layouts are fixed-width and pinned below: this header is the whole ABI.
 */
#ifndef LEAKD_ABI_EVENTS_H
#define LEAKD_ABI_EVENTS_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/* Hard ceiling for captured frames; the configured depth is at most this. */
#define LEAKD_MAX_FRAMES 128
#define LEAKD_DEFAULT_FRAMES 64

enum leakd_event_type {
	LEAKD_EV_ALLOC = 1,	/* struct leakd_alloc_event */
	LEAKD_EV_FREE,		/* struct leakd_free_event */
	LEAKD_EV_REALLOC_BEGIN,	/* struct leakd_free_event: block handed to realloc */
	LEAKD_EV_STACK,		/* struct leakd_stack_event: first sight of a stack */
	LEAKD_EV_EXEC,		/* struct leakd_event_hdr only */
	LEAKD_EV_EXIT,		/* struct leakd_event_hdr only: the whole process left;
				 * aux: LEAKD_EXIT_DUMP_* */
	LEAKD_EV_MAP_EXEC,	/* struct leakd_event_hdr only: a file was mapped executable */
	LEAKD_EV_MMAP,		/* struct leakd_map_event: anonymous memory mapped */
	LEAKD_EV_MUNMAP,	/* struct leakd_range_event */
	LEAKD_EV_MREMAP_BEGIN,	/* struct leakd_range_event: the range handed to mremap */
	LEAKD_EV_MREMAP_END,	/* struct leakd_mremap_event */
	LEAKD_EV_BRK,		/* struct leakd_range_event: the heap, start and size, no
				 * stack (LEAKD_EV_BRK_MOVE is what the kernel side sends) */
	LEAKD_EV_FORK,		/* struct leakd_event_hdr only: pid is the child, aux the parent */
	LEAKD_EV_PROTECT,	/* struct leakd_map_event: mprotect of anonymous memory; aux
				 * LEAKD_MAP_RESERVED: made inaccessible, else accessible */
	LEAKD_EV_DISCARD,	/* struct leakd_range_event: madvise released the memory
				 * (MADV_DONTNEED, MADV_FREE, MADV_REMOVE); aux: the advice */
	LEAKD_EV_BRK_MOVE,	/* struct leakd_brk_event: the heap's end moved */
};

/*
 * aux of LEAKD_EV_EXIT: whether the process was dumpable when it exited, as
 * LEAKD_EXIT_DUMP_MODE + the kernel's dumpable mode (0 not dumpable, 1 dumpable,
 * 2 root only); LEAKD_EXIT_DUMP_UNKNOWN when its address space was gone already.
 */
#define LEAKD_EXIT_DUMP_UNKNOWN 0
#define LEAKD_EXIT_DUMP_MODE 1
#define LEAKD_EXIT_DUMPABLE (LEAKD_EXIT_DUMP_MODE + 1)

/*
 * In aux of LEAKD_EV_FORK, LEAKD_EV_EXEC and LEAKD_EV_MAP_EXEC: the kernel side
 * stopped the process (SIGSTOP) so that its probes go in before it runs on; the
 * reader resumes it (SIGCONT) whatever it makes of the record.  A fork's parent
 * is aux without this bit.
 */
#define LEAKD_PROC_HELD (1u << 31)

/*
 * A held process, in the kernel side's holds map (key: pid).  STOPPED: stopped
 * since ts until userspace resumes it.  ARMED: running, to be stopped again at its
 * next mapping of code (the loader mapping the allocator after an exec).
 */
enum leakd_hold_state {
	LEAKD_HOLD_STOPPED = 1,
	LEAKD_HOLD_ARMED,
};

struct leakd_hold {
	__u64 ts;		/* CLOCK_MONOTONIC ns: when stopped, or armed */
	__u32 state;		/* enum leakd_hold_state */
	__u32 _pad;
};

/*
 * Value of the kernel side's rule_comms map (key: char[16], a comm), rule_units
 * (key: char[LEAKD_UNIT_LEN], a cgroup directory's name: a unit) and rule_cgroups
 * (key: a cgroup id): whose rule names it; processes of other users are not held
 * for it.
 */
#define LEAKD_RULE_ANY_OWNER 0u	/* root's rule, or rules of several users */
#define LEAKD_UNIT_LEN 256

/* Which allocator entry point a probe sits on; the BPF cookie of each probe. */
enum leakd_fn {
	LEAKD_FN_MALLOC = 1,
	LEAKD_FN_CALLOC,
	LEAKD_FN_REALLOC,
	LEAKD_FN_REALLOCARRAY,
	LEAKD_FN_POSIX_MEMALIGN,
	LEAKD_FN_ALIGNED_ALLOC,	/* also memalign: same arguments */
	LEAKD_FN_VALLOC,
	LEAKD_FN_PVALLOC,
	LEAKD_FN_FREE,
	LEAKD_FN__MAX,
};

struct leakd_event_hdr {
	__u32 type;		/* enum leakd_event_type */
	__u32 pid;		/* thread group id in the initial pid namespace */
	__u32 tid;
	__u32 aux;		/* alloc: enum leakd_fn; stack: frame count */
	__u64 ts;		/* CLOCK_MONOTONIC, ns, of records that make memory
				 * (alloc, mmap, protect, brk move, mremap end: as of
				 * the CPU's last tick) and of map exec; else 0 */
};

/*
 * A successful allocation.  For realloc and reallocarray of a non-NULL block it is
 * sent whatever the result, so that userspace can settle the block it parked at
 * LEAKD_EV_REALLOC_BEGIN: addr 0 with size 0 means freed, with size > 0 failed.
 */
struct leakd_alloc_event {
	struct leakd_event_hdr hdr;
	__u64 addr;
	__u64 size;
	__u64 stack_id;
	__u64 old_addr;		/* realloc: the block passed in; else 0 */
	__u64 weight;		/* sampled: the bytes this allocation stands for (>= size);
				 * 0: traced exactly, it stands for itself */
};

struct leakd_free_event {
	struct leakd_event_hdr hdr;
	__u64 addr;
};

struct leakd_range_event {
	struct leakd_event_hdr hdr;
	__u64 addr;
	__u64 len;
};

/* Flags of a mapping, in leakd_map_event.hdr.aux. */
#define LEAKD_MAP_SHARED	(1u << 0)	/* MAP_SHARED: shared memory */
#define LEAKD_MAP_RESERVED	(1u << 1)	/* PROT_NONE: address space, not memory */
#define LEAKD_MAP_IN_ALLOCATOR	(1u << 2)	/* mapped inside a traced allocator call:
						 * the stack is that call's */
#define LEAKD_MAP_NORESERVE	(1u << 3)	/* MAP_NORESERVE: no memory is committed for it
						 * until made accessible (it also carries
						 * LEAKD_MAP_RESERVED) */

struct leakd_map_event {
	struct leakd_event_hdr hdr;	/* aux: LEAKD_MAP_* */
	__u64 addr;
	__u64 len;
	__u64 stack_id;
};

struct leakd_mremap_event {
	struct leakd_event_hdr hdr;
	__u64 old_addr, old_len;
	__u64 new_addr, new_len;	/* new_addr 0: failed, the old range stays */
};

/*
 * brk moved the heap's end from old_end to new_end (both as the kernel keeps them,
 * not rounded).  A growth carries the stack of the call that grew the heap.
 */
struct leakd_brk_event {
	struct leakd_event_hdr hdr;	/* aux: LEAKD_MAP_IN_ALLOCATOR */
	__u64 start;			/* the heap's start */
	__u64 old_end, new_end;
	__u64 stack_id;			/* 0 when it shrank */
};

/* Flags of a stack record, in leakd_stack_event.flags. */
#define LEAKD_STACK_TRUNCATED	(1u << 0)	/* depth limit reached */
#define LEAKD_STACK_READ_FAILED	(1u << 1)	/* a user memory read failed mid-walk */
#define LEAKD_STACK_FP_FALLBACK	(1u << 2)	/* frames walked by frame pointers: no table */
#define LEAKD_STACK_TABLE_PENDING (1u << 3)	/* a table was still being built */
#define LEAKD_STACK_BAD_FRAME	(1u << 4)	/* the walk stopped at a frame that made no sense */
/* The marks of a walk cut short: a walk with none of them is complete. */
#define LEAKD_STACK_CUT_MARKS	(LEAKD_STACK_TRUNCATED | LEAKD_STACK_READ_FAILED | \
				 LEAKD_STACK_TABLE_PENDING | LEAKD_STACK_BAD_FRAME)

/*
 * A frame as the kernel saw it: the pc and, resolved while the mapping existed,
 * the file and offset it maps to.  Userspace needs no /proc read to place it.
 */
struct leakd_frame {
	__u64 pc;
	__u64 offset;		/* file offset of pc, when ino != 0 */
	__u64 ino;		/* inode of the mapped file; 0: anonymous memory or unknown */
	__u32 dev;		/* its file system, kernel encoding: major << 20 | minor */
	__u32 flags;		/* LEAKD_FRAME_* */
};

#define LEAKD_FRAME_NO_VMA	(1u << 0)	/* no mapping at pc, or the lookup failed */
#define LEAKD_FRAME_EXACT	(1u << 1)	/* pc was interrupted (signal), not a return address */
#define LEAKD_FRAME_FP		(1u << 2)	/* found by frame pointers, not by a table */

/* Sent once per new stack (and again after the kernel's dedup cache forgot it). */
struct leakd_stack_event {
	struct leakd_event_hdr hdr;	/* aux: number of frames */
	__u64 stack_id;
	__u32 flags;
	__u32 _pad;
	struct leakd_frame frames[LEAKD_MAX_FRAMES];	/* only hdr.aux of them are sent */
};

/*
 * Counters the BPF side keeps in a per-CPU array, indexed by this enum.  The
 * LEAKD_DROP_* ones each mean that something was lost and make a report incomplete.
 */
enum leakd_counter {
	LEAKD_DROP_RINGBUF_ALLOC,	/* ring buffer full: allocation lost */
	LEAKD_DROP_RINGBUF_FREE,	/* ring buffer full: free lost */
	LEAKD_DROP_RINGBUF_STACK,	/* ring buffer full: stack frames lost */
	LEAKD_DROP_RINGBUF_PROC,	/* ring buffer full: exec/exit lost */
	LEAKD_DROP_TASK_STORAGE,	/* no per-thread state: allocation lost */
	LEAKD_DROP_MEMPTR_READ,		/* posix_memalign result unreadable */
	LEAKD_DROP_RINGBUF_MAP,		/* ring buffer full: a mapping event lost */
	LEAKD_DROP_SAMPLED_SET,		/* the set of sampled blocks full: a sample lost */
	LEAKD_DROP__COUNT,		/* end of the drop causes */
	LEAKD_CNT_STACK_READ_FAILED = LEAKD_DROP__COUNT, /* stack cut short, not lost */
	LEAKD_CNT_STACK_TRUNCATED,
	LEAKD_CNT_STALE_INFLIGHT,	/* an allocator call never returned (longjmp) */
	LEAKD_CNT_VMA_LOOKUP_FAILED,	/* a frame's mapping could not be looked up */
	LEAKD_CNT_UNWIND_FP_FRAMES,	/* frames walked by frame pointers for want of a table */
	LEAKD_CNT_UNWIND_PENDING,	/* stacks cut short: a table was not ready */
	LEAKD_CNT_UNWIND_TRAMPOLINE,	/* uretprobe trampolines mapped back to callers */
	LEAKD_CNT_SAMPLED,		/* allocations sampled (sampled tracing) */
	LEAKD_CNT_HELD,			/* processes stopped until their probes were in */
	LEAKD_CNT_HOLD_SKIPPED,		/* ... and not held: the holds map was full, or
					 * the signal could not be sent */
	LEAKD_CNT__COUNT,
};

/*
 * What a daemon hands to the next across a restart (leakd(8), RESTART): the
 * programs of the one before keep writing into the maps the next one takes over,
 * so both must read these records and maps alike.  Bump LEAKD_HANDOVER_ABI with
 * any change to a record, a counter, or a map that outlives a daemon.
 */
#define LEAKD_HANDOVER_ABI 3

/*
 * The one entry of the control map.  deadline_ns (CLOCK_MONOTONIC; 0: none):
 * past it the programs do nothing, so that a handover nobody takes stops
 * costing.  watch_gen: only the watch-tier programs loaded for this generation
 * run, so that a new daemon's can be attached before the old ones go without an
 * event seen twice.  self_pid: the daemon now running, whose own syscalls are
 * not watched (the programs of the one before know it from here).
 * stack_epoch: bumped when userspace forgets which stacks it was sent and when
 * any process's code mappings change (its unwind tables entry is written), so
 * that the walks the programs remember per thread (with the stack each gave)
 * lapse; a remembered walk is then checked without looking up its process.
 */
struct leakd_control {
	__u64 deadline_ns;
	__u32 watch_gen;
	__u32 self_pid;
	__u64 stack_epoch;
};

#ifndef __bpf__
_Static_assert(sizeof(struct leakd_event_hdr) == 24, "hdr layout");
_Static_assert(sizeof(struct leakd_alloc_event) == 64, "alloc layout");
_Static_assert(sizeof(struct leakd_free_event) == 32, "free layout");
_Static_assert(sizeof(struct leakd_range_event) == 40, "range layout");
_Static_assert(sizeof(struct leakd_map_event) == 48, "map layout");
_Static_assert(sizeof(struct leakd_mremap_event) == 56, "mremap layout");
_Static_assert(sizeof(struct leakd_brk_event) == 56, "brk layout");
_Static_assert(sizeof(struct leakd_frame) == 32, "frame layout");
_Static_assert(sizeof(struct leakd_control) == 24, "control layout");
_Static_assert(sizeof(struct leakd_hold) == 16, "hold layout");
_Static_assert(sizeof(struct leakd_stack_event) == 40 + 32 * LEAKD_MAX_FRAMES, "stack layout");
#endif

#endif
