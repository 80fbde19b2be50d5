/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What leakd knows of each process: at the allocator level its live allocations
 * (by address), at the mapping level its anonymous mappings (by range) and heap,
 * and its stacks with per-stack figures at both levels.  Fed by decoded events;
 * pure data, no I/O, so that the semantics of every event can be unit-tested.
 */
#ifndef LEAKD_TABLES_H
#define LEAKD_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/hashtab.h"

/* A frame of a stack, normalized while the process lived. */
struct stack_frame {
	uint64_t pc;		/* as the process saw it */
	uint64_t offset;	/* file offset in module; with jit, offset in that code */
	uint32_t module;	/* symbolizer's module id; 0 = not in a known file */
	uint32_t flags;		/* LEAKD_FRAME_* */
	uint32_t jit;		/* symbolizer's JIT name id (perf map); 0 = none */
	uint32_t _pad;
};

/* Stack ids the kernel never makes (its are odd): */
#define STACK_ID_NONE 2		/* the kernel could not read the stack */
#define STACK_ID_OVERFLOW 4	/* the stack table was full */
#define STACK_ID_PREEXISTING 6	/* mapped before leakd began watching */

/* Stack flags: the kernel's LEAKD_STACK_* and these. */
#define STACK_HAS_FRAMES (1u << 16)	/* frames arrived */
#define STACK_OVERFLOW (1u << 17)	/* catch-all for stacks past the table's limit */

/* The two levels memory is counted at. */
enum level {
	LEVEL_HEAP,		/* blocks from the allocator (malloc and friends) */
	LEVEL_MAP,		/* anonymous mappings (mmap), the allocator's own among them */
	LEVEL__COUNT,
};

struct stack_stats {
	uint64_t live_bytes, live_count;
	uint64_t total_bytes, total_count;	/* ever allocated (mapped) */
	uint64_t freed_bytes, freed_count;
};

struct proc_stack {
	uint64_t id;
	uint32_t flags;
	uint32_t nr_frames;
	struct stack_frame *frames;
	struct stack_stats level[LEVEL__COUNT];
	uint64_t first_ts, last_ts;		/* first and latest use */
};

struct live_alloc {
	uint64_t addr;		/* hashtab key */
	uint64_t size;
	uint64_t weight;	/* sampled: the bytes it stands for; 0: exact, itself */
	uint64_t ts;
	uint32_t stack;		/* index into proc.stacks */
	uint32_t fn;		/* enum leakd_fn */
};

/* Flags of a mapping: the kernel's LEAKD_MAP_*. */
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
	uint64_t unmatched_frees;	/* blocks not seen allocated: from before tracing,
					 * or freed again by the allocator (glibc's tcache
					 * flush at thread exit) */
	uint64_t replaced_allocs;	/* an address came back while still live */
	uint64_t realloc_unparked;	/* realloc ended without its begin */
	uint64_t unmatched_unmaps;	/* ranges not seen mapped (from before watching) */
};

struct proc_mem {
	uint64_t pid;			/* hashtab key of tables.procs */
	uint64_t start_time;		/* clock ticks since boot: pid + this is the identity */
	char comm[16];
	uint64_t exec_count;
	bool exited;
	/* Allocator level (traced processes). */
	uint64_t live_bytes, live_count;
	uint64_t total_allocs, total_frees;
	uint64_t weighted_allocs;	/* of total_allocs, samples that stand for more:
					 * the allocator-level figures are estimates */
	struct hashtab allocs;		/* struct live_alloc */
	struct hashtab parked;		/* struct parked: blocks inside realloc, by tid */
	/* Mapping level. */
	uint64_t map_bytes, map_count;	/* live anonymous mappings (memory, not reserved) */
	uint64_t reserved_bytes;	/* PROT_NONE address space */
	uint64_t heap_start, heap_bytes; /* the brk heap */
	struct mapping *maps;		/* sorted by start, disjoint */
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
/*
 * A sampled allocation that stands for weight bytes (weight > size; an in-process
 * sampler's otel_memory probe): live bytes add up its weight, counts weight / size.
 */
void proc_mem__alloc_weighted(struct proc_mem *p, uint32_t tid, uint32_t fn, uint64_t addr,
			      uint64_t size, uint64_t weight, uint64_t stack_id, uint64_t ts);
void proc_mem__dealloc(struct proc_mem *p, uint32_t tid, uint64_t addr);
void proc_mem__realloc_begin(struct proc_mem *p, uint32_t tid, uint64_t addr);

/* Mapping level. */
void proc_mem__mmap(struct proc_mem *p, uint64_t addr, uint64_t len, uint64_t stack_id, uint32_t flags,
		uint64_t ts);
void proc_mem__munmap(struct proc_mem *p, uint64_t addr, uint64_t len);
void proc_mem__mremap_begin(struct proc_mem *p, uint32_t tid, uint64_t addr, uint64_t len);
void proc_mem__mremap_end(struct proc_mem *p, uint32_t tid, uint64_t old_addr, uint64_t old_len,
		      uint64_t new_addr, uint64_t new_len, uint64_t ts);
void proc_mem__brk(struct proc_mem *p, uint64_t start, uint64_t size);

/* An exec replaced the program: forget everything of the old one. */
void proc_mem__exec(struct proc_mem *p);
/* The allocator level is no longer traced: its figures go, the mapping level stays. */
void proc_mem__untrace(struct proc_mem *p);

/* The stack with this id, created empty when new (or the overflow stack when full). */
struct proc_stack *proc_mem__stack(struct proc_mem *p, uint64_t id);
/* Takes ownership of frames (malloc'd) unless the stack already has its own. */
void stack__set_frames(struct proc_stack *s, struct stack_frame *frames, uint32_t n, uint32_t flags);

#endif
