// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "collect/holds.h"
#include "leakd/events.h"
#include "base/clock.h"
#include "base/fnv.h"

/* Keys walked at once: the map holds at most this many processes. */
#define MAX_HOLDS 1024
#define RESUMER_PASSES 100
#define RESUMER_PAUSE_US 10000

struct holds {
	struct holds_maps maps;
	pid_t resumer;		/* the process left behind; 0: none */
	int resumer_fd;		/* its pipe: it wakes when leakd's end closes it */
	uint64_t units;		/* the units' names and owners, as a hash: a walk when they change */
};

/* The pids in the map, collected first: deleting while walking restarts the walk. */
static size_t held_pids(int fd, __u32 *ret, size_t max)
{
	__u32 key, next;
	void *prev = NULL;
	size_t n = 0;

	while (n < max && !bpf_map_get_next_key(fd, prev, &next)) {
		ret[n++] = next;
		key = next;
		prev = &key;
	}
	return n;
}

/* Resumes the stopped processes older than cutoff (every one: UINT64_MAX) and ends their holds. */
static int resume_older(int fd, uint64_t cutoff, bool with_armed)
{
	static __u32 pids[MAX_HOLDS];
	struct leakd_hold h;
	size_t n, i;
	int resumed = 0;

	n = held_pids(fd, pids, MAX_HOLDS);
	for (i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(fd, &pids[i], &h) || h.ts > cutoff)
			continue;
		if (h.state != LEAKD_HOLD_STOPPED && !with_armed)
			continue;
		bpf_map_delete_elem(fd, &pids[i]);
		if (h.state == LEAKD_HOLD_STOPPED && !kill((pid_t)pids[i], SIGCONT))
			resumed++;
	}
	return resumed;
}

/*
 * The resumer: keeps only the holds map and its end of the pipe, and waits for
 * leakd's end (the pipe's other end closes with leakd, however it ends).  It
 * ignores the signals a terminal or a service manager sends the whole group: it
 * must outlive leakd, and it ends by itself right after.
 */
static __attribute__((noreturn)) void run_resumer(int map_fd, int rfd)
{
	int lo = map_fd < rfd ? map_fd : rfd, hi = map_fd < rfd ? rfd : map_fd, null, i;
	sigset_t all;
	char c;

	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	prctl(PR_SET_NAME, "leakd-resume");
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		/* Nobody waits for output of ours (a reader of leakd's stdout sees its end). */
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	syscall(SYS_close_range, 3, lo - 1, 0);
	syscall(SYS_close_range, lo + 1, hi - 1, 0);
	syscall(SYS_close_range, hi + 1, ~0U, 0);
	/* Nobody writes: the read ends when the last writer, leakd, is gone. */
	while (read(rfd, &c, 1) < 0 && errno == EINTR)
		;
	/*
	 * leakd's programs are detached by now (its pipe end closes after their
	 * links); a run of one still in flight on another CPU may hold a process
	 * yet: passes until the map stays empty.
	 */
	for (i = 0; i < RESUMER_PASSES; i++) {
		if (!resume_older(map_fd, UINT64_MAX, true) && i >= 2)
			break;
		usleep(RESUMER_PAUSE_US);
	}
	_exit(0);
}

/* The lowest descriptor above every open one: closed after them when leakd ends. */
static int above_all(void)
{
	struct dirent *de;
	DIR *dir = opendir("/proc/self/fd");
	int max = 2, fd;

	if (!dir)
		return 1024;
	while ((de = readdir(dir))) {
		fd = atoi(de->d_name);
		if (fd > max)
			max = fd;
	}
	closedir(dir);
	return max + 1;
}

struct holds *holds__new(const struct holds_maps *maps)
{
	struct holds *h = calloc(1, sizeof(*h));
	int pfd[2], err, high;
	pid_t pid;

