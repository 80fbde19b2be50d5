// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "serve/daemon.h"
#include "collect/consume.h"
#include "base/json.h"
#include "leakd/events.h"
#include "base/log.h"
#include "base/procmaps.h"
#include "present/report.h"
#include "stacks/symbolize.h"
#include "collect/startup.h"
#include "collect/tracer.h"
#include "stacks/unwinder.h"
#include "base/macros.h"
#include "base/clock.h"
#include "base/procfs.h"
#include "base/sdnotify.h"

#define TICK_MS 1000
#define REDISCOVER_NS (2 * NSEC_PER_SEC)	/* allocators of traced processes */
#define MAX_MODULES 16384
#define SERIES_MAX 256				/* samples kept per process */
#define SUMMARY_STACKS 5			/* per level, in an exited process's summary */
#define STEADY 0.8				/* rising steps among moving ones */

const char *daemon__trace_how(enum trace_how how)
{
	static const char *const names[] = { "no", "manual", "rule", "auto", "all" };

	return how < ARRAY_SIZE(names) ? names[how] : "?";
}

struct watch *daemon__watch(struct daemon *d, pid_t pid)
{
	return hashtab__get(&d->watches, (uint64_t)pid);
}

static uint32_t traced_count(struct daemon *d, enum trace_how how)
{
	struct watch *w;
	uint32_t n = 0;
	size_t i;

	hashtab__for_each(&d->watches, i, w)
		n += how == TRACE_NONE ? w->traced != TRACE_NONE : w->traced == how;
	return n;
}


/* Gives the process an entry in the kernel's unwind tables, if there is room. */
static void unwind_update(struct daemon *d, struct watch *w)
{
	int err;

	if (!d->unw)
		return;
	err = unwinder__update_proc(d->unw, w->pid);
	if (err == -E2BIG || err == -ENOMEM) {
		if (w->unwound)
			unwinder__forget_proc(d->unw, w->pid);
		w->unwound = false;
		d->stats.unwind_skipped++;
		return;
	}
	w->unwound = !err;
}

int daemon__start_trace(struct daemon *d, struct watch *w, enum trace_how how, uint64_t until)
{
	struct proc_mem *p = tables__proc(&d->tables, w->pid);
	int err;

	if (w->traced != TRACE_NONE) {
		/* Already traced: a longer (or endless) request extends it. */
		if (!until || (w->trace_until && until > w->trace_until))
			w->trace_until = until;
		if (how == TRACE_MANUAL)
			w->traced = how;
		return 0;
	}
	if (traced_count(d, TRACE_NONE) >= d->o.max_traced) {
		d->stats.traces_refused++;
		return -ENOSPC;
	}
	if (p && w->trace_ended) {
		/* Figures frozen by an earlier trace are stale: start afresh. */
		proc_mem__untrace(p);
		w->trace_ended = 0;
	}
	err = tracer__attach(d->tracer, w->pid, 0);
	if (err == -ENOENT && (how == TRACE_RULE || how == TRACE_ALL)) {
		/* Just exec'd: the loader has not mapped an allocator yet.  Once it has. */
		w->wanted = how;
		w->wanted_until = until;
		return err;
	}
	if (err < 0)
		return err;
	w->wanted = TRACE_NONE;
	unwind_update(d, w);
	symbolizer__refresh_proc(d->sym, w->pid);
	w->traced = how;
	w->trace_until = until;
	log_info("tracing pid %" PRIu64 " (%s): %s", w->pid, p ? p->comm : "?",
		 daemon__trace_how(how));
	return 0;
}

void daemon__stop_trace(struct daemon *d, struct watch *w)
{
	w->wanted = TRACE_NONE;
	if (w->traced == TRACE_NONE)
		return;
	tracer__detach(d->tracer, w->pid);
	log_info("tracing of pid %" PRIu64 " ends (%s)", w->pid, daemon__trace_how(w->traced));
	w->traced = TRACE_NONE;
	w->trace_until = 0;
	w->trace_ended = now_ns();
}

bool daemon__matches(const struct daemon *d, const struct watch *w, const char *comm,
		     const char *unit)
{
	const struct proc_mem *p = tables__proc(&d->tables, w->pid);

	if (comm && comm[0])
		return p && !strcmp(p->comm, comm);
	if (unit && unit[0])
		return cgroup_has_unit(w->cgroup, unit);
	return false;
}

