// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include "serve/daemon.h"
#include "serve/handover.h"
#include "collect/keeper.h"
#include "base/files.h"
#include "base/wire.h"
#include "serve/pipeline.h"
#include "serve/policy.h"
#include "leakd/events.h"
#include "leakd/sampling.h"
#include "base/log.h"
#include "model/ages.h"
#include "model/histories.h"
#include "model/history.h"
#include "present/diff.h"
#include "serve/snapstore.h"
#include "base/hashtab.h"
#include "present/report.h"
#include "collect/consume.h"
#include "collect/inject.h"
#include "collect/samplerctl.h"
#include "collect/tracer.h"
#include "collect/holds.h"
#include "stacks/runtime.h"
#include "stacks/symbolize.h"
#include "stacks/unwinder.h"
#include "base/macros.h"
#include "base/clock.h"
#include "base/cgroup.h"
#include "base/procfs.h"
#include "base/sdnotify.h"
#include "version.h"

#define TICK_MS 1000
/* Symbols and DWARF no answer named a frame in for this long are closed. */
#define SYMBOLS_IDLE_NS (60 * NSEC_PER_SEC)
#define REDISCOVER_NS (2 * NSEC_PER_SEC)	/* allocators of traced processes */
#define MAX_MODULES 16384			/* files the symbolizer keeps: every process's */
#define MAX_UNWIND_PROCS 1024			/* processes with unwind tables at once */
#define SUMMARY_STACKS 5			/* per level, in an exited process's summary */
#define CLIENT_REQUEST_NS (10 * NSEC_PER_SEC)	/* for a whole request, and for its answer */
#define GONE_PER_SAMPLE 64			/* lost exits settled per sample */
#define HTTP_CLIENTS 8				/* scrapers at once */
#define BUDGET_STEP_NS NSEC_PER_SEC		/* event rates measured over this */

/* The values of a process's memory history. */
enum mem_value {
	MEM_RSS,		/* VmRSS */
	MEM_ANON,		/* RssAnon: what growth is measured on */
	MEM_HEAP,		/* the brk heap */
	MEM_MAPPED,		/* anonymous mappings leakd watched */
	MEM_TRACED,		/* live allocator blocks, when traced */
	MEM_FILE,		/* RssFile: resident file-backed pages */
	MEM__VALUES,
};

/* What the daemon keeps of each watched process besides its tables. */
struct watch {
	uint64_t pid;		/* hashtab key */
	uint32_t uid;
	struct procfs_cred cred;	/* who may see it, as last read */
	char cgroup[256];
	struct history mem;	/* enum mem_value over time */
	uint64_t rss_bytes, anon_bytes;
	enum trace_kind traced;
	uint64_t trace_until;	/* CLOCK_MONOTONIC ns; 0: no end */
	uint64_t sample;	/* traced sampled every so many bytes on average; 0: exact */
	enum trace_kind wanted;	/* to be traced once an allocator is mapped (after exec) */
	uint64_t wanted_until, wanted_sample;
	uint64_t trace_ended;	/* since then the allocator figures are frozen */
	uint64_t auto_after;	/* no automatic trace before then (cooldown) */
	uint64_t records_seen;	/* its trace records at the last budget step */
	uint64_t events_rate;	/* ... and their rate over that step, events/s */
	bool ever_traced;
	bool injected;		/* the sampler was injected and its GOT entries patched */
	bool inert;		/* ... and pointed back since: its probes are not followed */
	/*
	 * Traced through leakd's own sampler: its control block, where the event
	 * budget's factor goes (ctl.at 0: none, another emitter of the probes, or not
	 * traced through them; ctl.factor: this daemon's there), and whether it was
	 * looked for.
	 */
	struct samplerctl ctl;
	bool ctl_looked;
};

/* A kept exit summary and how much it matters. */
struct kept_exit {
	struct exit_snap s;
	struct procfs_cred cred;	/* who could see the process when it exited */
	enum exit_rank rank;
	uint64_t seq;		/* order of exits: newer is larger */
	bool used;
};

struct daemon_stats {
	uint64_t procs_dropped;		/* max_procs reached */
	uint64_t traces_refused;	/* max_traced reached */
	uint64_t traces_auto;		/* automatic traces started */
	uint64_t drilldown_excluded;	/* growers left alone: drilldown-exclude */
	uint64_t exited_evicted;	/* summaries dropped for more important or newer ones */
	uint64_t injected;		/* trace --inject done */
	uint64_t injects_refused;	/* ... refused: not safe, or failed */
	uint64_t pace_failed;		/* samplers' factors that could not be written */
};

struct daemon {
	struct leakd_options o;
	int argc;
	char **argv;
	struct pipeline *pl;
	struct policy *policy;
	struct server *server;
	struct http_server *http;	/* metrics-listen; NULL: off */
	http_handler metrics;
	struct hashtab watches;		/* struct watch */
	struct histories stacks_hist;	/* of the stacks of every process */
	struct snapstore snaps;
	struct kept_exit *exited;	/* o.max_exited slots */
	size_t nr_exited;
	uint64_t exit_seq;
	struct daemon_stats stats;
	uint64_t started_ns;
	uint64_t next_sample, next_rediscover;
	struct budget budget;		/* the event budget's state */
	uint64_t inject_waiting, inject_lost;	/* threads of injections (inject__tick) */
	uint64_t budget_at;		/* its last step */
	int epfd, sigfd, timerfd;
	bool stop;
	/*
	 * Restarts: where this socket's handovers are kept (keeper.h), the one found
	 * at start, and what was taken.  A stop puts its handover in systemd's store
	 * when it runs under systemd, else in bpffs.
	 */
	struct keeper *store;		/* systemd's file descriptor store; NULL: none */
	struct keeper *pins;		/* bpffs; NULL: unusable */
	struct keeper *from;		/* the handover found at start, until taken */
	bool told;			/* why it was not taken is said already */
	char pin_dir[256];
	char state_path[4200], marker_path[4200];
	void *state;			/* the state file read at the start, until loaded */
	size_t state_len;
	struct restart_snap restart;
	bool said_comms_full;	/* the kernel's table of rule names is full: said once */
};

static struct watch *watch_of(struct daemon *d, pid_t pid)
{
	return hashtab__get(&d->watches, (uint64_t)pid);
}

static struct proc_mem *proc_of(struct daemon *d, pid_t pid)
{
	return tables__proc(pipeline__tables(d->pl), pid);
}

/* Processes traced this way; NONE: all those max-traced bounds (not those of max-sampler). */
static uint32_t traced_count(struct daemon *d, enum trace_kind how)
{
	struct watch *w;
	uint32_t n = 0;
	size_t i;

	hashtab__for_each(&d->watches, i, w)
		n += how == TRACE_KIND_NONE ? w->traced != TRACE_KIND_NONE &&
						      w->traced != TRACE_KIND_SAMPLER :
					      w->traced == how;
	return n;
}

/*
 * How a kind of trace samples by default: what a person, a rule or drill-down asks
 * for is sampled (cheap enough to leave on), --trace-all traces every call.
 */
static uint64_t default_sample(enum trace_kind how)
{
	return how == TRACE_KIND_ALL ? 0 : LEAKD_SAMPLE_DEFAULT;
}

/* Whether pid reports through its otel_memory probes. */
static bool via_probes(struct daemon *d, const struct watch *w)
{
	return w->traced != TRACE_KIND_NONE && pipeline__via_probes(d->pl, w->pid);
}

/*
 * Puts the factor into the control block of the sampler a process reports
 * through, looked for once per trace (again when it maps code).  Leakd's own
 * sampler has one; other emitters of the probes do not, and keep their interval.
 * A block that cannot be written is given up: the process counts as fixed.
 */
static void pace(struct daemon *d, struct watch *w, uint32_t factor)
{
	int err;

	if (!w->ctl_looked) {
		err = samplerctl__open((pid_t)w->pid, &w->ctl);
		w->ctl_looked = err != -EAGAIN;		/* else again at the budget's next step */
		if (err < 0 && err != -EAGAIN && err != -ESRCH) {
			d->stats.pace_failed++;
			log_warn("pid %" PRIu64 ": its sampler cannot be reached: %s", w->pid,
				 strerror(-err));
		}
	}
	/* ctl.factor: as a daemon before us may have left it, or as we wrote it. */
	if (!w->ctl.at || w->ctl.factor == factor)
		return;
	err = samplerctl__set_factor(&w->ctl, factor);
	if (err) {
		/* Gone, or exec'd: its exit or exec comes next.  Else given up: fixed. */
		if (err != -ESRCH) {
			d->stats.pace_failed++;
			log_warn("pid %" PRIu64 ": its sampler's interval cannot be widened: %s",
				 w->pid, strerror(-err));
		}
		samplerctl__close(&w->ctl);
	}
}

/* The sampler of a process no longer traced through it back at its own interval. */
static void unpace(struct watch *w)
{
	samplerctl__release(&w->ctl);
	w->ctl_looked = false;
}

/*
 * A sampled trace at its asked interval times the event budget's factor: in the
 * kernel, or in leakd's sampler the process reports through.
 */
static void widen(struct daemon *d, struct watch *w)
{
	uint64_t asked = pipeline__sample(d->pl, w->pid);

	if (asked)
		pipeline__set_interval(d->pl, w->pid, policy__widened(asked, d->budget.shift));
	if (via_probes(d, w))
		pace(d, w, 1u << d->budget.shift);
	else if (w->ctl_looked)
		unpace(w);
}

/*
 * The event budget's step: the trace records each traced process sent since the
 * last one, as rates of the sampled traces and of the rest, and the factor that
 * follows applied to every sampled trace.
 */
static void budget_step(struct daemon *d, uint64_t now)
{
	uint64_t sampled = 0, exempt = 0, elapsed = now - d->budget_at, delta;
	unsigned int before = d->budget.shift, paced = 0, fixed = 0;
	struct proc_mem *p;
	struct watch *w;
	size_t i;

	d->budget_at = now;
	hashtab__for_each(&d->watches, i, w) {
		p = proc_of(d, w->pid);
		if (!p)
			continue;
		delta = p->trace_records - w->records_seen;
		w->records_seen = p->trace_records;
		w->events_rate = elapsed ? delta * NSEC_PER_SEC / elapsed : 0;
		if (w->traced == TRACE_KIND_NONE)
			continue;
		if (!w->ctl_looked && via_probes(d, w))
			pace(d, w, 1u << d->budget.shift);	/* its sampler was being loaded */
		if (via_probes(d, w)) {
			paced += w->ctl.at != 0;
			fixed += !w->ctl.at;
		}
		/* What the budget can widen: kernel sampling, and leakd's own sampler. */
		if (pipeline__sample(d->pl, w->pid) || (w->ctl.at && via_probes(d, w)))
			sampled += delta;
		else
			exempt += delta;
	}
	if (!elapsed)
		return;
	policy__budget_step(d->policy, &d->budget, sampled * NSEC_PER_SEC / elapsed,
			    exempt * NSEC_PER_SEC / elapsed);
	if (d->budget.shift == before)
		return;
	log_info("event budget %" PRIu64 "/s: %" PRIu64 " events/s sampled, %" PRIu64
		 " exact or by other samplers: sampled traces and %u of leakd's samplers at "
		 "%ux their intervals (%u other otel_memory emitters cannot be widened)",
		 d->o.event_budget, d->budget.sampled_rate, d->budget.exempt_rate, paced,
		 1u << d->budget.shift, fixed);
	hashtab__for_each(&d->watches, i, w)
		if (w->traced != TRACE_KIND_NONE)
			widen(d, w);
}

/* A request that names no mode: as traced already, else the kind's default. */
#define SAMPLE_AS_IS UINT64_MAX

/*
 * sample: bytes between samples on average, 0 for every call (the allocator's
 * probes even where the process's own otel_memory probes report), or SAMPLE_AS_IS.
 */