	if (!h)
		return NULL;
	h->maps = *maps;
	h->resumer_fd = -1;
	if (pipe2(pfd, O_CLOEXEC))
		goto fail;
	/*
	 * leakd's end closes its descriptors in order: the resumer must wake only
	 * once the programs that hold processes are detached, so its end of the pipe
	 * comes after the links.
	 */
	high = fcntl(pfd[1], F_DUPFD_CLOEXEC, above_all());
	if (high < 0) {
		close(pfd[0]);
		close(pfd[1]);
		goto fail;
	}
	close(pfd[1]);
	pfd[1] = high;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		goto fail;
	}
	if (pid == 0) {
		close(pfd[1]);
		run_resumer(maps->holds, pfd[0]);
	}
	close(pfd[0]);
	h->resumer = pid;
	h->resumer_fd = pfd[1];
	return h;
fail:
	err = errno;
	free(h);
	errno = err;
	return NULL;
}

void holds__free(struct holds *h)
{
	if (!h)
		return;
	resume_older(h->maps.holds, UINT64_MAX, true);
	if (h->resumer_fd >= 0)
		close(h->resumer_fd);
	if (h->resumer > 0)
		waitpid(h->resumer, NULL, 0);
	free(h);
}

void holds__resume(struct holds *h, pid_t pid, bool arm)
{
	struct leakd_hold v = { .ts = now_ns(), .state = LEAKD_HOLD_ARMED };
	__u32 key = (__u32)pid;

	/* Armed before resumed: the loader's next mapping must find it so. */
	if (!arm || bpf_map_update_elem(h->maps.holds, &key, &v, BPF_EXIST))
		bpf_map_delete_elem(h->maps.holds, &key);
	kill(pid, SIGCONT);
}

int holds__expire(struct holds *h, uint64_t now)
{
	return resume_older(h->maps.holds, now > HOLDS_MAX_NS ? now - HOLDS_MAX_NS : 0, true);
}

pid_t holds__resumer(const struct holds *h)
{
	return h ? h->resumer : 0;
}

uint64_t holds__count(const struct holds *h)
{
	static __u32 pids[MAX_HOLDS];
	struct leakd_hold v;
	uint64_t n = 0;
	size_t i, nr;

	nr = held_pids(h->maps.holds, pids, MAX_HOLDS);
	for (i = 0; i < nr; i++)
		n += !bpf_map_lookup_elem(h->maps.holds, &pids[i], &v) && v.state == LEAKD_HOLD_STOPPED;
	return n;
}

/* Deletes the keys of map (of key_size bytes) that keep(ctx, key) does not want. */
static void prune(int map, size_t key_size, bool (*keep)(const void *ctx, const void *key),
		  const void *ctx)
{
	static char keys[HOLDS_MAX_RULES][LEAKD_UNIT_LEN];
	char prev[LEAKD_UNIT_LEN], next[LEAKD_UNIT_LEN];
	size_t nr = 0, i;
	void *p = NULL;

	while (nr < HOLDS_MAX_RULES && !bpf_map_get_next_key(map, p, next)) {
		memcpy(keys[nr++], next, key_size);
		memcpy(prev, next, key_size);
		p = prev;
	}
	for (i = 0; i < nr; i++)
		if (!keep(ctx, keys[i]))
			bpf_map_delete_elem(map, keys[i]);
}

struct rules {
	const struct hold_rule *v;
	size_t n;
	bool units;		/* of the rules, the units' names; else the comms */
};

/* The name a rule gives of the kind asked, "" for a rule of the other kind. */
static const char *name_of(const struct rules *r, size_t i, size_t *ret_size)
{
	*ret_size = r->units ? sizeof(r->v[i].unit) : sizeof(r->v[i].comm);
	return r->units ? r->v[i].unit : r->v[i].comm;
}

static bool named(const void *ctx, const void *key)
{
	const struct rules *r = ctx;
	const char *name;
	size_t size;

	for (size_t i = 0; i < r->n; i++) {
		name = name_of(r, i, &size);
		if (name[0] && !strncmp(name, key, size))
			return true;
	}
	return false;
}

