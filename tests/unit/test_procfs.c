// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Who may inspect a process: the kernel's rule for /proc/PID/maps, as leakd applies it. */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/procfs.h"
#include "testutil.h"

#define NOBODY 65534

static const char status_text[] =
	"Name:\tcat\n"
	"Umask:\t0022\n"
	"State:\tT (stopped)\n"
	"TracerPid:\t4321\n"
	"Uid:\t1000\t0\t0\t0\n"
	"Gid:\t100\t100\t100\t100\n"
	"VmRSS:\t    1234 kB\n"
	"RssAnon:\t      56 kB\n"
	"Seccomp:\t2\n";

START_TEST(parse_status)
{
	struct procfs_status st;

	procfs_parse_status(status_text, &st);
	ck_assert_uint_eq(st.uid, 1000);
	ck_assert_uint_eq(st.cred.uid[0], 1000);
	ck_assert_uint_eq(st.cred.uid[1], 0);
	ck_assert_uint_eq(st.cred.uid[2], 0);
	ck_assert_uint_eq(st.cred.gid[0], 100);
	ck_assert_uint_eq(st.cred.gid[2], 100);
	ck_assert(st.cred.known);
	ck_assert(!st.cred.dumpable);
	ck_assert_uint_eq(st.rss_bytes, 1234 * 1024);
	ck_assert_uint_eq(st.anon_bytes, 56 * 1024);
	ck_assert_int_eq(st.state, 'T');
	ck_assert_uint_eq(st.tracer_pid, 4321);
	ck_assert_uint_eq(st.seccomp, 2);
	/* Without a Gid line nothing is known of the owner, nor of an exiting process
	 * (no address space, no VmRSS). */
	procfs_parse_status("Uid:\t1\t1\t1\t1\nVmRSS:\t4 kB\n", &st);
	ck_assert(!st.cred.known);
	procfs_parse_status("Uid:\t1\nGid:\t1\t1\t1\t1\nVmRSS:\t4 kB\n", &st);
	ck_assert(!st.cred.known);
	procfs_parse_status("Uid:\t1\t1\t1\t1\nGid:\t1\t1\t1\t1\n", &st);
	ck_assert(!st.cred.known);
	procfs_parse_status("Uid:\t1\t1\t1\t1\nGid:\t1\t1\t1\t1\nVmRSS:\t4 kB\n", &st);
	ck_assert(st.cred.known);
}
END_TEST

START_TEST(the_kernels_rule)
{
	struct procfs_cred c = { { 1000, 1000, 1000 }, { 100, 100, 100 }, true, true };
	struct procfs_cred x;

	ck_assert(procfs_cred_allows(&c, 1000, 100));
	ck_assert(procfs_cred_allows(&c, 0, 0));		/* root sees all */
	ck_assert(!procfs_cred_allows(&c, 1001, 100));
	ck_assert(!procfs_cred_allows(&c, 1000, 101));	/* the group counts too */
	/* A setuid-root program the user started: real uid the user's, the others root's. */
	x = c;
	x.uid[1] = x.uid[2] = 0;
	ck_assert(!procfs_cred_allows(&x, 1000, 100));
	ck_assert(procfs_cred_allows(&x, 0, 0));
	/* Only the saved uid differs (a program that dropped privileges for a while). */
	x = c;
	x.uid[2] = 0;
	ck_assert(!procfs_cred_allows(&x, 1000, 100));
	/* setgid: the effective group is another. */
	x = c;
	x.gid[1] = 5;
	ck_assert(!procfs_cred_allows(&x, 1000, 100));
	x = c;
	x.gid[2] = 5;
	ck_assert(!procfs_cred_allows(&x, 1000, 100));
	/* Not dumpable, or not known at all: root's alone. */
	x = c;
	x.dumpable = false;
	ck_assert(!procfs_cred_allows(&x, 1000, 100));
	ck_assert(procfs_cred_allows(&x, 0, 0));
	x = c;
	x.known = false;
	ck_assert(!procfs_cred_allows(&x, 1000, 100));
}
END_TEST

/* A child that does one step per byte on its pipe: 'u' become nobody, 's' setuid-root
 * as nobody would be (real uid nobody, effective and saved root), 'd' not dumpable. */
