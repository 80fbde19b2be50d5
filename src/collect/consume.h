/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The ring-buffer consumer: a thin wrapper that hands each record to the decoder
 * (collect/decode.h), with the symbolizer normalizing the frames of new stacks
 * while their process lives.
 */
#ifndef LEAKD_CONSUME_H
#define LEAKD_CONSUME_H

#include <stdint.h>
#include <sys/types.h>

#include "collect/decode.h"

struct tables;
struct symbolizer;
struct events;

/*
 * Told of fork, exec, map-exec and exit after the tables have applied them; aux is
 * the record's (fork: the parent; exit: LEAKD_EXIT_DUMP_*).
 */
typedef void (*events_proc_cb)(void *ctx, uint32_t type, pid_t pid, uint32_t aux,
			       uint64_t ts);

struct events *events__new(int ringbuf_fd, struct tables *t, struct symbolizer *s,
			   events_proc_cb cb, void *ctx);
void events__free(struct events *e);
/*
 * Reads another ring from here on, after those it has: records of the rings it
 * had come first (the producer moved to this one after writing them).
 */
int events__add_ring(struct events *e, int ringbuf_fd);
int events__epoll_fd(const struct events *e);
/*
 * Applies the records waiting, ring by ring in the order added, for 50 ms at most
 * (the rest waits, its descriptor readable); returns how many, or -errno.
 */
int events__consume(struct events *e);
void events__stats(const struct events *e, struct decoder_stats *ret);

#endif
