// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/files.h"
#include "base/procfs.h"

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

void procfs_parse_status(const char *text, struct procfs_status *ret)
{
	const char *line;
	unsigned long long kb;
	unsigned int u[4], seen = 0;
	int n;

	memset(ret, 0, sizeof(*ret));
	for (line = text; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		/* "Uid:\treal\teffective\tsaved\tfs": all of them, or none is trusted. */
		if (!strncmp(line, "Uid:", 4) || !strncmp(line, "Gid:", 4)) {
			bool is_uid = line[0] == 'U';

			n = sscanf(line + 4, "%u %u %u %u", &u[0], &u[1], &u[2], &u[3]);
			if (n < 3)
				continue;
			memcpy(is_uid ? ret->cred.uid : ret->cred.gid, u, 3 * sizeof(u[0]));
			if (is_uid)
				ret->uid = u[0];
			seen |= is_uid ? 1 : 2;
		} else if (sscanf(line, "VmRSS: %llu kB", &kb) == 1) {
			ret->rss_bytes = kb * 1024;
			seen |= 4;
		} else if (sscanf(line, "RssAnon: %llu kB", &kb) == 1) {
			ret->anon_bytes = kb * 1024;
		} else if (sscanf(line, "RssFile: %llu kB", &kb) == 1) {
			ret->file_bytes = kb * 1024;
		} else if (sscanf(line, "State: %c", &ret->state) == 1) {
			continue;
		} else if (sscanf(line, "TracerPid: %u", &u[0]) == 1) {
			ret->tracer_pid = u[0];
		} else if (sscanf(line, "Seccomp: %u", &u[0]) == 1) {
			ret->seccomp = u[0];
		}
	}
	/*
	 * Without an address space (exiting, a zombie) the owner of /proc/PID/... no
	 * longer shows whether the process is dumpable: nothing is known then.
	 */
	ret->cred.known = seen == 7;
}

int procfs_status(pid_t pid, struct procfs_status *ret)
{
	struct stat before, after;
	char path[64], *buf = NULL;
	int dfd, fd, err;

	/*
	 * Through the directory's descriptor: status and owner come from one process
	 * even if its pid is reused meanwhile (the reads fail then).
	 */
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	/*
	 * /proc prints no dumpability, but shows it in the owner of the files under
	 * /proc/PID (not of the directory itself): the effective uid and gid for a
	 * dumpable process, root for any other (the kernel's task_dump_owner).  A
	 * lookup by name refreshes that owner; looked at before and after the status.
	 */
	if (fstatat(dfd, "status", &before, 0)) {
		err = -errno;
		goto out;
	}
	fd = openat(dfd, "status", O_RDONLY | O_CLOEXEC);
	err = fd < 0 ? -errno : read_fd(fd, SIZE_MAX - 1, &buf, NULL);
	if (err)
		goto out;
	if (fstatat(dfd, "status", &after, 0)) {
		err = -errno;
		goto out;
	}
	procfs_parse_status(buf, ret);
	ret->cred.dumpable = before.st_uid == after.st_uid && before.st_gid == after.st_gid &&
			     after.st_uid == ret->cred.uid[1] && after.st_gid == ret->cred.gid[1];
out:
	free(buf);
	close(dfd);
	return err;
}

bool procfs_cred_allows(const struct procfs_cred *cred, uint32_t uid, uint32_t gid)
{
	int i;

	if (uid == 0)
		return true;
	if (!cred->known || !cred->dumpable)
		return false;
	for (i = 0; i < 3; i++)
		if (cred->uid[i] != uid || cred->gid[i] != gid)
			return false;
	return true;
}

bool procfs_may_inspect(pid_t pid, uint32_t uid, uint32_t gid)
{
	struct procfs_status st;

	if (uid == 0)
		return true;
	return pid > 0 && !procfs_status(pid, &st) && procfs_cred_allows(&st.cred, uid, gid);
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
