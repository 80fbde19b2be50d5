// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "serve/conn.h"
#include "serve/proto.h"
#include "serve/server.h"
#include "base/clock.h"

struct client {
	struct conn conn;		/* first: the connection set frees the client */
	struct peer who;
	union {
		struct leakd_req_hdr hdr;
		char hdr_bytes[sizeof(struct leakd_req_hdr)];
	};
	char payload[LEAKD_REQ_MAX];
	size_t have;			/* bytes of header + payload read so far */
	bool close_after;		/* a protocol error: answer, then hang up */
};

struct server {
	struct server_opts opts;
	char *path;
	bool bound;			/* the socket at path is ours to unlink */
	struct conn_set conns;
	server_handler handler;
	void *ctx;
	struct server_stats stats;
};

static void drop(struct server *s, struct client *c)
{
	conn_set__drop(&s->conns, &c->conn);
}

static int open_socket(struct server *s)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct group *gr = s->opts.group ? getgrnam(s->opts.group) : NULL;
	char dir[sizeof(addr.sun_path)], *slash;
	struct stat st;
	int fd;

	if (strlen(s->opts.path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	memcpy(addr.sun_path, s->opts.path, strlen(s->opts.path) + 1);
	memcpy(dir, addr.sun_path, sizeof(dir));
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		mkdir(dir, 0755);	/* systemd's RuntimeDirectory made it already, usually */
	}
	/* A socket left by a previous run goes; anything else at the path stays. */
	if (!lstat(s->opts.path, &st)) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(s->opts.path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    fchmod(fd, 0600) || chmod(s->opts.path, gr ? 0660 : 0600) ||
	    (gr && chown(s->opts.path, 0, gr->gr_gid)) || listen(fd, 16)) {
		int err = -errno;

		close(fd);
		return err;
	}
	s->stats.group_applied = !!gr;
	return fd;
}

int server__lock(const char *path)
{
	char lock[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
	struct stat st;
	int fd, n;

	n = snprintf(lock, sizeof(lock), "%s.lock", path);
	if (n < 0 || (size_t)n >= sizeof(lock))
		return -ENAMETOOLONG;
	{
		/* The directory first, as open_socket would make it. */
		char dir[sizeof(lock)], *slash;

		memcpy(dir, lock, sizeof(dir));
		slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = 0;
			mkdir(dir, 0755);
		}
	}
	/* Never through a symbolic link; never truncated, never removed (that races). */
	fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int err = errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;

		close(fd);
		return err;
	}
	return fd;
}

struct server *server__new(const struct server_opts *o, server_handler h, void *ctx)
{
	struct server *s = calloc(1, sizeof(*s));
	int err, fd;

	if (!s) {
		if (o->lock_fd >= 0)
			close(o->lock_fd);
		return NULL;
	}
	s->opts = *o;
	s->handler = h;
	s->ctx = ctx;
	s->conns.listen_fd = s->conns.epfd = -1;
	s->path = strdup(o->path);
	if (!s->path) {
		err = -ENOMEM;
		goto fail;
	}
	s->opts.path = s->path;
	fd = open_socket(s);
	if (fd < 0) {
		err = fd;
		goto fail;
	}
	s->bound = true;
	err = conn_set__init(&s->conns, fd);
	if (err)
		goto fail;
	return s;
fail:
	server__free(s);
	errno = -err;
	return NULL;
}

void server__free(struct server *s)
{
	if (!s)
		return;
	conn_set__fini(&s->conns);
	if (s->bound)
		unlink(s->path);
	/* Last: a daemon that takes the lock next finds no socket of ours to lose. */
	if (s->opts.lock_fd >= 0)
		close(s->opts.lock_fd);
	free(s->path);
	free(s);
}

int server__fd(const struct server *s)
{
	return s->conns.epfd;
}

/*
 * Whether a client of uid gets a slot: one slot is root's alone, and no other user
 * holds more than half of the rest, so that neither one user's clients nor anyone's
 * keep root out.
 */
static bool admit(struct server *s, uid_t uid, const char **why)
{
	unsigned int max = s->opts.max_clients, reserved = max > 1, share, mine = 0;
	const struct conn *c;

	*why = "too many clients at once (max-clients); try again later";
	if (uid == 0)
		return s->conns.count < max;
	if (s->conns.count >= max - reserved)
		return false;
	share = (max - reserved) / 2 ? (max - reserved) / 2 : 1;
	for (c = s->conns.head; c; c = c->next)
		mine += ((const struct client *)c)->who.uid == uid;
	if (mine >= share) {
		s->stats.refused_share++;
		*why = "too many clients of this user at once (half of max-clients); "
		       "try again later";
		return false;
	}
	return true;
}

/* Says why, in one answer a fresh socket's buffer takes whole, and hangs up. */
static void refuse(int fd, const char *why)
{
	size_t len = strlen(why);
	struct leakd_resp_hdr h = { .magic = LEAKD_PROTO_MAGIC, .version = LEAKD_PROTO_VERSION,
				    .status = LEAKD_ERR_LIMIT, .length = len + 1 };
	struct iovec iov[3] = { { &h, sizeof(h) }, { (void *)why, len }, { "\n", 1 } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 3 };

	if (sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* gone already, or a full buffer: the hang-up says enough */
	}
	close(fd);
}

