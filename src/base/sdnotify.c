// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/sdnotify.h"

#define SCM_MAX_FDS 253		/* the kernel's SCM_MAX_FD */

static int notify_addr(struct sockaddr_un *addr, socklen_t *ret_len)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;

	if (!path || (path[0] != '/' && path[0] != '@'))
		return -ENOENT;
	len = strlen(path);
	if (len >= sizeof(addr->sun_path))
		return -ENAMETOOLONG;
	*addr = (struct sockaddr_un){ .sun_family = AF_UNIX };
	memcpy(addr->sun_path, path, len);
	if (addr->sun_path[0] == '@')
		addr->sun_path[0] = 0;	/* an abstract socket */
	*ret_len = offsetof(struct sockaddr_un, sun_path) + len;
	return 0;
}

bool sd_notify_available(void)
{
	struct sockaddr_un addr;
	socklen_t len;

	return !notify_addr(&addr, &len);
}

int sd_notify_fds(const char *msg, const int *fds, size_t n)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * SCM_MAX_FDS)];
	} control;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = strlen(msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct sockaddr_un addr;
	struct cmsghdr *c;
	socklen_t len;
	int fd, err;

	if (n > SCM_MAX_FDS)
		return -E2BIG;
	err = notify_addr(&addr, &len);
	if (err)
		return err;
	mh.msg_name = &addr;
	mh.msg_namelen = len;
	if (n) {
		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
	close(fd);
	return err;
}

void sd_notify_msg(const char *msg)
{
	sd_notify_fds(msg, NULL, 0);
}

static bool fdname_valid(const char *name)
{
	size_t n = 0;

	for (; name[n]; n++)
		if (n >= SD_FDNAME_MAX || name[n] == ':' || (unsigned char)name[n] < ' ' ||
		    (unsigned char)name[n] >= 0x7f)
			return false;
	return n > 0;
}

int sd_fdstore_msg(char *buf, size_t size, bool remove, const char *name)
{
	int n;

	if (!fdname_valid(name))
		return -EINVAL;
	n = snprintf(buf, size, "%s=1\nFDNAME=%s", remove ? "FDSTOREREMOVE" : "FDSTORE", name);
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

/* A decimal number, all of it, within max. */
static int parse_ulong(const char *s, unsigned long max, unsigned long *ret)
{
	unsigned long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (ULONG_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int sd_listen_count(const char *pid, const char *fds, pid_t self)
{
	unsigned long p, n;
	int err;

	if (!pid || !fds)
		return 0;
	err = parse_ulong(pid, INT_MAX, &p);
	if (err)
		return -EINVAL;
	if ((pid_t)p != self)
		return -ESRCH;	/* meant for another process: not ours to take */
	err = parse_ulong(fds, ULONG_MAX, &n);
	if (err == -ERANGE || (!err && n > SD_LISTEN_MAX))
		return -E2BIG;
	return err ? err : (int)n;
}

int sd_listen_next_name(const char **cursor, char *ret, size_t size)
{
	const char *p = *cursor, *end = strchr(p, ':');
	size_t len = end ? (size_t)(end - p) : strlen(p);

	*cursor = end ? end + 1 : p + len;
	if (len > SD_FDNAME_MAX || len >= size) {
		if (size)
			ret[0] = '\0';
		return -ENAMETOOLONG;
	}
	memcpy(ret, p, len);
	ret[len] = '\0';
	return 0;
}
