// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
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
#include "collect/consume.h"
#include "base/log.h"
#include "present/report.h"
#include "stacks/symbolize.h"
#include "model/tables.h"
#include "collect/target.h"
#include "collect/startup.h"
#include "collect/tracer.h"
#include "stacks/unwinder.h"
#include "base/macros.h"
#include "base/clock.h"
#include "base/procfs.h"

#define POLL_MS 50			/* ring buffer drained at least this often */
#define REDISCOVER_NS NSEC_PER_SEC	/* look for newly mapped allocators */
#define MAX_MODULES 4096
#define TABLE_WAIT_MS 30000		/* for the tables of a process's code at start */

struct adhoc {
	const struct leakd_options *o;
	struct tracer *tracer;
	struct tables tables;
	struct symbolizer *sym;
	struct events *events;
	struct unwinder *unw;
	FILE *out;
	pid_t pid;
	bool is_child;
	bool forwarded;		/* a first signal was passed on to the command */
	bool rediscover;	/* the process exec'd: look for its allocators now */
	bool via_usdt;		/* it reports through otel_memory probes (a sampler) */
	bool redecide;		/* exec'd: the new image may report otherwise */
	bool stderr_said_tracing; /* the "tracing pid" line was logged */
	const char *stop;	/* why tracing ended, once it has */
	int sigfd, pidfd, epfd;
};

static void on_proc_event(void *ctx, uint32_t type, pid_t pid)
{
	struct adhoc *a = ctx;
	struct proc_mem *p = tables__proc(&a->tables, pid);

	if (type == LEAKD_EV_EXEC) {
		if (p)
			procfs_comm(pid, p->comm, sizeof(p->comm));
		log_info("pid %d called exec: its tables start afresh", (int)pid);
		if (a->unw)
			unwinder__update_proc(a->unw, pid);
		a->rediscover = true;
		a->redecide = true;
	} else if (type == LEAKD_EV_MAP_EXEC) {
		if (a->unw)
			unwinder__update_proc(a->unw, pid);
		a->rediscover = true;	/* maybe an allocator was loaded */
	} else if (type == LEAKD_EV_EXIT && pid == a->pid) {
		a->stop = "exit";
	}
}


static void log_objects(struct adhoc *a)
{
	struct tracer_object objs[16];
	size_t n, i;

	n = tracer__objects(a->tracer, a->pid, objs, ARRAY_SIZE(objs));
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
 * A process whose sampler emits otel_memory probes reports through them, at
 * sampling cost; its allocator is probed only when exact figures are asked for.
 * Decided again after an exec (env LD_PRELOAD=... prog): a new image may differ.
 */
static int attach_any(struct adhoc *a, pid_t pid)
{
	struct proc_mem *p;
	int n;

	if (a->o->exact)
		return tracer__attach(a->tracer, pid);
	if (a->redecide && a->via_usdt) {
		tracer__detach(a->tracer, pid);
		a->via_usdt = false;
	}
	a->redecide = false;
	if (!a->via_usdt) {
		n = tracer__usdt_objects(a->tracer, pid);
		if (n <= 0)
			return n ? n : tracer__attach(a->tracer, pid);
		/* A sampler reports from here on: exact figures of the allocator go. */
		tracer__detach(a->tracer, pid);
		p = tables__proc(&a->tables, pid);
		if (p && p->total_allocs)
			proc_mem__untrace(p);
		a->via_usdt = true;
		if (a->stderr_said_tracing)
			log_info("pid %d: reporting through the otel_memory sampler from now on",
				 (int)pid);
	}
	return tracer__attach_usdt(a->tracer, pid);
}

/*
 * Probes go in only once the unwind tables of the code mapped so far are in the
 * kernel: the first stacks are then as complete as the later ones.
 */
static int attach_cb(void *ctx, pid_t pid)
{
	struct adhoc *a = ctx;
	int err;

	if (a->unw) {
		err = unwinder__update_proc(a->unw, pid);
		if (err)
			return err == -ENOENT ? -ESRCH : err;
		if (unwinder__wait(a->unw, pid, TABLE_WAIT_MS, startup__log_table, a))
			log_warn("pid %d: unwind tables still building; early stacks may be short",
				 (int)pid);
	}
	return attach_any(a, pid);
}

static int report(struct adhoc *a, bool final)
{
	struct report_opts ro = { .top = a->o->top, .min_age_ns = a->o->min_age_ns,
				  .json = a->o->json };
	struct report_meta m = { .now_ns = now_ns(), .wall = time(NULL), .final = final,
				 .reason = final ? a->stop : NULL };
	struct proc_mem *p = tables__proc(&a->tables, a->pid);
	uint64_t t0 = now_ns();
	int err;

	if (!p)
		return 0;
	tracer__counters(a->tracer, m.counters);
	m.missed_runs = tracer__missed_runs(a->tracer);
	err = report__print(a->out, &ro, &m, p, a->sym);
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
	p = tables__add_proc(&a->tables, a->pid, procfs_start_time(a->pid));
	if (!p) {
		log_err("out of memory");
		return EXIT_FAILURE_RUNTIME;
	}
	procfs_comm(a->pid, p->comm, sizeof(p->comm));

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
	procfs_comm(a->pid, p->comm, sizeof(p->comm));
	symbolizer__refresh_proc(a->sym, a->pid);
	a->pidfd = target__pidfd(a->pid);
	if (a->pidfd < 0) {
		log_err("cannot watch pid %d: %s", (int)a->pid, strerror(-a->pidfd));
		return EXIT_FAILURE_RUNTIME;
	}
	if (a->via_usdt)
		log_info("tracing pid %d (%s): reporting through the otel_memory sampler "
			 "(sampled: figures are estimates), memory syscalls with %s", (int)a->pid,
			 p->comm, tracer__syscall_mechanism(a->tracer));
	else
		log_info("tracing pid %d (%s) with %s probes and %s", (int)a->pid, p->comm,
			 tracer__mechanism(a->tracer), tracer__syscall_mechanism(a->tracer));
	log_objects(a);
	a->stderr_said_tracing = true;
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
	if (a->is_child && !a->forwarded) {
		/* The command ends first, so that the final report sees its exit. */
		a->forwarded = true;
		kill(a->pid, si.ssi_signo);
		return;
	}
	a->stop = "signal";
}

static int run_loop(struct adhoc *a)
{
	const struct leakd_options *o = a->o;
	uint64_t start = now_ns(), next_report = 0, next_rediscover, now;
	struct epoll_event evs[4];
	int n, i, err;

	if (o->interval_ns)
		next_report = start + o->interval_ns;
	next_rediscover = start + REDISCOVER_NS;
	while (!a->stop) {
		int timeout = POLL_MS;

		n = epoll_wait(a->epfd, evs, ARRAY_SIZE(evs), timeout);
		if (n < 0 && errno != EINTR)
			return -errno;
		err = events__consume(a->events);
		if (err < 0)
			return err;
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == a->sigfd)
				on_signal(a);
			else if (evs[i].data.fd == a->pidfd)
				a->stop = "exit";
			else if (a->unw && evs[i].data.fd == unwinder__fd(a->unw))
				unwinder__poll(a->unw, startup__log_table, a);
		}
		now = now_ns();
		if (o->duration_ns && now - start >= o->duration_ns && !a->stop)
			a->stop = "duration";
		if (a->stop)
			break;
		if (a->rediscover || now >= next_rediscover) {
			err = attach_any(a, a->pid);
			if (err > 0)
				log_objects(a);
			else if (err < 0 && err != -ENOENT && err != -ESRCH)
				log_warn("pid %d: cannot attach: %s", (int)a->pid, strerror(-err));
			symbolizer__refresh_proc(a->sym, a->pid);
			if (a->unw)
				unwinder__update_proc(a->unw, a->pid);
			a->rediscover = false;
			next_rediscover = now + REDISCOVER_NS;
		}
		if (next_report && now >= next_report) {
			report(a, false);
			next_report += o->interval_ns;
			if (next_report < now)
				next_report = now + o->interval_ns;
		}
	}
	/* Whatever the process did before it stopped is in the buffer: take it all. */
	err = events__consume(a->events);
	return err < 0 ? err : 0;
}

