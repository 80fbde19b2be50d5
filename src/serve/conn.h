/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The connections of one listening socket, over epoll: who is connected, the answer
 * each is being sent, and the deadline each must meet.  The control socket
 * (server.c) and the metrics endpoint (http.c) differ in framing and in whom they
 * admit; this is what they share.
 */
#ifndef LEAKD_SERVE_CONN_H
#define LEAKD_SERVE_CONN_H

#include <stddef.h>
#include <stdint.h>

/* The first member of a server's client: conn_set__drop frees the whole client. */
struct conn {
	int fd;
	uint64_t deadline;		/* CLOCK_MONOTONIC ns */
	char *out;			/* the answer being written, NULL when reading */
	size_t out_len, out_off;
	struct conn *next;
};

struct conn_set {
	int epfd, listen_fd;		/* -1 when not open */
	struct conn *head;
	uint64_t count;			/* connected now */
};

/* Takes listen_fd (closed by conn_set__fini, and here on failure); -errno. */
int conn_set__init(struct conn_set *cs, int listen_fd);
/* Drops every connection and closes the sockets; a zeroed or failed set is fine. */
void conn_set__fini(struct conn_set *cs);

/* Each pending connection's socket (non-blocking, close-on-exec), to on_new. */
void conn_set__accept(struct conn_set *cs, void (*on_new)(void *ctx, int fd), void *ctx);
/*
 * Adds a client that has fd to the set, reading, with a deadline; on failure
 * (-errno) the caller still owns c and fd.
 */
int conn_set__add(struct conn_set *cs, struct conn *c, int fd, uint64_t deadline);
/* Closes the connection and frees the client it is the first member of. */
void conn_set__drop(struct conn_set *cs, struct conn *c);

/*
 * Queues buf (the set takes it, malloc'd) as the answer and waits to write it; -errno
 * (buf freed) when epoll refuses.
 */
int conn__send(struct conn_set *cs, struct conn *c, char *buf, size_t len);
/* Writes what it can: 1 all sent (the buffer freed), 0 more to write, -errno. */
int conn__flush(struct conn *c);
/* Back to reading the next request. */
int conn__read_again(struct conn_set *cs, struct conn *c);

/*
 * Waits for nothing: each ready event to on_ready, the listening socket's as
 * c == NULL.
 */
void conn_set__dispatch(struct conn_set *cs, void (*on_ready)(void *ctx, struct conn *c),
			void *ctx);
/* Drops the connections past their deadline (now >= deadline); returns how many. */
unsigned int conn_set__expire(struct conn_set *cs, uint64_t now);

#endif
