// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

static int parse_scaled(const char *s, const char *const units[], const double scale[],
			size_t nunits, const char *bare, uint64_t *ret)
{
	char *end;
	double v;
	size_t i;

	if (!s || !*s || isspace((unsigned char)*s) || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno == ERANGE && end != s)
		return -ERANGE;
	if (errno || end == s || !isfinite(v) || v < 0)
		return -EINVAL;
	if (!*end)
		end = (char *)bare;
	for (i = 0; i < nunits; i++) {
		if (strcmp(end, units[i]))
			continue;
		/* Rounded: 1.001 s is 1001000000 ns, not one short of it. */
		v = v * scale[i] + 0.5;
		if (v >= 18446744073709551615.0)
			return -ERANGE;
		*ret = (uint64_t)v;
		return 0;
	}
	return -EINVAL;
}

int parse_duration(const char *s, uint64_t *ret_ns)
{
	static const char *const units[] = { "ns", "us", "ms", "s", "m", "min", "h", "d" };
	static const double scale[] = { 1, 1e3, 1e6, 1e9, 60e9, 60e9, 3600e9, 86400e9 };

	return parse_scaled(s, units, scale, ARRAY_SIZE(units), "s", ret_ns);
}

int parse_size(const char *s, uint64_t *ret)
{
	static const char *const units[] = { "", "K", "KiB", "M", "MiB", "G", "GiB" };
	static const double scale[] = { 1, 1024.0, 1024.0, 1048576.0, 1048576.0,
					1073741824.0, 1073741824.0 };
	uint64_t v;
	int err;

	err = parse_scaled(s, units, scale, ARRAY_SIZE(units), "", &v);
	if (err)
		return err;
	*ret = v;
	return 0;
}

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int read_file(const char *path, char **ret_buf, size_t *ret_len)
{
	size_t len = 0, cap = 4096;
	char *buf = NULL, *nb;
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		if (cap - len < 2) {
			nb = realloc(buf, cap * 2);
			if (!nb) {
				err = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		if (!n)
			break;
		len += n;
	}
	buf[len] = 0;
	*ret_buf = buf;
	if (ret_len)
		*ret_len = len;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return err;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

uint64_t proc_start_time(pid_t pid)
{
	unsigned long long start = 0;
	char path[64], *buf, *p;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_file(path, &buf, NULL))
		return 0;
	/* comm may hold spaces and parens: fields restart after the last ')'. */
	p = strrchr(buf, ')');
	for (i = 2; p && i < 22; i++)
		p = strchr(p + 1, ' ');
	if (p)
		sscanf(p + 1, "%llu", &start);
	free(buf);
	return start;
}

int proc_comm(pid_t pid, char *buf, size_t size)
{
	char path[64], *s;
	size_t n;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	err = read_file(path, &s, &n);
	if (err)
		return err;
	while (n && s[n - 1] == '\n')
		s[--n] = 0;
	/* Anyone names their processes: nothing that would upset a terminal. */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			s[i] = '?';
	snprintf(buf, size, "%s", s);
	free(s);
	return 0;
}

bool proc_is_kernel_thread(pid_t pid)
{
	char path[64], *buf;
	bool kthread = false;
	const char *p;
	unsigned long flags;
	int i;

	/* PF_KTHREAD (0x00200000) is field 9 of /proc/PID/stat. */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_file(path, &buf, NULL))
		return false;
	p = strrchr(buf, ')');
	for (i = 2; p && i < 9; i++)
		p = strchr(p + 1, ' ');
	if (p && sscanf(p + 1, "%lu", &flags) == 1)
		kthread = flags & 0x00200000;
	free(buf);
	return kthread;
}

int proc_read_status(pid_t pid, struct proc_status *ret)
{
	char path[64], *buf, *line;
	unsigned long long kb;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	err = read_file(path, &buf, NULL);
	if (err)
		return err;
	memset(ret, 0, sizeof(*ret));
	for (line = buf; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (sscanf(line, "Uid: %u", &ret->uid) == 1)
			continue;
		if (sscanf(line, "VmRSS: %llu kB", &kb) == 1)
			ret->rss_bytes = kb * 1024;
		else if (sscanf(line, "RssAnon: %llu kB", &kb) == 1)
			ret->anon_bytes = kb * 1024;
	}
	free(buf);
	return 0;
}

int proc_cgroup(pid_t pid, char *buf, size_t size)
{
	char path[64], *text, *p, *nl;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	err = read_file(path, &text, NULL);
	if (err)
		return err;
	/* cgroup v2: the line "0::/path". */
	p = strstr(text, "0::");
	if (p && (p == text || p[-1] == '\n')) {
		p += 3;
		nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		snprintf(buf, size, "%s", p);
	} else {
		err = -ENOENT;
	}
	free(text);
	return err;
}

bool cgroup_has_unit(const char *cgroup, const char *unit)
{
	size_t n = strlen(unit);
	const char *p = cgroup;

	if (!n)
		return false;
	while ((p = strstr(p, unit))) {
		if ((p == cgroup || p[-1] == '/') && (p[n] == 0 || p[n] == '/'))
			return true;
		p++;
	}
	return false;
}

static bool ends_with(const char *p, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len > n && !strncmp(p + len - n, suffix, n);
}

const char *cgroup_unit(const char *cgroup, char *buf, size_t size)
{
	const char *unit = NULL, *last = NULL, *p = cgroup;
	size_t unit_len = 0, last_len = 0;

	while (*p) {
		size_t len;

		p += strspn(p, "/");
		len = strcspn(p, "/");
		if (!len)
			break;
		if (ends_with(p, len, ".service") || ends_with(p, len, ".scope")) {
			unit = p;
			unit_len = len;
		}
		last = p;
		last_len = len;
		p += len;
	}
	if (!unit) {
		unit = last;
		unit_len = last_len;
	}
	snprintf(buf, size, "%.*s", (int)unit_len, unit ? unit : "");
	return buf;
}

void sd_notify_msg(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(addr.sun_path))
		return;
	len = strlen(path);
	memcpy(addr.sun_path, path, len);
	if (addr.sun_path[0] == '@')
		addr.sun_path[0] = 0;	/* an abstract socket */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&addr,
	       offsetof(struct sockaddr_un, sun_path) + len);
	close(fd);
}

const char *fmt_bytes(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = bytes;
	size_t u = 0;

	/* 1023.96 KiB shows as 1.0 MiB, not as "1024.0 KiB". */
	while (v >= 1023.95 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%" PRIu64 " B", bytes);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
	return buf;
}