static const struct trace_rule *matching_rule(struct daemon *d, const struct watch *w)
{
	const struct trace_rule *r;

	for (r = d->rules; r; r = r->next)
		if ((!r->owner || r->owner == w->uid) && daemon__matches(d, w, r->comm, r->unit))
			return r;
	return NULL;
}

void daemon__add_rule(struct daemon *d, const struct trace_rule *r)
{
	struct trace_rule *n = malloc(sizeof(*n));

	if (!n)
		return;
	*n = *r;
	n->next = d->rules;
	d->rules = n;
}

int daemon__remove_rules(struct daemon *d, const char *comm, const char *unit, uint32_t owner)
{
	struct trace_rule **pp = &d->rules, *r;
	int n = 0;

	while ((r = *pp)) {
		if (!strcmp(r->comm, comm) && !strcmp(r->unit, unit) && (!owner || r->owner == owner)) {
			*pp = r->next;
			free(r);
			n++;
		} else {
			pp = &r->next;
		}
	}
	return n;
}

/* The anonymous memory a process had before leakd watched it: known, not its stacks. */
static void seed_mappings(struct daemon *d, struct proc_mem *p)
{
	struct proc_maps maps;
	size_t i;

	if (procmaps__read(p->pid, &maps))
		return;
	for (i = 0; i < maps.n; i++) {
		const struct map_entry *e = &maps.v[i];

		/* Anonymous memory: no file, no [heap] (brk), no [stack] or [vdso]. */
		if (e->path || e->inode)
			continue;
		proc_mem__mmap(p, e->start, e->end - e->start, STACK_ID_PREEXISTING,
			   (e->shared ? LEAKD_MAP_SHARED : 0) |
			   (!e->readable && !e->writable && !e->exec ? LEAKD_MAP_RESERVED : 0), 0);
	}
	procmaps__destroy(&maps);
}

/* Starts watching a process: found at start-up, forked, or exec'd into sight. */
static struct watch *add_process(struct daemon *d, pid_t pid, bool seed)
{
	struct procfs_status st;
	const struct trace_rule *r;
	struct watch *w;
	struct proc_mem *p;
	bool is_new;

	if (pid == getpid() || procfs_is_kernel_thread(pid))
		return NULL;
	w = daemon__watch(d, pid);
	if (w)
		return w;
	if (d->watches.count >= d->o.max_procs) {
		d->stats.procs_dropped++;
		return NULL;
	}
	if (procfs_status(pid, &st))
		return NULL;	/* gone already */
	p = tables__add_proc(&d->tables, pid, procfs_start_time(pid));
	if (!p)
		return NULL;
	w = hashtab__upsert(&d->watches, (uint64_t)pid, &is_new);
	if (!w || series__init(&w->anon, SERIES_MAX)) {
		if (w)
			hashtab__remove(&d->watches, (uint64_t)pid, NULL);
		tables__remove_proc(&d->tables, pid);
		return NULL;
	}
	w->uid = st.uid;
	w->rss_bytes = st.rss_bytes;
	w->anon_bytes = st.anon_bytes;
	procfs_comm(pid, p->comm, sizeof(p->comm));
	procfs_cgroup(pid, w->cgroup, sizeof(w->cgroup));
	if (seed)
		seed_mappings(d, p);
	unwind_update(d, w);
	if (d->o.trace_all)
		daemon__start_trace(d, w, TRACE_ALL, 0);
	else if ((r = matching_rule(d, w)))
		daemon__start_trace(d, w, TRACE_RULE, r->until);
	return w;
}

static void free_summary(struct summary *s)
{
	free(s->text);
	free(s->json);
	memset(s, 0, sizeof(*s));
}

