// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "serve/pipeline.h"
#include "base/clock.h"
#include "base/hashtab.h"
#include "base/log.h"
#include "base/procfs.h"
#include "base/procmaps.h"
#include "cli/options.h"
#include "collect/consume.h"
#include "collect/keeper.h"
#include "collect/startup.h"
#include "collect/tracer.h"
#include "leakd/events.h"
#include "stacks/symbolize.h"
#include "stacks/unwinder.h"

#define NORESERVE_CHECK (1ULL << 30)	/* mappings this large: smaps says if reserved */

/* What the pipeline keeps of a process besides its tables. */
struct pl_proc {
	uint64_t pid;		/* hashtab key */
	bool traced;		/* allocator probes in it, or its otel_memory probes */
	uint64_t sample;	/* ... sampling every so many bytes on average; 0: exact */
	bool use_probes;	/* its otel_memory probes, where it has them, over the
				 * allocator's */
	bool via_probes;	/* ... and it has them: it reports through them */
	bool pending;		/* to be traced once it maps an allocator (after exec) */
	bool unwound;		/* it has an entry in the kernel's unwind tables */
};

struct pipeline {
	struct pipeline_opts o;
	pipeline_cb cb;
	void *ctx;
	struct tracer *tracer;
	struct unwinder *unw;
	struct symbolizer *sym;
	struct tables tables;
	bool tables_ready;
	struct events *events;
	struct hashtab procs;	/* struct pl_proc */
	uint64_t next_rediscover;
	bool grow_ring;		/* a process is traced: the tracing ring, at the next chance */
	struct pipeline_stats stats;
};

static struct pl_proc *pl_proc(const struct pipeline *pl, pid_t pid)
{
	return hashtab__get(&pl->procs, (uint64_t)pid);
}

static void tell(struct pipeline *pl, enum pipeline_event ev, pid_t pid, uint32_t aux)
{
	if (pl->cb)
		pl->cb(pl->ctx, ev, pid, aux);
}

/*
 * Probes in a process, new ones only (what is attached stays).  A process whose
 * sampler emits otel_memory probes reports through them at sampling cost, unless
 * the mode wants its allocator probed (use_probes off); decided again after an
 * exec (redecide), as a new image may report otherwise.  Returns tracer__attach's
 * or tracer__attach_usdt's answer.
 */
static int attach_proc(struct pipeline *pl, struct pl_proc *pp, bool redecide)
{
	pid_t pid = (pid_t)pp->pid;
	struct proc_mem *p;
	int n;

	if (!pp->use_probes)
		return tracer__attach(pl->tracer, pid, pp->sample);
	if (redecide && pp->via_probes) {
		tracer__detach(pl->tracer, pid);
		pp->via_probes = false;
	}
	if (!pp->via_probes) {
		n = tracer__usdt_objects(pl->tracer, pid);
		if (n <= 0)
			return n ? n : tracer__attach(pl->tracer, pid, pp->sample);
		/* A sampler reports from here on: the allocator's figures go. */
		tracer__detach(pl->tracer, pid);
		p = tables__proc(&pl->tables, pid);
		if (p) {
			proc_mem__untrace(p);
			p->sample_interval = 0;	/* the weights say what a sample stands for */
		}
		pp->via_probes = true;
		tell(pl, PIPELINE_VIA_PROBES, pid, 0);
	}
	return tracer__attach_usdt(pl->tracer, pid);
}

/* New allocators (an exec, a dlopen): probes follow the code a traced process maps. */
static void follow_allocators(struct pipeline *pl, struct pl_proc *pp, bool redecide)
{
	if (pp && pp->traced && attach_proc(pl, pp, redecide) > 0)
		tell(pl, PIPELINE_ATTACHED, (pid_t)pp->pid, 0);
}

/*
 * A process the kernel held for this record goes on.  After an exec, one to be
 * traced whose allocator is not mapped yet (the loader maps it next) is held again
 * at its next mapping of code; with hold_exec, at every next mapping of code while
 * the holds' bound lasts (the loader maps libraries after the allocator's: their
 * tables too are in before the program runs).
 */
static void resume_held(struct pipeline *pl, uint32_t type, pid_t pid)
{
	struct holds *h = tracer__holds(pl->tracer);
	struct pl_proc *pp = pl_proc(pl, pid);
	bool arm;

	if (!h)
		return;
	arm = type != LEAKD_EV_FORK && pp && (pp->traced || pp->pending) &&
	      (pl->o.hold_exec || !tracer__covers(pl->tracer, pid));
	holds__resume(h, pid, arm);
}