static int open_output(struct adhoc *a)
{
	if (!a->o->output) {
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
	struct tracer_opts to = { .max_depth = o->max_depth, .ringbuf_bytes = o->ringbuf_bytes,
				  .stack_cache = 65536, .max_procs = 64,
				  .unwind_rows = o->unwind_rows,
				  .frame_pointers = o->frame_pointers };
	struct unwinder_maps um;
	struct tables_limits tl = { .max_allocs = o->max_allocs, .max_stacks = o->max_stacks,
				    .max_maps = o->max_mappings };
	int err;

	err = startup__tracer(&to, &a->tracer);
	if (err)
		return err;
	tracer__unwind_maps(a->tracer, &um);
	if (!o->frame_pointers)
		a->unw = unwinder__new(&um, o->cache_dir);
	if (!o->frame_pointers && !a->unw) {
		log_err("cannot set up the stack unwinder: %s", strerror(errno));
		return EXIT_FAILURE_RUNTIME;
	}
	a->sym = symbolizer__new(MAX_MODULES);
	if (tables__init(&a->tables, &tl) || !a->sym) {
		log_err("out of memory");
		return EXIT_FAILURE_RUNTIME;
	}
	a->events = events__new(tracer__events_fd(a->tracer), &a->tables, a->sym, on_proc_event, a);
	if (!a->events) {
		log_err("cannot read the ring buffer: %s", strerror(errno));
		return EXIT_FAILURE_RUNTIME;
	}
	return 0;
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
	    epoll_add(a->epfd, a->pidfd) || epoll_add(a->epfd, events__epoll_fd(a->events)) ||
	    (a->unw && epoll_add(a->epfd, unwinder__fd(a->unw)))) {
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
		if (report(&a, true))
			log_err("cannot write the report: %s", strerror(errno));
	}
	if (a.is_child && a.pid > 0) {
		/* leakd's end is the command's end; reap it either way. */
		if (waitpid(a.pid, &status, WNOHANG) == 0) {
			/* A child still stopped under ptrace only yields to SIGKILL. */
			kill(a.pid, rc ? SIGKILL : SIGTERM);
			waitpid(a.pid, &status, 0);
		}
	}
	events__free(a.events);
	unwinder__free(a.unw);
	tracer__free(a.tracer);
	symbolizer__free(a.sym);
	tables__destroy(&a.tables);
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
