// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "serve/adhoc.h"
#include "serve/pipeline.h"
#include "base/log.h"
#include "present/report.h"
#include "model/tables.h"
#include "collect/target.h"
#include "collect/tracer.h"
#include "base/macros.h"
#include "base/clock.h"
#include "base/procfs.h"

#define POLL_MS 50			/* ring buffer drained at least this often */
#define REDISCOVER_NS NSEC_PER_SEC	/* look for newly mapped allocators */
#define MAX_MODULES 4096		/* files the symbolizer keeps: one process's */
#define MAX_TRACED 64			/* the process, and room for a pid reused */
#define MAX_FOLLOWED 256		/* children followed at once (-f) */
#define CHILD_TABLE_WAIT_MS 200		/* a child maps its parent's code: ready at once */
#define TABLE_WAIT_MS 30000		/* for the tables of a process's code at start */
#define HELD_TABLE_WAIT_MS 1000		/* ... at a hold after exec (the holds' bound) */

struct adhoc {
	const struct leakd_options *o;
	struct pipeline *pl;
	FILE *out;
	pid_t pid;
	uint64_t traced_ns;	/* when tracing began (CLOCK_MONOTONIC) */
	bool is_child;
	bool forwarded;		/* a first signal was passed on to the command */
	bool said_tracing;	/* the "tracing pid" line was logged */
	const char *stop;	/* why tracing ended, once it has */
	int sigfd, pidfd, epfd;
	bool main_exited;
	/* Children followed (-f), in fork order; they stay for the final report. */
	pid_t followed[MAX_FOLLOWED];
	bool followed_exited[MAX_FOLLOWED];
	size_t nr_followed, alive;
	uint64_t dropped;	/* children not followed: MAX_FOLLOWED running */
	uint64_t forgotten;	/* exited children whose reports went for room */
};

static int followed_index(const struct adhoc *a, pid_t pid)
{
	size_t i;

	for (i = 0; i < a->nr_followed; i++)
		if (a->followed[i] == pid && !a->followed_exited[i])
			return (int)i;
	return -1;
}

static bool is_followed(const struct adhoc *a, pid_t pid)
{
	return pid == a->pid ? !a->main_exited : followed_index(a, pid) >= 0;
}

/*
 * The whole tree is followed to its end, as strace -f does: tracing ends when the
 * process and every followed child have exited (or at a signal or --duration).
 */
static void one_exited(struct adhoc *a, pid_t pid)
{
	int i = followed_index(a, pid);

	if (pid == a->pid) {
		a->main_exited = true;
	} else if (i >= 0) {
		a->followed_exited[i] = true;
		a->alive--;
	}
	if (a->main_exited && !a->alive)
		a->stop = "exit";
}

static void log_objects(struct adhoc *a)
{
	struct tracer_object objs[16];
	size_t n, i;

	n = tracer__objects(pipeline__tracer(a->pl), a->pid, objs, ARRAY_SIZE(objs));
	for (i = 0; i < n; i++) {
		if (objs[i].usdt)
			log_info("pid %d: %u otel_memory probes in %s", (int)a->pid,
				 objs[i].nr_sites, objs[i].path);
		else
			log_info("pid %d: %u probes in %s (%u without single-step)", (int)a->pid,
				 objs[i].nr_sites, objs[i].path, objs[i].nr_emulated);
	}
}

/*
 * Room for one more child: the report of the child that exited first goes
 * (counted).  False when all of them still run.
 */
static bool forget_exited(struct adhoc *a)
{
	size_t i;

	for (i = 0; i < a->nr_followed && !a->followed_exited[i]; i++)
		;
	if (i == a->nr_followed)
		return false;
	pipeline__forget_proc(a->pl, a->followed[i]);
	memmove(&a->followed[i], &a->followed[i + 1], (a->nr_followed - i - 1) * sizeof(pid_t));
	memmove(&a->followed_exited[i], &a->followed_exited[i + 1],
		(a->nr_followed - i - 1) * sizeof(bool));
	a->nr_followed--;
	if (!a->forgotten++)
		log_info("%d children followed: the reports of those that exited first go",
			 MAX_FOLLOWED);
	return true;
}

/*
 * A child of a followed process (-f): the kernel side traces it from its fork and
 * holds it there; its probes go in now, before it runs on.
 */