/*
 * Code mapped at ts: nothing to do when the pipeline read the process's code after
 * it (a process that loads libraries in a loop must not make the daemon read its
 * maps and tables once per library: the records pile up while it reads, and one
 * read covers them all).
 */
static bool code_read_since(struct pipeline *pl, struct proc_mem *p, uint64_t ts)
{
	if (!ts || ts >= p->code_read_ns)
		return false;
	pl->stats.map_exec_covered++;
	return true;
}

/* The process's code read anew: mappings and symbols, unwind tables, probes. */
static void read_code(struct pipeline *pl, struct proc_mem *p, pid_t pid, bool exec)
{
	p->code_read_ns = now_ns();	/* before: what is mapped from here on is read again */
	if (exec) {
		procfs_comm(pid, p->comm, sizeof(p->comm));
		/* Read the new image's mappings while the process surely still runs. */
		symbolizer__forget_proc(pl->sym, pid);
	}
	symbolizer__refresh_proc(pl->sym, pid);
	pipeline__unwind(pl, pid);
	follow_allocators(pl, pl_proc(pl, pid), exec);
}

/* Called by the consumer after it has applied the record to the tables. */
static void on_proc_event(void *ctx, uint32_t type, pid_t pid, uint32_t aux, uint64_t ts)
{
	struct pipeline *pl = ctx;
	struct proc_mem *p;
	bool held = type != LEAKD_EV_EXIT && (aux & LEAKD_PROC_HELD);

	aux &= type != LEAKD_EV_EXIT ? ~LEAKD_PROC_HELD : ~0u;
	switch (type) {
	case LEAKD_EV_FORK:
		tell(pl, PIPELINE_FORK, pid, aux);
		break;
	case LEAKD_EV_EXEC:
		p = tables__proc(&pl->tables, pid);
		if (p)
			read_code(pl, p, pid, true);
		tell(pl, PIPELINE_EXEC, pid, held);
		break;
	case LEAKD_EV_MAP_EXEC:
		pl->stats.map_exec++;
		p = tables__proc(&pl->tables, pid);
		if (p && code_read_since(pl, p, ts))
			break;
		if (p)
			read_code(pl, p, pid, false);
		tell(pl, PIPELINE_MAP_EXEC, pid, held);
		break;
	case LEAKD_EV_EXIT:
		tell(pl, PIPELINE_EXIT, pid, aux);	/* dumpable at the end */
		break;
	}
	if (held)
		resume_held(pl, type, pid);
}

int pipeline__new(const struct pipeline_opts *o, pipeline_cb cb, void *ctx,
		  struct pipeline **ret)
{
	struct tracer_opts to = {
		.max_depth = o->max_depth,
		.ringbuf_bytes = o->ringbuf_watch_bytes && o->ringbuf_watch_bytes < o->ringbuf_bytes ?
				 o->ringbuf_watch_bytes : o->ringbuf_bytes,
		.stack_cache = o->stack_cache ? o->stack_cache : PIPELINE_STACK_CACHE,
		.max_procs = o->max_traced, .unwind_rows = o->unwind_rows,
		.frame_pointers = o->frame_pointers, .watch_all = o->watch_all,
		.unwind_procs = o->unwind_procs, .follow_forks = o->follow_forks,
		.hold_exec = o->hold_exec,
		.hold = o->hold, .syscalls = o->syscalls,
	};
	struct unwinder_maps um;
	struct pipeline *pl;
	int rc;

	*ret = pl = calloc(1, sizeof(*pl));
	if (!pl) {
		log_err("out of memory");
		return EXIT_FAILURE_RUNTIME;
	}
	pl->o = *o;
	pl->cb = cb;
	pl->ctx = ctx;
	if (o->adopt) {
		to.adopt = o->adopt;
		pl->tracer = tracer__new(&to);
		if (!pl->tracer)
			log_warn("cannot take over the handover in %s (%s): starting afresh",
				 keeper__where(o->adopt), errno == ESTALE ?
				 "its maps differ from this start's: another ringbuf-size, "
				 "max-traced or max-sampler, or another build" : strerror(errno));
		to.adopt = NULL;
	}
	rc = pl->tracer ? EXIT_OK : startup__tracer(&to, &pl->tracer);
	if (rc)
		return rc;
	if (!o->frame_pointers) {
		tracer__unwind_maps(pl->tracer, &um);
		pl->unw = unwinder__new(&um, o->cache_dir);
		if (!pl->unw) {
			log_err("cannot set up the stack unwinder: %s", strerror(errno));
			return EXIT_FAILURE_RUNTIME;
		}
		if (o->cache_dir && strcmp(unwinder__cache_state(pl->unw), "ok"))
			log_warn("unwind table cache %s: %s", o->cache_dir,
				 unwinder__cache_state(pl->unw));
	}
	pl->sym = symbolizer__new(o->max_modules);
	if (!pl->sym || tables__init(&pl->tables, &o->limits) ||
	    hashtab__init(&pl->procs, sizeof(struct pl_proc), 64)) {
		log_err("out of memory");
		return EXIT_FAILURE_RUNTIME;
	}
	pl->tables_ready = true;
	pl->events = events__new(tracer__events_fd(pl->tracer), &pl->tables, pl->sym,
				 on_proc_event, pl);
	if (!pl->events) {
		log_err("cannot read the ring buffer: %s", strerror(errno));
		return EXIT_FAILURE_RUNTIME;
	}
	return EXIT_OK;
}

