// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "base/fnv.h"
#include "base/sdnotify.h"
#include "collect/keeper.h"

#define BPF_FS "/sys/fs/bpf"
#define BPF_FS_MAGIC_NR 0xcafe4a11

/*
 * One name: what the store passed us (fd), or what we put there (fd -1).  systemd
 * tells the descriptors it stores apart with kcmp(2): every BPF map and link shares
 * one anonymous inode, so a kernel without kcmp would have it keep only one.
 */
struct kept {
	char name[SD_FDNAME_MAX + 1];
	int fd;
};

struct keeper {
	bool fdstore;
	char dir[PATH_MAX];		/* bpffs: where the pins are; else a name for messages */
	struct kept *v;			/* the store's names, at most limit */
	size_t n, cap, limit;
};

int keeper_bpffs_dir(const char *socket, char *ret, size_t size)
{
	struct statfs sf;

	if (statfs(BPF_FS, &sf) || sf.f_type != BPF_FS_MAGIC_NR) {
		if (mount("bpf", BPF_FS, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700"))
			return -errno;
	}
	/* By the socket: two daemons on two sockets never meet here. */
	if (snprintf(ret, size, BPF_FS "/leakd-%016llx",
		     (unsigned long long)fnv_str(FNV_OFFSET, socket)) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

struct keeper *keeper__bpffs(const char *dir)
{
	struct keeper *k;

	if (strlen(dir) >= sizeof(k->dir)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	strcpy(k->dir, dir);	/* length checked above */
	return k;
}

static int add(struct keeper *k, const char *name, int fd)
{
	struct kept *v;
	size_t cap;

	if (k->n >= k->limit)
		return -ENOSPC;
	if (k->n == k->cap) {
		cap = k->cap ? k->cap * 2 : 64;
		v = realloc(k->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		k->v = v;
		k->cap = cap;
	}
	snprintf(k->v[k->n].name, sizeof(k->v[k->n].name), "%s", name);
	k->v[k->n++].fd = fd;
	return 0;
}

/* $FDSTORE (systemd 254 and later): how many descriptors the unit's store takes. */
static size_t store_limit(void)
{
	const char *s = getenv("FDSTORE");
	char *end;
	unsigned long v;

	if (!s || !*s)
		return SD_LISTEN_MAX;
	errno = 0;
	v = strtoul(s, &end, 10);
	return errno || *end || v > SD_LISTEN_MAX ? SD_LISTEN_MAX : v;
}

struct keeper *keeper__fdstore(size_t *ret_dropped, const char **ret_why)
{
	const char *names = getenv("LISTEN_FDNAMES"), *cursor = names ? names : "";
	char name[SD_FDNAME_MAX + 1];
	struct keeper *k;
	int n, i, fd;

	*ret_dropped = 0;
	*ret_why = NULL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->fdstore = true;
	k->limit = SD_LISTEN_MAX;
	snprintf(k->dir, sizeof(k->dir), "systemd's file descriptor store");
	n = sd_listen_count(getenv("LISTEN_PID"), getenv("LISTEN_FDS"), getpid());
	if (n == -ESRCH)
		*ret_why = "$LISTEN_PID names another process";
	else if (n == -E2BIG)
		*ret_why = "$LISTEN_FDS is past its bound";
	else if (n < 0)
		*ret_why = "$LISTEN_PID or $LISTEN_FDS is malformed";
	for (i = 0; i < n; i++) {
		fd = SD_LISTEN_FDS_START + i;
		if (fcntl(fd, F_SETFD, FD_CLOEXEC)) {
			++*ret_dropped;		/* not open after all */
			continue;
		}
		if (!*cursor || sd_listen_next_name(&cursor, name, sizeof(name)) || !name[0] ||
		    add(k, name, fd)) {
			close(fd);
			++*ret_dropped;
		}
	}
	/* Not for the processes this one starts. */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	k->limit = store_limit();
	return k;
}

void keeper__free(struct keeper *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < k->n; i++)
		if (k->v[i].fd >= 0)
			close(k->v[i].fd);
	free(k->v);
	free(k);
}

static int path_of(const struct keeper *k, const char *name, char *buf, size_t size)
{
	return snprintf(buf, size, "%s/%s", k->dir, name) >= (int)size ? -ENAMETOOLONG : 0;
}

int keeper__put(struct keeper *k, const char *name, int fd)
{
	char buf[PATH_MAX];
	int err;

	if (fd < 0)
		return -EBADF;
	if (k->fdstore) {
		/* Named first: what the store is told to drop is always what it was given. */
		err = sd_fdstore_msg(buf, sizeof(buf), false, name);
		if (!err)
			err = add(k, name, -1);
		if (err)
			return err;
		err = sd_notify_fds(buf, &fd, 1);
		if (err)
			k->n--;		/* not sent: nothing to drop */
		return err;
	}
	if (mkdir(k->dir, 0700) && errno != EEXIST)
		return -errno;
	err = path_of(k, name, buf, sizeof(buf));
	if (err)
		return err;
	unlink(buf);	/* a stale pin of that name: the newest wins */
	return bpf_obj_pin(fd, buf) ? -errno : 0;
}

int keeper__get(struct keeper *k, const char *name)
{
	char path[PATH_MAX];
	size_t i;
	int fd, err;

	if (k->fdstore) {
		for (i = 0; i < k->n; i++)
			if (k->v[i].fd >= 0 && !strcmp(k->v[i].name, name)) {
				fd = fcntl(k->v[i].fd, F_DUPFD_CLOEXEC, 0);
				return fd < 0 ? -errno : fd;
			}
		return -ENOENT;
	}
	err = path_of(k, name, path, sizeof(path));
	if (err)
		return err;
	fd = bpf_obj_get(path);	/* close-on-exec, as every bpf(2) descriptor */
	return fd < 0 ? -errno : fd;
}

bool keeper__any(const struct keeper *k)
{
	size_t i;

	if (!k->fdstore)
		return !access(k->dir, F_OK);
	for (i = 0; i < k->n; i++)
		if (k->v[i].fd >= 0)
			return true;
	return false;
}

static int forget_pins(struct keeper *k)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(k->dir);
	int err = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (!path_of(k, de->d_name, path, sizeof(path)) && unlink(path) && !err)
			err = -errno;
	}
	closedir(d);
	if (rmdir(k->dir) && !err)
		err = -errno;
	return err;
}

int keeper__forget(struct keeper *k)
{
	char msg[SD_FDNAME_MAX + 32];
	size_t i;
	int err = 0, e;

	if (!k->fdstore)
		return forget_pins(k);
	if (!k->n)
		return -ENOENT;
	for (i = 0; i < k->n; i++) {
		/* The store drops its copy; ours goes too: nothing holds the object then. */
		e = sd_fdstore_msg(msg, sizeof(msg), true, k->v[i].name);
		if (!e)
			e = sd_notify_fds(msg, NULL, 0);
		if (e && !err)
			err = e;
		if (k->v[i].fd >= 0)
			close(k->v[i].fd);
	}
	k->n = 0;
	return err;
}

const char *keeper__where(const struct keeper *k)
{
	return k->dir;
}
