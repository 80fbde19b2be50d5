/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What leakd knows of each process: at the allocator level its live allocations
 * (by address), at the mapping level its anonymous mappings (by range) and heap,
 * and its stacks with per-stack figures at each level (heap, mapping, brk).  Fed
 * by decoded events; pure data, no I/O, so that the semantics of every event can
 * be unit-tested.
 */
#ifndef LEAKD_TABLES_H
#define LEAKD_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/hashtab.h"
#include "leakd/events.h"

/* A frame of a stack, normalized while the process lived. */
struct stack_frame {
	uint64_t pc;		/* as the process saw it */
	uint64_t offset;	/* file offset in module; with jit, offset in that code */
	uint32_t module;	/* symbolizer's module id; 0 = not in a known file */
	uint32_t flags;		/* LEAKD_FRAME_*, FRAME_ANON_CODE */
	uint32_t jit;		/* symbolizer's JIT name id (perf map); 0 = none */
	uint32_t _pad;
};

/* A frame's flag the kernel never sets: pc in anonymous memory (JIT code), unnamed. */
#define FRAME_ANON_CODE (1u << 16)

/* Stack ids the kernel never makes (its are odd): */
#define STACK_ID_NONE 2		/* the kernel could not read the stack */
#define STACK_ID_OVERFLOW 4	/* the stack table was full */
#define STACK_ID_PREEXISTING 6	/* mapped before leakd began watching */

/* Stack flags: the kernel's LEAKD_STACK_* and these. */
#define STACK_HAS_FRAMES (1u << 16)	/* frames arrived */
#define STACK_OVERFLOW (1u << 17)	/* catch-all for stacks past the table's limit */

/* The levels memory is counted at. */
enum level {
	LEVEL_HEAP,		/* blocks from the allocator (malloc and friends) */
	LEVEL_MAP,		/* committed anonymous mappings (mmap, or mprotect of a
				 * reservation), the allocator's own among them */
	LEVEL_BRK,		/* the brk heap's growth, by the call that grew it: where the
				 * heap grew, not who holds its blocks */
	LEVEL__COUNT,
};

/* Cut-short marks of a stack: a walk without any of them is complete. */
#define STACK_CUT_MARKS LEAKD_STACK_CUT_MARKS

struct stack_stats {
	uint64_t live_bytes, live_count;
	uint64_t total_bytes, total_count;	/* ever allocated (mapped) */
	uint64_t freed_bytes, freed_count;
};

/*
 * What sampled allocations (records with a weight) stand for: Horvitz-Thompson
 * sums of bytes and counts, unbiased, and unbiased estimates of their variance.
 * A sampled block of size s and weight w (= s/p) adds w bytes, c = w/s blocks,
 * w(w - s) to var_bytes and c(c - 1) to var_count; a freed one takes them back.
 */
struct estimate {
	double bytes, count;
	double var_bytes, var_count;
};

/* A stack's estimates at the allocator level; only stacks with sampled blocks have them. */
struct stack_estimates {
	struct estimate live, total;
	uint64_t samples_live;		/* sampled blocks behind live */
};

struct proc_stack {
	uint64_t id;
	uint32_t flags;
	uint32_t nr_frames;
	struct stack_frame *frames;
	struct stack_stats level[LEVEL__COUNT];
	uint64_t first_ts, last_ts;		/* first and latest use */
	uint32_t owner;				/* who owns its mappings, + 1; 0: not known yet
						 * (set by who names the frames) */
	struct stack_estimates *est;		/* NULL: no sampled block seen */
};

struct live_alloc {
	uint64_t addr;		/* hashtab key */
	uint64_t size;
	uint64_t ts;
	uint32_t stack;		/* index into proc.stacks */
	uint32_t fn;		/* enum leakd_fn */
};

/* A live sampled block: what it stands for travels with it. */
struct sampled_alloc {
	uint64_t addr;		/* hashtab key */
	uint64_t size;
	uint64_t weight;	/* bytes it stands for */
	uint64_t ts;
	uint32_t stack;
	uint32_t fn;
};

/* Flags of a mapping: the kernel's LEAKD_MAP_*. */
/* Flags of a mapping: the kernel's LEAKD_MAP_* and this. */
#define MAPPING_BRK (1u << 16)	/* a piece of the brk heap, counted at LEVEL_BRK */

struct mapping {
	uint64_t start, end;
	uint64_t ts;
	uint32_t stack;		/* index into proc.stacks */
	uint32_t flags;
};

/* Why figures may be short; any non-zero makes a report incomplete. */
struct proc_losses {
	uint64_t allocs_dropped;	/* allocation table full */
	uint64_t stacks_merged;		/* stack table full: counted under the overflow stack */
	uint64_t maps_dropped;		/* mapping table full */
};

