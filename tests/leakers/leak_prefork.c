// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A pre-fork server in small: the parent leaks, then forks three workers that
 * each leak differently from their first instruction after fork; the third execs
 * this program again and leaks from its new image (its old one's leak must be
 * gone).  Worker 0 also frees one of the parent's blocks: inherited at fork, not
 * its own.  Each process writes its ground truth to $LEAKER_TRUTH (the parent) or
 * $LEAKER_TRUTH.wN (worker N).  Given "wait", the parent says "ready PID" and
 * waits for a line on stdin before it leaks and forks (for leakd --pid).  Given
 * "churn N", it forks N workers one after another instead, each leaking one
 * block of 50 bytes (churn_worker) and exiting before the next is forked.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "truth.h"

#define WORKERS 3

static void *parent_blocks[2];

/* Worker n's truth file, without allocating: the file's own allocations balance. */
static void write_worker_truth(int n)
{
	const char *base = getenv("LEAKER_TRUTH");
	char path[PATH_MAX];

	if (base && snprintf(path, sizeof(path), "%s.w%d", base, n) < (int)sizeof(path))
		truth_write_to(path);
}

NOINLINE void parent_leak(void)
{
	for (int i = 0; i < 2; i++)
		keep(parent_blocks[i] = malloc(1000));
	truth_leak(__func__, 2000, 2);
}

NOINLINE void worker_a(void)
{
	for (int i = 0; i < 5; i++)
		keep(malloc(100));
	truth_leak(__func__, 500, 5);
}

NOINLINE void worker_b(void)
{
	for (int i = 0; i < 7; i++)
		keep(calloc(1, 200));
	truth_leak(__func__, 1400, 7);
}

NOINLINE void before_exec(void)
{
	keep(malloc(777));
}

NOINLINE void exec_worker(void)
{
	for (int i = 0; i < 3; i++)
		keep(malloc(300));
	truth_leak(__func__, 900, 3);
}

NOINLINE void churn_worker(void)
{
	keep(malloc(50));
}

/* Workers one at a time, as a server that replaces its workers does. */
static int churn(int n)
{
	int status, failed = 0;
	pid_t pid;

	for (int i = 0; i < n; i++) {
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			churn_worker();
			_exit(0);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
			failed = 1;
	}
	return failed;
}

static void worker(int n, const char *argv0)
{
	char self[PATH_MAX];
	ssize_t len;

	/* The parent's truth is its own: a worker tells only what it did. */
	memset(truth_sites, 0, sizeof(truth_sites));
	truth_nsites = 0;
	truth_nnotes = 0;
	switch (n) {
	case 0:
		worker_a();
		/* The parent's block, copy-on-write: freed here, still the parent's leak. */
		free(parent_blocks[0]);
		truth_note("inherited_frees", 1);
		break;
	case 1:
		worker_b();
		break;
	default:
		before_exec();
		/* By its own path, so that the new image keeps this program's name. */
		len = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (len > 0) {
			self[len] = 0;
			execl(self, argv0, "stage2", (char *)NULL);
		}
		_exit(1);
	}
	write_worker_truth(n);
	_exit(0);
}

int main(int argc, char **argv)
{
	char line[64];
	int status, failed = 0;
	pid_t pid;

	if (argc > 1 && !strcmp(argv[1], "stage2")) {
		exec_worker();
		truth_balanced("before_exec");	/* the old image's tables are gone */
		write_worker_truth(WORKERS - 1);
		return 0;
	}
	if (argc > 2 && !strcmp(argv[1], "churn"))
		return churn(atoi(argv[2]));
	if (argc > 1 && !strcmp(argv[1], "wait")) {
		printf("ready %d\n", (int)getpid());
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}
	parent_leak();
	fflush(stdout);
	for (int n = 0; n < WORKERS; n++) {
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0)
			worker(n, argv[0]);
	}
	while ((pid = wait(&status)) > 0)
		failed |= !WIFEXITED(status) || WEXITSTATUS(status);
	truth_write();
	return failed;
}