/* What an exiting process leaves behind, symbolized now while its modules are known. */
static void keep_summary(struct daemon *d, struct watch *w, struct proc_mem *p)
{
	struct summary *s;
	struct ranking r;
	size_t len, n, i;
	struct json j;
	FILE *f;
	int l;

	if (!d->o.max_exited || (!p->live_count && !p->map_bytes && w->traced == TRACE_NONE))
		return;
	if (d->nr_exited == d->o.max_exited)
		d->stats.exited_evicted++;
	else
		d->nr_exited++;
	s = &d->exited[d->next_exited];
	d->next_exited = (d->next_exited + 1) % d->o.max_exited;
	free_summary(s);
	s->pid = p->pid;
	snprintf(s->comm, sizeof(s->comm), "%s", p->comm);
	s->uid = w->uid;
	s->exited = time(NULL);
	s->heap_bytes = p->live_bytes;
	s->heap_allocs = p->live_count;
	s->map_bytes = p->map_bytes;
	for (l = 0; l < 2; l++) {
		f = open_memstream(l ? &s->json : &s->text, &len);
		if (!f)
			continue;
		if (l) {
			json_init(&j, f);
			json_array_begin(&j, NULL);
		}
		for (i = 0; i < LEVEL__COUNT; i++) {
			if (ranking__init(&r, SUMMARY_STACKS, 0, 0))
				continue;
			ranking__add(&r, p, i);
			n = ranking__finish(&r);
			for (size_t k = 0; k < n; k++) {
				if (l)
					report__row_json(&j, d->sym, &r.rows[k]);
				else
					report__row_text(f, d->sym, &r.rows[k], false);
			}
			ranking__destroy(&r);
		}
		if (l) {
			json_array_end(&j);
		}
		fclose(f);
	}
}

static void remove_process(struct daemon *d, pid_t pid, bool exited)
{
	struct watch *w = daemon__watch(d, pid);
	struct proc_mem *p = tables__proc(&d->tables, pid);
	struct watch copy;

	if (!w)
		return;
	if (exited && p)
		keep_summary(d, w, p);
	if (w->traced != TRACE_NONE) {
		tracer__detach(d->tracer, pid);
		w->traced = TRACE_NONE;
	}
	if (d->unw && w->unwound)
		unwinder__forget_proc(d->unw, pid);
	symbolizer__forget_proc(d->sym, pid);
	tables__remove_proc(&d->tables, pid);
	if (!hashtab__remove(&d->watches, (uint64_t)pid, &copy))
		series__destroy(&copy.anon);
}

static void on_proc_event(void *ctx, uint32_t type, pid_t pid)
{
	struct daemon *d = ctx;
	struct watch *w = daemon__watch(d, pid);
	struct proc_mem *p;
	const struct trace_rule *r;

	switch (type) {
	case LEAKD_EV_FORK:
		/* A reused pid whose exit went unseen: the old process is long gone. */
		if (w)
			remove_process(d, pid, false);
		add_process(d, pid, false);
		break;
	case LEAKD_EV_EXEC:
		if (!w) {
			add_process(d, pid, false);
			break;
		}
		p = tables__proc(&d->tables, pid);
		if (p)
			procfs_comm(pid, p->comm, sizeof(p->comm));
		procfs_cgroup(pid, w->cgroup, sizeof(w->cgroup));
		{
			struct procfs_status st;

			if (!procfs_status(pid, &st))
				w->uid = st.uid;	/* setuid programs change hands here */
		}
		symbolizer__forget_proc(d->sym, pid);
		symbolizer__refresh_proc(d->sym, pid);
		unwind_update(d, w);
		if (w->traced != TRACE_NONE)
			/* Its allocator may be another. */
			tracer__attach(d->tracer, pid, tracer__sample(d->tracer, pid));
		else if ((r = matching_rule(d, w)))
			daemon__start_trace(d, w, TRACE_RULE, r->until);
		break;
	case LEAKD_EV_MAP_EXEC:
		if (!w)
			break;
		symbolizer__refresh_proc(d->sym, pid);
		unwind_update(d, w);
		if (w->traced != TRACE_NONE)
			/* dlopen'd allocators. */
			tracer__attach(d->tracer, pid, tracer__sample(d->tracer, pid));
		else if (w->wanted != TRACE_NONE)
			daemon__start_trace(d, w, w->wanted, w->wanted_until);
		break;
	case LEAKD_EV_EXIT:
		remove_process(d, pid, true);
		break;
	}
}

