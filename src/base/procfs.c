// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/procfs.h"

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

uint64_t procfs_start_time(pid_t pid)
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

int procfs_comm(pid_t pid, char *buf, size_t size)
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

bool procfs_is_kernel_thread(pid_t pid)
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

int procfs_status(pid_t pid, struct procfs_status *ret)
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

int procfs_smaps_noreserve(FILE *smaps, uint64_t start)
{
	bool found = false;
	char line[512];
	int ret = -ENOENT;

	while (fgets(line, sizeof(line), smaps)) {
		unsigned long long lo, hi;
		char *flag;

		/* A mapping's header is "lo-hi perms ..."; its fields are "Name: value". */
		if (sscanf(line, "%llx-%llx ", &lo, &hi) == 2) {
			if (found)
				break;	/* its VmFlags were missing */
			found = lo == start;
			continue;
		}
		if (!found || strncmp(line, "VmFlags:", 8))
			continue;
		ret = 0;
		for (flag = strtok(line + 8, " \n"); flag; flag = strtok(NULL, " \n"))
			if (!strcmp(flag, "nr"))
				ret = 1;
		break;
	}
	return found ? ret < 0 ? 0 : ret : ret;
}

int procfs_noreserve(pid_t pid, uint64_t start)
{
	char path[64];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	ret = procfs_smaps_noreserve(f, start);
	fclose(f);
	return ret;
}

int procfs_cgroup(pid_t pid, char *buf, size_t size)
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