static int start_trace(struct daemon *d, struct watch *w, enum trace_kind how, uint64_t until,
		       uint64_t sample)
{
	struct proc_mem *p = proc_of(d, w->pid);
	int err;

	if (sample == SAMPLE_AS_IS)
		sample = w->traced != TRACE_KIND_NONE ? w->sample : default_sample(how);
	if (w->traced != TRACE_KIND_NONE) {
		/* Already traced: a longer (or endless) request extends it. */
		if (!until || (w->trace_until && until > w->trace_until))
			w->trace_until = until;
		/* A person's request, or a rule's new mode over what the rule traces. */
		if (how != TRACE_KIND_MANUAL &&
		    !(how == TRACE_KIND_RULE && w->traced == TRACE_KIND_RULE))
			return 0;
		w->traced = how;
		if (sample == w->sample)
			return 0;
		/* Asked for otherwise: the figures so far were of the other mode. */
		if (p)
			proc_mem__untrace(p);
		err = pipeline__trace(d->pl, w->pid, sample, sample != 0 && !w->inert);
		if (err < 0)
			return err;
		w->sample = sample;
		widen(d, w);
		log_info("tracing pid %" PRIu64 " (%s): %s, now %s", w->pid, p ? p->comm : "?",
			 trace_kind_name(how), sample ? "sampled" : "exact");
		return 0;
	}
	if (how == TRACE_KIND_SAMPLER ? traced_count(d, how) >= d->o.max_sampler :
					traced_count(d, TRACE_KIND_NONE) >= d->o.max_traced) {
		d->stats.traces_refused++;
		return -ENOSPC;
	}
	if (p && w->trace_ended) {
		/* Figures frozen by an earlier trace are stale: start afresh. */
		proc_mem__untrace(p);
		w->trace_ended = 0;
	}
	/* An injected sampler pointed back is silent: its probes would show nothing. */
	err = pipeline__trace(d->pl, w->pid, sample, sample != 0 && !w->inert);
	if (err == -ENOENT && (how == TRACE_KIND_RULE || how == TRACE_KIND_ALL)) {
		/* Just exec'd: the loader has not mapped an allocator yet.  Once it has. */
		w->wanted = how;
		w->wanted_until = until;
		w->wanted_sample = sample;
		return err;
	}
	if (err < 0)
		return err;
	w->wanted = TRACE_KIND_NONE;
	pipeline__unwind(d->pl, w->pid);
	w->traced = how;
	w->sample = sample;
	w->ever_traced = true;
	w->trace_until = until;
	widen(d, w);
	log_info("tracing pid %" PRIu64 " (%s): %s, %s", w->pid, p ? p->comm : "?",
		 trace_kind_name(how),
		 pipeline__via_probes(d->pl, w->pid) ? "through its otel_memory probes" :
		 sample ? "sampled" : "exact");
	return 0;
}

/*
 * Points the GOT entries of a process the sampler was injected into back at its
 * allocator.  Returns the entries restored, or -errno with why (the sampler stays
 * in the way then, silent: nobody listens to its probes).
 */
static int uninject(struct daemon *d, struct watch *w, char *why, size_t size)
{
	int n;

	if (!w->injected)
		return 0;
	w->injected = false;
	w->inert = true;	/* mapped still: not a sampler to trace by itself */
	n = inject__unload((pid_t)w->pid, d->o.sampler, why, size);
	if (n < 0 && n != -ESRCH)
		log_warn("untrace: %s", why);
	else if (n >= 0)
		log_info("pid %" PRIu64 ": the sampler is out of the way, %d GOT entries restored",
			 w->pid, n);
	return n;
}

/* Returns what uninject() said, for an injected process. */
static int stop_trace_why(struct daemon *d, struct watch *w, char *why, size_t size)
{
	int rc;

	w->wanted = TRACE_KIND_NONE;
	if (w->traced == TRACE_KIND_NONE)
		return 0;
	unpace(w);
	pipeline__untrace(d->pl, w->pid);
	rc = uninject(d, w, why, size);
	log_info("tracing of pid %" PRIu64 " ends (%s)", w->pid, trace_kind_name(w->traced));
	w->traced = TRACE_KIND_NONE;
	w->trace_until = 0;
	w->trace_ended = now_ns();
	return rc;
}

static void stop_trace(struct daemon *d, struct watch *w)
{
	char why[INJECT_WHY];

	stop_trace_why(d, w, why, sizeof(why));
}

static bool matches(struct daemon *d, const struct watch *w, const char *comm, const char *unit)
{
	const struct proc_mem *p = proc_of(d, w->pid);

	if (comm && comm[0])
		return p && !strcmp(p->comm, comm);
	if (unit && unit[0])
		return cgroup_has_unit(w->cgroup, unit);
	return false;
}

/* A rule that covers the process: traced until *ret_until, sampled as *ret_sample says. */
static bool rule_for(struct daemon *d, const struct watch *w, uint64_t *ret_until,
		     uint64_t *ret_sample)
{
	const struct proc_mem *p = proc_of(d, w->pid);

	return p && policy__match(d->policy, p->comm, w->cgroup, &w->cred, ret_until, ret_sample);
}

/*
 * A process whose in-process sampler emits otel_memory probes reports its
 * allocations at sampling cost: traced through them without asking, within its
 * own budget (max-sampler).
 */
static void trace_sampler(struct daemon *d, struct watch *w)
{
	if (d->o.max_sampler && w->traced == TRACE_KIND_NONE && w->wanted == TRACE_KIND_NONE &&
	    !w->inert && pipeline__has_probes(d->pl, w->pid))
		start_trace(d, w, TRACE_KIND_SAMPLER, 0, LEAKD_SAMPLE_DEFAULT);
}

/* Starts watching a process: found at start-up, forked, or exec'd into sight. */
static struct watch *add_process(struct daemon *d, pid_t pid, bool seed)
{
	struct procfs_status st;
	struct watch *w;
	struct proc_mem *p;
	uint64_t until, sample;
	bool is_new;

	if (pid == getpid() || procfs_is_kernel_thread(pid) ||
	    pid == holds__resumer(tracer__holds(pipeline__tracer(d->pl))))
		return NULL;
	w = watch_of(d, pid);
	if (w)
		return w;
	if (d->watches.count >= d->o.max_procs) {
		d->stats.procs_dropped++;
		return NULL;
	}
	if (procfs_status(pid, &st))
		return NULL;	/* gone already */
	p = pipeline__add_proc(d->pl, pid, seed);
	if (!p)
		return NULL;
	w = hashtab__upsert(&d->watches, (uint64_t)pid, &is_new);
	if (!w || history__init(&w->mem, d->o.history_points, MEM__VALUES)) {
		if (w)
			hashtab__remove(&d->watches, (uint64_t)pid, NULL);
		pipeline__forget_proc(d->pl, pid);
		return NULL;
	}
	w->uid = st.uid;
	w->cred = st.cred;
	w->rss_bytes = st.rss_bytes;
	w->anon_bytes = st.anon_bytes;
	procfs_cgroup(pid, w->cgroup, sizeof(w->cgroup));
	pipeline__unwind(d->pl, pid);
	if (d->o.trace_all)
		start_trace(d, w, TRACE_KIND_ALL, 0, 0);
	else if (rule_for(d, w, &until, &sample))
		start_trace(d, w, TRACE_KIND_RULE, until, sample);
	else if (seed)
		trace_sampler(d, w);	/* found at start: it may have started its sampler */
	return w;
}

/* Whether a kept summary a ranks below b: the first to go when room is needed. */
static bool exit_below(const struct kept_exit *a, const struct kept_exit *b)
{
	if (a->rank != b->rank)
		return a->rank < b->rank;
	return a->seq < b->seq;
}

/*
 * The slot for a new summary of rank: a free one, else the least important kept
 * (older first) when the new one matters as much; NULL when it matters less than
 * everything kept -- trivial exits never push out those that matter.
 */
static struct kept_exit *exit_slot(struct daemon *d, enum exit_rank rank)
{
	struct kept_exit *low = NULL;
	size_t i;

	for (i = 0; i < d->o.max_exited; i++) {
		struct kept_exit *k = &d->exited[i];

		if (!k->used)
			return k;
		if (!low || exit_below(k, low))
			low = k;
	}
	if (!low || low->rank > rank)
		return NULL;
	return low;
}

/* The heap bytes a process's tracing holds live: sampled blocks stand for their estimates. */
static uint64_t traced_live(const struct proc_mem *p)
{
	return p->live_bytes + (p->live_est.bytes > 0.5 ? (uint64_t)llround(p->live_est.bytes) : 0);
}

/*
 * What an exiting process leaves behind.  Its frames are kept as modules and
 * offsets, which outlive it, and named when the summary is first asked for: most
 * summaries never are, and naming reads symbols and DWARF.
 */
static void keep_summary(struct daemon *d, struct watch *w, struct proc_mem *p)
{
	uint64_t held = traced_live(p) + p->map_bytes;
	struct kept_exit *k;
	int64_t grew = 0;
	enum exit_rank rank;
	struct ranking r;
	size_t n, i;
	int l;

	if (!d->o.max_exited)
		return;
	if (w->mem.n)
		grew = (int64_t)(history__value(&w->mem, w->mem.n - 1, MEM_ANON) -
				 history__value(&w->mem, 0, MEM_ANON));
	rank = policy__exit_rank(d->policy, w->traced != TRACE_KIND_NONE || w->ever_traced, held,
				 grew);
	/* Nothing traced, nothing held: nothing to tell. */
	if (rank == EXIT_RANK_TRIVIAL && !p->live_count && !p->sampled.count && !p->map_bytes)
		return;
	k = exit_slot(d, rank);
	if (!k) {
		d->stats.exited_evicted++;	/* the new one gives way */
		return;
	}
	if (k->used) {
		d->stats.exited_evicted++;
		exit_snap__free(&k->s);
	} else {
		d->nr_exited++;
	}
	memset(k, 0, sizeof(*k));
	k->used = true;
	k->rank = rank;
	k->seq = ++d->exit_seq;
	k->s.pid = p->pid;
	memcpy(k->s.comm, p->comm, sizeof(k->s.comm));
	k->s.uid = w->uid;
	k->cred = w->cred;
	k->s.exited = time(NULL);
	k->s.traced = w->ever_traced;
	k->s.heap_bytes = traced_live(p);
	k->s.heap_allocs = p->live_count +
			   (p->live_est.count > 0.5 ? (uint64_t)llround(p->live_est.count) : 0);
	k->s.map_bytes = p->map_bytes;
	for (l = 0; l < LEVEL__COUNT; l++) {
		if (ranking__init(&r, SUMMARY_STACKS, 0, 0))
			continue;
		ranking__add(&r, p, l);
		n = ranking__finish(&r);
		for (i = 0; i < n; i++)
			if (stack_list__add(&k->s.stacks, NULL, &r.rows[i], false))
				break;
		ranking__destroy(&r);
	}
}

static void remove_process(struct daemon *d, pid_t pid, bool exited)
{
	struct watch *w = watch_of(d, pid);
	struct proc_mem *p = proc_of(d, pid);
	struct watch copy;

	if (!w)
		return;
	if (exited && p)
		keep_summary(d, w, p);
	if (exited)
		pipeline__exited(d->pl, pid);	/* its probes close in the background */
	w->traced = TRACE_KIND_NONE;
	samplerctl__close(&w->ctl);
	pipeline__forget_proc(d->pl, pid);
	histories__forget_proc(&d->stacks_hist, pid);
	if (!hashtab__remove(&d->watches, (uint64_t)pid, &copy))
		history__destroy(&copy.mem);
}

/*
 * A child has a copy of its parent's sampler block, this daemon's slot widened or
 * not: traced through it, the child's factor is set as any; else the slot is
 * freed, as nobody here widens it.
 */
static void forked_sampler(struct daemon *d, struct watch *w, const struct watch *parent)
{
	struct samplerctl c;

	if (!w || !parent || !parent->ctl.at || parent->ctl.factor == 1)
		return;
	if (via_probes(d, w))
		widen(d, w);
	else if (samplerctl__open((pid_t)w->pid, &c) > 0)
		samplerctl__release(&c);
}

