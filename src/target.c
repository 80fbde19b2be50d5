// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "target.h"

/* The dynamic loader maps an allocator within a few dozen syscalls. */
#define MAX_SYSCALL_STOPS 100000

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

int target__run_until(pid_t pid, int (*attach)(void *ctx, pid_t pid), void *ctx)
{
	struct __ptrace_syscall_info info;
	long nr = -1;
	int status, sig = 0, err, i;

	if (ptrace(PTRACE_SETOPTIONS, pid, NULL,
		   (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)))
		return -errno;
	err = attach(ctx, pid);		/* a static binary is its own allocator */
	for (i = 0; err == -ENOENT && i < MAX_SYSCALL_STOPS; i++) {
		if (ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig))
			return -errno;
		sig = 0;
		if (waitpid(pid, &status, __WALL) < 0)
			return -errno;
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return -ESRCH;
		if (!WIFSTOPPED(status))
			continue;
		if (WSTOPSIG(status) != (SIGTRAP | 0x80)) {
			sig = WSTOPSIG(status);	/* not ours: deliver it */
			if (sig == SIGTRAP)
				sig = 0;
			continue;
		}
		if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof(info), &info) <= 0)
			return -errno;
		if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
			nr = info.entry.nr;
			continue;
		}
		if (info.op == PTRACE_SYSCALL_INFO_EXIT && nr == SYS_mmap)
			err = attach(ctx, pid);
	}
	if (err == -ENOENT)
		return err;
	if (ptrace(PTRACE_DETACH, pid, NULL, (void *)(long)sig) && err >= 0)
		err = -errno;
	return err > 0 ? 0 : err;
}

int target__pidfd(pid_t pid)
{
	int fd = syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : fd;
}
