/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The pipeline both modes run: the tracer (BPF side), the unwinder, the
 * symbolizer, the tables and the ring-buffer consumer, assembled once, with the
 * side effects of exec, exit and newly mapped code in one place and the periodic
 * rediscovery of allocators.  A mode (ad-hoc, daemon) keeps only its policy: which
 * processes to watch and trace, and what to answer.
 */
#ifndef LEAKD_PIPELINE_H
#define LEAKD_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/tables.h"
#include "collect/tracer.h"
#include "collect/holds.h"

struct pipeline;
struct tracer;
struct symbolizer;
struct unwinder;
struct events;
struct proc_mem;
struct keeper;

/* Stacks the kernel remembers as already sent, unless configured otherwise. */
#define PIPELINE_STACK_CACHE 65536

struct pipeline_opts {
	uint32_t max_depth;		/* frames per stack */
	uint64_t ringbuf_bytes;		/* the ring buffer once a process is traced */
	uint64_t ringbuf_watch_bytes;	/* ... until then; 0: ringbuf_bytes from the start */
	uint32_t stack_cache;		/* 0: PIPELINE_STACK_CACHE */
	uint32_t max_traced;		/* processes with allocator probes at once */
	uint32_t unwind_rows;
	uint32_t unwind_procs;		/* processes with unwind tables; 0: max_traced */
	bool frame_pointers;		/* no unwind tables */
	bool watch_all;			/* memory syscalls of every process */
	const char *cache_dir;		/* unwind tables kept across runs; NULL: none */
	uint32_t max_modules;		/* files the symbolizer keeps */
	struct tables_limits limits;
	uint64_t rediscover_ns;		/* traced processes re-checked for new allocators */
	bool rediscover_refresh;	/* ... and their symbols and unwind tables too */
	struct keeper *adopt;		/* a handover to take over (tracer.h); NULL: none.
					 * Failing that, a fresh start (and a warning) */
	bool follow_forks;		/* children of traced processes traced from fork */
	bool hold_exec;			/* traced processes held at exec too (with hold), and
					 * at each mapping of code after it while the holds'
					 * bound lasts */
	bool hold;			/* processes to be traced held until their probes are in */
	enum syscall_probes syscalls;	/* the watch tier's probes */
};

/* What the pipeline tells its mode, after it has applied the event itself. */
enum pipeline_event {
	PIPELINE_FORK,			/* a new process (not in the tables yet) */
	PIPELINE_EXEC,			/* a process in the tables exec'd: tables, symbols,
					 * unwind entry and probes already follow the new image */
	PIPELINE_MAP_EXEC,		/* code mapped (dlopen); probes already follow */
	PIPELINE_EXIT,			/* the whole process left; still in the tables;
					 * aux: LEAKD_EXIT_DUMP_* (dumpable at its end) */
	PIPELINE_ATTACHED,		/* allocator objects newly attached in a traced process */
	PIPELINE_VIA_PROBES,		/* a traced process reports through its otel_memory
					 * probes from now on (its allocator's figures reset) */
};

/*
 * aux: the record's (PIPELINE_FORK: the parent; PIPELINE_EXEC, PIPELINE_MAP_EXEC:
 * 1 when held; PIPELINE_EXIT: LEAKD_EXIT_DUMP_*), else 0.  A process the kernel held for it (fork, exec, code mapped) is resumed
 * by the pipeline after the mode's callback: whatever the mode traces there is in
 * place before the process runs on.
 */
typedef void (*pipeline_cb)(void *ctx, enum pipeline_event ev, pid_t pid, uint32_t aux);

struct pipeline_stats {
	uint64_t unwind_skipped;	/* processes left without unwind tables (no room) */
	uint64_t map_exec;		/* records of code mapped */
	uint64_t map_exec_covered;	/* ... that a read of the process's code since covered */
};

/* Loads everything; returns an exit code of leakd(8) (and says why on failure). */
int pipeline__new(const struct pipeline_opts *o, pipeline_cb cb, void *ctx,
		  struct pipeline **ret);
void pipeline__free(struct pipeline *pl);

/* The parts, for what a mode gathers and shows; the pipeline keeps ownership. */
struct tables *pipeline__tables(struct pipeline *pl);
struct symbolizer *pipeline__symbolizer(struct pipeline *pl);
struct tracer *pipeline__tracer(struct pipeline *pl);
struct unwinder *pipeline__unwinder(struct pipeline *pl);	/* NULL: frame pointers */
struct events *pipeline__events(struct pipeline *pl);
void pipeline__stats(const struct pipeline *pl, struct pipeline_stats *ret);

