/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The opt-in HTTP listener for metrics and profiles (metrics-listen): GET only,
 * one request per connection, every client bounded in size and in time, and
 * never a blocking call, so that a scraper cannot hold up tracing.  What a path
 * answers is the handler's business.
 */
#ifndef LEAKD_SERVE_HTTP_H
#define LEAKD_SERVE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HTTP_REQ_MAX 4096		/* bytes of a request line and headers */
#define HTTP_QUERY_MAX 8		/* parameters of a query string */

struct http_server;

struct http_param {
	char key[32];
	char value[256];
};

/* A checked request: the path and its decoded query parameters. */
struct http_request {
	char path[256];
	struct http_param params[HTTP_QUERY_MAX];
	unsigned int nr_params;
};

/*
 * Writes the body of the answer to out and its media type to *ret_type (a static
 * string); returns an HTTP status (200, 400, 404, ...).
 */
typedef int (*http_handler)(void *ctx, const struct http_request *req, FILE *out,
			    const char **ret_type);

struct http_opts {
	const char *listen;		/* "ADDR:PORT", "[ADDR]:PORT" or a UNIX socket path */
	unsigned int max_clients;
	uint64_t deadline_ns;		/* a whole request must arrive within this */
	size_t max_body;		/* answers longer than this are refused (500) */
};

struct http_stats {
	uint64_t clients;		/* connected now */
	uint64_t accepted, refused;	/* refused: max_clients reached */
	uint64_t requests, bad_requests;
	uint64_t timed_out;		/* the request did not arrive in time */
};

/* NULL with errno set (EINVAL: a listen address that does not parse). */
struct http_server *http__new(const struct http_opts *o, http_handler h, void *ctx);
void http__free(struct http_server *s);
/* An epoll descriptor: readable when http__dispatch has something to do. */
int http__fd(const struct http_server *s);
void http__dispatch(struct http_server *s);
/* Lets clients past their deadline go; call now and then. */
void http__tick(struct http_server *s, uint64_t now_ns);
void http__stats(const struct http_server *s, struct http_stats *ret);
/* The TCP port listened on (useful with port 0); 0 for a UNIX socket. */
unsigned int http__port(const struct http_server *s);

/*
 * Parses "GET /path?k=v HTTP/1.x" and percent-decodes the query: 0, -EINVAL
 * (malformed), -ENOTSUP (a method other than GET/HEAD), -E2BIG (too many or too
 * long parameters).  Pure, for tests and fuzzing.
 */
int http_parse_request_line(const char *line, size_t len, struct http_request *ret);
/* The value of a query parameter, or NULL. */
const char *http_request__param(const struct http_request *r, const char *key);

#endif