/* The cgroups visited at most when looking for the units' (a host has hundreds). */
#define MAX_CGROUP_DIRS 65536
#define MAX_CGROUP_DEPTH 16
/* The size of the kernel side's rule_cgroups map (LRU: the least used go). */
#define MAX_CGROUP_IDS 4096

struct unit_walk {
	const struct rules *rules;
	int cgroups_fd;
	unsigned int dirs;
};

/* Every cgroup directory named like a unit of the rules: its id (inode) to the map. */
static void walk_units(struct unit_walk *w, int dfd, unsigned int depth)
{
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int fd;

	dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return;
	}
	while ((de = readdir(dir)) && w->dirs < MAX_CGROUP_DIRS) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		w->dirs++;
		fd = openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		for (size_t i = 0; i < w->rules->n; i++) {
			const struct hold_rule *r = &w->rules->v[i];
			__u64 id;

			if (!r->unit[0] || strcmp(r->unit, de->d_name) || fstat(fd, &st))
				continue;
			id = st.st_ino;
			bpf_map_update_elem(w->cgroups_fd, &id, &r->owner, BPF_ANY);
		}
		if (depth + 1 < MAX_CGROUP_DEPTH)
			walk_units(w, fd, depth + 1);
		else
			close(fd);
	}
	closedir(dir);
}

/*
 * The root of the cgroup v2 hierarchy, where process's cgroups (the "0::" line of
 * /proc/PID/cgroup) are: /sys/fs/cgroup, or /sys/fs/cgroup/unified on a host that
 * mounts v1 beside it.  -1 when there is none.
 */
static int open_cgroup2(void)
{
	char line[512], path[256], type[32];
	FILE *f = fopen("/proc/self/mounts", "re");
	int fd = -1;

	if (!f)
		return -1;
	while (fd < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %255s %31s", path, type) == 2 && !strcmp(type, "cgroup2"))
			fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fclose(f);
	return fd;
}

int holds__set_rules(struct holds *h, const struct hold_rule *v, size_t n)
{
	struct rules comm_rules = { v, n, false }, unit_rules = { v, n, true };
	struct unit_walk w = { &unit_rules, h->maps.cgroups, 0 };
	size_t i, comms = 0, units = 0;
	uint64_t units_hash = 0;
	int left = 0, fd;
	__u64 id;

	prune(h->maps.comms, sizeof(v->comm), named, &comm_rules);
	prune(h->maps.units, sizeof(v->unit), named, &unit_rules);
	for (i = 0; i < n; i++) {
		char key[LEAKD_UNIT_LEN] = { 0 };
		bool unit = v[i].unit[0];
		size_t *kept = unit ? &units : &comms;

		if (unit) {
			strncpy(key, v[i].unit, sizeof(key) - 1);
			/* Of the set, whatever its order. */
			units_hash += fnv_word(fnv_str(FNV_OFFSET, v[i].unit), v[i].owner);
		} else {
			strncpy(key, v[i].comm, sizeof(v[i].comm) - 1);
		}
		if (*kept >= HOLDS_MAX_RULES ||
		    bpf_map_update_elem(unit ? h->maps.units : h->maps.comms, key, &v[i].owner,
					BPF_ANY)) {
			left++;
			continue;
		}
		(*kept)++;
	}
	/*
	 * The units' cgroups anew when the units changed (rules of names come and go
	 * more often); the kernel side adds those made from here on.
	 */
	if (units_hash == h->units)
		return left;
	h->units = units_hash;
	for (unsigned int k = 0; k < MAX_CGROUP_IDS && !bpf_map_get_next_key(h->maps.cgroups,
									      NULL, &id); k++)
		bpf_map_delete_elem(h->maps.cgroups, &id);
	if (units) {
		fd = open_cgroup2();
		if (fd >= 0)
			walk_units(&w, fd, 0);
	}
	return left;
}