/* The policy's side of what the pipeline saw (it has done its own part). */
static void on_pipeline_event(void *ctx, enum pipeline_event ev, pid_t pid, uint32_t aux)
{
	struct daemon *d = ctx;
	struct watch *w = watch_of(d, pid);
	struct procfs_status st;
	uint64_t until, sample;

	switch (ev) {
	case PIPELINE_FORK:
		/* A reused pid whose exit went unseen: the old process is long gone. */
		if (w)
			remove_process(d, pid, false);
		w = add_process(d, pid, false);
		/* The parent's live blocks are in the child too, and stay the parent's. */
		if (w && w->traced != TRACE_KIND_NONE)
			pipeline__inherit(d->pl, pid, (pid_t)aux);
		forked_sampler(d, w, watch_of(d, (pid_t)aux));
		break;
	case PIPELINE_EXEC:
		if (!w) {
			add_process(d, pid, false);
			break;
		}
		procfs_cgroup(pid, w->cgroup, sizeof(w->cgroup));
		if (!procfs_status(pid, &st)) {
			w->uid = st.uid;	/* setuid programs change hands here */
			if (st.cred.known)
				w->cred = st.cred;
		}
		w->injected = w->inert = false;	/* the image it was injected into is gone */
		/* And so is its sampler's block: looked for again in the new one. */
		samplerctl__close(&w->ctl);
		w->ctl_looked = false;
		if (w->traced == TRACE_KIND_SAMPLER && !pipeline__via_probes(d->pl, pid))
			stop_trace(d, w);	/* the new image has no sampler */
		/* The new program's stacks are new: their histories start afresh. */
		histories__forget_proc(&d->stacks_hist, pid);
		if (w->traced == TRACE_KIND_NONE && rule_for(d, w, &until, &sample))
			start_trace(d, w, TRACE_KIND_RULE, until, sample);
		trace_sampler(d, w);
		break;
	case PIPELINE_MAP_EXEC:
		if (w && w->traced == TRACE_KIND_NONE && w->wanted != TRACE_KIND_NONE)
			start_trace(d, w, w->wanted, w->wanted_until, w->wanted_sample);
		else if (w)
			trace_sampler(d, w);	/* a sampler dlopen'd, or preloaded at exec */
		break;
	case PIPELINE_EXIT:
		/* Not dumpable at the end (a uid changed, or it said so): root's alone. */
		if (w && aux != LEAKD_EXIT_DUMP_UNKNOWN && aux != LEAKD_EXIT_DUMPABLE)
			w->cred.dumpable = false;
		remove_process(d, pid, true);
		break;
	case PIPELINE_ATTACHED:
	case PIPELINE_VIA_PROBES:
		/* A sampler's library may have come: its block, and the factor there. */
		if (w && !w->ctl.at) {
			w->ctl_looked = false;
			if (w->traced != TRACE_KIND_NONE)
				widen(d, w);
		}
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
	uint64_t room = policy__drilldown_room(d->policy, traced_count(d, TRACE_KIND_AUTO));
	struct trend_opts to;
	struct watch *w, *best;
	struct trend t;
	size_t i;

	trend_opts__defaults(&to);
	to.window_ns = d->o.drilldown_window_ns;
	while (room) {
		int64_t best_delta = 0;

		best = NULL;
		hashtab__for_each(&d->watches, i, w) {
			const struct proc_mem *p;

			if (w->traced != TRACE_KIND_NONE || now < w->auto_after)
				continue;
			p = proc_of(d, w->pid);
			if (!p || policy__excluded(d->policy, p->comm)) {
				d->stats.drilldown_excluded += p != NULL;
				w->auto_after = now + d->o.drilldown_window_ns;	/* not asked again soon */
				continue;
			}
			history__trend(&w->mem, MEM_ANON, now, &to, &t);
			if (!policy__is_grower(d->policy, &t) || t.delta <= best_delta)
				continue;
			best = w;
			best_delta = t.delta;
		}
		if (!best)
			return;
		/* Tried once, not again for a window: a process that keeps growing waits. */
		best->auto_after = now + d->o.drilldown_for_ns + d->o.drilldown_window_ns;
		if (!start_trace(d, best, TRACE_KIND_AUTO, now + d->o.drilldown_for_ns,
				 default_sample(TRACE_KIND_AUTO))) {
			d->stats.traces_auto++;
			room--;
		}
	}
}

static void sample(struct daemon *d, uint64_t now)
{
	struct procfs_status st;
	struct proc_mem *p;
	pid_t gone[GONE_PER_SAMPLE];
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
		if (st.cred.known)
			w->cred = st.cred;	/* else exiting: what it was stays */
		w->rss_bytes = st.rss_bytes;
		w->anon_bytes = st.anon_bytes;
		p = proc_of(d, w->pid);
		if (p) {
			uint64_t v[MEM__VALUES] = { st.rss_bytes, st.anon_bytes, p->heap_bytes,
						    p->map_bytes, traced_live(p),
						    st.file_bytes };

			history__add(&w->mem, now, v);
			histories__sample(&d->stacks_hist, p, now);
		}
	}
	for (i = 0; i < n; i++)
		remove_process(d, gone[i], true);
}

/*
 * The kernel side holds the processes the rules name (by comm or unit) at fork and
 * exec: it knows which.
 */
static void sync_rule_comms(struct daemon *d)
{
	static struct hold_rule rules[2 * HOLDS_MAX_RULES];
	size_t n = policy__hold_rules(d->policy, rules, ARRAY_SIZE(rules));
	bool full;

	/* At the table's size, more names may have been left out. */
	full = pipeline__hold_rules(d->pl, rules, n) > 0 || n == ARRAY_SIZE(rules);

	if (full && !d->said_comms_full)
		log_warn("%d rule names or units or more: processes of those past them are "
			 "traced after exec", HOLDS_MAX_RULES);
	d->said_comms_full = full;
}

static void expire(struct daemon *d, uint64_t now)
{
	struct policy_stats before, after;
	struct watch *w;
	size_t i;

	hashtab__for_each(&d->watches, i, w)
		if (w->traced != TRACE_KIND_NONE && w->trace_until && now >= w->trace_until)
			stop_trace(d, w);
	policy__stats(d->policy, &before);
	policy__expire(d->policy, now);
	policy__stats(d->policy, &after);
	if (after.expired != before.expired)
		sync_rule_comms(d);
}

/* Processes to be traced once an allocator is mapped (the pipeline re-checks the traced). */
static void rediscover(struct daemon *d)
{
	struct watch *w;
	size_t i;

	hashtab__for_each(&d->watches, i, w)
		if (w->traced == TRACE_KIND_NONE && w->wanted != TRACE_KIND_NONE)
			start_trace(d, w, w->wanted, w->wanted_until, w->wanted_sample);
}

static void on_tick(struct daemon *d)
{
	uint64_t now = now_ns(), expirations;

	if (read(d->timerfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_debug("timer: %s", strerror(errno));
	server__tick(d->server, now);
	if (d->http)
		http__tick(d->http, now);
	expire(d, now);
	if (now - d->budget_at >= BUDGET_STEP_NS)
		budget_step(d, now);
	if (now >= d->next_sample) {
		sample(d, now);
		drill_down(d, now);
		d->next_sample = now + d->o.sample_interval_ns;
	}
	pipeline__tick(d->pl, now);
	/* What an answer read (DWARF's line tables: megabytes per object) goes back. */
	if (symbolizer__trim(pipeline__symbolizer(d->pl), now, SYMBOLS_IDLE_NS) > 0)
		malloc_trim(0);
	/* Threads of an injection still to be let go. */
	d->inject_waiting = (uint64_t)inject__tick(&d->inject_lost);
	if (now >= d->next_rediscover) {
		rediscover(d);
		d->next_rediscover = now + REDISCOVER_NS;
	}
}

static void policy_opts(const struct leakd_options *o, struct policy_opts *ret)
{
	*ret = (struct policy_opts){
		.max_rules = o->max_rules, .drilldown = o->drilldown,
		.drilldown_bytes = o->drilldown_bytes, .drilldown_window_ns = o->drilldown_window_ns,
		.drilldown_max = o->drilldown_max, .exited_min_bytes = o->exited_min_bytes,
		.drilldown_exclude = o->drilldown_exclude, .event_budget = o->event_budget,
	};
}

/* Reads the configuration again; what needs new BPF maps waits for a restart. */
static void reload(struct daemon *d)
{
	struct tables *t = pipeline__tables(d->pl);
	struct leakd_options n;
	struct policy_opts po;
	char err[512];

	sd_notify_msg("RELOADING=1");
	if (options__daemon(d->argc, d->argv, d->o.config, true, &n, err, sizeof(err))) {
		log_err("reload: %s; keeping the running configuration", err);
		options__free(&n);
		sd_notify_msg("READY=1");
		return;
	}
	if (n.ringbuf_bytes != d->o.ringbuf_bytes ||
	    n.watch_ringbuf_bytes != d->o.watch_ringbuf_bytes || n.unwind_rows != d->o.unwind_rows ||
	    n.max_traced != d->o.max_traced || n.max_sampler != d->o.max_sampler ||
	    n.max_depth != d->o.max_depth ||
	    n.max_exited != d->o.max_exited || n.max_clients != d->o.max_clients ||
	    n.frame_pointers != d->o.frame_pointers || n.trace_all != d->o.trace_all ||
	    n.syscall_probes != d->o.syscall_probes ||
	    strcmp(n.socket, d->o.socket) || strcmp(n.socket_group, d->o.socket_group) ||
	    strcmp(n.sampler, d->o.sampler) || !n.cache_dir != !d->o.cache_dir ||
	    (n.cache_dir && strcmp(n.cache_dir, d->o.cache_dir)))
		log_warn("reload: changes to ringbuf-size, watch-ringbuf-size, unwind-rows, "
			 "max-traced, max-sampler, "
			 "max-depth, max-exited, max-clients, frame-pointers, trace-all, "
			 "syscall-probes, socket, "
			 "socket-group, sampler and cache-dir take effect at the next start");
	d->o.sample_interval_ns = n.sample_interval_ns;
	d->o.growth_window_ns = n.growth_window_ns;
	d->o.drilldown = n.drilldown;
	d->o.drilldown_bytes = n.drilldown_bytes;
	d->o.drilldown_window_ns = n.drilldown_window_ns;
	d->o.drilldown_for_ns = n.drilldown_for_ns;
	d->o.drilldown_max = n.drilldown_max;
	d->o.max_procs = n.max_procs;
	d->o.max_rules = n.max_rules;
	d->o.exited_min_bytes = n.exited_min_bytes;
	d->o.untrace_sticky_ns = n.untrace_sticky_ns;
	d->o.event_budget = n.event_budget;
	d->o.restart_grace_ns = n.restart_grace_ns;
	policy_opts(&d->o, &po);
	po.drilldown_exclude = n.drilldown_exclude;	/* the policy keeps a copy */
	policy__set_opts(d->policy, &po);
	t->limits.max_allocs = n.max_allocs;
	t->limits.max_stacks = n.max_stacks;
	t->limits.max_maps = n.max_mappings;
	log_set_level(options__log_level(n.verbose));
	options__free(&n);	/* its strings were compared, not kept */
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

enum { TAG_EVENTS, TAG_SIGNAL, TAG_TIMER, TAG_SERVER, TAG_UNWIND, TAG_HTTP };

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
				err = pipeline__consume(d->pl);
				if (err < 0)
					return err;
				break;
			case TAG_SIGNAL:
				on_signal(d);
				break;
			case TAG_TIMER:
				/* Events wake leakd only in bulk: drain them each tick too. */
				pipeline__consume(d->pl);
				on_tick(d);
				break;
			case TAG_SERVER:
				server__dispatch(d->server);
				break;
			case TAG_HTTP:
				http__dispatch(d->http);
				break;
			case TAG_UNWIND:
				pipeline__poll_unwind(d->pl);
				break;
			}
		}
	}
	return 0;
}

/* ---- restarts (leakd(8), RESTART) ---- */

static uint64_t kernel_drops(struct daemon *d)
{
	uint64_t c[LEAKD_CNT__COUNT], sum = 0;
	int k;

	if (tracer__counters(pipeline__tracer(d->pl), c))
		return 0;
	for (k = 0; k <= LEAKD_DROP_SAMPLED_SET; k++)
		sum += c[k];
	return sum;
}

/* Where a stop puts its handover. */
static struct keeper *keep(struct daemon *d)
{
	return d->store ? d->store : d->pins;
}

/* Whether a kept handover may go: past its deadline, or never finished. */
static bool stale(struct keeper *k, uint64_t now)
{
	uint64_t deadline = tracer_kept_deadline(k);
	int fd;

	if (deadline)
		return now > deadline;
	/* No deadline: a stop that did not finish pinning, unless it still runs. */
	fd = keeper__get(k, "control");
	if (fd < 0)
		return true;
	close(fd);
	return false;
}

/* Handovers pinned for any other socket that nobody took in time: their pins go. */
static void release_stale(struct daemon *d)
{
	char path[PATH_MAX];
	struct keeper *k;
	struct dirent *de;
	DIR *dir = opendir("/sys/fs/bpf");
	uint64_t now = now_ns();

	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "leakd-", 6) ||
		    snprintf(path, sizeof(path), "/sys/fs/bpf/%s", de->d_name) >= (int)sizeof(path) ||
		    !strcmp(path, d->pin_dir) || !(k = keeper__bpffs(path)))
			continue;
		if (stale(k, now) && !keeper__forget(k)) {
			d->restart.released++;
			log_warn("released a handover nobody took before its deadline: %s", path);
		}
		keeper__free(k);
	}
	closedir(dir);
}

