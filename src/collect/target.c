// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/procmaps.h"
#include "collect/target.h"
#include "base/clock.h"

/*
 * The dynamic loader maps an allocator within a few dozen syscalls and long before
 * the program's own code runs; past these bounds it never will.
 */
#define MAX_SYSCALL_STOPS 100000
#define MAX_WAIT_MS 10000

int target__spawn(char *const argv[], const sigset_t *orig_mask, pid_t *ret_pid)
{
	int pfd[2], status, child_err = 0, err;
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (pid == 0) {
		close(pfd[0]);
		sigprocmask(SIG_SETMASK, orig_mask, NULL);
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0)
			execvp(argv[0], argv);
		err = errno;
		n = write(pfd[1], &err, sizeof(err));
		(void)n;
		_exit(127);
	}
	close(pfd[1]);
	n = read(pfd[0], &child_err, sizeof(child_err));
	close(pfd[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (n == sizeof(child_err) || !WIFSTOPPED(status)) {
		if (WIFSTOPPED(status))
			kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return n == sizeof(child_err) && child_err ? -child_err : -ECHILD;
	}
	*ret_pid = pid;
	return 0;
}

/* A program without an interpreter (static) maps nothing more after its exec. */
static bool has_interpreter(pid_t pid)
{
	struct proc_maps maps;
	uint64_t first = 0;
	bool more = false;
	size_t i;

	if (procmaps__read(pid, &maps))
		return true;
	for (i = 0; i < maps.n && !more; i++) {
		if (!maps.v[i].exec || !map_entry__is_file(&maps.v[i]))
			continue;
		if (!first)
			first = maps.v[i].inode;
		else if (maps.v[i].inode != first)
			more = true;
	}
	procmaps__destroy(&maps);
	return more;
}

static void on_alarm(int sig)
{
	(void)sig;	/* only here to interrupt waitpid */
}

/*
 * waitpid for the child's next stop, giving up at the deadline: a timer signal
 * interrupts the wait.  (Polling a signalfd for SIGCHLD instead loses ptrace
 * stops on this kernel: waitpid then reports nothing for a stopped tracee.)
 */
static int wait_stop(pid_t pid, uint64_t deadline, int *status)
{
	struct itimerval it = { 0 };
	uint64_t now = now_ns();
	pid_t r;

	if (now >= deadline)
		return -ETIMEDOUT;
	it.it_value.tv_sec = (deadline - now) / NSEC_PER_SEC;
	it.it_value.tv_usec = (deadline - now) % NSEC_PER_SEC / 1000 + 1;
	setitimer(ITIMER_REAL, &it, NULL);
	r = waitpid(pid, status, __WALL);
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	if (r == pid)
		return 0;
	return errno == EINTR ? -ETIMEDOUT : -errno;
}

int target__run_until(pid_t pid, int (*attach)(void *ctx, pid_t pid), void *ctx)
{
	uint64_t deadline = now_ns() + MAX_WAIT_MS * NSEC_PER_MSEC;
	struct sigaction sa = { .sa_handler = on_alarm }, old_sa;
	struct __ptrace_syscall_info info;
	sigset_t alrm;
	long nr = -1;
	int status, sig = 0, err, i;

	if (ptrace(PTRACE_SETOPTIONS, pid, NULL,
		   (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)))
		return -errno;
	err = attach(ctx, pid);		/* a static binary is its own allocator */
	if (err == -ENOENT && !has_interpreter(pid))
		return -ENOENT;
	/* No SA_RESTART: the alarm must end the wait. */
	sigaction(SIGALRM, &sa, &old_sa);
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_UNBLOCK, &alrm, NULL);
	for (i = 0; err == -ENOENT && i < MAX_SYSCALL_STOPS; i++) {
		if (ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig)) {
			err = -errno;
			break;
		}
		sig = 0;
		err = wait_stop(pid, deadline, &status);
		if (err == -ETIMEDOUT) {
			err = -ENOENT;
			break;
		}
		if (err)
			break;
		err = -ENOENT;
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			err = -ESRCH;
			break;
		}
		if (!WIFSTOPPED(status))
			continue;
		if (WSTOPSIG(status) != (SIGTRAP | 0x80)) {
			sig = WSTOPSIG(status);	/* not ours: deliver it */
			if (sig == SIGTRAP)
				sig = 0;
			continue;
		}
		if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof(info), &info) <= 0) {
			err = -errno;
			break;
		}
		if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
			nr = info.entry.nr;
			continue;
		}
		if (info.op == PTRACE_SYSCALL_INFO_EXIT && nr == SYS_mmap)
			err = attach(ctx, pid);
	}
	sigaction(SIGALRM, &old_sa, NULL);
	if (err < 0)
		return err;	/* the caller ends the child, still stopped */
	if (ptrace(PTRACE_DETACH, pid, NULL, (void *)(long)sig))
		return -errno;
	return 0;
}

int target__pidfd(pid_t pid)
{
	int fd = syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : fd;
}