static void follow_child(struct adhoc *a, pid_t pid, pid_t parent)
{
	struct pipeline *pl = a->pl;
	struct proc_mem *p;
	int err;

	if (a->nr_followed == MAX_FOLLOWED && !forget_exited(a)) {
		if (!a->dropped++)
			log_warn("%d children running: the others are not followed", MAX_FOLLOWED);
		pipeline__forget_proc(pl, pid);
		return;
	}
	p = pipeline__add_proc(pl, pid, true);
	if (!p) {
		a->dropped++;
		pipeline__forget_proc(pl, pid);
		return;
	}
	/* The parent's live blocks are in the child (copy-on-write), and stay the parent's. */
	pipeline__inherit(pl, pid, parent);
	err = pipeline__unwind(pl, pid);
	if (!err && pipeline__wait_tables(pl, pid, CHILD_TABLE_WAIT_MS))
		log_warn("pid %d: unwind tables still building; early stacks may be short",
			 (int)pid);
	err = pipeline__trace(pl, pid, a->o->sample_bytes, !a->o->exact);
	if (err < 0 && err != -ENOENT) {
		/* Gone already, or no room: its report shows what was seen. */
		log_warn("cannot attach to child %d of pid %d: %s", (int)pid, (int)parent,
			 strerror(-err));
	}
	a->followed_exited[a->nr_followed] = false;	/* the slot may have been another's */
	a->followed[a->nr_followed++] = pid;
	a->alive++;
	log_info("following pid %d (%s), forked from pid %d", (int)pid, p->comm, (int)parent);
}

static void on_pipeline_event(void *ctx, enum pipeline_event ev, pid_t pid, uint32_t aux)
{
	struct adhoc *a = ctx;

	/* Who may see the report is whoever runs leakd: aux is only the fork's parent. */
	if (ev == PIPELINE_FORK) {
		if (a->o->follow_forks && is_followed(a, (pid_t)aux))
			follow_child(a, pid, (pid_t)aux);
		return;
	}
	if (!is_followed(a, pid))
		return;
	switch (ev) {
	case PIPELINE_EXEC:
		log_info("pid %d called exec: its tables start afresh", (int)pid);
		/* fallthrough */
	case PIPELINE_MAP_EXEC:
		/* Held there: it runs on once the tables of the code it has mapped are in. */
		if (aux && pipeline__wait_tables(a->pl, pid, HELD_TABLE_WAIT_MS))
			log_warn("pid %d: unwind tables still building; early stacks may be short",
				 (int)pid);
		break;
	case PIPELINE_ATTACHED:
		if (pid == a->pid)
			log_objects(a);
		break;
	case PIPELINE_VIA_PROBES:
		if (a->said_tracing)
			log_info("pid %d: reporting through the otel_memory sampler from now on",
				 (int)pid);
		break;
	case PIPELINE_EXIT:
		pipeline__exited(a->pl, pid);
		one_exited(a, pid);
		break;
	default:
		break;
	}
}

/*
 * Probes go in only once the unwind tables of the code mapped so far are in the
 * kernel: the first stacks are then as complete as the later ones.
 */
static int attach_cb(void *ctx, pid_t pid)
{
	struct adhoc *a = ctx;
	int err;

	err = pipeline__unwind(a->pl, pid);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	if (pipeline__wait_tables(a->pl, pid, TABLE_WAIT_MS))
		log_warn("pid %d: unwind tables still building; early stacks may be short",
			 (int)pid);
	return pipeline__trace(a->pl, pid, a->o->sample_bytes, !a->o->exact);
}

/*
 * A report in the chosen format.  A profile format (pprof, folded, svg) writes one
 * file of the whole run: the final report only, with every stack, those whose
 * blocks were all freed too (their allocated figures count).
 */
static int report(struct adhoc *a, bool final)
{
	bool profile = render_is_profile(a->o->format);
	struct report_opts ro = { .top = profile ? 0 : a->o->top, .min_age_ns = a->o->min_age_ns,
				  .format = a->o->format, .short_names = a->o->short_names,
				  .with_freed = profile };
	struct report_meta m = { .now_ns = now_ns(), .wall = time(NULL), .final = final,
				 .reason = final ? a->stop : NULL, .from_start = a->is_child };
	struct proc_mem *p = tables__proc(pipeline__tables(a->pl), a->pid);
	const struct proc_mem *children[MAX_FOLLOWED];
	uint64_t t0 = now_ns();
	size_t i;
	int err;

	if (!p || (profile && !final))
		return 0;
	m.follow = a->o->follow_forks;
	for (i = 0; i < a->nr_followed; i++) {
		children[m.nr_children] = tables__proc(pipeline__tables(a->pl), a->followed[i]);
		if (children[m.nr_children])
			m.nr_children++;
	}
	m.children = children;
	m.children_dropped = a->dropped;
	m.children_forgotten = a->forgotten;
	tracer__counters(pipeline__tracer(a->pl), m.counters);
	m.missed_runs = tracer__missed_runs(pipeline__tracer(a->pl));
	m.traced_ns = a->traced_ns ? m.now_ns - a->traced_ns : 0;
	if (profile && report__incomplete(&m, p))
		log_warn("pid %d: events were lost, figures may be short (leakd --json counts them)",
			 (int)p->pid);
	err = report__print(a->out, &ro, &m, p, pipeline__symbolizer(a->pl));
	log_debug("report of %u stacks in %.0f ms", p->nr_stacks, (now_ns() - t0) / 1e6);
	return err;
}

