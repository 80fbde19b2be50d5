// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The connections the control socket and the metrics endpoint share: answers, deadlines. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "serve/conn.h"
#include "testutil.h"

struct client {
	struct conn conn;
	int ready;
};

static int pair[2];
static int accepted = -1;

static struct conn_set set_up(void)
{
	struct conn_set cs;

	/* A listening socket of its own kind does not matter: only epoll sees it. */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
	ck_assert_int_eq(conn_set__init(&cs, pair[0]), 0);
	return cs;
}

static struct client *add(struct conn_set *cs, uint64_t deadline, int *ret_peer)
{
	struct client *c = calloc(1, sizeof(*c));
	int sv[2];

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	ck_assert_int_eq(conn_set__add(cs, &c->conn, sv[0], deadline), 0);
	*ret_peer = sv[1];
	return c;
}

static void on_ready(void *ctx, struct conn *c)
{
	(void)ctx;
	if (c)
		((struct client *)c)->ready++;
	else
		accepted++;
}

START_TEST(answer_in_pieces)
{
	struct conn_set cs = set_up();
	size_t len = 1 << 20, got = 0;
	struct client *c;
	char *buf = malloc(len), sink[65536];
	int peer, r;
	ssize_t n;

	ck_assert_ptr_nonnull(buf);
	memset(buf, 'x', len);
	c = add(&cs, 100, &peer);
	ck_assert_uint_eq(cs.count, 1);
	ck_assert_int_eq(conn__send(&cs, &c->conn, buf, len), 0);
	/* A socket buffer takes less than a MiB: the answer leaves in pieces. */
	while ((r = conn__flush(&c->conn)) == 0) {
		n = read(peer, sink, sizeof(sink));
		ck_assert_int_gt(n, 0);
		got += n;
	}
	ck_assert_int_eq(r, 1);
	ck_assert_ptr_null(c->conn.out);
	while ((n = read(peer, sink, sizeof(sink))) > 0)
		got += n;
	ck_assert_uint_eq(got, len);

	/* Back to reading: the peer's bytes make it ready. */
	ck_assert_int_eq(conn__read_again(&cs, &c->conn), 0);
	ck_assert_int_eq(write(peer, "r", 1), 1);
	conn_set__dispatch(&cs, on_ready, NULL);
	ck_assert_int_eq(c->ready, 1);

	/* The peer gone: the next answer fails, it does not hang. */
	close(peer);
	buf = malloc(16);
	ck_assert_int_eq(conn__send(&cs, &c->conn, buf, 16), 0);
	ck_assert_int_lt(conn__flush(&c->conn), 0);
	conn_set__fini(&cs);
	ck_assert_uint_eq(cs.count, 0);
	close(pair[1]);
}
END_TEST

START_TEST(deadlines)
{
	struct conn_set cs = set_up();
	int p1, p2, p3;

	add(&cs, 10, &p1);
	add(&cs, 20, &p2);
	add(&cs, 30, &p3);
	ck_assert_uint_eq(conn_set__expire(&cs, 9), 0);
	ck_assert_uint_eq(conn_set__expire(&cs, 20), 2);
	ck_assert_uint_eq(cs.count, 1);
	/* The dropped ones are closed: their peers read the end. */
	ck_assert_int_eq(read(p1, &p1, 1), 0);
	ck_assert_int_eq(read(p2, &p2, 1), 0);
	ck_assert_int_eq(read(p3, &p3, 1), -1);
	ck_assert_int_eq(errno, EAGAIN);
	conn_set__fini(&cs);
	ck_assert_int_eq(read(p3, &p3, 1), 0);
	close(p1);
	close(p2);
	close(p3);
	close(pair[1]);
}
END_TEST

START_TEST(listener_ready)
{
	struct conn_set cs = set_up();

	accepted = 0;
	ck_assert_int_eq(write(pair[1], "l", 1), 1);
	conn_set__dispatch(&cs, on_ready, NULL);
	ck_assert_int_eq(accepted, 1);
	conn_set__fini(&cs);
	conn_set__fini(&cs);	/* twice: nothing left to close */
	close(pair[1]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("conn");
	TCase *tc = tcase_create("conn");

	tcase_add_test(tc, answer_in_pieces);
	tcase_add_test(tc, deadlines);
	tcase_add_test(tc, listener_ready);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