/* The keepers of this socket's handovers: systemd's store (under systemd) and bpffs. */
static void open_keepers(struct daemon *d)
{
	const char *why;
	size_t dropped;
	int err;

	if (sd_notify_available()) {
		d->store = keeper__fdstore(&dropped, &why);
		if (!d->store)
			log_warn("cannot use systemd's file descriptor store (%s): restarts lose "
				 "what is traced", strerror(errno));
		else if (why) {
			log_warn("the descriptors passed at start are not taken: %s", why);
			d->told = true;
		}
		if (d->store && dropped)
			log_warn("closed %zu descriptors passed at start that name nothing leakd "
				 "keeps", dropped);
	}
	err = keeper_bpffs_dir(d->o.socket, d->pin_dir, sizeof(d->pin_dir));
	if (!err && !(d->pins = keeper__bpffs(d->pin_dir)))
		err = -errno;
	if (err) {
		d->pin_dir[0] = '\0';
		/* Under systemd its store is enough; bpffs only serves older handovers. */
		if (!d->store)
			log_warn("no bpffs at /sys/fs/bpf (%s): restarts lose what is traced",
				 strerror(-err));
		return;
	}
	release_stale(d);
}

/*
 * Before the BPF side loads: the marker of a run without a clean stop, stale
 * handovers, and whether this socket's handover can be taken (in systemd's store
 * or pinned, before its deadline, and a state file whose header and checksum hold).
 */
static void restart_prepare(struct daemon *d, struct pipeline_opts *po)
{
	const char *why = NULL;
	char pid[32];
	int err;

	d->restart.previous = "none";
	d->restart.state = "none";
	if (mkdir(d->o.state_dir, 0700) && errno != EEXIST)
		log_warn("state directory %s: %s", d->o.state_dir, strerror(errno));
	if (handover_path(d->o.state_dir, d->o.socket, "state", d->state_path,
			  sizeof(d->state_path)) ||
	    handover_path(d->o.state_dir, d->o.socket, "running", d->marker_path,
			  sizeof(d->marker_path))) {
		log_warn("state directory %s: name too long: nothing kept across restarts",
			 d->o.state_dir);
		d->state_path[0] = d->marker_path[0] = '\0';
		return;
	}
	if (!access(d->marker_path, F_OK)) {
		d->restart.previous = "crash";
		log_warn("the previous leakd on %s did not stop cleanly (killed, or it crashed): "
			 "what it held in memory is lost", d->o.socket);
	}
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	err = write_file_atomic(d->marker_path, &(struct iovec){ pid, strlen(pid) }, 1, 0600);
	if (err)
		log_warn("cannot write %s: %s", d->marker_path, strerror(-err));
	open_keepers(d);
	err = handover_read(d->state_path, &d->state, &d->state_len, &why);
	if (err == -ENOENT) {
		d->state = NULL;
	} else if (err) {
		log_warn("state file %s: %s; starting afresh", d->state_path, why);
		d->restart.state = "unreadable";
		d->state = NULL;
	} else if (!strcmp(d->restart.previous, "none")) {
		d->restart.previous = "clean stop";
	}
	if (d->store && keeper__any(d->store))
		d->from = d->store;
	else if (d->pins && keeper__any(d->pins))
		d->from = d->pins;	/* pinned where there was no store, or by an older leakd */
	if (!d->from)
		return;
	if (d->state && !stale(d->from, now_ns()) &&
	    !handover_check(d->state, d->state_len, &why)) {
		po->adopt = d->from;
		return;
	}
	/* The file's own fault is told when it is read. */
	log_warn("released the handover in %s: %s", keeper__where(d->from),
		 !d->state ? "no state file goes with it" :
		 stale(d->from, now_ns()) ? "past its deadline" :
		 "its state file cannot be used");
	keeper__forget(d->from);
	d->from = NULL;
	d->told = true;
	d->restart.released++;
}

static void restore_rules_and_exits(struct daemon *d, const struct handover *h)
{
	uint64_t now = now_ns();
	struct kept_exit *k;
	size_t i;

	for (i = 0; i < h->nr_rules; i++) {
		const struct handover_rule *r = &h->rules[i];

		if (r->until && r->until <= now)
			continue;	/* its time ran out meanwhile */
		if (policy__add_rule(d->policy, r->comm, r->unit, r->owner, r->owner_gid,
				     r->until, r->sample) >= 0)
			d->restart.rules++;
	}
	for (i = 0; i < h->nr_exits; i++) {
		struct handover_exit *e = &h->exits[i];

		k = exit_slot(d, (enum exit_rank)e->rank);
		if (!k)
			continue;
		if (k->used)
			exit_snap__free(&k->s);
		else
			d->nr_exited++;
		k->used = true;
		k->s = e->s;
		memset(&e->s.stacks, 0, sizeof(e->s.stacks));	/* the slot owns them now */
		k->cred = e->cred;
		k->rank = (enum exit_rank)e->rank;
		k->seq = e->seq;
		d->restart.exits++;
	}
	if (h->exit_seq > d->exit_seq)
		d->exit_seq = h->exit_seq;
}

/* A saved process as a watch again; alive: still the same process, traced on. */
static struct watch *restore_watch(struct daemon *d, const struct handover_proc *hp, bool alive)
{
	struct watch *w = hashtab__upsert(&d->watches, hp->pid, NULL);

	if (!w || history__init(&w->mem, d->o.history_points, MEM__VALUES)) {
		if (w)
			hashtab__remove(&d->watches, hp->pid, NULL);
		return NULL;
	}
	w->uid = hp->uid;
	w->cred = hp->cred;
	snprintf(w->cgroup, sizeof(w->cgroup), "%s", hp->cgroup);
	w->ever_traced = true;
	if (alive) {
		w->traced = (enum trace_kind)hp->traced;
		w->trace_until = hp->trace_until;
		w->sample = hp->sample;
		/* A sampler injected is still to be pointed back when its trace ends. */
		w->injected = hp->injected;
		w->inert = hp->inert;
	}
	return w;
}

/*
 * After the BPF side is loaded, before /proc is scanned: the state file's tables,
 * rules and summaries, the links of the processes still there, then what arrived
 * meanwhile, and the pins go.  Why no event is lost or counted twice: the ring
 * buffer and its consumer position are the old daemon's; it drained what it could
 * and saved its tables after that, so what follows in the ring is what the
 * tables lack.  The allocator links are taken over, never doubled (one link per
 * probe at every moment), and the watch tier runs in one generation at a time.
 */
static void restart_load(struct daemon *d)
{
	struct tables *t = pipeline__tables(d->pl);
	bool adopted = pipeline__adopted(d->pl);
	struct decoder_stats before, after;
	pid_t gone[256];
	size_t i, nr_gone = 0;
	struct handover h;
	const char *why;
	uint64_t drops;
	int err, n;

	if (!d->state)
		goto release;
	err = handover__decode(d->state, d->state_len, t, pipeline__symbolizer(d->pl), &h, &why);
	free(d->state);
	d->state = NULL;
	unlink(d->state_path);	/* taken: a later crash must not bring it back */
	if (err) {
		log_warn("state file %s: %s; starting afresh", d->state_path,
			 why ? why : strerror(-err));
		d->restart.state = err == -ESTALE ? "of another boot or version" : "rejected";
		goto release;
	}
	d->restart.state = "loaded";
	if (h.deadline_ns && !adopted && !d->from && !d->told)
		log_warn("the handover of %zu traced processes is gone (%s): they are traced afresh",
			 h.nr_procs, d->store ? "systemd did not pass it back: the service was "
			 "stopped, not restarted" : "released, or its pins removed");
	restore_rules_and_exits(d, &h);
	events__stats(pipeline__events(d->pl), &before);
	for (i = 0; i < h.nr_procs; i++) {
		const struct handover_proc *hp = &h.procs[i];
		struct proc_mem *p = tables__proc(t, (pid_t)hp->pid);
		bool alive;

		if (!hp->pid || !p)
			continue;
		alive = procfs_start_time((pid_t)hp->pid) == hp->start_time;
		if (!adopted || (alive && pipeline__adopt_proc(d->pl, (pid_t)hp->pid, hp->sample,
							       hp->slot, hp->interval, d->from,
							       hp->objs, hp->nr_objs)) ||
		    (!alive && pipeline__adopt_proc(d->pl, (pid_t)hp->pid, 0, 0, 0, NULL, NULL, 0))) {
			/* Its figures would miss what happened meanwhile: traced afresh. */
			tables__remove_proc(t, (pid_t)hp->pid);
			d->restart.procs_lost++;
			continue;
		}
		if (!restore_watch(d, hp, alive)) {
			pipeline__forget_proc(d->pl, (pid_t)hp->pid);
			d->restart.procs_lost++;
			continue;
		}
		if (alive) {
			d->restart.procs++;
			d->restart.allocs += p->live_count + p->sampled.count;
		} else if (nr_gone < ARRAY_SIZE(gone)) {
			gone[nr_gone++] = (pid_t)hp->pid;
		}
	}
	d->restart.taken_over = adopted;
	if (adopted) {
		/* What arrived meanwhile, exits included: bounded by the ring's size. */
		do
			n = pipeline__consume(d->pl);
		while (n > 0);
		events__stats(pipeline__events(d->pl), &after);
		d->restart.events = after.records - before.records;
		drops = kernel_drops(d);
		d->restart.lost = drops > h.drops ? drops - h.drops : 0;
		/* Left meanwhile, its exit not in the ring (lost, or before the pins). */
		for (i = 0; i < nr_gone; i++) {
			if (watch_of(d, gone[i])) {
				d->restart.procs_gone++;
				remove_process(d, gone[i], true);
			}
		}
		tracer__forget_sent(pipeline__tracer(d->pl));
	}
	log_info("restart: took over %" PRIu64 " traced processes (%" PRIu64 " live allocations), "
		 "%" PRIu64 " left meanwhile, %" PRIu64 " not taken; %" PRIu64 " events drained, "
		 "%" PRIu64 " lost; %" PRIu64 " rules, %" PRIu64 " exit summaries",
		 d->restart.procs, d->restart.allocs, d->restart.procs_gone,
		 d->restart.procs_lost, d->restart.events, d->restart.lost, d->restart.rules,
		 d->restart.exits);
	handover__destroy(&h);
release:
	free(d->state);
	d->state = NULL;
	/* Taken, or not to be: the store drops its copies, the pins go. */
	if (d->from)
		keeper__forget(d->from);
	d->from = NULL;
	if (d->pins && keeper__any(d->pins))
		keeper__forget(d->pins);
}

static void save_rule(void *ctx, const char *comm, const char *unit, uint32_t owner,
		      uint32_t owner_gid, uint64_t until, uint64_t sample)
{
	struct handover *h = ctx;
	struct handover_rule *r = &h->rules[h->nr_rules++];

	snprintf(r->comm, sizeof(r->comm), "%s", comm);
	snprintf(r->unit, sizeof(r->unit), "%s", unit);
	r->owner = owner;
	r->owner_gid = owner_gid;
	r->until = until;
	r->sample = sample;
}

static bool any_traced(struct daemon *d)
{
	struct watch *w;
	size_t i;

	hashtab__for_each(&d->watches, i, w)
		if (w->traced != TRACE_KIND_NONE)
			return true;
	return false;
}

/* Pins the links of the traced processes; returns how many were pinned. */
static size_t pin_traced(struct daemon *d, struct handover *h)
{
	struct tracer *tr = pipeline__tracer(d->pl);
	struct watch *w;
	size_t i;
	int n;

	hashtab__for_each(&d->watches, i, w) {
		struct handover_proc *hp = &h->procs[h->nr_procs];
		const struct proc_mem *p = proc_of(d, w->pid);

		if (w->traced == TRACE_KIND_NONE || !p || h->nr_procs >= HANDOVER_MAX_PROCS)
			continue;
		hp->objs = calloc(TRACER_MAX_PINNED, sizeof(*hp->objs));
		if (!hp->objs)
			continue;
		n = tracer__pin_proc(tr, (pid_t)w->pid, keep(d), hp->objs, TRACER_MAX_PINNED);
		if (n <= 0) {
			log_info("pid %" PRIu64 " (%s) is not handed over: %s", w->pid, p->comm,
				 n == -EOPNOTSUPP ? "its otel_memory probes' links were not found" :
				 strerror(n ? -n : ENOENT));
			free(hp->objs);
			hp->objs = NULL;
			continue;
		}
		hp->pid = w->pid;
		hp->start_time = p->start_time;
		hp->uid = w->uid;
		hp->cred = w->cred;
		snprintf(hp->cgroup, sizeof(hp->cgroup), "%s", w->cgroup);
		hp->traced = w->traced;
		hp->trace_until = w->trace_until;
		hp->sample = w->sample;
		tracer__slot(tr, (pid_t)w->pid, &hp->slot, &hp->interval);
		hp->ever_traced = w->ever_traced;
		hp->injected = w->injected;
		hp->inert = w->inert;
		hp->nr_objs = (uint32_t)n;
		h->nr_procs++;
	}
	return h->nr_procs;
}

