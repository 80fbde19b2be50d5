/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The control socket: accepts clients, reads and checks their requests, hands the
 * good ones to a handler and writes its answers back -- all without ever blocking,
 * so that a slow or dead client cannot hold up tracing.
 */
#ifndef LEAKD_SERVER_H
#define LEAKD_SERVER_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "leakd/protocol.h"

struct server;

/* Who asked, as the kernel says (SO_PEERCRED). */
struct peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

/* Answers a checked request: writes the body to out, returns an enum leakd_status. */
typedef int (*server_handler)(void *ctx, const struct peer *who, const struct leakd_req_hdr *h,
			      const void *payload, FILE *out);

struct server_opts {
	const char *path;
	const char *group;		/* the socket's group; NULL or missing: root only */
	/*
	 * Of max_clients, one is kept for root, and no other user holds more than
	 * half of the rest.
	 */
	unsigned int max_clients;
	/*
	 * A whole request must arrive, and a whole answer leave, within this long
	 * (from the connection or the previous answer): a client that trickles
	 * bytes holds its slot no longer than one that says nothing.
	 */
	uint64_t request_ns;
	int lock_fd;			/* from server__lock; the server owns it, -1: none */
};

struct server_stats {
	uint64_t clients;		/* connected now */
	uint64_t accepted, refused;	/* refused: no slot for the user (all counted) */
	uint64_t refused_share;		/* of them: the user held its share already */
	uint64_t requests, bad_requests;
	uint64_t dropped;		/* too slow, or gone mid-request or mid-answer */
	uint64_t timed_out;		/* of them: past the deadline of a request */
	int group_applied;		/* the socket has the group (else root only) */
};

/*
 * One daemon per socket: an exclusive lock on PATH.lock, next to the socket, held
 * until the server is freed.  Returns the lock's descriptor, -EWOULDBLOCK when
 * another process holds it, or another -errno.
 */
int server__lock(const char *path);
/* NULL with errno set. */
struct server *server__new(const struct server_opts *o, server_handler h, void *ctx);
void server__free(struct server *s);
/* An epoll descriptor: readable when server__dispatch has something to do. */
int server__fd(const struct server *s);
void server__dispatch(struct server *s);
/* Lets clients past their deadline go; call now and then (every second). */
void server__tick(struct server *s, uint64_t now_ns);
void server__stats(const struct server *s, struct server_stats *ret);

#endif
