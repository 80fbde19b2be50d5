// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "serve/http.h"
#include "testutil.h"

static int parse(const char *line, struct http_request *r)
{
	return http_parse_request_line(line, strlen(line), r);
}

START_TEST(request_lines)
{
	struct http_request r;

	ck_assert_int_eq(parse("GET /metrics HTTP/1.1", &r), 0);
	ck_assert_str_eq(r.path, "/metrics");
	ck_assert_uint_eq(r.nr_params, 0);
	ck_assert_int_eq(parse("GET /debug/pprof/heap?pid=42&comm=a%20b+c HTTP/1.0", &r), 0);
	ck_assert_str_eq(r.path, "/debug/pprof/heap");
	ck_assert_str_eq(http_request__param(&r, "pid"), "42");
	ck_assert_str_eq(http_request__param(&r, "comm"), "a b c");
	ck_assert_ptr_null(http_request__param(&r, "unit"));
	ck_assert_int_eq(parse("HEAD /?flag&&x= HTTP/1.1", &r), 0);
	ck_assert_str_eq(http_request__param(&r, "flag"), "");
	ck_assert_str_eq(http_request__param(&r, "x"), "");
	/* Malformed, other methods, bad escapes, NULs, too many parameters. */
	ck_assert_int_eq(parse("POST /metrics HTTP/1.1", &r), -ENOTSUP);
	ck_assert_int_eq(parse("GET /metrics", &r), -EINVAL);
	ck_assert_int_eq(parse("GET metrics HTTP/1.1", &r), -EINVAL);
	ck_assert_int_eq(parse("GET /a%2 HTTP/1.1", &r), -EINVAL);
	ck_assert_int_eq(parse("GET /a%zz HTTP/1.1", &r), -EINVAL);
	ck_assert_int_eq(parse("GET /a%00b HTTP/1.1", &r), -EINVAL);
	ck_assert_int_eq(parse("GET /?a&b&c&d&e&f&g&h&i HTTP/1.1", &r), -E2BIG);
	ck_assert_int_eq(parse("", &r), -EINVAL);
}
END_TEST

START_TEST(long_fields_are_refused)
{
	struct http_request r;
	char line[1024];

	snprintf(line, sizeof(line), "GET /?k=%0400d HTTP/1.1", 0);
	ck_assert_int_eq(parse(line, &r), -E2BIG);
	snprintf(line, sizeof(line), "GET /%0300d HTTP/1.1", 0);
	ck_assert_int_eq(parse(line, &r), -E2BIG);
}
END_TEST

static int handler(void *ctx, const struct http_request *req, FILE *out, const char **ret_type)
{
	int *calls = ctx;

	(*calls)++;
	if (strcmp(req->path, "/metrics"))
		return 404;
	*ret_type = "text/plain; version=0.0.4";
	fprintf(out, "up 1\n");
	return 200;
}

