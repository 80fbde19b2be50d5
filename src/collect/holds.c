// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "collect/holds.h"
#include "leakd/events.h"
#include "base/clock.h"

/* Keys walked at once: the map holds at most this many processes. */
#define MAX_HOLDS 1024
#define RESUMER_PASSES 100
#define RESUMER_PAUSE_US 10000

struct holds {
	int holds_fd, comms_fd;
	pid_t resumer;		/* the process left behind; 0: none */
	int resumer_fd;		/* its pipe: it wakes when leakd's end closes it */
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

struct holds *holds__new(int holds_fd, int comms_fd)
{
	struct holds *h = calloc(1, sizeof(*h));
	int pfd[2], err, high;
	pid_t pid;

	if (!h)
		return NULL;
	h->holds_fd = holds_fd;
	h->comms_fd = comms_fd;
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
		run_resumer(holds_fd, pfd[0]);
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
	resume_older(h->holds_fd, UINT64_MAX, true);
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
	if (!arm || bpf_map_update_elem(h->holds_fd, &key, &v, BPF_EXIST))
		bpf_map_delete_elem(h->holds_fd, &key);
	kill(pid, SIGCONT);
}

int holds__expire(struct holds *h, uint64_t now)
{
	return resume_older(h->holds_fd, now > HOLDS_MAX_NS ? now - HOLDS_MAX_NS : 0, true);
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

	nr = held_pids(h->holds_fd, pids, MAX_HOLDS);
	for (i = 0; i < nr; i++)
		n += !bpf_map_lookup_elem(h->holds_fd, &pids[i], &v) && v.state == LEAKD_HOLD_STOPPED;
	return n;
}

static bool listed(const struct hold_comm *v, size_t n, const char *comm)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strncmp(v[i].comm, comm, sizeof(v[i].comm)))
			return true;
	return false;
}

int holds__set_comms(struct holds *h, const struct hold_comm *v, size_t n)
{
	char keys[HOLDS_MAX_COMMS][16], prev_key[16], next[16];
	size_t nr = 0, i, kept = 0;
	void *prev = NULL;
	int left = 0;

	while (nr < HOLDS_MAX_COMMS && !bpf_map_get_next_key(h->comms_fd, prev, next)) {
		memcpy(keys[nr++], next, sizeof(next));
		memcpy(prev_key, next, sizeof(next));
		prev = prev_key;
	}
	for (i = 0; i < nr; i++)
		if (!listed(v, n, keys[i]))
			bpf_map_delete_elem(h->comms_fd, keys[i]);
	for (i = 0; i < n; i++) {
		char key[16] = { 0 };

		strncpy(key, v[i].comm, sizeof(key) - 1);
		if (kept >= HOLDS_MAX_COMMS ||
		    bpf_map_update_elem(h->comms_fd, key, &v[i].owner, BPF_ANY)) {
			left++;
			continue;
		}
		kept++;
	}
	return left;
}
