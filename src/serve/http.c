// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/clock.h"
#include "serve/conn.h"
#include "serve/http.h"

struct http_client {
	struct conn conn;		/* first: the connection set frees the client */
	char req[HTTP_REQ_MAX];
	size_t have;
};

struct http_server {
	struct http_opts opts;
	char *listen;
	char *unix_path;		/* a UNIX socket we made: unlinked at the end */
	struct conn_set conns;
	unsigned int port;
	http_handler handler;
	void *ctx;
	struct http_stats stats;
};

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes src[0..len) into dst (size bytes with its NUL). */
static int decode(const char *src, size_t len, char *dst, size_t size)
{
	size_t i, k = 0;

	for (i = 0; i < len; i++) {
		int c = src[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return -EINVAL;
			hi = hexval(src[i + 1]);
			lo = hexval(src[i + 2]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			c = hi << 4 | lo;
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (!c || k + 1 >= size)
			return c ? -E2BIG : -EINVAL;
		dst[k++] = c;
	}
	dst[k] = 0;
	return 0;
}

int http_parse_request_line(const char *line, size_t len, struct http_request *ret)
{
	const char *end = line + len, *sp1, *sp2, *q, *p;
	int err;

	memset(ret, 0, sizeof(*ret));
	sp1 = memchr(line, ' ', len);
	if (!sp1)
		return -EINVAL;
	if (!((sp1 - line == 3 && !memcmp(line, "GET", 3)) ||
	      (sp1 - line == 4 && !memcmp(line, "HEAD", 4))))
		return -ENOTSUP;
	sp2 = memchr(sp1 + 1, ' ', end - sp1 - 1);
	if (!sp2 || end - sp2 < 9 || memcmp(sp2 + 1, "HTTP/1.", 7) || sp1[1] != '/')
		return -EINVAL;
	q = memchr(sp1 + 1, '?', sp2 - sp1 - 1);
	err = decode(sp1 + 1, (q ? q : sp2) - sp1 - 1, ret->path, sizeof(ret->path));
	if (err)
		return err;
	for (p = q ? q + 1 : sp2; p < sp2;) {
		const char *amp = memchr(p, '&', sp2 - p), *stop = amp ? amp : sp2, *eq;
		struct http_param *prm;

		eq = memchr(p, '=', stop - p);
		if (stop > p) {
			if (ret->nr_params == HTTP_QUERY_MAX)
				return -E2BIG;
			prm = &ret->params[ret->nr_params++];
			err = decode(p, (eq ? eq : stop) - p, prm->key, sizeof(prm->key));
			if (!err && eq)
				err = decode(eq + 1, stop - eq - 1, prm->value, sizeof(prm->value));
			if (err)
				return err;
		}
		p = stop + 1;
	}
	return 0;
}

const char *http_request__param(const struct http_request *r, const char *key)
{
	for (unsigned int i = 0; i < r->nr_params; i++)
		if (!strcmp(r->params[i].key, key))
			return r->params[i].value;
	return NULL;
}

/* "ADDR:PORT", "[ADDR]:PORT" (numeric) or an absolute UNIX socket path. */
static int open_listener(struct http_server *s)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t slen;
	const char *l = s->opts.listen, *colon;
	char host[64];
	unsigned long port;
	char *end;
	int fd, one = 1, family;

	if (l[0] == '/') {
		struct sockaddr_un *un = (struct sockaddr_un *)&ss;
		struct stat st;

		if (strlen(l) >= sizeof(un->sun_path))
			return -ENAMETOOLONG;
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, l, strlen(l) + 1);
		if (!lstat(l, &st)) {
			if (!S_ISSOCK(st.st_mode))
				return -EEXIST;
			unlink(l);
		}
		slen = sizeof(*un);
		family = AF_UNIX;
	} else {
		colon = strrchr(l, ':');
		if (!colon || colon == l || (size_t)(colon - l) >= sizeof(host))
			return -EINVAL;
		memcpy(host, l, colon - l);
		host[colon - l] = 0;
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (errno || *end || !isdigit((unsigned char)colon[1]) || port > 65535)
			return -EINVAL;
		if (host[0] == '[') {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
			size_t hl = strlen(host);

			if (hl < 3 || host[hl - 1] != ']')
				return -EINVAL;
			host[hl - 1] = 0;
			if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
				return -EINVAL;
			in6->sin6_family = AF_INET6;
			in6->sin6_port = htons(port);
			slen = sizeof(*in6);
		} else {
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;

			if (!strcmp(host, "localhost"))
				snprintf(host, sizeof(host), "127.0.0.1");
			if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
				return -EINVAL;
			in->sin_family = AF_INET;
			in->sin_port = htons(port);
			slen = sizeof(*in);
		}
		family = ss.ss_family;
	}
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (family != AF_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, slen) || listen(fd, 16)) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (family == AF_UNIX) {
		s->unix_path = strdup(l);
	} else {
		slen = sizeof(ss);
		if (!getsockname(fd, (struct sockaddr *)&ss, &slen))
			s->port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
					((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	return fd;
}

static void drop(struct http_server *s, struct http_client *c)
{
	conn_set__drop(&s->conns, &c->conn);
}

struct http_server *http__new(const struct http_opts *o, http_handler h, void *ctx)
{
	struct http_server *s = calloc(1, sizeof(*s));
	int err, fd;

	if (!s)
		return NULL;
	s->opts = *o;
	s->handler = h;
	s->ctx = ctx;
	s->conns.listen_fd = s->conns.epfd = -1;
	s->listen = strdup(o->listen);
	if (!s->listen) {
		err = -ENOMEM;
		goto fail;
	}
	s->opts.listen = s->listen;
	fd = open_listener(s);
	if (fd < 0) {
		err = fd;
		goto fail;
	}
	err = conn_set__init(&s->conns, fd);
	if (err)
		goto fail;
	return s;
fail:
	http__free(s);
	errno = -err;
	return NULL;
}

void http__free(struct http_server *s)
{
	if (!s)
		return;
	conn_set__fini(&s->conns);
	if (s->unix_path)
		unlink(s->unix_path);
	free(s->unix_path);
	free(s->listen);
	free(s);
}

int http__fd(const struct http_server *s)
{
	return s->conns.epfd;
}

unsigned int http__port(const struct http_server *s)
{
	return s->port;
}

static void on_new_client(void *ctx, int fd)
{
	struct http_server *s = ctx;
	struct http_client *c;

	if (s->conns.count >= s->opts.max_clients || !(c = calloc(1, sizeof(*c)))) {
		s->stats.refused++;
		close(fd);
		return;
	}
	if (conn_set__add(&s->conns, &c->conn, fd, now_ns() + s->opts.deadline_ns)) {
		close(fd);
		free(c);
		return;
	}
	s->stats.accepted++;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

static void respond(struct http_server *s, struct http_client *c, int status, const char *type,
		    const char *body, size_t len, bool head)
{
	char hdr[256], *buf;
	int n;

	n = snprintf(hdr, sizeof(hdr),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n", status, reason(status), type, len);
	if (n < 0 || (size_t)n >= sizeof(hdr) || !(buf = malloc(n + (head ? 0 : len)))) {
		drop(s, c);
		return;
	}
	memcpy(buf, hdr, n);
	if (!head)
		memcpy(buf + n, body, len);
	if (conn__send(&s->conns, &c->conn, buf, n + (head ? 0 : len)))
		drop(s, c);
}

static void respond_error(struct http_server *s, struct http_client *c, int status,
			  const char *msg)
{
	s->stats.bad_requests++;
	respond(s, c, status, "text/plain; charset=utf-8", msg, strlen(msg), false);
}

static void handle(struct http_server *s, struct http_client *c, size_t line_len)
{
	const char *type = "text/plain; charset=utf-8";
	struct http_request req;
	char *body = NULL;
	size_t len = 0;
	FILE *out;
	int status, err;

	s->stats.requests++;
	err = http_parse_request_line(c->req, line_len, &req);
	if (err == -ENOTSUP) {
		respond_error(s, c, 405, "only GET is served\n");
		return;
	}
	if (err) {
		respond_error(s, c, 400, "malformed request\n");
		return;
	}
	out = open_memstream(&body, &len);
	if (!out) {
		respond_error(s, c, 500, "out of memory\n");
		return;
	}
	status = s->handler(s->ctx, &req, out, &type);
	if (fclose(out) || len > s->opts.max_body) {
		free(body);
		respond_error(s, c, 500, "answer too large\n");
		return;
	}
	respond(s, c, status, type, body, len, c->req[0] == 'H');
	free(body);
}

static void on_readable(struct http_server *s, struct http_client *c)
{
	char *eol;
	ssize_t n;

	for (;;) {
		if (c->have == sizeof(c->req) - 1) {
			respond_error(s, c, 431, "request too large\n");
			return;
		}
		n = read(c->conn.fd, c->req + c->have, sizeof(c->req) - 1 - c->have);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			drop(s, c);
			return;
		}
		if (n < 0)
			return;
		c->have += n;
		c->req[c->have] = 0;
		/* The request line and headers end with an empty line; only the line counts. */
		if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n")) {
			eol = strpbrk(c->req, "\r\n");
			handle(s, c, eol - c->req);
			return;
		}
	}
}

static void on_ready(void *ctx, struct conn *conn)
{
	struct http_server *s = ctx;
	struct http_client *c = (struct http_client *)conn;

	if (!c)
		conn_set__accept(&s->conns, on_new_client, s);
	else if (!c->conn.out)
		on_readable(s, c);
	else if (conn__flush(&c->conn))
		drop(s, c);	/* sent, or failed: one request per connection */
}

void http__dispatch(struct http_server *s)
{
	conn_set__dispatch(&s->conns, on_ready, s);
}

void http__tick(struct http_server *s, uint64_t now)
{
	/* A whole request, and its answer, within the deadline: no byte buys more time. */
	s->stats.timed_out += conn_set__expire(&s->conns, now);
}

void http__stats(const struct http_server *s, struct http_stats *ret)
{
	*ret = s->stats;
	ret->clients = s->conns.count;
}