static void scan_processes(struct daemon *d)
{
	struct dirent *de;
	DIR *dir = opendir("/proc");

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (isdigit((unsigned char)de->d_name[0]))
			add_process(d, atoi(de->d_name), true);
	}
	closedir(dir);
}

/* Steady growers get allocator tracing for a while, within the budget. */
static void drill_down(struct daemon *d, uint64_t now)
{
	uint32_t running = traced_count(d, TRACE_AUTO);
	struct watch *w, *best;
	struct growth g;
	size_t i;

	while (d->o.drilldown && running < d->o.drilldown_max) {
		int64_t best_delta = 0;

		best = NULL;
		hashtab__for_each(&d->watches, i, w) {
			if (w->traced != TRACE_NONE || now < w->auto_after)
				continue;
			series__growth(&w->anon, now - d->o.drilldown_window_ns, &g);
			/* Enough history, enough growth, and steady: a leak, not a spike. */
			if (g.samples < 3 || g.span_ns < d->o.drilldown_window_ns / 2 ||
			    g.delta < (int64_t)d->o.drilldown_bytes || g.steady < STEADY ||
			    g.delta <= best_delta)
				continue;
			best = w;
			best_delta = g.delta;
		}
		if (!best)
			return;
		/* Tried once, not again for a window: a process that keeps growing waits. */
		best->auto_after = now + d->o.drilldown_for_ns + d->o.drilldown_window_ns;
		if (!daemon__start_trace(d, best, TRACE_AUTO, now + d->o.drilldown_for_ns)) {
			d->stats.traces_auto++;
			running++;
		}
	}
}

static void sample(struct daemon *d, uint64_t now)
{
	struct procfs_status st;
	pid_t gone[64];
	size_t i, n = 0;
	struct watch *w;

	hashtab__for_each(&d->watches, i, w) {
		if (procfs_status(w->pid, &st)) {
			/* Its exit was lost (ring buffer full): let it go now. */
			if (n < ARRAY_SIZE(gone))
				gone[n++] = w->pid;
			continue;
		}
		w->uid = st.uid;	/* a process may drop privileges at any time */
		w->rss_bytes = st.rss_bytes;
		w->anon_bytes = st.anon_bytes;
		series__add(&w->anon, now, st.anon_bytes);
	}
	for (i = 0; i < n; i++)
		remove_process(d, gone[i], true);
}

static void expire(struct daemon *d, uint64_t now)
{
	struct trace_rule **pp = &d->rules, *r;
	struct watch *w;
	size_t i;

	hashtab__for_each(&d->watches, i, w)
		if (w->traced != TRACE_NONE && w->trace_until && now >= w->trace_until)
			daemon__stop_trace(d, w);
	while ((r = *pp)) {
		if (r->until && now >= r->until) {
			*pp = r->next;
			free(r);
		} else {
			pp = &r->next;
		}
	}
}

static void rediscover(struct daemon *d)
{
	struct watch *w;
	size_t i;

	/* New allocators (dlopen'd) in traced processes; cheap when nothing changed. */
	hashtab__for_each(&d->watches, i, w) {
		if (w->traced != TRACE_NONE)
			tracer__attach(d->tracer, w->pid, tracer__sample(d->tracer, w->pid));
		else if (w->wanted != TRACE_NONE)
			daemon__start_trace(d, w, w->wanted, w->wanted_until);
	}
}