static pid_t child(int *ret_cmd, int *ret_ack)
{
	int cmd[2], ack[2];
	pid_t pid;
	char c;

	ck_assert(!pipe(cmd) && !pipe(ack));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		close(cmd[1]);
		close(ack[0]);
		while (read(cmd[0], &c, 1) == 1) {
			int ok = 0;

			/*
			 * A change of uid makes a process not dumpable; an exec of an
			 * ordinary program makes it dumpable again, as here by hand.  For
			 * 's' that keeps the uids alone in question.
			 */
			if (c == 'u')
				ok = setresgid(NOBODY, NOBODY, NOBODY) ||
				     setresuid(NOBODY, NOBODY, NOBODY) ||
				     prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
			else if (c == 's')
				ok = setresgid(NOBODY, NOBODY, NOBODY) || setresuid(NOBODY, 0, 0) ||
				     prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
			else if (c == 'd')
				ok = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
			c = ok ? 'E' : 'K';
			if (write(ack[1], &c, 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	close(cmd[0]);
	close(ack[1]);
	*ret_cmd = cmd[1];
	*ret_ack = ack[0];
	return pid;
}

static void step(int cmd, int ack, char what)
{
	char c;

	ck_assert_int_eq(write(cmd, &what, 1), 1);
	ck_assert_int_eq(read(ack, &c, 1), 1);
	ck_assert_int_eq(c, 'K');
}

static void reap(pid_t pid, int cmd, int ack)
{
	int status;

	close(cmd);
	close(ack);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && !WEXITSTATUS(status));
}

START_TEST(live_processes)
{
	struct procfs_status st;
	int cmd, ack;
	pid_t pid;

	if (geteuid()) {
		fputs("live_processes: needs root to change a child's uids; not run\n", stderr);
		return;
	}
	/* An ordinary process of nobody's: nobody may, another user may not. */
	pid = child(&cmd, &ack);
	step(cmd, ack, 'u');
	ck_assert_int_eq(procfs_status(pid, &st), 0);
	ck_assert(st.cred.known && st.cred.dumpable);
	ck_assert_uint_eq(st.uid, NOBODY);
	ck_assert(procfs_may_inspect(pid, NOBODY, NOBODY));
	ck_assert(procfs_may_inspect(pid, 0, 0));
	ck_assert(!procfs_may_inspect(pid, 1000, 1000));
	ck_assert(!procfs_may_inspect(pid, NOBODY, 0));
	/* Then not dumpable: root's alone, though the uids did not change. */
	step(cmd, ack, 'd');
	ck_assert_int_eq(procfs_status(pid, &st), 0);
	ck_assert(!st.cred.dumpable);
	ck_assert_uint_eq(st.cred.uid[1], NOBODY);
	ck_assert(!procfs_may_inspect(pid, NOBODY, NOBODY));
	ck_assert(procfs_may_inspect(pid, 0, 0));
	reap(pid, cmd, ack);
	/* Gone: nobody may. */
	ck_assert(!procfs_may_inspect(pid, NOBODY, NOBODY));

	/* As a setuid-root program started by nobody runs. */
	pid = child(&cmd, &ack);
	step(cmd, ack, 's');
	ck_assert_int_eq(procfs_status(pid, &st), 0);
	ck_assert_uint_eq(st.uid, NOBODY);
	ck_assert_uint_eq(st.cred.uid[1], 0);
	ck_assert(st.cred.dumpable);
	ck_assert(!procfs_may_inspect(pid, NOBODY, NOBODY));
	ck_assert(procfs_may_inspect(pid, 0, 0));
	reap(pid, cmd, ack);

	/* And this process itself, root's and dumpable. */
	ck_assert_int_eq(procfs_status(getpid(), &st), 0);
	ck_assert(st.cred.dumpable);
	ck_assert(!procfs_may_inspect(getpid(), NOBODY, NOBODY));
	ck_assert(!procfs_may_inspect(-1, NOBODY, NOBODY));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("procfs");
	TCase *tc = tcase_create("inspect");

	tcase_add_test(tc, parse_status);
	tcase_add_test(tc, the_kernels_rule);
	tcase_add_test(tc, live_processes);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