static int connect_to(unsigned int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Serves until fd has an answer to read (or the server let it go). */
static void serve_until_readable(struct http_server *s, int fd)
{
	struct pollfd p[2] = { { .fd = http__fd(s), .events = POLLIN },
			       { .fd = fd, .events = POLLIN } };
	uint64_t end = now_ns() + 5 * NSEC_PER_SEC;

	while (now_ns() < end) {
		ck_assert_int_ge(poll(p, 2, 100), 0);
		if (p[0].revents)
			http__dispatch(s);
		if (p[1].revents)
			return;
	}
	ck_abort_msg("no answer in 5 s");
}

static size_t read_all(int fd, char *buf, size_t size)
{
	size_t have = 0;
	ssize_t n;

	while (have < size - 1 && (n = read(fd, buf + have, size - 1 - have)) > 0)
		have += n;
	buf[have] = 0;
	return have;
}

START_TEST(serves_on_loopback)
{
	struct http_opts o = { .listen = "127.0.0.1:0", .max_clients = 2,
			       .deadline_ns = 5 * NSEC_PER_SEC, .max_body = 1 << 20 };
	struct http_stats st;
	struct http_server *s;
	char buf[1024];
	int calls = 0, fd;

	s = http__new(&o, handler, &calls);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_gt(http__port(s), 0);

	fd = connect_to(http__port(s));
	ck_assert_int_eq(write(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 34), 34);
	serve_until_readable(s, fd);
	/* The answer may come in pieces: dispatch until the server closes. */
	for (int i = 0; i < 10; i++)
		http__dispatch(s);
	read_all(fd, buf, sizeof(buf));
	close(fd);
	ck_assert_msg(strstr(buf, "HTTP/1.1 200 OK\r\n") == buf, "%s", buf);
	ck_assert(strstr(buf, "Content-Length: 5\r\n"));
	ck_assert(strstr(buf, "\r\n\r\nup 1\n"));

	fd = connect_to(http__port(s));
	ck_assert_int_eq(write(fd, "GET /nope HTTP/1.1\r\n\r\n", 22), 22);
	serve_until_readable(s, fd);
	read_all(fd, buf, sizeof(buf));
	close(fd);
	ck_assert_msg(strstr(buf, "HTTP/1.1 404 ") == buf, "%s", buf);

	fd = connect_to(http__port(s));
	ck_assert_int_eq(write(fd, "DELETE / HTTP/1.1\r\n\r\n", 21), 21);
	serve_until_readable(s, fd);
	read_all(fd, buf, sizeof(buf));
	close(fd);
	ck_assert_msg(strstr(buf, "HTTP/1.1 405 ") == buf, "%s", buf);
	ck_assert_int_eq(calls, 2);

	http__stats(s, &st);
	ck_assert_uint_eq(st.requests, 3);
	ck_assert_uint_eq(st.bad_requests, 1);
	http__free(s);
}
END_TEST

START_TEST(slow_clients_meet_the_deadline)
{
	struct http_opts o = { .listen = "127.0.0.1:0", .max_clients = 1,
			       .deadline_ns = 0, .max_body = 1 << 20 };
	struct pollfd p = { .events = POLLIN };
	struct http_stats st;
	struct http_server *s;
	int calls = 0, fd, fd2;
	char buf[256];

	s = http__new(&o, handler, &calls);
	ck_assert_ptr_nonnull(s);
	p.fd = http__fd(s);
	/* Half a request: accepted, then let go at its deadline, however it trickles. */
	fd = connect_to(http__port(s));
	ck_assert_int_eq(write(fd, "GET /met", 8), 8);
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	http__dispatch(s);
	http__stats(s, &st);
	ck_assert_uint_eq(st.clients, 1);
	http__tick(s, now_ns());
	http__stats(s, &st);
	ck_assert_uint_eq(st.clients, 0);
	ck_assert_uint_eq(st.timed_out, 1);
	/* Closed on it: EOF, or a reset since its bytes were never read. */
	ck_assert_int_le(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	/* Its slot is free again. */
	fd2 = connect_to(http__port(s));
	ck_assert_int_eq(write(fd2, "GET /metrics HTTP/1.1\r\n\r\n", 26), 26);
	serve_until_readable(s, fd2);
	for (int i = 0; i < 10; i++)
		http__dispatch(s);
	read_all(fd2, buf, sizeof(buf));
	close(fd2);
	ck_assert_msg(strstr(buf, "HTTP/1.1 200 OK") == buf, "%s", buf);
	http__free(s);
}
END_TEST

START_TEST(bad_listen_addresses)
{
	const char *bad[] = { "", "127.0.0.1", "127.0.0.1:", "127.0.0.1:99999", "foo:80",
			      "[::1:80", "1.2.3.4:x", ":80" };
	struct http_opts o = { .max_clients = 1, .deadline_ns = NSEC_PER_SEC, .max_body = 1 };
	int calls = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.listen = bad[i];
		errno = 0;
		ck_assert_msg(!http__new(&o, handler, &calls), "%s accepted", bad[i]);
		ck_assert_msg(errno == EINVAL, "%s: %s", bad[i], strerror(errno));
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("http");

	tcase_add_test(tc, request_lines);
	tcase_add_test(tc, long_fields_are_refused);
	tcase_add_test(tc, serves_on_loopback);
	tcase_add_test(tc, slow_clients_meet_the_deadline);
	tcase_add_test(tc, bad_listen_addresses);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