void pipeline__free(struct pipeline *pl)
{
	if (!pl)
		return;
	events__free(pl->events);
	unwinder__free(pl->unw);
	tracer__free(pl->tracer);
	symbolizer__free(pl->sym);
	if (pl->tables_ready)
		tables__destroy(&pl->tables);
	hashtab__destroy(&pl->procs);
	free(pl);
}

struct tables *pipeline__tables(struct pipeline *pl)
{
	return &pl->tables;
}

struct symbolizer *pipeline__symbolizer(struct pipeline *pl)
{
	return pl->sym;
}

struct tracer *pipeline__tracer(struct pipeline *pl)
{
	return pl->tracer;
}

struct unwinder *pipeline__unwinder(struct pipeline *pl)
{
	return pl->unw;
}

struct events *pipeline__events(struct pipeline *pl)
{
	return pl->events;
}

void pipeline__stats(const struct pipeline *pl, struct pipeline_stats *ret)
{
	*ret = pl->stats;
}

int pipeline__events_fd(const struct pipeline *pl)
{
	return events__epoll_fd(pl->events);
}

int pipeline__unwind_fd(const struct pipeline *pl)
{
	return pl->unw ? unwinder__fd(pl->unw) : -1;
}

static int add_ring(void *ctx, int fd)
{
	struct pipeline *pl = ctx;

	return events__add_ring(pl->events, fd);
}

/*
 * The ring for tracing in place of the smaller one a watching daemon starts
 * with: outside the consumer's loop over its rings, which adding one would move.
 */
static void grow_ring(struct pipeline *pl)
{
	int err;

	pl->grow_ring = false;
	err = tracer__grow_ring(pl->tracer, pl->o.ringbuf_bytes, add_ring, pl);
	if (err == -EALREADY || err == -EBUSY)
		return;
	if (err)
		log_warn("the ring buffer stays at %" PRIu64 " bytes: %s",
			 tracer__ring_bytes(pl->tracer), strerror(-err));
	else
		log_info("ring buffer now %" PRIu64 " bytes, for tracing", pl->o.ringbuf_bytes);
}

int pipeline__consume(struct pipeline *pl)
{
	int n;

	if (pl->grow_ring)
		grow_ring(pl);
	n = events__consume(pl->events);
	/* A trace that an event started (an exec matching a rule) need not wait. */
	if (pl->grow_ring)
		grow_ring(pl);
	return n;
}

void pipeline__poll_unwind(struct pipeline *pl)
{
	if (pl->unw)
		unwinder__poll(pl->unw, startup__log_table, pl);
}

void pipeline__tick(struct pipeline *pl, uint64_t now_ns)
{
	struct pl_proc *pp;
	size_t i;

	/* A hold never outlasts its bound, whatever became of its record. */
	if (tracer__holds(pl->tracer))
		holds__expire(tracer__holds(pl->tracer), now_ns);
	if (now_ns < pl->next_rediscover)
		return;
	pl->next_rediscover = now_ns + pl->o.rediscover_ns;
	/* Cheap when nothing changed: the tracer knows what it attached. */
	hashtab__for_each(&pl->procs, i, pp) {
		if (!pp->traced)
			continue;
		follow_allocators(pl, pp, false);
		if (pl->o.rediscover_refresh) {
			/* In case a MAP_EXEC record was lost to a full ring buffer. */
			symbolizer__refresh_proc(pl->sym, (pid_t)pp->pid);
			pipeline__unwind(pl, (pid_t)pp->pid);
		}
	}
}