/*
 * A clean stop: the traced processes go on being recorded into pinned maps until
 * the restart grace ends, and the state is saved for the next start.
 */
static void restart_save(struct daemon *d)
{
	struct policy_stats ps;
	struct handover h = { 0 };
	struct wbuf w;
	size_t i, pinned = 0;
	uint64_t allocs = 0;
	int err = 0, n;

	if (!d->state_path[0])
		return;
	h.saved_ns = now_ns();
	if (keep(d) && d->o.restart_grace_ns && any_traced(d)) {
		/* Kept first, then drained: what comes after the drain waits in the ring. */
		h.deadline_ns = now_ns() + d->o.restart_grace_ns;
		err = tracer__pin(pipeline__tracer(d->pl), keep(d), h.deadline_ns);
		if (err) {
			log_warn("cannot hand over through %s: %s; the traced processes are not "
				 "handed over", keeper__where(keep(d)), strerror(-err));
			keeper__forget(keep(d));
			h.deadline_ns = 0;
		}
	}
	do
		n = pipeline__consume(d->pl);
	while (n > 0);
	/* Sized after the drain, which may add processes, exits and rules. */
	policy__stats(d->policy, &ps);
	h.procs = calloc(d->watches.count ? d->watches.count : 1, sizeof(*h.procs));
	h.rules = calloc(ps.rules ? ps.rules : 1, sizeof(*h.rules));
	h.exits = calloc(d->nr_exited ? d->nr_exited : 1, sizeof(*h.exits));
	if (!h.procs || !h.rules || !h.exits) {
		log_warn("out of memory: nothing kept across the restart");
		if (h.deadline_ns)
			keeper__forget(keep(d));
		goto out;
	}
	if (h.deadline_ns)
		pinned = pin_traced(d, &h);
	if (h.deadline_ns && !pinned) {
		keeper__forget(keep(d));	/* nothing to keep recording */
		h.deadline_ns = 0;
	}
	h.drops = kernel_drops(d);
	policy__for_each_rule(d->policy, save_rule, &h);
	for (i = 0; i < d->o.max_exited && h.nr_exits < d->nr_exited; i++) {
		/* Kept by module and offset until shown: the state file keeps them named. */
		if (!d->exited[i].used ||
		    stack_list__name(&d->exited[i].s.stacks, pipeline__symbolizer(d->pl)))
			continue;
		h.exits[h.nr_exits] = (struct handover_exit){ .s = d->exited[i].s,
							      .cred = d->exited[i].cred,
							      .rank = d->exited[i].rank,
							      .seq = d->exited[i].seq };
		h.nr_exits++;
	}
	h.exit_seq = d->exit_seq;
	wbuf__init(&w, HANDOVER_MAX_BYTES);
	err = handover__encode(&h, pipeline__tables(d->pl), pipeline__symbolizer(d->pl), &w);
	if (!err)
		err = write_file_atomic(d->state_path, &(struct iovec){ w.p, w.n }, 1, 0600);
	wbuf__destroy(&w);
	if (err) {
		log_warn("cannot save the state to %s: %s; nothing kept across the restart",
			 d->state_path, strerror(-err));
		if (h.deadline_ns)
			keeper__forget(keep(d));
		goto out;
	}
	for (i = 0; i < h.nr_procs; i++) {
		const struct proc_mem *p = proc_of(d, (pid_t)h.procs[i].pid);

		allocs += p ? p->live_count + p->sampled.count : 0;
	}
	log_info("saved %zu traced processes (%" PRIu64 " live allocations), %zu rules and %zu "
		 "exit summaries to %s%s", pinned, allocs, h.nr_rules, h.nr_exits, d->state_path,
		 !pinned ? "" : d->store ? "; they stay recorded until the next start, the restart "
		 "grace ends or systemd closes its store (a stop for good)" :
		 "; they stay recorded until the next start or the restart grace ends");
out:
	/* The summaries' stacks are the daemon's: not freed with h. */
	h.nr_exits = 0;
	handover__destroy(&h);
}

int daemon__release(const struct leakd_options *o)
{
	struct keeper *k = NULL;
	char dir[256];
	int err;

	err = keeper_bpffs_dir(o->socket, dir, sizeof(dir));
	if (!err && !(k = keeper__bpffs(dir)))
		err = -errno;
	if (!err)
		err = keeper__forget(k);
	keeper__free(k);
	if (err && err != -ENOENT) {
		log_err("cannot release %s: %s", dir, strerror(-err));
		return EXIT_FAILURE_RUNTIME;
	}
	/* The state file stays: rules and summaries still come back at the next start. */
	printf("%s\n", err ? "nothing to release" : "released");
	return EXIT_OK;
}

static int setup(struct daemon *d, server_handler handler)
{
	const struct leakd_options *o = &d->o;
	struct histories_limits hl;
	struct pipeline_opts po = {
		.max_depth = o->max_depth, .ringbuf_bytes = o->ringbuf_bytes,
		.ringbuf_watch_bytes = o->watch_ringbuf_bytes,
		/* The tracer's room: both budgets. */
		.max_traced = o->max_traced + o->max_sampler, .unwind_rows = o->unwind_rows,
		.unwind_procs = o->max_procs < MAX_UNWIND_PROCS ? o->max_procs : MAX_UNWIND_PROCS,
		.frame_pointers = o->frame_pointers, .watch_all = true,
		.cache_dir = o->cache_dir, .max_modules = MAX_MODULES,
		.limits = { .max_allocs = o->max_allocs, .max_stacks = o->max_stacks,
			    .max_maps = o->max_mappings },
		.rediscover_ns = REDISCOVER_NS, .hold = !o->no_hold,
		.syscalls = (enum syscall_probes)o->syscall_probes,
	};
	struct server_opts so = { .path = o->socket, .group = o->socket_group,
				  .max_clients = o->max_clients, .request_ns = CLIENT_REQUEST_NS,
				  .lock_fd = -1 };
	/* At least as often as memory is sampled, so that sample-interval holds below 1 s. */
	uint64_t tick_ns = o->sample_interval_ns < TICK_MS * NSEC_PER_MSEC ?
			   o->sample_interval_ns : TICK_MS * NSEC_PER_MSEC;
	struct itimerspec tick = {
		.it_interval = { tick_ns / NSEC_PER_SEC, tick_ns % NSEC_PER_SEC },
		.it_value = { tick_ns / NSEC_PER_SEC, tick_ns % NSEC_PER_SEC },
	};
	struct policy_opts pol;
	struct server_stats ss;
	sigset_t mask;
	int err;

	/* Before anything is loaded: a second daemon on the socket goes at once. */
	so.lock_fd = server__lock(o->socket);
	if (so.lock_fd == -EWOULDBLOCK) {
		log_err("another leakd is running on %s (it holds %s.lock)", o->socket, o->socket);
		return EXIT_ALREADY_RUNNING;
	}
	if (so.lock_fd < 0) {
		log_err("cannot lock %s.lock: %s", o->socket, strerror(-so.lock_fd));
		return EXIT_FAILURE_RUNTIME;
	}
	restart_prepare(d, &po);
	err = pipeline__new(&po, on_pipeline_event, d, &d->pl);
	if (err) {
		close(so.lock_fd);
		return err;
	}
	policy_opts(o, &pol);
	d->policy = policy__new(&pol);
	d->exited = calloc(o->max_exited ? o->max_exited : 1, sizeof(*d->exited));
	hl.max_series = o->history_series;
	hl.points = o->history_points;
	if (!d->policy || !d->exited || hashtab__init(&d->watches, sizeof(struct watch), 256) ||
	    histories__init(&d->stacks_hist, &hl) ||
	    snapstore__init(&d->snaps, o->state_dir, o->max_snapshots)) {
		log_err("out of memory");
		close(so.lock_fd);
		return EXIT_FAILURE_RUNTIME;
	}
	d->server = server__new(&so, handler, d);	/* the lock is the server's now */
	if (!d->server) {
		log_err("cannot listen on %s: %s", o->socket, strerror(errno));
		return EXIT_FAILURE_RUNTIME;
	}
	server__stats(d->server, &ss);
	if (o->socket_group && !ss.group_applied)
		log_warn("no group '%s': only root may use %s", o->socket_group, o->socket);
	if (o->metrics_listen) {
		struct http_opts ho = { .listen = o->metrics_listen, .max_clients = HTTP_CLIENTS,
					.deadline_ns = CLIENT_REQUEST_NS, .max_body = LEAKD_RESP_MAX };

		d->http = http__new(&ho, d->metrics, d);
		if (!d->http) {
			log_err("cannot serve metrics on %s: %s", o->metrics_listen,
				errno == EINVAL ? "not ADDR:PORT, [ADDR]:PORT or a socket path" :
						  strerror(errno));
			return EXIT_USAGE;
		}
		if (http__port(d->http))
			log_info("metrics on %s (port %u)", o->metrics_listen, http__port(d->http));
		else
			log_info("metrics on %s", o->metrics_listen);
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
	    epoll_add(d->epfd, pipeline__events_fd(d->pl), TAG_EVENTS) ||
	    epoll_add(d->epfd, d->sigfd, TAG_SIGNAL) || epoll_add(d->epfd, d->timerfd, TAG_TIMER) ||
	    epoll_add(d->epfd, server__fd(d->server), TAG_SERVER) ||
	    (d->http && epoll_add(d->epfd, http__fd(d->http), TAG_HTTP)) ||
	    (pipeline__unwind_fd(d->pl) >= 0 &&
	     epoll_add(d->epfd, pipeline__unwind_fd(d->pl), TAG_UNWIND))) {
		log_err("cannot set up the event loop: %s", strerror(errno));
		return EXIT_FAILURE_RUNTIME;
	}
	return 0;
}

static void teardown(struct daemon *d)
{
	struct watch *w;
	size_t i;

	if (d->watches.slots)
		hashtab__for_each(&d->watches, i, w) {
			char why[INJECT_WHY];

			/* Nobody listens to the sampler any more: its own interval, out of the way. */
			unpace(w);
			uninject(d, w, why, sizeof(why));
			history__destroy(&w->mem);
		}
	hashtab__destroy(&d->watches);
	histories__destroy(&d->stacks_hist);
	snapstore__destroy(&d->snaps);
	http__free(d->http);
	for (i = 0; d->exited && i < d->o.max_exited; i++)
		exit_snap__free(&d->exited[i].s);
	free(d->exited);
	policy__free(d->policy);
	server__free(d->server);
	pipeline__free(d->pl);
	keeper__free(d->store);
	keeper__free(d->pins);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->timerfd >= 0)
		close(d->timerfd);
	if (d->epfd >= 0)
		close(d->epfd);
}

int daemon__run(int argc, char **argv, const struct leakd_options *o, server_handler handler,
		http_handler metrics)
{
	struct daemon *d = calloc(1, sizeof(*d));
	char status[128];
	int rc, err;

	if (!d) {
		log_err("out of memory");
		return EXIT_FAILURE_RUNTIME;
	}
	d->o = *o;
	d->argc = argc;
	d->argv = argv;
	d->metrics = metrics;
	d->sigfd = d->timerfd = d->epfd = -1;
	d->started_ns = now_ns();
	rc = setup(d, handler);
	if (!rc) {
		restart_load(d);
		scan_processes(d);
		d->next_sample = now_ns();
		d->budget_at = now_ns();
		d->next_rediscover = now_ns() + REDISCOVER_NS;
		log_info("watching %zu processes (%s probes, %s); listening on %s",
			 d->watches.count, tracer__mechanism(pipeline__tracer(d->pl)),
			 tracer__syscall_mechanism(pipeline__tracer(d->pl)), o->socket);
		snprintf(status, sizeof(status), "READY=1\nSTATUS=watching %zu processes",
			 d->watches.count);
		sd_notify_msg(status);
		err = loop(d);
		sd_notify_msg("STOPPING=1");
		if (err) {
			log_err("the event loop failed: %s", strerror(-err));
			rc = EXIT_FAILURE_RUNTIME;
		} else {
			restart_save(d);
		}
		if (d->marker_path[0])
			unlink(d->marker_path);	/* a clean stop: the next start need not warn */
	}
	free(d->state);
	teardown(d);
	free(d);
	return rc;
}

/* The answers: gathered here, from the daemon's own state, into snapshots. */

/*
 * The kernel's rule for reading /proc/PID/maps (procfs_cred_allows): as the process
 * was last seen, and as it is now.
 */
static bool visible(const struct peer *who, const struct watch *w)
{
	return who->uid == 0 || (procfs_cred_allows(&w->cred, who->uid, who->gid) &&
				 procfs_may_inspect(w->pid, who->uid, who->gid));
}

