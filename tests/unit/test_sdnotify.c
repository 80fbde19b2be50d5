// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* systemd's notification and file descriptor store messages, and $LISTEN_* as input. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/sdnotify.h"
#include "testutil.h"

START_TEST(fdstore_messages)
{
	char buf[300], name[300];

	ck_assert_int_eq(sd_fdstore_msg(buf, sizeof(buf), false, "link-42-0-1"), 0);
	ck_assert_str_eq(buf, "FDSTORE=1\nFDNAME=link-42-0-1");
	ck_assert_int_eq(sd_fdstore_msg(buf, sizeof(buf), true, "events"), 0);
	ck_assert_str_eq(buf, "FDSTOREREMOVE=1\nFDNAME=events");
	/* Names systemd refuses: empty, a colon (the separator of $LISTEN_FDNAMES),
	 * control characters, past 255 bytes. */
	ck_assert_int_eq(sd_fdstore_msg(buf, sizeof(buf), false, ""), -EINVAL);
	ck_assert_int_eq(sd_fdstore_msg(buf, sizeof(buf), false, "a:b"), -EINVAL);
	ck_assert_int_eq(sd_fdstore_msg(buf, sizeof(buf), false, "a\nFDSTOREREMOVE=1"), -EINVAL);
	memset(name, 'n', 256);
	name[256] = '\0';
	ck_assert_int_eq(sd_fdstore_msg(buf, sizeof(buf), false, name), -EINVAL);
	name[255] = '\0';	/* at the bound: taken whole */
	ck_assert_int_eq(sd_fdstore_msg(buf, sizeof(buf), false, name), 0);
	ck_assert_uint_eq(strlen(buf), strlen("FDSTORE=1\nFDNAME=") + 255);
	ck_assert_int_eq(sd_fdstore_msg(buf, 20, false, "events"), -ENOSPC);
}
END_TEST

START_TEST(listen_count)
{
	ck_assert_int_eq(sd_listen_count(NULL, NULL, 42), 0);
	ck_assert_int_eq(sd_listen_count("42", NULL, 42), 0);
	ck_assert_int_eq(sd_listen_count("42", "3", 42), 3);
	ck_assert_int_eq(sd_listen_count("42", "0", 42), 0);
	/* Another process's: not ours, whatever the count says. */
	ck_assert_int_eq(sd_listen_count("43", "3", 42), -ESRCH);
	ck_assert_int_eq(sd_listen_count("43", "x", 42), -ESRCH);
	ck_assert_int_eq(sd_listen_count(NULL, "3", 42), 0);
	ck_assert_int_eq(sd_listen_count("", "3", 42), -EINVAL);
	ck_assert_int_eq(sd_listen_count("42x", "3", 42), -EINVAL);
	ck_assert_int_eq(sd_listen_count("-42", "3", 42), -EINVAL);
	ck_assert_int_eq(sd_listen_count("99999999999999999999", "3", 42), -EINVAL);
	ck_assert_int_eq(sd_listen_count("42", "", 42), -EINVAL);
	ck_assert_int_eq(sd_listen_count("42", "3 ", 42), -EINVAL);
	ck_assert_int_eq(sd_listen_count("42", "-1", 42), -EINVAL);
	/* Bounded: a count past SD_LISTEN_MAX, or past any integer, is refused. */
	ck_assert_int_eq(sd_listen_count("42", "65536", 42), 65536);
	ck_assert_int_eq(sd_listen_count("42", "65537", 42), -E2BIG);
	ck_assert_int_eq(sd_listen_count("42", "184467440737095516160", 42), -E2BIG);
}
END_TEST

START_TEST(listen_names)
{
	const char *cur = "events:link-1-0-0::watch-0";
	char name[SD_FDNAME_MAX + 1], big[700];

	ck_assert_int_eq(sd_listen_next_name(&cur, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "events");
	ck_assert_int_eq(sd_listen_next_name(&cur, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "link-1-0-0");
	ck_assert_int_eq(sd_listen_next_name(&cur, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "");
	ck_assert_int_eq(sd_listen_next_name(&cur, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "watch-0");
	ck_assert_str_eq(cur, "");
	/* Past the last: empty names, the cursor stays. */
	ck_assert_int_eq(sd_listen_next_name(&cur, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "");
	ck_assert_str_eq(cur, "");
	/* A name past systemd's bound is skipped whole, and the next one is read. */
	memset(big, 'x', 600);
	strcpy(big + 600, ":next");
	cur = big;
	ck_assert_int_eq(sd_listen_next_name(&cur, name, sizeof(name)), -ENAMETOOLONG);
	ck_assert_str_eq(name, "");
	ck_assert_int_eq(sd_listen_next_name(&cur, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "next");
	/* A buffer shorter than the name: refused, never overrun. */
	cur = "events";
	ck_assert_int_eq(sd_listen_next_name(&cur, name, 4), -ENAMETOOLONG);
	ck_assert_str_eq(name, "");
}
END_TEST

/* A descriptor sent to $NOTIFY_SOCKET arrives with its message, as SCM_RIGHTS. */
START_TEST(notify_with_fds)
{
	char path[] = "/tmp/leakd-sdnotify-XXXXXX", sock[128], got[64] = { 0 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 2)];
	} control;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct iovec iov = { .iov_base = got, .iov_len = sizeof(got) - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *c;
	int s, p[2], fd, sent;
	char byte = 0;

	ck_assert_ptr_nonnull(mkdtemp(path));
	ck_assert_int_lt(snprintf(sock, sizeof(sock), "%s/notify", path), (int)sizeof(sock));
	strcpy(addr.sun_path, sock);
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&addr, sizeof(addr)), 0);
	ck_assert_int_eq(pipe(p), 0);

	unsetenv("NOTIFY_SOCKET");
	ck_assert(!sd_notify_available());
	ck_assert_int_eq(sd_notify_fds("FDSTORE=1\nFDNAME=x", &p[0], 1), -ENOENT);
	setenv("NOTIFY_SOCKET", "relative", 1);
	ck_assert(!sd_notify_available());
	setenv("NOTIFY_SOCKET", sock, 1);
	ck_assert(sd_notify_available());
	ck_assert_int_eq(sd_notify_fds("FDSTORE=1\nFDNAME=pipe", &p[0], 1), 0);
	ck_assert_int_eq(sd_notify_fds("FDSTORE=1", p, 254), -E2BIG);

	sent = (int)recvmsg(s, &mh, 0);
	ck_assert_int_eq(sent, (int)strlen("FDSTORE=1\nFDNAME=pipe"));
	ck_assert_str_eq(got, "FDSTORE=1\nFDNAME=pipe");
	c = CMSG_FIRSTHDR(&mh);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->cmsg_type, SCM_RIGHTS);
	ck_assert_uint_eq(c->cmsg_len, CMSG_LEN(sizeof(int)));
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	/* The very pipe: what is written at one end is read through the copy. */
	ck_assert_int_eq(write(p[1], "z", 1), 1);
	ck_assert_int_eq(read(fd, &byte, 1), 1);
	ck_assert_int_eq(byte, 'z');
	close(fd);
	close(p[0]);
	close(p[1]);
	close(s);
	unlink(sock);
	rmdir(path);
	unsetenv("NOTIFY_SOCKET");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sdnotify");
	TCase *tc = tcase_create("sdnotify");

	tcase_add_test(tc, fdstore_messages);
	tcase_add_test(tc, listen_count);
	tcase_add_test(tc, listen_names);
	tcase_add_test(tc, notify_with_fds);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
