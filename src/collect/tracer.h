/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The tracer owns the BPF skeleton: it loads the programs, attaches the allocator
 * probes to processes (one set of links per process and allocator object) and
 * reads the kernel-side counters.  It knows nothing of what the events mean.
 */
#ifndef LEAKD_TRACER_H
#define LEAKD_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "leakd/events.h"

struct tracer;

/*
 * Where the watch tier's memory system calls are probed.  The tracepoints cost the
 * system calls the watch tier does not probe less (bench/RESULTS.md).
 */
enum syscall_probes {
	SYSCALL_PROBES_AUTO,		/* tracepoints where tracefs is (or can be mounted) */
	SYSCALL_PROBES_TRACEPOINTS,	/* per-syscall tracepoints (tracefs) */
	SYSCALL_PROBES_RAW,		/* every system call's raw entry and exit */
};

/* "auto", "tracepoints", "raw"; -EINVAL for another name. */
int syscall_probes_parse(const char *name, enum syscall_probes *ret);

struct tracer_opts {
	uint32_t max_depth;		/* frames per stack */
	uint64_t ringbuf_bytes;		/* the ring to start with: power of two, >= page size */
	uint32_t stack_cache;		/* stacks the kernel remembers as sent */
	uint32_t max_procs;		/* processes traced at once */
	uint32_t unwind_rows;		/* the unwind tables' row budget */
	bool frame_pointers;		/* walk by frame pointers only, no tables */
	bool watch_all;			/* memory syscalls of every process, not just traced */
	uint32_t unwind_procs;		/* processes with unwind tables at once */
	uint32_t max_sampled;		/* sampled blocks live at once, all processes;
					 * 0: the default (262144) */
	struct keeper *adopt;		/* a handover (tracer__pin): take over its maps and
					 * replace its watch links; NULL: none */
	bool follow_forks;		/* children of traced processes traced from fork */
	bool hold_exec;			/* traced processes held at exec too (with hold) */
	bool hold;			/* processes to be traced stopped until their probes
					 * are in (where the kernel can: tracer__holds) */
	enum syscall_probes syscalls;	/* the watch tier's probes */
};

struct unwinder_maps;
struct holds;
struct keeper;

/* One allocator object attached in a process, for status and messages. */
struct tracer_object {
	char path[256];			/* as the process sees it */
	unsigned int nr_sites;
	unsigned int nr_emulated;	/* sites on an instruction the kernel emulates */
	bool usdt;			/* otel_memory probes (nr_sites of them), not the
					 * allocator's entry points */
};

/*
 * Checks what leakd needs before anything is loaded: privileges (-EPERM) and
 * kernel features (-ENOTSUP), with a reason fit for an error message.
 */
int tracer__check(const char **ret_why);
/* What this kernel offers, as leakd would use it (for --version). */
struct tracer_features {
	bool btf, uprobes, uprobe_multi, uprobe_session, syscall_tracepoints;
	bool hold;			/* processes can be held at fork and exec */
};

void tracer__features(struct tracer_features *ret);
/* Whether the memory system calls can be probed as asked here. */
bool tracer__syscalls_possible(enum syscall_probes asked);
/* NULL with errno set; EPERM and ENOTSUP tell missing privileges and features. */
struct tracer *tracer__new(const struct tracer_opts *opts);
void tracer__free(struct tracer *t);

/* The ring the programs write to now: the consumer starts with it. */
int tracer__events_fd(const struct tracer *t);
/*
 * Puts a ring buffer of bytes (a power of two) in the place of the one the
 * programs write to, once: add(ctx, fd) gives it to the consumer first, to read
 * after the old one, which no program writes to any more when this returns.  0,
 * -EALREADY when the ring is that large already, -EBUSY after the first time,
 * add's error, or another -errno.
 */
int tracer__grow_ring(struct tracer *t, uint64_t bytes, int (*add)(void *ctx, int fd), void *ctx);
uint64_t tracer__ring_bytes(const struct tracer *t);
/* The maps through which userspace hands unwind tables to the stack walker. */
void tracer__unwind_maps(struct tracer *t, struct unwinder_maps *ret);
/* "uprobe_multi" or "uprobe": how allocator probes attach on this kernel. */
const char *tracer__mechanism(const struct tracer *t);
/*
 * "uprobe sessions" or "entry and return probes": how sampled tracing runs (with
 * sessions an unsampled call pays the entry probe alone).
 */
const char *tracer__sample_mechanism(const struct tracer *t);
/*
 * The processes held until their probes are in; NULL when holding is off or this
 * kernel cannot (no bpf_send_signal_task).
 */
struct holds *tracer__holds(const struct tracer *t);
/* "held at fork and exec", or why not: for --version, status and the start message. */
const char *tracer__hold_mechanism(const struct tracer *t);
/*
 * Whether an allocator object (or otel_memory object) attached in pid is mapped
 * in it now: after an exec, not until the loader maps it.
 */
bool tracer__covers(struct tracer *t, pid_t pid);
/* "syscall tracepoints" or "raw syscall exit": how mmap is watched. */
const char *tracer__syscall_mechanism(const struct tracer *t);

/*
 * Attaches the allocator probes to every allocator object the process maps that
 * is not attached yet.  sample: 0 traces every call exactly; else the mean
 * interval in bytes between sampled allocations (LEAKD_SAMPLE_MIN to
 * LEAKD_SAMPLE_MAX, include/leakd/sampling.h), whose records carry a weight.
 * Called again with another interval, the probes are made again (and the sampled
 * blocks the kernel knew forgotten): the caller resets the allocator-level figures
 * (proc_mem__untrace).  Returns how many objects were newly attached; -ENOENT
 * when the process maps no allocator at all, -ESRCH when it is gone.
 */
