// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/macros.h"
#include "serve/conn.h"

int conn_set__init(struct conn_set *cs, int listen_fd)
{
	/* data.ptr NULL: the listening socket. */
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	int err;

	cs->head = NULL;
	cs->count = 0;
	cs->listen_fd = listen_fd;
	cs->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (cs->epfd < 0 || epoll_ctl(cs->epfd, EPOLL_CTL_ADD, listen_fd, &ev)) {
		err = -errno;
		conn_set__fini(cs);
		return err;
	}
	return 0;
}

void conn_set__fini(struct conn_set *cs)
{
	while (cs->head)
		conn_set__drop(cs, cs->head);
	if (cs->listen_fd >= 0)
		close(cs->listen_fd);
	if (cs->epfd >= 0)
		close(cs->epfd);
	cs->listen_fd = cs->epfd = -1;
}

void conn_set__accept(struct conn_set *cs, void (*on_new)(void *ctx, int fd), void *ctx)
{
	int fd;

	while ((fd = accept4(cs->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
		on_new(ctx, fd);
}

int conn_set__add(struct conn_set *cs, struct conn *c, int fd, uint64_t deadline)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c };

	if (epoll_ctl(cs->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	c->fd = fd;
	c->deadline = deadline;
	c->next = cs->head;
	cs->head = c;
	cs->count++;
	return 0;
}

void conn_set__drop(struct conn_set *cs, struct conn *c)
{
	struct conn **pp;

	for (pp = &cs->head; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	epoll_ctl(cs->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out);
	free(c);
	cs->count--;
}

static int set_events(struct conn_set *cs, struct conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	return epoll_ctl(cs->epfd, EPOLL_CTL_MOD, c->fd, &ev) ? -errno : 0;
}

int conn__send(struct conn_set *cs, struct conn *c, char *buf, size_t len)
{
	free(c->out);
	c->out = buf;
	c->out_len = len;
	c->out_off = 0;
	return set_events(cs, c, EPOLLOUT | EPOLLRDHUP);
}

int conn__flush(struct conn *c)
{
	ssize_t n;

	while (c->out_off < c->out_len) {
		/* MSG_NOSIGNAL: a client that hung up costs its connection, not the daemon. */
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		c->out_off += n;
	}
	free(c->out);
	c->out = NULL;
	return 1;
}

int conn__read_again(struct conn_set *cs, struct conn *c)
{
	return set_events(cs, c, EPOLLIN | EPOLLRDHUP);
}

void conn_set__dispatch(struct conn_set *cs, void (*on_ready)(void *ctx, struct conn *c),
			void *ctx)
{
	struct epoll_event evs[16];
	int n, i;

	n = epoll_wait(cs->epfd, evs, ARRAY_SIZE(evs), 0);
	for (i = 0; i < n; i++)
		on_ready(ctx, evs[i].data.ptr);
}

unsigned int conn_set__expire(struct conn_set *cs, uint64_t now)
{
	struct conn *c, *next;
	unsigned int n = 0;

	for (c = cs->head; c; c = next) {
		next = c->next;
		if (now >= c->deadline) {
			conn_set__drop(cs, c);
			n++;
		}
	}
	return n;
}