/* Oddities that do not make figures wrong, shown for the curious. */
struct proc_notes {
	uint64_t unmatched_frees;	/* blocks not seen allocated: made inside the
					 * allocator itself (glibc's per-thread cache), or
					 * allocated before tracing began */
	uint64_t refreed_frees;		/* small blocks freed again after their free: glibc
					 * frees what an exiting thread's tcache holds */
	uint64_t cache_untracked;	/* small frees not remembered: CACHED_MAX reached */
	uint64_t replaced_allocs;	/* an address came back while still live */
	uint64_t realloc_unparked;	/* realloc ended without its begin */
	uint64_t unmatched_unmaps;	/* ranges not seen mapped (from before watching) */
	uint64_t inherited_frees;	/* a forked child freed a block of its parent's,
					 * live when it forked (its copy-on-write copy) */
	uint64_t inherited_untracked;	/* the parent's live blocks not remembered at fork
					 * (the table was full): their frees count as
					 * unmatched */
};

struct proc_mem {
	uint64_t pid;			/* hashtab key of tables.procs */
	uint64_t start_time;		/* clock ticks since boot: pid + this is the identity */
	uint64_t born_ns;		/* that start on CLOCK_MONOTONIC (0: unknown): the
					 * time given memory it had before it was watched */
	char comm[16];
	uint64_t exec_count;
	uint64_t code_read_ns;		/* the pipeline last read its code (CLOCK_MONOTONIC) */
	bool exited;
	/* Allocator level (traced processes). */
	uint64_t live_bytes, live_count;
	uint64_t total_allocs, total_frees;
	struct hashtab allocs;		/* struct live_alloc */
	struct hashtab parked;		/* struct parked: blocks inside realloc, by tid */
	/* Sampled blocks, apart from the exact ones (their figures are estimates). */
	uint64_t sample_interval;	/* mean bytes between samples, when known; 0: exact
					 * or given by the weights alone */
	struct hashtab sampled;		/* struct sampled_alloc */
	struct estimate live_est, total_est;
	uint64_t total_samples, total_sample_frees;
	uint64_t trace_records;		/* allocations, frees and stacks the kernel sent: what
					 * tracing costs, counted for the event budget */
	struct hashtab cached;		/* struct cached_block: small blocks freed and not
					 * allocated since, which a thread's cache may hold */
	struct hashtab inherited;	/* struct inherited_block: the parent's blocks live
					 * at fork, not yet freed here; not this process's */
	uint64_t ppid;			/* forked from this traced process; 0: not */
	/* Mapping level. */
	uint64_t map_bytes, map_count;	/* live anonymous mappings (memory, not reserved) */
	uint64_t reserved_bytes;	/* address space without committed memory: PROT_NONE,
					 * MAP_NORESERVE, or discarded by madvise */
	uint64_t heap_start, heap_bytes; /* the brk heap */
	uint64_t heap_top;		/* end of the heap's pieces in maps; 0: none yet */
	struct mapping *maps;		/* sorted by start, disjoint; inside map_buf */
	struct mapping *map_buf;	/* cap_maps slots, room left on both sides */
	uint32_t nr_maps, cap_maps;
	struct hashtab moving;		/* struct moving: ranges inside mremap, by tid */
	/* Both. */
	struct proc_losses losses;
	struct proc_notes notes;
	struct hashtab stack_index;	/* struct stack_slot: id -> index */
	struct proc_stack **stacks;
	uint32_t nr_stacks, cap_stacks;
	struct tables *tables;
};

/* Small freed blocks remembered per process, to tell a second free of one. */
#define CACHED_MAX 65536

struct tables_limits {
	uint64_t max_allocs;		/* live allocations, all processes together */
	uint64_t max_stacks;		/* stacks, all processes together */
	uint64_t max_maps;		/* mappings, all processes together */
};

struct tables {
	struct tables_limits limits;
	struct hashtab procs;		/* struct proc_slot: pid -> struct proc_mem * */
	uint64_t nr_allocs, nr_stacks, nr_maps;
};

int tables__init(struct tables *t, const struct tables_limits *limits);
void tables__destroy(struct tables *t);
struct proc_mem *tables__proc(const struct tables *t, pid_t pid);
/* Starts tracking pid (or returns its existing entry).  NULL with errno on failure. */
struct proc_mem *tables__add_proc(struct tables *t, pid_t pid, uint64_t start_time);
void tables__remove_proc(struct tables *t, pid_t pid);
/* Bytes of memory the tables hold. */
size_t tables__memory(const struct tables *t);

/* Allocator level.  Timestamps are CLOCK_MONOTONIC ns. */
void proc_mem__alloc(struct proc_mem *p, uint32_t tid, uint32_t fn, uint64_t addr, uint64_t size,
		 uint64_t stack_id, uint64_t old_addr, uint64_t ts);