int tracer__attach(struct tracer *t, pid_t pid, uint64_t sample);
/* The sampling interval pid is traced with; 0: exact (or not traced). */
uint64_t tracer__sample(const struct tracer *t, pid_t pid);
/*
 * Widens (or narrows back) the interval in force for sampled pid without making
 * its probes again: the kernel reads it per call, and weighs each sample by the
 * interval it was drawn under, so estimates stay unbiased across the change.
 * Bounded to [its asked interval, LEAKD_SAMPLE_MAX].  -ENOENT: pid is not sampled;
 * -ENOSPC: no slot for it (it keeps its asked interval).  tracer__attach with
 * another interval starts again from the asked one.
 */
int tracer__set_interval(struct tracer *t, pid_t pid, uint64_t interval);
/* The interval in force for pid: the asked one or wider; 0: exact or not traced. */
uint64_t tracer__interval(const struct tracer *t, pid_t pid);
void tracer__detach(struct tracer *t, pid_t pid);
/*
 * As tracer__detach, for a process that has exited (its probes can fire no more):
 * its links are closed in the background, as closing one waits for the kernel.
 */
void tracer__forget_gone(struct tracer *t, pid_t pid);

/*
 * The otel_memory USDT probes of in-process samplers (leakd's libleakd-sampler.so
 * or any program that emits them): alloc(ptr, size, weight) and free(ptr), sent as
 * weighted allocations and frees.  tracer__usdt_objects tells how many objects
 * mapped in pid carry such probes (0: none; -ESRCH: gone), reading each file once.
 * tracer__attach_usdt attaches to those not attached yet (libraries dlopen'd later
 * are found by calling it again, as tracer__attach is called again for allocators)
 * and returns how many were newly attached; -ENOENT when the process has none,
 * -ESRCH when it is gone.  tracer__detach removes them with the rest.
 */
int tracer__usdt_objects(struct tracer *t, pid_t pid);
int tracer__attach_usdt(struct tracer *t, pid_t pid);
/* The objects attached in pid, up to max; returns their number. */
size_t tracer__objects(const struct tracer *t, pid_t pid, struct tracer_object *ret, size_t max);

/*
 * A restart without loss (leakd(8), RESTARTS).  The maps the programs write (ring
 * buffer, counters, traced set, in-flight and sampling state, sent stacks) and the
 * links outlive the daemon in a keeper (keeper.h: bpffs pins, or systemd's file
 * descriptor store), so that the traced processes keep being recorded while no
 * daemon runs, until deadline_ns (CLOCK_MONOTONIC) after which the programs stop.
 * The next tracer__new with adopt takes the maps over before its programs load,
 * attaches its own watch links and hands the watch tier over at one store (struct
 * leakd_control), and tracer__adopt_proc takes the links of each process as they
 * are, its allocator's or its otel_memory probes' (the kernel links behind libbpf's
 * USDT links; their programs, the old daemon's, keep its USDT spec maps): at no
 * moment are two links, or none, on the same probe.  The keeper then forgets them
 * (keeper__forget); links nobody took are gone with them.
 */
/* Puts the maps and watch links in k and sets the deadline. */
int tracer__pin(struct tracer *t, struct keeper *k, uint64_t deadline_ns);

/* One object (an allocator, or one with otel_memory probes) kept with its links. */
struct tracer_pinned {
	uint64_t dev, inode;
	struct tracer_object info;
	uint32_t nr_links;
};

#define TRACER_MAX_PINNED 64	/* objects per process */

/*
 * Puts the links of pid in k; returns how many objects (*ret).  -EOPNOTSUPP: it
 * reports through otel_memory probes whose kernel links were not found.
 */
int tracer__pin_proc(struct tracer *t, pid_t pid, struct keeper *k, struct tracer_pinned *ret,
		     size_t max);
/* Whether tracer__new took a handover's maps over. */
bool tracer__adopted(const struct tracer *t);
/* pid's slot in the kernel's intervals in force, and its interval (0: as asked). */
void tracer__slot(const struct tracer *t, pid_t pid, uint32_t *ret_slot, uint64_t *ret_interval);
/*
 * Takes the kept links of pid over, as they were made: sampled every sample
 * bytes (0: exact), with the slot their cookies name and the interval in force
 * there (tracer__slot).  -ERANGE for a slot not free or an interval out of range.
 */
int tracer__adopt_proc(struct tracer *t, pid_t pid, uint64_t sample, uint32_t slot,
		       uint64_t interval, struct keeper *k, const struct tracer_pinned *objs,
		       size_t n);
/*
 * Forgets which stacks the kernel sent: the stacks of processes not taken over
 * are sent again, once each, to the daemon that does not know them.
 */
void tracer__forget_sent(struct tracer *t);
/* The deadline of the handover kept in k (0: none, or unreadable). */
uint64_t tracer_kept_deadline(struct keeper *k);

/* The name of a counter (enum leakd_counter) in reports; NULL for none. */
const char *tracer__counter_name(unsigned int c);
/* Sums the per-CPU counters into ret[LEAKD_CNT__COUNT]. */
int tracer__counters(const struct tracer *t, uint64_t *ret);
/* BPF runs the kernel skipped because another BPF program ran (recursion). */
uint64_t tracer__missed_runs(const struct tracer *t);
/*
 * The memory the kernel holds for leakd's BPF maps, and the part of it mapped
 * into leakd for good (the ring buffer, its data pages twice, and the skeleton's
 * data), which its resident size counts too.
 */
void tracer__map_memory(const struct tracer *t, uint64_t *ret_held, uint64_t *ret_mapped);

#endif