static void on_new_client(void *ctx, int fd)
{
	struct server *s = ctx;
	const char *why = "cannot tell who connected";
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct client *c;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) || !admit(s, cred.uid, &why)) {
		s->stats.refused++;
		refuse(fd, why);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		s->stats.refused++;
		refuse(fd, "out of memory");
		return;
	}
	c->who = (struct peer){ cred.pid, cred.uid, cred.gid };
	if (conn_set__add(&s->conns, &c->conn, fd, now_ns() + s->opts.request_ns)) {
		close(fd);
		free(c);
		return;
	}
	s->stats.accepted++;
}

/* Queues an answer: header and body. */
static void answer(struct server *s, struct client *c, int status, const char *body, size_t len)
{
	struct leakd_resp_hdr h = { .magic = LEAKD_PROTO_MAGIC, .version = LEAKD_PROTO_VERSION,
				    .status = status, .length = len };
	char *buf = malloc(sizeof(h) + len);

	if (!buf) {
		drop(s, c);
		return;
	}
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), body, len);
	if (conn__send(&s->conns, &c->conn, buf, sizeof(h) + len))
		drop(s, c);
}

static void answer_error(struct server *s, struct client *c, int status, const char *why,
			 bool json)
{
	char body[256];
	int n;

	s->stats.bad_requests++;
	n = json ? snprintf(body, sizeof(body), "{\"error\":\"%s\"}\n", why) :
		   snprintf(body, sizeof(body), "%s\n", why);
	answer(s, c, status, body, n > 0 && (size_t)n < sizeof(body) ? (size_t)n : 0);
}

static void handle(struct server *s, struct client *c)
{
	const char *why;
	char *body = NULL;
	size_t len = 0;
	FILE *out;
	int status;
	bool json = c->hdr.format == LEAKD_FORMAT_JSON;

	s->stats.requests++;
	status = proto__check_payload(&c->hdr, c->payload, &why);
	if (status) {
		answer_error(s, c, status, why, json);
		return;
	}
	out = open_memstream(&body, &len);
	if (!out) {
		answer_error(s, c, LEAKD_ERR_INTERNAL, "out of memory", json);
		return;
	}
	status = s->handler(s->ctx, &c->who, &c->hdr, c->payload, out);
	if (fclose(out) || len > LEAKD_RESP_MAX) {
		free(body);
		answer_error(s, c, LEAKD_ERR_INTERNAL, "answer too large", json);
		return;
	}
	answer(s, c, status, body, len);
	free(body);
}

/* Reads what the client sent; hands on a request once it is whole. */
static void on_readable(struct server *s, struct client *c)
{
	size_t hs = sizeof(c->hdr), want;
	const char *why;
	ssize_t n;
	int status;

	for (;;) {
		want = c->have < hs ? hs : hs + c->hdr.length;
		n = c->have < hs ? read(c->conn.fd, c->hdr_bytes + c->have, want - c->have) :
				   read(c->conn.fd, c->payload + (c->have - hs), want - c->have);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			s->stats.dropped += c->have > 0;
			drop(s, c);
			return;
		}
		if (n < 0)
			return;
		c->have += n;
		if (c->have == hs) {
			/* Size, then magic and version: before the payload is read at all. */
			status = proto__check_header(&c->hdr, &why);
			if (status) {
				c->close_after = true;
				answer_error(s, c, status, why, false);
				return;
			}
		}
		if (c->have >= hs && c->have == hs + c->hdr.length) {
			c->have = 0;
			c->conn.deadline = now_ns() + s->opts.request_ns;	/* the answer's */
			handle(s, c);
			return;		/* one request at a time: the answer goes first */
		}
	}
}

static void on_writable(struct server *s, struct client *c)
{
	int done = conn__flush(&c->conn);

	if (done < 0) {
		s->stats.dropped++;
		drop(s, c);
		return;
	}
	if (!done)
		return;
	c->conn.deadline = now_ns() + s->opts.request_ns;	/* the next request's */
	if (c->close_after || conn__read_again(&s->conns, &c->conn))
		drop(s, c);
}

static void on_ready(void *ctx, struct conn *conn)
{
	struct server *s = ctx;
	struct client *c = (struct client *)conn;

	if (!c)
		conn_set__accept(&s->conns, on_new_client, s);
	else if (c->conn.out)
		on_writable(s, c);
	else
		on_readable(s, c);
}

void server__dispatch(struct server *s)
{
	conn_set__dispatch(&s->conns, on_ready, s);
}

void server__tick(struct server *s, uint64_t now)
{
	unsigned int n = conn_set__expire(&s->conns, now);

	s->stats.dropped += n;
	s->stats.timed_out += n;
}

void server__stats(const struct server *s, struct server_stats *ret)
{
	*ret = s->stats;
	ret->clients = s->conns.count;
}