/* The anonymous memory a process had before leakd watched it: known, not its stacks. */
static void seed_mappings(struct proc_mem *p)
{
	struct proc_maps maps;
	uint32_t flags;
	size_t i;

	if (procmaps__read(p->pid, &maps))
		return;
	for (i = 0; i < maps.n; i++) {
		const struct map_entry *e = &maps.v[i];

		/* The heap so far: later growth is by the calls that grow it. */
		if (e->path && !strcmp(e->path, "[heap]") && !e->inode) {
			proc_mem__brk_move(p, e->start, e->end, e->end, 0, 0, 0);
			continue;
		}
		/* Anonymous memory: no file, no [stack] or [vdso]. */
		if (e->path || e->inode)
			continue;
		flags = e->shared ? LEAKD_MAP_SHARED : 0;
		if (!e->readable && !e->writable && !e->exec)
			flags |= LEAKD_MAP_RESERVED;
		/* Large private memory may be MAP_NORESERVE address space (an ASan shadow). */
		else if (!e->shared && e->end - e->start >= NORESERVE_CHECK &&
			 procfs_noreserve(p->pid, e->start) == 1)
			flags |= LEAKD_MAP_RESERVED | LEAKD_MAP_NORESERVE;
		proc_mem__mmap(p, e->start, e->end - e->start, STACK_ID_PREEXISTING, flags,
			      p->born_ns);
	}
	procmaps__destroy(&maps);
}

struct proc_mem *pipeline__add_proc(struct pipeline *pl, pid_t pid, bool seed)
{
	struct proc_mem *p;
	struct pl_proc *pp;
	bool is_new;

	p = tables__add_proc(&pl->tables, pid, procfs_start_time(pid));
	if (!p)
		return NULL;
	if (!p->born_ns)
		p->born_ns = boot_ticks_to_ns(p->start_time);
	pp = hashtab__upsert(&pl->procs, (uint64_t)pid, &is_new);
	if (!pp) {
		tables__remove_proc(&pl->tables, pid);
		errno = ENOMEM;
		return NULL;
	}
	procfs_comm(pid, p->comm, sizeof(p->comm));
	if (seed)
		seed_mappings(p);
	return p;
}

void pipeline__exited(struct pipeline *pl, pid_t pid)
{
	struct pl_proc *pp = pl_proc(pl, pid);

	tracer__forget_gone(pl->tracer, pid);
	if (!pp)
		return;
	if (pp->unwound && pl->unw)
		unwinder__forget_proc(pl->unw, pid);
	pp->unwound = false;
	pp->traced = false;
	pp->via_probes = false;
	pp->pending = false;
}

void pipeline__forget_proc(struct pipeline *pl, pid_t pid)
{
	struct pl_proc *pp = pl_proc(pl, pid);

	tracer__detach(pl->tracer, pid);	/* a followed child is marked traced at fork */
	if (pp && pp->unwound && pl->unw)
		unwinder__forget_proc(pl->unw, pid);
	symbolizer__forget_proc(pl->sym, pid);
	tables__remove_proc(&pl->tables, pid);
	hashtab__remove(&pl->procs, (uint64_t)pid, NULL);
}

int pipeline__unwind(struct pipeline *pl, pid_t pid)
{
	struct pl_proc *pp = pl_proc(pl, pid);
	int err;

	if (!pl->unw || !pp)
		return 0;
	err = unwinder__update_proc(pl->unw, pid, pp->traced);
	if (err && pp->unwound) {
		/*
		 * What it had describes mappings it no longer has (an exec whose maps could
		 * not be read: often a short-lived program already gone).  Kept, it would
		 * stay in the kernel, and keep its tables from eviction, after the exit.
		 */
		unwinder__forget_proc(pl->unw, pid);
	}
	pp->unwound = !err;
	if (err == -E2BIG || err == -ENOMEM)
		pl->stats.unwind_skipped++;
	return err;
}

const char *pipeline__unwind_state(struct pipeline *pl, pid_t pid)
{
	struct pl_proc *pp = pl_proc(pl, pid);
	int r = pl->unw && pp && pp->unwound ? unwinder__proc_ready(pl->unw, pid) : -ENOENT;

	return r > 0 ? "ready" : r == 0 ? "pending" : "none";
}

int pipeline__wait_tables(struct pipeline *pl, pid_t pid, int timeout_ms)
{
	if (!pl->unw)
		return 0;
	return unwinder__wait(pl->unw, pid, timeout_ms, startup__log_table, pl) ? -ETIMEDOUT : 0;
}

