/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The ring-buffer consumer: checks each record, decodes it and applies it to the
 * tables; normalizes the frames of new stacks while their process lives.
 */
#ifndef LEAKD_SRC_EVENTS_H
#define LEAKD_SRC_EVENTS_H

#include <stdint.h>
#include <sys/types.h>

struct tables;
struct symbolizer;
struct events;

struct events_stats {
	uint64_t records;
	uint64_t bad_records;		/* too short or of an unknown type */
	uint64_t unknown_pid;		/* for a process not in the tables */
};

/* Told of exec and exit after the tables have applied them. */
typedef void (*events_proc_cb)(void *ctx, uint32_t type, pid_t pid);

/* With ringbuf_fd < 0, no ring buffer: records come through consume__apply_record(). */
struct events *events__new(int ringbuf_fd, struct tables *t, struct symbolizer *s,
			   events_proc_cb cb, void *ctx);
void events__free(struct events *e);
int events__epoll_fd(const struct events *e);
/* Applies every record waiting; returns how many, or -errno. */
int events__consume(struct events *e);
void events__stats(const struct events *e, struct events_stats *ret);
/*
 * Checks one ring-buffer record (size bytes at data, whatever they hold) and applies
 * it to the tables: the decoder, callable alone for the fuzzer.  Returns 0.
 */
int consume__apply_record(struct events *e, const void *data, size_t size);

#endif