static int setup_target(struct adhoc *a, const sigset_t *orig_mask)
{
	const struct leakd_options *o = a->o;
	struct proc_mem *p;
	int err;

	if (o->mode == MODE_COMMAND) {
		err = target__spawn(o->command, orig_mask, &a->pid);
		if (err) {
			log_err("cannot run '%s': %s", o->command[0], strerror(-err));
			return EXIT_COMMAND_FAILED;
		}
		a->is_child = true;
	} else {
		a->pid = o->pid;
		if (kill(a->pid, 0) && errno == ESRCH) {
			log_err("no process with pid %d", (int)a->pid);
			return EXIT_NO_TARGET;
		}
		if (procfs_is_kernel_thread(a->pid)) {
			log_err("pid %d is a kernel thread: it has no user-space allocator",
				(int)a->pid);
			return EXIT_NO_TARGET;
		}
	}
	/* The mapping level from here on; what was mapped before is known, not its stacks. */
	p = pipeline__add_proc(a->pl, a->pid, true);
	if (!p) {
		log_err("out of memory");
		return EXIT_FAILURE_RUNTIME;
	}

	if (a->is_child)
		err = target__run_until(a->pid, attach_cb, a);
	else
		err = attach_cb(a, a->pid);
	if (err == -ENOENT || (a->is_child && err == -ESRCH)) {
		log_err("pid %d maps no allocator leakd knows (no object defines malloc and free)",
			(int)a->pid);
		return EXIT_NO_ALLOCATOR;
	}
	if (err == -ESRCH) {
		log_err("pid %d exited before it could be traced", (int)a->pid);
		return EXIT_NO_TARGET;
	}
	if (err < 0) {
		log_err("cannot attach to pid %d: %s", (int)a->pid, strerror(-err));
		return err == -EPERM || err == -EACCES ? EXIT_NO_PRIVILEGE : EXIT_FAILURE_RUNTIME;
	}
	a->traced_ns = now_ns();
	procfs_comm(a->pid, p->comm, sizeof(p->comm));
	a->pidfd = target__pidfd(a->pid);
	if (a->pidfd < 0) {
		log_err("cannot watch pid %d: %s", (int)a->pid, strerror(-a->pidfd));
		return EXIT_FAILURE_RUNTIME;
	}
	if (pipeline__via_probes(a->pl, a->pid))
		log_info("tracing pid %d (%s): reporting through the otel_memory sampler "
			 "(sampled: figures are estimates), memory syscalls with %s", (int)a->pid,
			 p->comm, tracer__syscall_mechanism(pipeline__tracer(a->pl)));
	else
		log_info("tracing pid %d (%s) with %s probes and %s", (int)a->pid, p->comm,
			 tracer__mechanism(pipeline__tracer(a->pl)),
			 tracer__syscall_mechanism(pipeline__tracer(a->pl)));
	if (a->o->sample_bytes && !pipeline__via_probes(a->pl, a->pid))
		log_info("sampled every %" PRIu64 " bytes on average, by %s", a->o->sample_bytes,
			 tracer__sample_mechanism(pipeline__tracer(a->pl)));
	log_objects(a);
	a->said_tracing = true;
	return EXIT_OK;
}