/* Descriptors to wait on: events (ring buffer) and built unwind tables (-1: none). */
int pipeline__events_fd(const struct pipeline *pl);
int pipeline__unwind_fd(const struct pipeline *pl);
/* Applies the records waiting, for a slice of time at most; returns how many, or -errno. */
int pipeline__consume(struct pipeline *pl);
/* Installs unwind tables built in the background. */
void pipeline__poll_unwind(struct pipeline *pl);
/* Periodic work: rediscovery of allocators in traced processes. */
void pipeline__tick(struct pipeline *pl, uint64_t now_ns);

/*
 * Starts tracking pid at the mapping level (its comm read, and with seed its
 * anonymous mappings from before as such).  NULL with errno on failure.
 */
struct proc_mem *pipeline__add_proc(struct pipeline *pl, pid_t pid, bool seed);
/*
 * pid has exited: its probes go (closed in the background: they can fire no more)
 * and its unwind entry; its tables and symbols stay for what is told of it.
 */
void pipeline__exited(struct pipeline *pl, pid_t pid);
/* Everything of pid goes: probes, unwind entry, symbols, tables. */
void pipeline__forget_proc(struct pipeline *pl, pid_t pid);
/*
 * Gives pid an entry in the kernel's unwind tables.  -E2BIG/-ENOMEM when there is
 * no room (counted; the process goes without), -ENOENT when it is gone.
 */
int pipeline__unwind(struct pipeline *pl, pid_t pid);
/* Whether pid has an unwind entry, and whether its tables are all ready. */
const char *pipeline__unwind_state(struct pipeline *pl, pid_t pid);
/* Waits at most timeout_ms for pid's unwind tables; -ETIMEDOUT if still building. */
int pipeline__wait_tables(struct pipeline *pl, pid_t pid, int timeout_ms);
/*
 * Allocator probes in pid (tracer__attach's returns: new objects, -ENOENT for no
 * allocator, -ESRCH gone); on success pid counts as traced and is rediscovered.
 * sample: 0 traces every call; else the mean bytes between sampled allocations
 * (another interval than before: the caller resets the allocator level first).
 * use_probes: where the process has otel_memory probes (an in-process sampler),
 * trace through them instead of the allocator (decided again after exec).
 */
int pipeline__trace(struct pipeline *pl, pid_t pid, uint64_t sample, bool use_probes);
/* The interval pid is sampled with in the kernel; 0: exact, by probes or not traced. */
uint64_t pipeline__sample(const struct pipeline *pl, pid_t pid);
/*
 * The interval in force for sampled pid (tracer__set_interval): the event budget
 * widens it from the asked one and narrows it back.  -ENOENT: not sampled in the
 * kernel.  pipeline__interval: the one in force; 0 where pipeline__sample is.
 */
int pipeline__set_interval(struct pipeline *pl, pid_t pid, uint64_t interval);
uint64_t pipeline__interval(const struct pipeline *pl, pid_t pid);
/* Whether traced pid reports through its otel_memory probes. */
bool pipeline__via_probes(const struct pipeline *pl, pid_t pid);
/* Whether pid maps code with otel_memory probes (an in-process sampler); reads its maps. */
bool pipeline__has_probes(struct pipeline *pl, pid_t pid);
void pipeline__untrace(struct pipeline *pl, pid_t pid);
/*
 * child was forked from parent (both in the tables): the parent's live blocks are
 * remembered in child as inherited (proc_mem__inherit).
 */
void pipeline__inherit(struct pipeline *pl, pid_t child, pid_t parent);
/* The daemon's rules' comms and units, for which processes are held at fork and exec. */
int pipeline__hold_rules(struct pipeline *pl, const struct hold_rule *v, size_t n);

/* Whether pipeline__new took a handover's maps over (opts.adopt). */
bool pipeline__adopted(const struct pipeline *pl);
/*
 * A process restored from a handover (its tables are in place): traced again
 * through the links kept for it in k (objs), as sampled before, or through its
 * otel_memory probes when those are the objects kept.  With no
 * objects it is known, not traced (it left meanwhile, its exit still to come).
 */
int pipeline__adopt_proc(struct pipeline *pl, pid_t pid, uint64_t sample, uint32_t slot,
			 uint64_t interval, struct keeper *k, const struct tracer_pinned *objs,
			 size_t n);

#endif