static uint64_t self_rss(void)
{
	struct procfs_status st;

	return procfs_status(getpid(), &st) ? 0 : st.rss_bytes;
}

/* who's rules, with their modes and what is left of them. */
static void status_rules(struct daemon *d, const struct peer *who, struct status_snap *s)
{
	struct rule_info list[STATUS_RULES];
	uint64_t now = now_ns();
	size_t i, n;

	n = policy__rules(d->policy, who->uid, list, STATUS_RULES);
	s->rules.mine = n;
	s->rules.listed = n < STATUS_RULES ? n : STATUS_RULES;
	for (i = 0; i < s->rules.listed; i++) {
		struct status_rule *r = &s->rules.list[i];

		memcpy(r->comm, list[i].comm, sizeof(r->comm));
		memcpy(r->unit, list[i].unit, sizeof(r->unit));
		r->owner = list[i].owner;
		r->sample_bytes = list[i].sample;
		r->forever = !list[i].until;
		r->left_s = list[i].until > now ? (list[i].until - now) / NSEC_PER_SEC : 0;
	}
}

void daemon__status(struct daemon *d, const struct peer *who, struct status_snap *s)
{
	struct tracer *tr = pipeline__tracer(d->pl);
	struct tables *t = pipeline__tables(d->pl);
	struct unwinder *unw = pipeline__unwinder(d->pl);
	struct symbolizer *sym = pipeline__symbolizer(d->pl);
	struct unwinder_stats us = { 0 };
	struct symbolizer_stats ss;
	struct pipeline_stats ps;
	struct policy_stats pol;
	struct server_stats srv;
	struct decoder_stats es;
	const struct watch *w;
	struct rusage ru;
	size_t i;

	memset(s, 0, sizeof(*s));
	s->version = LEAKD_VERSION;
	s->uptime_s = (now_ns() - d->started_ns) / NSEC_PER_SEC;
	s->uprobes = tracer__mechanism(tr);
	s->syscalls = tracer__syscall_mechanism(tr);
	s->sampling = tracer__sample_mechanism(tr);
	s->sample_bytes = LEAKD_SAMPLE_DEFAULT;
	s->eh_frame = unw != NULL;
	s->watched = d->watches.count;
	hashtab__for_each(&d->watches, i, w) {
		const struct proc_mem *p = proc_of(d, w->pid);

		s->traced_by[w->traced]++;
		s->traced += w->traced != TRACE_KIND_NONE;
		if (!p)
			continue;
		s->tables.allocs_dropped += p->losses.allocs_dropped;
		s->tables.stacks_merged += p->losses.stacks_merged;
		s->tables.mappings_dropped += p->losses.maps_dropped;
	}
	s->exited_kept = d->nr_exited;
	s->drilldown.on = d->o.drilldown && d->o.drilldown_max;
	s->drilldown.bytes = d->o.drilldown_bytes;
	s->drilldown.window_s = d->o.drilldown_window_ns / NSEC_PER_SEC;
	s->drilldown.for_s = d->o.drilldown_for_ns / NSEC_PER_SEC;
	s->drilldown.max = d->o.drilldown_max;
	s->drilldown.started = d->stats.traces_auto;
	s->drilldown.excluded = d->stats.drilldown_excluded;
	s->inject.done = d->stats.injected;
	s->inject.refused = d->stats.injects_refused;
	s->inject.waiting = d->inject_waiting;
	s->inject.lost = d->inject_lost;
	events__stats(pipeline__events(d->pl), &es);
	s->events.records = es.records;
	s->events.bad = es.bad_records;
	s->events.unknown_pid = es.unknown_pid;
	tracer__counters(tr, s->counters);
	s->missed_runs = tracer__missed_runs(tr);
	s->tables.allocs = t->nr_allocs;
	s->tables.allocs_limit = t->limits.max_allocs;
	s->tables.stacks = t->nr_stacks;
	s->tables.stacks_limit = t->limits.max_stacks;
	s->tables.mappings = t->nr_maps;
	s->tables.mappings_limit = t->limits.max_maps;
	pipeline__stats(d->pl, &ps);
	s->limits.procs_dropped = d->stats.procs_dropped;
	s->limits.procs_limit = d->o.max_procs;
	s->limits.traces_refused = d->stats.traces_refused;
	s->limits.traced_limit = d->o.max_traced;
	s->limits.unwind_skipped = ps.unwind_skipped;
	s->events.map_exec = ps.map_exec;
	s->events.map_exec_covered = ps.map_exec_covered;
	s->limits.exited_evicted = d->stats.exited_evicted;
	s->limits.exited_limit = d->o.max_exited;
	policy__stats(d->policy, &pol);
	s->rules.count = pol.rules;
	s->rules.limit = d->o.max_rules;
	s->rules.added = pol.added;
	s->rules.extended = pol.extended;
	s->rules.refused = pol.refused;
	s->rules.expired = pol.expired;
	s->rules.removed = pol.removed;
	status_rules(d, who, s);
	s->budget.limit = d->o.event_budget;
	s->budget.sampled_rate = d->budget.sampled_rate;
	s->budget.exempt_rate = d->budget.exempt_rate;
	s->budget.rate = d->budget.sampled_rate + d->budget.exempt_rate;
	s->budget.factor = 1ull << d->budget.shift;
	s->budget.exceeded = s->budget.limit && s->budget.rate > s->budget.limit;
	s->budget.by_exempt = s->budget.limit && s->budget.exempt_rate > s->budget.limit;
	s->budget.pace_failed = d->stats.pace_failed;
	hashtab__for_each(&d->watches, i, w)
		if (via_probes(d, w)) {
			s->budget.samplers_paced += w->ctl.at != 0;
			s->budget.samplers_fixed += !w->ctl.at;
		}
	s->holds.how = tracer__hold_mechanism(tr);
	s->holds.held = s->counters[LEAKD_CNT_HELD];
	s->holds.skipped = s->counters[LEAKD_CNT_HOLD_SKIPPED];
	s->holds.now = tracer__holds(tr) ? holds__count(tracer__holds(tr)) : 0;
	if (unw)
		unwinder__stats(unw, &us);
	s->unwind.tables = us.tables_ready;
	s->unwind.from_cache = us.tables_from_cache;
	s->unwind.pending = us.tables_pending;
	s->unwind.failed = us.tables_failed;
	s->unwind.no_room = us.tables_no_room;
	s->unwind.evicted = us.tables_evicted;
	s->unwind.rows = us.rows_used;
	s->unwind.rows_limit = us.rows_max;
	s->unwind.maps_dropped = us.maps_dropped;
	s->unwind.procs_dropped = us.procs_dropped;
	s->unwind.files_dropped = us.files_dropped;
	s->unwind.cache = unw ? unwinder__cache_state(unw) : "off";
	s->unwind.cache_mismatches = us.cache_mismatches;
	s->unwind.cache_refused = us.cache_refused;
	s->unwind.cache_save_failed = us.cache_save_failed;
	symbolizer__stats(sym, &ss);
	s->symbols.modules = ss.modules;
	s->symbols.unreadable = ss.modules_unreadable;
	s->symbols.dropped = ss.modules_dropped;
	server__stats(d->server, &srv);
	s->clients.connected = srv.clients;
	s->clients.limit = d->o.max_clients;
	s->clients.refused = srv.refused;
	s->clients.requests = srv.requests;
	s->clients.bad_requests = srv.bad_requests;
	s->clients.dropped = srv.dropped;
	s->clients.refused_share = srv.refused_share;
	s->clients.timed_out = srv.timed_out;
	s->clients.socket = d->o.socket;
	s->metrics.listen = d->http ? d->o.metrics_listen : NULL;
	if (d->http) {
		struct http_stats hs;

		http__stats(d->http, &hs);
		s->metrics.requests = hs.requests;
		s->metrics.bad_requests = hs.bad_requests;
		s->metrics.refused = hs.refused;
		s->metrics.timed_out = hs.timed_out;
	}
	s->history.series = d->stacks_hist.series.count;
	s->history.limit = d->o.history_series;
	s->history.dropped = d->stacks_hist.dropped;
	s->history.bytes = histories__memory(&d->stacks_hist);
	s->clients.socket_group = srv.group_applied;
	getrusage(RUSAGE_SELF, &ru);
	s->daemon.cpu_s = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
			  (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	s->daemon.rss_bytes = self_rss();
	s->daemon.tables_bytes = tables__memory(t) + symbolizer__memory(sym);
	s->restart = d->restart;
	tracer__map_memory(tr, &s->daemon.bpf_map_bytes, &s->daemon.bpf_mapped_bytes);
	s->daemon.ringbuf_bytes = tracer__ring_bytes(tr);
}

/*
 * The intervals of leakd's sampler in a process, as its control block says now:
 * asked, and in force (times the budget's factor).  Another emitter's are its own.
 */
static void sampler_interval(const struct watch *w, struct ps_row *r)
{
	struct leakd_sampler_control c;
	uint32_t f;

	r->sampler_fixed = true;
	if (!w->ctl.at || samplerctl__read(&w->ctl, &c) || !c.interval)
		return;
	f = leakd_sampler_factor(&c);	/* every daemon's widening, as the sampler takes it */
	r->sampler_fixed = false;
	r->sample_bytes = c.interval;
	r->interval_bytes = c.interval > UINT64_MAX / f ? UINT64_MAX : c.interval * f;
}

/* Known growth first, fastest first; then the largest. */

static int cmp_ps(const void *a, const void *b)
{
	const struct ps_row *x = a, *y = b;
	bool kx = x->growth != TREND_UNKNOWN, ky = y->growth != TREND_UNKNOWN;

	if (kx != ky)
		return kx ? -1 : 1;
	if (x->growth_per_hour != y->growth_per_hour)
		return x->growth_per_hour > y->growth_per_hour ? -1 : 1;
	if (x->anon_bytes != y->anon_bytes)
		return x->anon_bytes > y->anon_bytes ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Who owns what stack k of p maps, named once and kept with the stack. */
static enum runtime_kind stack_owner(struct daemon *d, const struct proc_mem *p, uint32_t k)
{
	struct proc_stack *st = p->stacks[k];

	if (st->owner)
		return st->owner - 1;
	if (!(st->flags & STACK_HAS_FRAMES))
		return RUNTIME_OTHER;	/* not named yet: ask again later */
	st->owner = runtime__owner(pipeline__symbolizer(d->pl), st->frames, st->nr_frames) + 1;
	return st->owner - 1;
}

/*
 * Whose memory a process's growth is in: the owner of the mappings and heap growth
 * that rose the most within the window.  False when nothing there rose.
 */
static bool growth_owner(struct daemon *d, const struct proc_mem *p, const struct trend_opts *to,
			 uint64_t now, enum runtime_kind *ret)
{
	static const enum level levels[] = { LEVEL_MAP, LEVEL_BRK };
	double by[RUNTIME__COUNT] = { 0 }, best = 0;
	struct trend_opts so = *to;
	struct trend t;

	so.first_is_birth = true;	/* stacks: their first point is their first memory */

	for (size_t l = 0; l < ARRAY_SIZE(levels); l++) {
		for (uint32_t k = 0; k < p->nr_stacks; k++) {
			const struct history *h = histories__get(&d->stacks_hist, p->pid, k,
								 levels[l]);

			if (!h)
				continue;
			history__trend(h, HIST_BYTES, now, &so, &t);
			if ((t.cls == TREND_GROWING || t.cls == TREND_PLATEAUED) && t.delta > 0)
				by[stack_owner(d, p, k)] += t.delta;
		}
	}
	for (int o = 0; o < RUNTIME__COUNT; o++) {
		if (by[o] > best) {
			best = by[o];
			*ret = o;
		}
	}
	return best > 0;
}

int daemon__ps(struct daemon *d, const struct peer *who, uint32_t limit, struct ps_snap *ret)
{
	uint64_t now = now_ns();
	const struct watch *w;
	struct trend_opts to;
	size_t i;

	memset(ret, 0, sizeof(*ret));
	trend_opts__defaults(&to);
	to.window_ns = d->o.growth_window_ns;
	ret->growth_window_s = d->o.growth_window_ns / NSEC_PER_SEC;
	ret->rows = calloc(d->watches.count ? d->watches.count : 1, sizeof(*ret->rows));
	if (!ret->rows)
		return -ENOMEM;
	hashtab__for_each(&d->watches, i, w) {
		const struct proc_mem *p = proc_of(d, w->pid);
		struct ps_row *r = &ret->rows[ret->n];
		struct trend t;

		if (!p || !visible(who, w))
			continue;
		history__trend(&w->mem, MEM_ANON, now, &to, &t);
		r->pid = w->pid;
		r->uid = w->uid;
		memcpy(r->comm, p->comm, sizeof(r->comm));
		cgroup_unit(w->cgroup, r->unit, sizeof(r->unit));
		snprintf(r->cgroup, sizeof(r->cgroup), "%s", w->cgroup);
		cgroup_container_id(w->cgroup, r->container, sizeof(r->container));
		r->rss_bytes = w->rss_bytes;
		r->anon_bytes = w->anon_bytes;
		r->mapped_bytes = p->map_bytes;
		r->reserved_bytes = p->reserved_bytes;
		r->heap_bytes = p->heap_bytes;
		/* No rate from a few seconds of a process, or from a single step. */
		r->growth = t.cls;
		if (t.cls == TREND_GROWING || t.cls == TREND_PLATEAUED)
			r->growth_in_known = growth_owner(d, p, &to, now, &r->growth_in);
		r->growth_per_hour = t.cls == TREND_UNKNOWN ? 0 : t.per_hour;
		r->traced = w->traced;
		r->sampling = w->traced == TRACE_KIND_NONE ? "-" :
			      pipeline__via_probes(d->pl, w->pid) ? "sampler" :
			      w->sample ? "sampled" : "exact";
		r->sample_bytes = w->traced != TRACE_KIND_NONE ? pipeline__sample(d->pl, w->pid) : 0;
		r->interval_bytes = r->sample_bytes ? pipeline__interval(d->pl, w->pid) : 0;
		if (via_probes(d, w))
			sampler_interval(w, r);
		r->events_per_s = w->traced != TRACE_KIND_NONE ? w->events_rate : 0;
		r->unwind = pipeline__unwind_state(d->pl, w->pid);
		/* Sampled blocks stand for what they estimate. */
		r->traced_live_bytes = traced_live(p);
		ret->n++;
	}
	qsort(ret->rows, ret->n, sizeof(*ret->rows), cmp_ps);
	if (limit && limit < ret->n)
		ret->n = limit;
	return 0;
}

void ps_snap__free(struct ps_snap *s)
{
	free(s->rows);
	s->rows = NULL;
	s->n = 0;
}

static bool selected(struct daemon *d, const struct peer *who, const struct watch *w,
		     const struct selector *s)
{
	if (!visible(who, w))
		return false;
	if (s->pid)
		return (pid_t)w->pid == s->pid;
	if ((s->comm && s->comm[0]) || (s->unit && s->unit[0]))
		return matches(d, w, s->comm, s->unit);
	if (s->cgroup && s->cgroup[0])
		return cgroup_is_under(w->cgroup, s->cgroup);
	return true;
}

/* A stack of a process that may rank by growth. */
struct growth_row {
	struct report_row row;
	struct trend trend;
};

static int cmp_growth_rows(const void *a, const void *b)
{
	const struct growth_row *x = a, *y = b;
	int c = trend__cmp(&x->trend, &y->trend);

	if (c)
		return c;
	if (x->row.bytes != y->row.bytes)
		return x->row.bytes > y->row.bytes ? -1 : 1;
	return x->row.stack->id < y->row.stack->id ? -1 : x->row.stack->id > y->row.stack->id;
}

/* Every stack of p at level l whose history shows growth, shrinkage or a plateau. */
static int offer_growth(struct daemon *d, const struct proc_mem *p, enum level l,
			const struct trend_opts *to, uint64_t now, struct growth_row **rows,
			size_t *n, size_t *cap)
{
	for (uint32_t k = 0; k < p->nr_stacks; k++) {
		const struct history *h = histories__get(&d->stacks_hist, p->pid, k, l);
		struct growth_row g = { 0 };
		double b, c;

		if (!h)
			continue;
		history__trend(h, HIST_BYTES, now, to, &g.trend);
		if (!trend__ranks(&g.trend))
			continue;
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 64;
			struct growth_row *v = realloc(*rows, nc * sizeof(*v));

			if (!v)
				return -ENOMEM;
			*rows = v;
			*cap = nc;
		}
		g.row = (struct report_row){ .proc = p, .stack = p->stacks[k], .level = l, .index = k };
		/* A sampled stack ranks by its estimates, as its history holds them. */
		proc_stack__live(p->stacks[k], l, &b, &c, &g.row.se_bytes, &g.row.se_count);
		g.row.bytes = b > 0 ? (uint64_t)llround(b) : 0;
		g.row.count = c > 0 ? (uint64_t)llround(c) : 0;
		if (l == LEVEL_HEAP && p->stacks[k]->est)
			g.row.samples = p->stacks[k]->est->samples_live;
		(*rows)[(*n)++] = g;
	}
	return 0;
}

/* The trend and ages of the rows just added to the list (ages: one pass per process). */
static int annotate(struct daemon *d, struct stack_snap *snaps, const struct report_row *rows,
		    size_t n, const struct trend_opts *to, uint64_t now, bool histogram)
{
	struct stack_ages *ages;
	uint32_t *idx;
	size_t i, j, *pos;
	int err = 0;

	for (i = 0; i < n; i++) {
		const struct history *h = histories__get(&d->stacks_hist, rows[i].proc->pid,
							 rows[i].index, rows[i].level);

		snaps[i].trend_window_s = to->window_ns / NSEC_PER_SEC;
		if (h) {
			history__trend(h, HIST_BYTES, now, to, &snaps[i].trend);
			/* Two decimals say all a fit can. */
			snaps[i].trend.fit = round(snaps[i].trend.fit * 100) / 100;
			snaps[i].has_trend = true;
		}
	}
	idx = calloc(n ? n : 1, sizeof(*idx));
	pos = calloc(n ? n : 1, sizeof(*pos));
	ages = calloc(n ? n : 1, sizeof(*ages));
	if (!idx || !pos || !ages)
		err = -ENOMEM;
	for (i = 0; i < n && !err; i++) {
		size_t m = 0;

		if (snaps[i].has_ages)
			continue;
		/* The rows of the same process and level, in one pass over its memory. */
		for (j = i; j < n; j++) {
			if (rows[j].proc != rows[i].proc || rows[j].level != rows[i].level)
				continue;
			idx[m] = rows[j].index;
			pos[m++] = j;
		}
		err = proc_mem__ages(rows[i].proc, rows[i].level, idx, m, now, ages);
		for (j = 0; j < m && !err; j++) {
			snaps[pos[j]].ages = ages[j];
			snaps[pos[j]].has_ages = true;
			snaps[pos[j]].age_histogram = histogram;
		}
	}
	free(idx);
	free(pos);
	free(ages);
	return err;
}

int daemon__top(struct daemon *d, const struct peer *who, const struct top_query *q,
		struct top_snap *ret)
{
	struct symbolizer *sym = pipeline__symbolizer(d->pl);
	struct growth_row *grows = NULL;
	struct report_row *rows = NULL;
	size_t gn = 0, gcap = 0;
	uint64_t now = now_ns();
	struct trend_opts to;
	const struct watch *w;
	struct ranking r;
	size_t i, n, first;
	int err, l;

	memset(ret, 0, sizeof(*ret));
	trend_opts__defaults(&to);
	to.window_ns = q->window_ns ? q->window_ns : d->o.growth_window_ns;
	to.first_is_birth = true;	/* stacks: their first point is their first memory */
	ret->by_growth = q->by_growth;
	ret->window_s = to.window_ns / NSEC_PER_SEC;
	ret->since_s = q->since_ns / NSEC_PER_SEC;
	err = ranking__init(&r, q->limit, q->min_age_ns, now);
	if (err)
		return err;
	r.with_freed = q->with_freed;
	if (q->since_ns)
		r.since_ns = now > q->since_ns ? now - q->since_ns : 1;
	hashtab__for_each(&d->watches, i, w) {
		const struct proc_mem *p = proc_of(d, w->pid);

		if (!p || !selected(d, who, w, &q->sel))
			continue;
		ret->processes++;
		for (l = 0; l < LEVEL__COUNT && !err; l++) {
			if (!q->level[l])
				continue;
			if (q->by_growth)
				err = offer_growth(d, p, l, &to, now, &grows, &gn, &gcap);
			else
				err = ranking__add(&r, p, l);
		}
	}
	if (!err && !ret->processes && q->sel.pid)
		err = -ESRCH;
	if (err)
		goto out;
	if (q->by_growth) {
		qsort(grows, gn, sizeof(*grows), cmp_growth_rows);
		n = q->limit && q->limit < gn ? q->limit : gn;
		rows = calloc(n ? n : 1, sizeof(*rows));
		if (!rows) {
			err = -ENOMEM;
			goto out;
		}
		for (i = 0; i < n; i++)
			rows[i] = grows[i].row;
	} else {
		n = ranking__finish(&r);
		rows = r.rows;
	}
	first = ret->stacks.n;
	for (i = 0; i < n && !err; i++) {
		const struct watch *rw = watch_of(d, rows[i].proc->pid);

		err = stack_list__add(&ret->stacks, sym, &rows[i], true);
		if (!err && rows[i].level == LEVEL_HEAP && rw && rw->traced == TRACE_KIND_NONE)
			ret->stacks.v[ret->stacks.n - 1].trace_ended = true;
		if (!err && rw) {
			struct stack_snap *sn = &ret->stacks.v[ret->stacks.n - 1];

			/* Which service and container the row is of, from its cgroup. */
			if (strcmp(rw->cgroup, "/"))
				cgroup_unit(rw->cgroup, sn->unit, sizeof(sn->unit));
			cgroup_container_id(rw->cgroup, sn->container, sizeof(sn->container));
		}
	}
	if (!err)
		err = annotate(d, ret->stacks.v + first, rows, n, &to, now, q->ages);
out:
	if (rows != r.rows)
		free(rows);
	free(grows);
	ranking__destroy(&r);
	if (err)
		top_snap__free(ret);
	return err;
}

void top_snap__free(struct top_snap *s)
{
	stack_list__free(&s->stacks);
}

static void selector_text(const struct selector *s, char *buf, size_t size)
{
	if (s->pid)
		snprintf(buf, size, "pid %d", (int)s->pid);
	else if (s->comm && s->comm[0])
		snprintf(buf, size, "name %s", s->comm);
	else if (s->cgroup && s->cgroup[0])
		snprintf(buf, size, "cgroup %s", s->cgroup);
	else
		snprintf(buf, size, "unit %s", s->unit ? s->unit : "");
}

/*
 * Loads the sampler into the process (trace --inject) and points its allocator's
 * GOT entries at it: traced through its probes from then on.  -ECANCELED with
 * ret->why when it cannot be done safely.
 */
static int inject(struct daemon *d, struct watch *w, const struct peer *who, uint64_t every,
		  struct trace_snap *ret)
{
	int n, scope = inject__ptrace_scope();

	if (w->injected)
		return 0;	/* in already: the trace goes on */
	if (who->uid != 0 && scope >= 2) {
		snprintf(ret->why, sizeof(ret->why), "pid %" PRIu64 ": only root may inject while "
			 "kernel.yama.ptrace_scope is %d", w->pid, scope);
		return -ECANCELED;
	}
	n = inject__load((pid_t)w->pid, d->o.sampler, every, ret->why, sizeof(ret->why));
	if (n == -ESRCH)
		return -ESRCH;
	if (n < 0) {
		d->stats.injects_refused++;
		log_info("trace --inject: %s", ret->why);
		return -ECANCELED;
	}
	/* Traced by its allocator's probes until now: through the sampler's from now on. */
	if (w->traced != TRACE_KIND_NONE && !pipeline__via_probes(d->pl, w->pid))
		stop_trace(d, w);
	w->injected = true;
	w->inert = false;
	d->stats.injected++;
	ret->got_entries = n;
	log_info("pid %" PRIu64 ": the sampler is injected, %d GOT entries point at it", w->pid, n);
	return 0;
}

int daemon__trace(struct daemon *d, const struct peer *who, const struct trace_query *q,
		  struct trace_snap *ret)
{
	const char *comm = q->sel.comm ? q->sel.comm : "", *unit = q->sel.unit ? q->sel.unit : "";
	uint64_t until = q->duration_ns ? now_ns() + q->duration_ns : 0;
	struct watch *w;
	size_t i;
	int err;

	memset(ret, 0, sizeof(*ret));
	ret->got_entries = -1;
	ret->on = q->on;
	ret->by_pid = q->sel.pid != 0;
	ret->duration_s = q->duration_ns / NSEC_PER_SEC;
	selector_text(&q->sel, ret->what, sizeof(ret->what));
	if (q->sel.cgroup && q->sel.cgroup[0])
		return -EINVAL;	/* rules name processes or units, not cgroups */
	if (q->sel.pid) {
		w = watch_of(d, q->sel.pid);
		if (!w)
			return -ESRCH;
		if (!visible(who, w))
			return -EPERM;
		if (q->on && q->inject) {
			err = inject(d, w, who, q->sample_bytes ? q->sample_bytes :
					 LEAKD_SAMPLE_DEFAULT, ret);
			if (err)
				return err;
		}
	} else if (q->on) {
		err = policy__add_rule(d->policy, comm, unit, who->uid, who->gid, until,
				       q->exact ? 0 : q->sample_bytes ? q->sample_bytes :
				       default_sample(TRACE_KIND_RULE));
		if (err < 0)
			return err;
		ret->rules = 1;
		if (err == 0)	/* a new rule, not one extended */
			sync_rule_comms(d);
	} else {
		ret->rules = policy__remove_rules(d->policy, comm, unit, who->uid);
		if (ret->rules)
			sync_rule_comms(d);
	}
	ret->pids = calloc(d->watches.count ? d->watches.count : 1, sizeof(*ret->pids));
	if (!ret->pids)
		return -ENOMEM;
	hashtab__for_each(&d->watches, i, w) {
		if (q->sel.pid ? (pid_t)w->pid != q->sel.pid : !matches(d, w, comm, unit))
			continue;
		if (!visible(who, w)) {
			ret->denied++;
			continue;
		}
		if (q->on) {
			enum trace_kind how = q->sel.pid ? TRACE_KIND_MANUAL : TRACE_KIND_RULE;
			uint64_t sample = q->exact ? 0 : q->sample_bytes ? q->sample_bytes :
					  SAMPLE_AS_IS, rule_sample;

			/* Under a rule, the mode of the rules that cover it together. */
			if (how == TRACE_KIND_RULE && rule_for(d, w, NULL, &rule_sample))
				sample = rule_sample;
			err = start_trace(d, w, how, until, sample);
			if (err && w->injected && q->inject) {
				/* Not traced after all: the sampler goes out of the way again. */
				uninject(d, w, ret->why, sizeof(ret->why));
				ret->got_entries = -1;
			}
			if (err == -ENOSPC) {
				ret->refused++;
				continue;
			}
			if (err)
				continue;	/* no allocator in it, or gone */
		} else if (w->traced != TRACE_KIND_NONE) {
			bool was_injected = w->injected;

			err = stop_trace_why(d, w, ret->why, sizeof(ret->why));
			if (was_injected && err != -ESRCH)
				ret->got_entries = err;
			/* Untraced by someone: drill-down leaves it alone for a while. */
			w->auto_after = now_ns() + d->o.untrace_sticky_ns;
		} else {
			continue;
		}
		ret->pids[ret->n++] = w->pid;
	}
	if (q->on && q->sel.pid && !ret->n)
		return ret->refused ? -ENOSPC : -ENOENT;
	if (!q->on && ret->got_entries < -1)
		return -ECANCELED;	/* untraced, but the sampler is still in the way */
	return 0;
}

void trace_snap__free(struct trace_snap *s)
{
	free(s->pids);
	s->pids = NULL;
	s->n = 0;
}

static int cmp_exits(const void *a, const void *b)
{
	const struct kept_exit *x = *(const struct kept_exit *const *)a;
	const struct kept_exit *y = *(const struct kept_exit *const *)b;

	if (x->rank != y->rank)
		return x->rank > y->rank ? -1 : 1;
	return x->seq > y->seq ? -1 : x->seq < y->seq;
}

int daemon__exited(struct daemon *d, const struct peer *who, uint32_t limit,
		   struct exited_snap *ret)
{
	const struct kept_exit **v;
	size_t i, n = 0;

	memset(ret, 0, sizeof(*ret));
	v = calloc(d->nr_exited ? d->nr_exited : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < d->o.max_exited; i++) {
		struct kept_exit *k = &d->exited[i];

		/* As the check said when it exited. */
		if (!k->used || !procfs_cred_allows(&k->cred, who->uid, who->gid))
			continue;
		if (stack_list__name(&k->s.stacks, pipeline__symbolizer(d->pl))) {
			free(v);
			return -ENOMEM;
		}
		v[n++] = k;
	}
	/* Those that matter first (a host's trivial exits would bury them), newest first. */
	qsort(v, n, sizeof(*v), cmp_exits);
	if (limit && limit < n)
		n = limit;
	ret->v = (const struct exit_snap **)v;
	for (i = 0; i < n; i++)
		ret->v[i] = &v[i]->s;
	ret->n = n;
	return 0;
}

void exited_snap__free(struct exited_snap *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* Every stack of sel at the levels, by bytes: what a snapshot keeps. */
static int gather_all(struct daemon *d, const struct peer *who, const struct selector *sel,
		      const bool level[LEVEL__COUNT], struct top_snap *ret)
{
	struct top_query q = { .sel = *sel, .limit = d->o.snapshot_stacks };

	memcpy(q.level, level, sizeof(q.level));
	return daemon__top(d, who, &q, ret);
}

int daemon__snapshot_save(struct daemon *d, const struct peer *who, const char *name,
			  const struct selector *sel, const bool level[LEVEL__COUNT])
{
	struct top_snap t;
	struct snapshot s = { .kind = SNAP_TOP, .top = &t };
	int err;

	if (!snapstore_name_ok(name))
		return -EINVAL;
	err = gather_all(d, who, sel, level, &t);
	if (err)
		return err;
	err = snapstore__save(&d->snaps, who->uid, name, &s);
	top_snap__free(&t);
	return err;
}

int daemon__snapshot_delete(struct daemon *d, const struct peer *who, const char *name)
{
	return snapstore__delete(&d->snaps, who->uid, name);
}

int daemon__snapshot_list(struct daemon *d, const struct peer *who,
			  struct saved_list_snap *ret)
{
	struct saved_snap *v;
	int err;

	memset(ret, 0, sizeof(*ret));
	err = snapstore__list(&d->snaps, who->uid, &v, &ret->n);
	if (err)
		return err;
	ret->v = v;
	ret->limit = d->o.max_snapshots;
	return 0;
}

void saved_list_snap__free(struct saved_list_snap *s)
{
	free((void *)s->v);
	s->v = NULL;
	s->n = 0;
}

/* The stacks of one side of a diff: a saved snapshot, or what there is now. */
static int diff_side(struct daemon *d, const struct peer *who, const struct diff_query *q,
		     const char *name, struct stack_list *ret, const char **ret_why)
{
	struct top_snap t;
	int err;

	if (strcmp(name, "now")) {
		err = snapstore__load(&d->snaps, who->uid, name, ret, ret_why);
		if (err == -ENOENT || (err == -EINVAL && !*ret_why))
			*ret_why = name;
		return err;
	}
	err = gather_all(d, who, &q->sel, q->level, &t);
	if (err == -ESRCH) {
		*ret_why = "now: no such process watched";
		return -ENOENT;
	}
	if (err)
		return err;
	*ret = t.stacks;	/* the list moves out of the answer */
	return 0;
}

int daemon__diff(struct daemon *d, const struct peer *who, const struct diff_query *q,
		 struct diff_answer *ret, const char **ret_why)
{
	int err;

	memset(ret, 0, sizeof(*ret));
	*ret_why = NULL;
	err = diff_side(d, who, q, q->a, &ret->a, ret_why);
	if (!err)
		err = diff_side(d, who, q, q->b, &ret->b, ret_why);
	if (!err) {
		ret->diff = calloc(1, sizeof(*ret->diff));
		err = ret->diff ? diff__compute(&ret->a, &ret->b, q->limit, ret->diff) : -ENOMEM;
	}
	if (!err) {
		snprintf(ret->diff->a, sizeof(ret->diff->a), "%s", q->a);
		snprintf(ret->diff->b, sizeof(ret->diff->b), "%s", q->b);
	}
	if (err)
		diff_answer__free(ret);
	return err;
}

void diff_answer__free(struct diff_answer *a)
{
	if (a->diff)
		diff_snap__free(a->diff);
	free(a->diff);
	a->diff = NULL;
	stack_list__free(&a->a);
	stack_list__free(&a->b);
}

size_t daemon__metrics_top(const struct daemon *d)
{
	return d->o.metrics_top;
}

uint32_t daemon__profile_stacks(const struct daemon *d)
{
	return d->o.snapshot_stacks;	/* a profile keeps what a snapshot keeps */
}

/* A stack's history read at the times of the process's: the latest point at or before. */
static void resample(const struct history *h, const struct history *mem, uint64_t *ret)
{
	uint32_t i, k = 0;

	for (i = 0; i < mem->n; i++) {
		while (k < h->n && h->t[k] <= mem->t[i])
			k++;
		ret[i] = k ? history__value(h, k - 1, HIST_BYTES) : 0;
	}
}

/* The function a timeline names a stack by: its first frame in the program, else its first. */
static char *row_name(const struct stack_snap *st)
{
	const char *name = NULL;

	for (uint32_t i = 0; i < st->nr_frames && !name; i++)
		name = st->frames[i].real.function;
	return strdup(name ? name : "[unknown]");
}

int daemon__timeline(struct daemon *d, const struct peer *who, pid_t pid, uint32_t nr_stacks,
		     uint64_t window_ns, struct timeline_snap *ret)
{
	struct symbolizer *sym = pipeline__symbolizer(d->pl);
	static const enum mem_value from[TL__VALUES] = {
		[TL_RSS] = MEM_RSS, [TL_ANON] = MEM_ANON, [TL_HEAP] = MEM_HEAP,
		[TL_TRACED] = MEM_TRACED, [TL_FILE] = MEM_FILE,
	};
	struct growth_row *grows = NULL;
	struct stack_list names = { 0 };
	size_t gn = 0, gcap = 0, i;
	uint64_t now = now_ns(), wall_ns;
	const struct proc_mem *p;
	struct trend_opts to;
	struct watch *w;
	int err = 0, l;

	memset(ret, 0, sizeof(*ret));
	w = watch_of(d, pid);
	p = proc_of(d, pid);
	if (!w || !p || !visible(who, w))
		return -ESRCH;
	trend_opts__defaults(&to);
	to.window_ns = window_ns ? window_ns : d->o.growth_window_ns;
	to.first_is_birth = true;	/* stacks: their first point is their first memory */
	ret->pid = pid;
	memcpy(ret->comm, p->comm, sizeof(ret->comm));
	ret->window_s = to.window_ns / NSEC_PER_SEC;
	ret->n = w->mem.n;
	/* The first point's wall time: now less its age. */
	wall_ns = (uint64_t)time(NULL) * NSEC_PER_SEC;
	if (ret->n)
		ret->wall_start = (int64_t)((wall_ns - (now - w->mem.t[0])) / NSEC_PER_SEC);
	ret->t_ms = calloc(ret->n ? ret->n : 1, sizeof(*ret->t_ms));
	for (i = 0; i < TL__VALUES; i++)
		ret->values[i] = calloc(ret->n ? ret->n : 1, sizeof(*ret->values[i]));
	for (i = 0; i < TL__VALUES; i++)
		if (!ret->values[i])
			err = -ENOMEM;
	if (!ret->t_ms || err) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < ret->n; i++) {
		ret->t_ms[i] = (w->mem.t[i] - w->mem.t[0]) / NSEC_PER_MSEC;
		for (int k = 0; k < TL__VALUES; k++)
			ret->values[k][i] = history__value(&w->mem, i, from[k]);
	}
	for (l = 0; l < LEVEL__COUNT && !err; l++)
		err = offer_growth(d, p, l, &to, now, &grows, &gn, &gcap);
	if (err)
		goto out;
	qsort(grows, gn, sizeof(*grows), cmp_growth_rows);
	/* Growing ones only: a timeline shows what grows under the process. */
	while (gn && grows[gn - 1].trend.cls != TREND_GROWING)
		gn--;
	if (gn > nr_stacks)
		gn = nr_stacks;
	ret->rows = calloc(gn ? gn : 1, sizeof(*ret->rows));
	if (!ret->rows) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < gn && !err; i++) {
		const struct history *h = histories__get(&d->stacks_hist, pid, grows[i].row.index,
							 grows[i].row.level);
		struct timeline_row *r = &ret->rows[i];

		err = stack_list__add(&names, sym, &grows[i].row, false);
		if (err)
			break;
		r->name = row_name(&names.v[names.n - 1]);
		r->level = grows[i].row.level;
		r->growth = (int64_t)grows[i].trend.per_hour;
		r->bytes = calloc(ret->n ? ret->n : 1, sizeof(*r->bytes));
		ret->nr_rows++;
		if (!r->name || !r->bytes) {
			err = -ENOMEM;
			break;
		}
		if (h)
			resample(h, &w->mem, r->bytes);
	}
out:
	stack_list__free(&names);
	free(grows);
	if (err)
		timeline_snap__free(ret);
	return err;
}