static int epoll_add(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static void on_signal(struct adhoc *a)
{
	struct signalfd_siginfo si;

	if (read(a->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (a->is_child && !a->forwarded && !a->main_exited) {
		/* The command ends first, so that the final report sees its exit. */
		a->forwarded = true;
		kill(a->pid, si.ssi_signo);
		return;
	}
	a->stop = "signal";
}

/* The first process ended (its pidfd is readable): once, and not read again. */
static void main_gone(struct adhoc *a)
{
	epoll_ctl(a->epfd, EPOLL_CTL_DEL, a->pidfd, NULL);
	if (!a->main_exited)
		one_exited(a, a->pid);
}

static int run_loop(struct adhoc *a)
{
	const struct leakd_options *o = a->o;
	uint64_t start = now_ns(), next_report = 0, now;
	struct epoll_event evs[4];
	int n, i, err;

	if (o->interval_ns)
		next_report = start + o->interval_ns;
	while (!a->stop) {
		int timeout = POLL_MS;

		n = epoll_wait(a->epfd, evs, ARRAY_SIZE(evs), timeout);
		if (n < 0 && errno != EINTR)
			return -errno;
		err = pipeline__consume(a->pl);
		if (err < 0)
			return err;
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == a->sigfd)
				on_signal(a);
			else if (evs[i].data.fd == a->pidfd)
				main_gone(a);
			else if (evs[i].data.fd == pipeline__unwind_fd(a->pl))
				pipeline__poll_unwind(a->pl);
		}
		now = now_ns();
		if (o->duration_ns && now - start >= o->duration_ns && !a->stop)
			a->stop = "duration";
		if (a->stop)
			break;
		pipeline__tick(a->pl, now);
		if (next_report && now >= next_report) {
			report(a, false);
			next_report += o->interval_ns;
			if (next_report < now)
				next_report = now + o->interval_ns;
		}
	}
	/* Whatever the process did before it stopped is in the buffer: take it all. */
	do
		err = pipeline__consume(a->pl);
	while (err > 0);
	return err < 0 ? err : 0;
}

static int open_output(struct adhoc *a)
{
	if (!a->o->output) {
		if (render_is_binary(a->o->format) && isatty(STDOUT_FILENO)) {
			log_err("--format %s writes a binary file: give -o FILE",
				output_format_name(a->o->format));
			return EXIT_USAGE;
		}
		a->out = stdout;
		return 0;
	}
	a->out = fopen(a->o->output, "we");
	if (!a->out) {
		log_err("cannot open %s: %s", a->o->output, strerror(errno));
		return EXIT_USAGE;
	}
	return 0;
}

static int load(struct adhoc *a)
{
	const struct leakd_options *o = a->o;
	struct pipeline_opts po = {
		.max_depth = o->max_depth, .ringbuf_bytes = o->ringbuf_bytes,
		.max_traced = o->follow_forks ? MAX_TRACED + MAX_FOLLOWED : MAX_TRACED,
		.unwind_rows = o->unwind_rows,
		.frame_pointers = o->frame_pointers, .cache_dir = o->cache_dir,
		.max_modules = MAX_MODULES,
		.limits = { .max_allocs = o->max_allocs, .max_stacks = o->max_stacks,
			    .max_maps = o->max_mappings },
		.rediscover_ns = REDISCOVER_NS, .rediscover_refresh = true,
		.follow_forks = o->follow_forks, .hold = (o->follow_forks || o->command) && !o->no_hold,
		.hold_exec = o->command != NULL,
		.syscalls = (enum syscall_probes)o->syscall_probes,
	};

	return pipeline__new(&po, on_pipeline_event, a, &a->pl);
}

static int setup_fds(struct adhoc *a)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	a->sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->sigfd < 0 || a->epfd < 0 || epoll_add(a->epfd, a->sigfd) ||
	    epoll_add(a->epfd, a->pidfd) || epoll_add(a->epfd, pipeline__events_fd(a->pl)) ||
	    (pipeline__unwind_fd(a->pl) >= 0 && epoll_add(a->epfd, pipeline__unwind_fd(a->pl)))) {
		log_err("cannot set up the event loop: %s", strerror(errno));
		return EXIT_FAILURE_RUNTIME;
	}
	return 0;
}

int adhoc__run(const struct leakd_options *o, const sigset_t *orig_mask)
{
	struct adhoc a = { .o = o, .sigfd = -1, .pidfd = -1, .epfd = -1 };
	int rc, err, status;

	rc = open_output(&a);
	if (!rc)
		rc = load(&a);
	if (!rc)
		rc = setup_target(&a, orig_mask);
	if (!rc)
		rc = setup_fds(&a);
	if (!rc) {
		err = run_loop(&a);
		if (err) {
			log_err("tracing failed: %s", strerror(-err));
			rc = EXIT_FAILURE_RUNTIME;
		}
		err = report(&a, true);
		if (err) {
			log_err("cannot write the report: %s", strerror(-err));
			rc = rc ? rc : EXIT_FAILURE_RUNTIME;
		}
	}
	if (a.is_child && a.pid > 0) {
		/* leakd's end is the command's end; reap it either way. */
		if (waitpid(a.pid, &status, WNOHANG) == 0) {
			/* A child still stopped under ptrace only yields to SIGKILL. */
			kill(a.pid, rc ? SIGKILL : SIGTERM);
			waitpid(a.pid, &status, 0);
		}
	}
	pipeline__free(a.pl);
	if (a.out && a.out != stdout)
		fclose(a.out);
	if (a.sigfd >= 0)
		close(a.sigfd);
	if (a.pidfd >= 0)
		close(a.pidfd);
	if (a.epfd >= 0)
		close(a.epfd);
	return rc;
}