void proc_mem__dealloc(struct proc_mem *p, uint32_t tid, uint64_t addr);
void proc_mem__realloc_begin(struct proc_mem *p, uint32_t tid, uint64_t addr);
/*
 * A sampled allocation: it stands for weight bytes (>= size) and weight/size
 * blocks.  From any sampler (the kernel's, a process's own probes).  old_addr: a
 * block it replaces (realloc), freed first.  Frees go through proc_mem__dealloc.
 */
void proc_mem__alloc_sampled(struct proc_mem *p, uint32_t fn, uint64_t addr, uint64_t size,
			     uint64_t weight, uint64_t stack_id, uint64_t old_addr, uint64_t ts);
/* Whether any figure of p is an estimate (a sampled block was ever seen, or p is sampled). */
bool proc_mem__sampled(const struct proc_mem *p);
/* Live figures of stack s at level l: exact part plus estimates; standard errors in ret_se. */
void proc_stack__live(const struct proc_stack *s, enum level l, double *ret_bytes,
		      double *ret_count, double *ret_se_bytes, double *ret_se_count);

/* Mapping level. */
void proc_mem__mmap(struct proc_mem *p, uint64_t addr, uint64_t len, uint64_t stack_id, uint32_t flags,
		uint64_t ts);
void proc_mem__munmap(struct proc_mem *p, uint64_t addr, uint64_t len);
void proc_mem__mremap_begin(struct proc_mem *p, uint32_t tid, uint64_t addr, uint64_t len);
void proc_mem__mremap_end(struct proc_mem *p, uint32_t tid, uint64_t old_addr, uint64_t old_len,
		      uint64_t new_addr, uint64_t new_len, uint64_t ts);
void proc_mem__brk(struct proc_mem *p, uint64_t start, uint64_t size);
/*
 * mprotect: a range made accessible (flags without LEAKD_MAP_RESERVED) commits the
 * reserved pieces in it, with this stack; made inaccessible (LEAKD_MAP_RESERVED)
 * the committed ones stop counting.  Pieces already in that state do not change.
 */
void proc_mem__protect(struct proc_mem *p, uint64_t addr, uint64_t len, uint64_t stack_id,
		       uint32_t flags, uint64_t ts);
/* madvise released the memory of a range: committed pieces in it stop counting. */
void proc_mem__discard(struct proc_mem *p, uint64_t addr, uint64_t len);
/*
 * brk moved the heap's end: growth becomes a piece of the heap with the stack that
 * grew it (growth not seen before becomes a preexisting piece), shrinking takes
 * the top pieces away.
 */
void proc_mem__brk_move(struct proc_mem *p, uint64_t start, uint64_t old_end, uint64_t new_end,
			uint64_t stack_id, uint32_t flags, uint64_t ts);

/*
 * child was forked from parent: the parent's live blocks are in its address space
 * (copy-on-write) but stay the parent's.  Remembered by address, so that the
 * child's frees of them are counted apart (notes.inherited_frees), never as its
 * own or as blocks not seen allocated.
 */
void proc_mem__inherit(struct proc_mem *child, const struct proc_mem *parent);
/* An exec replaced the program: forget everything of the old one. */
void proc_mem__exec(struct proc_mem *p);
/* The allocator level is no longer traced: its figures go, the mapping level stays. */
void proc_mem__untrace(struct proc_mem *p);

/* The stack with this id, created empty when new (or the overflow stack when full). */
struct proc_stack *proc_mem__stack(struct proc_mem *p, uint64_t id);
/* Takes ownership of frames (malloc'd) unless the stack already has its own. */
void stack__set_frames(struct proc_stack *s, struct stack_frame *frames, uint32_t n, uint32_t flags);
/*
 * Another walk of the same pcs, with its own marks: false when the stack has its
 * frames already (the marks are settled here); true when it needs them.  A walk
 * cut short keeps its marks until a walk of the same pcs with fewer of them (a
 * complete one) is seen; marks a later walk adds are not taken.
 */
bool stack__rewalked(struct proc_stack *s, uint32_t flags);

/*
 * A process's tables as bytes and back, for a restart (the daemon's state file):
 * every figure, stack (frames as normalized), live block, and mapping.  Frames
 * name modules and JIT names by the symbolizer's ids, which do not outlive it:
 * the decoder maps them through ids (1-based old id -> new id; 0 stays 0).
 */
struct wbuf;
struct rbuf;

struct tables_ids {
	const uint32_t *modules, *jits;
	uint32_t nr_modules, nr_jits;
};

void proc_mem__encode(const struct proc_mem *p, struct wbuf *w);
/*
 * A process read back into t (it must not be there): NULL with r marked bad (and
 * nothing added) when a field is out of range or the figures disagree, or on
 * ENOMEM (errno set).  Blocks and mappings past t's limits are dropped and counted
 * as losses, as they would have been when they arrived.
 */
struct proc_mem *tables__decode_proc(struct tables *t, struct rbuf *r,
				     const struct tables_ids *ids);

#endif
