/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The event decoder: one ring-buffer record in, table updates out.  Pure: no
 * libbpf, no I/O of its own; what needs the running system (normalizing the
 * frames of a new stack, the side effects of exec and exit) goes through the
 * callbacks.  Every record is checked before use -- its size against its type,
 * its frame count, its ranges -- so that any bytes at all can be fed to it.
 */
#ifndef LEAKD_DECODE_H
#define LEAKD_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "leakd/events.h"

struct tables;
struct stack_frame;

struct decoder_stats {
	uint64_t records;
	uint64_t bad_records;		/* too short, of an unknown type, or nonsensical */
	uint64_t unknown_pid;		/* for a process not in the tables */
};

struct decoder_ops {
	/*
	 * The frames of a new stack in the tables' form (malloc'd); NULL leaves the
	 * stack without frames.  No callback: the kernel's pcs and offsets are kept.
	 */
	struct stack_frame *(*normalize)(void *ctx, pid_t pid, const struct leakd_frame *frames,
					 uint32_t n);
	/*
	 * Fork (child not in the tables), exec, map-exec and exit, once applied; aux
	 * is the record's (fork: the parent; exit: LEAKD_EXIT_DUMP_*).
	 */
	void (*proc)(void *ctx, uint32_t type, pid_t pid, uint32_t aux, uint64_t ts);
	void *ctx;
};

struct decoder {
	struct tables *tables;
	struct decoder_ops ops;
	struct decoder_stats stats;
};

void decoder__init(struct decoder *d, struct tables *t, const struct decoder_ops *ops);
/*
 * Applies one record of size bytes (any alignment).  0 when applied, -EINVAL when
 * malformed, -ESRCH when its process is not in the tables (both counted).
 */
int decoder__apply(struct decoder *d, const void *rec, size_t size);

#endif