int pipeline__trace(struct pipeline *pl, pid_t pid, uint64_t sample, bool use_probes)
{
	struct pl_proc *pp = pl_proc(pl, pid);
	struct proc_mem *p;
	int err;

	if (!pp)
		return -ESRCH;
	if (pp->traced && (pp->sample != sample || pp->use_probes != use_probes)) {
		/* Traced otherwise until now: none of those probes stays. */
		tracer__detach(pl->tracer, pid);
		pp->traced = false;
	}
	pp->sample = sample;
	pp->use_probes = use_probes;
	pp->via_probes = false;
	p = tables__proc(&pl->tables, pid);
	if (p)
		p->sample_interval = sample;	/* its figures: estimates or exact */
	err = attach_proc(pl, pp, false);
	pp->pending = err == -ENOENT;
	if (err < 0)
		return err;
	pp->traced = true;
	pl->grow_ring = tracer__ring_bytes(pl->tracer) < pl->o.ringbuf_bytes;
	symbolizer__refresh_proc(pl->sym, pid);
	return err;
}

void pipeline__untrace(struct pipeline *pl, pid_t pid)
{
	struct pl_proc *pp = pl_proc(pl, pid);

	if (pp)
		pp->pending = false;
	if (!pp || !pp->traced)
		return;
	tracer__detach(pl->tracer, pid);
	pp->traced = false;
	pp->via_probes = false;
	pp->pending = false;
	if (pp->unwound)
		pipeline__unwind(pl, pid);	/* its tables no longer come first */
}

void pipeline__inherit(struct pipeline *pl, pid_t child, pid_t parent)
{
	struct proc_mem *c = tables__proc(&pl->tables, child);
	struct proc_mem *p = tables__proc(&pl->tables, parent);

	if (c && p)
		proc_mem__inherit(c, p);
}

int pipeline__hold_rules(struct pipeline *pl, const struct hold_rule *v, size_t n)
{
	struct holds *h = tracer__holds(pl->tracer);

	return h ? holds__set_rules(h, v, n) : 0;
}

bool pipeline__has_probes(struct pipeline *pl, pid_t pid)
{
	return tracer__usdt_objects(pl->tracer, pid) > 0;
}

bool pipeline__via_probes(const struct pipeline *pl, pid_t pid)
{
	const struct pl_proc *pp = pl_proc(pl, pid);

	return pp && pp->traced && pp->via_probes;
}

uint64_t pipeline__sample(const struct pipeline *pl, pid_t pid)
{
	const struct pl_proc *pp = pl_proc(pl, pid);

	return pp && pp->traced && !pp->via_probes ? pp->sample : 0;
}

int pipeline__set_interval(struct pipeline *pl, pid_t pid, uint64_t interval)
{
	if (!pipeline__sample(pl, pid))
		return -ENOENT;
	return tracer__set_interval(pl->tracer, pid, interval);
}

uint64_t pipeline__interval(const struct pipeline *pl, pid_t pid)
{
	return pipeline__sample(pl, pid) ? tracer__interval(pl->tracer, pid) : 0;
}

bool pipeline__adopted(const struct pipeline *pl)
{
	return tracer__adopted(pl->tracer);
}

int pipeline__adopt_proc(struct pipeline *pl, pid_t pid, uint64_t sample, uint32_t slot,
			 uint64_t interval, struct keeper *k, const struct tracer_pinned *objs,
			 size_t n)
{
	bool is_new, via_probes;
	struct pl_proc *pp;
	size_t i, nr_usdt = 0;
	int err;

	if (!tables__proc(&pl->tables, pid))
		return -ESRCH;
	pp = hashtab__upsert(&pl->procs, (uint64_t)pid, &is_new);
	if (!pp)
		return -ENOMEM;
	if (!is_new)
		return -EEXIST;
	if (!n)
		return 0;
	/*
	 * Its otel_memory probes' links: it reports through them, its figures weighed.
	 * Never both kinds, nor those probes for an exact trace (the allocator's).
	 */
	for (i = 0; i < n; i++)
		nr_usdt += objs[i].info.usdt;
	via_probes = nr_usdt > 0;
	if (via_probes && (nr_usdt != n || !sample))
		err = -EINVAL;
	else
		err = tracer__adopt_proc(pl->tracer, pid, via_probes ? 0 : sample, slot, interval,
					 k, objs, n);
	if (err) {
		hashtab__remove(&pl->procs, (uint64_t)pid, NULL);
		return err;
	}
	pp->traced = true;
	pp->sample = sample;
	pp->use_probes = sample != 0;
	pp->via_probes = via_probes;
	symbolizer__refresh_proc(pl->sym, pid);
	pipeline__unwind(pl, pid);
	return 0;
}