static void on_tick(struct daemon *d)
{
	uint64_t now = now_ns(), expirations;

	if (read(d->timerfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_debug("timer: %s", strerror(errno));
	server__tick(d->server, now);
	expire(d, now);
	if (now >= d->next_sample) {
		sample(d, now);
		drill_down(d, now);
		d->next_sample = now + d->o.sample_interval_ns;
	}
	if (now >= d->next_rediscover) {
		rediscover(d);
		d->next_rediscover = now + REDISCOVER_NS;
	}
}

/* Reads the configuration again; what needs new BPF maps waits for a restart. */
static void reload(struct daemon *d)
{
	struct leakd_options n;
	char err[512];

	sd_notify_msg("RELOADING=1");
	options__defaults(&n);
	if ((d->o.config && options__load_config(d->o.config, &n, err, sizeof(err))) ||
	    options__parse_over(d->argc, d->argv, &n, err, sizeof(err))) {
		log_err("reload: %s; keeping the running configuration", err);
		sd_notify_msg("READY=1");
		return;
	}
	if (n.ringbuf_bytes != d->o.ringbuf_bytes || n.unwind_rows != d->o.unwind_rows ||
	    n.max_traced != d->o.max_traced || n.max_depth != d->o.max_depth ||
	    n.max_exited != d->o.max_exited || n.max_clients != d->o.max_clients ||
	    n.frame_pointers != d->o.frame_pointers || n.trace_all != d->o.trace_all ||
	    strcmp(n.socket, d->o.socket) || strcmp(n.socket_group, d->o.socket_group) ||
	    !n.cache_dir != !d->o.cache_dir ||
	    (n.cache_dir && strcmp(n.cache_dir, d->o.cache_dir)))
		log_warn("reload: changes to ringbuf-size, unwind-rows, max-traced, max-depth, "
			 "max-exited, max-clients, frame-pointers, trace-all, socket, "
			 "socket-group and cache-dir take effect at the next start");
	d->o.sample_interval_ns = n.sample_interval_ns;
	d->o.growth_window_ns = n.growth_window_ns;
	d->o.drilldown = n.drilldown;
	d->o.drilldown_bytes = n.drilldown_bytes;
	d->o.drilldown_window_ns = n.drilldown_window_ns;
	d->o.drilldown_for_ns = n.drilldown_for_ns;
	d->o.drilldown_max = n.drilldown_max;
	d->o.max_procs = n.max_procs;
	d->tables.limits.max_allocs = n.max_allocs;
	d->tables.limits.max_stacks = n.max_stacks;
	d->tables.limits.max_maps = n.max_mappings;
	log_set_level(n.verbose >= 2 ? LOG_LVL_DEBUG + 1 : n.verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	log_info("configuration reloaded");
	sd_notify_msg("READY=1");
}

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			reload(d);
		else
			d->stop = true;
	}
}

static int epoll_add(int epfd, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

enum { TAG_EVENTS, TAG_SIGNAL, TAG_TIMER, TAG_SERVER, TAG_UNWIND };

static int loop(struct daemon *d)
{
	struct epoll_event evs[8];
	int n, i, err;

	while (!d->stop) {
		n = epoll_wait(d->epfd, evs, ARRAY_SIZE(evs), -1);
		if (n < 0 && errno != EINTR)
			return -errno;
		for (i = 0; i < n; i++) {
			switch (evs[i].data.u32) {
			case TAG_EVENTS:
				err = events__consume(d->events);
				if (err < 0)
					return err;
				break;
			case TAG_SIGNAL:
				on_signal(d);
				break;
			case TAG_TIMER:
				/* Events wake leakd only in bulk: drain them each tick too. */
				events__consume(d->events);
				on_tick(d);
				break;
			case TAG_SERVER:
				server__dispatch(d->server);
				break;
			case TAG_UNWIND:
				unwinder__poll(d->unw, startup__log_table, d);
				break;
			}
		}
	}
	return 0;
}

static int setup(struct daemon *d)
{
	const struct leakd_options *o = &d->o;
	struct tracer_opts to = {
		.max_depth = o->max_depth, .ringbuf_bytes = o->ringbuf_bytes,
		.stack_cache = 65536, .max_procs = o->max_traced,
		.unwind_rows = o->unwind_rows, .frame_pointers = o->frame_pointers,
		.watch_all = true,
		.unwind_procs = o->max_procs < 1024 ? o->max_procs : 1024,
	};
	struct tables_limits tl = { .max_allocs = o->max_allocs, .max_stacks = o->max_stacks,
				    .max_maps = o->max_mappings };
	struct server_opts so = { .path = o->socket, .group = o->socket_group,
				  .max_clients = o->max_clients, .idle_ns = 30 * NSEC_PER_SEC };
	struct itimerspec tick = { .it_interval = { TICK_MS / 1000, (TICK_MS % 1000) * 1000000 },
				   .it_value = { TICK_MS / 1000, (TICK_MS % 1000) * 1000000 } };
	struct unwinder_maps um;
	sigset_t mask;
	int err;

	err = startup__tracer(&to, &d->tracer);
	if (err)
		return err;
	if (!o->frame_pointers) {
		tracer__unwind_maps(d->tracer, &um);
		d->unw = unwinder__new(&um, o->cache_dir);
		if (!d->unw) {
			log_err("cannot set up the stack unwinder: %s", strerror(errno));
			return EXIT_FAILURE_RUNTIME;
		}
	}
	d->exited = calloc(o->max_exited ? o->max_exited : 1, sizeof(*d->exited));
	d->sym = symbolizer__new(MAX_MODULES);
	if (!d->exited || !d->sym || tables__init(&d->tables, &tl) ||
	    hashtab__init(&d->watches, sizeof(struct watch), 256)) {
		log_err("out of memory");
		return EXIT_FAILURE_RUNTIME;
	}
	d->events = events__new(tracer__events_fd(d->tracer), &d->tables, d->sym, on_proc_event, d);
	if (!d->events) {
		log_err("cannot read the ring buffer: %s", strerror(errno));
		return EXIT_FAILURE_RUNTIME;
	}
	d->server = server__new(&so, control__handle, d);
	if (!d->server) {
		log_err("cannot listen on %s: %s", o->socket, strerror(errno));
		return EXIT_FAILURE_RUNTIME;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	d->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->sigfd < 0 || d->timerfd < 0 || d->epfd < 0 ||
	    timerfd_settime(d->timerfd, 0, &tick, NULL) ||
	    epoll_add(d->epfd, events__epoll_fd(d->events), TAG_EVENTS) ||
	    epoll_add(d->epfd, d->sigfd, TAG_SIGNAL) || epoll_add(d->epfd, d->timerfd, TAG_TIMER) ||
	    epoll_add(d->epfd, server__fd(d->server), TAG_SERVER) ||
	    (d->unw && epoll_add(d->epfd, unwinder__fd(d->unw), TAG_UNWIND))) {
		log_err("cannot set up the event loop: %s", strerror(errno));
		return EXIT_FAILURE_RUNTIME;
	}
	return 0;
}

static void teardown(struct daemon *d)
{
	struct watch *w;
	struct trace_rule *r;
	size_t i;

	if (d->watches.slots)
		hashtab__for_each(&d->watches, i, w)
			series__destroy(&w->anon);
	hashtab__destroy(&d->watches);
	while ((r = d->rules)) {
		d->rules = r->next;
		free(r);
	}
	for (i = 0; d->exited && i < d->o.max_exited; i++)
		free_summary(&d->exited[i]);
	free(d->exited);
	server__free(d->server);
	events__free(d->events);
	unwinder__free(d->unw);
	tracer__free(d->tracer);
	symbolizer__free(d->sym);
	tables__destroy(&d->tables);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->timerfd >= 0)
		close(d->timerfd);
	if (d->epfd >= 0)
		close(d->epfd);
}

int daemon__run(int argc, char **argv, const struct leakd_options *o, const sigset_t *orig_mask)
{
	struct daemon *d = calloc(1, sizeof(*d));
	char status[128];
	int rc, err;

	(void)orig_mask;
	if (!d) {
		log_err("out of memory");
		return EXIT_FAILURE_RUNTIME;
	}
	d->o = *o;
	d->argc = argc;
	d->argv = argv;
	d->sigfd = d->timerfd = d->epfd = -1;
	d->started_ns = now_ns();
	d->started_wall = time(NULL);
	rc = setup(d);
	if (!rc) {
		scan_processes(d);
		d->next_sample = now_ns();
		d->next_rediscover = now_ns() + REDISCOVER_NS;
		log_info("watching %zu processes (%s probes, %s); listening on %s",
			 d->watches.count, tracer__mechanism(d->tracer),
			 tracer__syscall_mechanism(d->tracer), o->socket);
		snprintf(status, sizeof(status), "READY=1\nSTATUS=watching %zu processes",
			 d->watches.count);
		sd_notify_msg(status);
		err = loop(d);
		sd_notify_msg("STOPPING=1");
		if (err) {
			log_err("the event loop failed: %s", strerror(-err));
			rc = EXIT_FAILURE_RUNTIME;
		}
	}
	teardown(d);
	free(d);
	return rc;
}
