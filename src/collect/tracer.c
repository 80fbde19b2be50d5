// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "stacks/elfobj.h"
#include "base/hashtab.h"
#include "leakd.skel.h"
#include "collect/probes.h"
#include "leakd/sampling.h"
#include "base/procmaps.h"
#include "collect/keeper.h"
#include "collect/tracer.h"
#include "collect/holds.h"
#include "stacks/unwinder.h"
#include "base/macros.h"

/* One allocator object (or one object with otel_memory probes) attached in one process. */
struct attachment {
	dev_t dev;
	uint64_t inode;
	bool usdt;		/* its otel_memory probes, not its allocator entry points */
	struct tracer_object info;
	struct bpf_link **links;
	size_t nr_links;
	int *fds;		/* links made without libbpf (uprobe sessions), or kept for a
				 * restart: the kernel links behind libbpf's USDT links */
	size_t nr_fds;
	__u32 *ids;		/* of those kernel links, as found (keep_usdt_links) */
	size_t nr_ids;
	struct attachment *next;
};

struct traced_proc {
	uint64_t pid;		/* hashtab key */
	uint64_t sample;	/* sampling interval in bytes; 0: every call */
	uint64_t interval;	/* the interval in force, when widened; 0: sample */
	uint32_t slot;		/* in sample_intervals; 0: none */
	struct attachment *objects;
};

/*
 * What leakd found in a file: its probe sites, or none (not an allocator).  Kept
 * by device and inode, so that a library is read once, not at every look.
 */
struct plan {
	uint64_t key;
	dev_t dev;
	uint64_t inode;
	int nr;			/* sites; 0: not an allocator */
	struct probe_site sites[PROBES_MAX_SITES];
};

#define MAX_PLANS 4096

/* The otel_memory probes a file has, by device and inode: most have none. */
struct usdt_plan {
	uint64_t key;
	dev_t dev;
	uint64_t inode;
	int nr;
};

/*
 * Threads that close links of processes that are gone: each close waits for the
 * kernel's grace periods, and closes made at once share them.
 */
#define REAPERS 8

struct tracer {
	struct leakd_bpf *skel;
	bool multi;		/* uprobe multi-links */
	bool session;		/* uprobe sessions: sampled calls alone pay the return */
	enum syscall_probes syscalls;	/* never AUTO: what was chosen */
	struct hashtab procs;	/* struct traced_proc */
	struct hashtab plans;	/* struct plan */
	struct hashtab usdt_plans; /* struct usdt_plan */
	struct bpf_link **tp_links;	/* of attach_tracepoints: ours to destroy */
	size_t nr_tp_links;
	bool *slot_used;	/* sample_intervals' slots 1..nr_slots */
	uint32_t nr_slots;
	bool adopted;		/* the maps are a handover's */
	uint32_t watch_gen;	/* struct leakd_control */
	uint64_t stack_epoch;	/* struct leakd_control */
	struct holds *holds;	/* NULL: processes are not held */
	const char *hold_why;	/* how processes are held, or why not */
	/*
	 * Links of processes that are gone, closed by a thread of their own: closing a
	 * uprobe link waits for the kernel's grace periods (tens of ms each), which
	 * must not stall the events of the living (a pre-fork server's workers).
	 */
	pthread_t reaper[REAPERS];
	unsigned int reaper_running;	/* threads started */
	bool reaper_stop;
	pthread_mutex_t reaper_lock;
	pthread_cond_t reaper_wake;
	struct attachment *reap;	/* waiting to be closed */
	int ring_fd;		/* a ring swapped in for the skeleton's; -1: none */
	uint64_t ring_bytes;	/* of the ring in use */
};

#define TRACEFS "/sys/kernel/tracing"

/* Per-syscall tracepoints attach through tracefs: mount it if nobody did. */
static bool tracefs_there(void)
{
	/* With the effective ids: leakd may run as a user with capabilities. */
	return !faccessat(AT_FDCWD, TRACEFS "/events/syscalls", F_OK, AT_EACCESS);
}

static bool have_tracefs(void)
{
	if (tracefs_there())
		return true;
	return !mount("tracefs", TRACEFS, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) &&
	       tracefs_there();
}

static bool have_cap(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

int tracer__check(const char **ret_why)
{
	if (!have_cap(CAP_SYS_ADMIN) && !(have_cap(CAP_BPF) && have_cap(CAP_PERFMON))) {
		*ret_why = "not permitted to load BPF programs: run as root (or with CAP_BPF, "
			   "CAP_PERFMON, CAP_SYS_PTRACE, CAP_CHECKPOINT_RESTORE, "
			   "CAP_DAC_READ_SEARCH and CAP_CHOWN)";
		return -EPERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		*ret_why = "the kernel has no BTF (/sys/kernel/btf/vmlinux): "
			   "it needs CONFIG_DEBUG_INFO_BTF";
		return -ENOTSUP;
	}
	if (access("/sys/bus/event_source/devices/uprobe/type", R_OK)) {
		*ret_why = "the kernel has no uprobes: it needs CONFIG_UPROBE_EVENTS";
		return -ENOTSUP;
	}
	return 0;
}

/* Whether the kernel takes uprobe multi-links: a link to a directory fails with EBADF. */
static bool probe_uprobe_multi(void)
{
	static const struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 },	/* r0 = 0 */
		{ .code = 0x95 },				/* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, popts, .expected_attach_type = BPF_TRACE_UPROBE_MULTI);
	LIBBPF_OPTS(bpf_link_create_opts, lopts);
	unsigned long offset = 0;
	int prog, link, err;

	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", insns, ARRAY_SIZE(insns), &popts);
	if (prog < 0)
		return false;
	lopts.uprobe_multi.path = "/";
	lopts.uprobe_multi.offsets = &offset;
	lopts.uprobe_multi.cnt = 1;
	link = bpf_link_create(prog, -1, BPF_TRACE_UPROBE_MULTI, &lopts);
	err = -errno;
	if (link >= 0)
		close(link);
	close(prog);
	return link < 0 && err == -EBADF;
}

/*
 * The kernel's BPF_TRACE_UPROBE_SESSION (6.13): newer than the UAPI headers and
 * libbpf leakd builds with, so set by number and attached by a raw bpf() call.
 */
#define ATTACH_UPROBE_SESSION 57

/* A uprobe multi-link with the attach type given; the fd or -errno. */
static int link_create_uprobe_multi(int prog, int type, pid_t pid, const char *path,
				    const unsigned long *offs, const __u64 *cookies, size_t n)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = prog;
	attr.link_create.attach_type = type;
	attr.link_create.uprobe_multi.path = (__u64)(unsigned long)path;
	attr.link_create.uprobe_multi.offsets = (__u64)(unsigned long)offs;
	attr.link_create.uprobe_multi.cookies = (__u64)(unsigned long)cookies;
	attr.link_create.uprobe_multi.cnt = n;
	attr.link_create.uprobe_multi.pid = pid;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

/*
 * Whether the kernel takes uprobe sessions: a session link to a directory fails
 * with EBADF once the attach type is known (else EINVAL).
 */
static bool probe_uprobe_session(void)
{
	static const struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 },	/* r0 = 0 */
		{ .code = 0x95 },				/* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, popts, .expected_attach_type = ATTACH_UPROBE_SESSION);
	unsigned long offset = 0;
	__u64 cookie = 0;
	int prog, link;

	if (getenv("LEAKD_NO_UPROBE_SESSION"))
		return false;	/* tests: the fallback on a kernel that has sessions */
	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", insns, ARRAY_SIZE(insns), &popts);
	if (prog < 0)
		return false;
	link = link_create_uprobe_multi(prog, ATTACH_UPROBE_SESSION, 0, "/", &offset, &cookie, 1);
	if (link >= 0)
		close(link);
	close(prog);
	return link == -EBADF;
}

/* The sampled allocator programs: a session, or entry and return probes. */
static void set_sample_programs(struct tracer *t)
{
	__typeof__(t->skel->progs) *p = &t->skel->progs;

	bpf_program__set_autoload(p->alloc_sample, t->session);
	bpf_program__set_autoload(p->alloc_sample_enter, !t->session);
	bpf_program__set_autoload(p->alloc_sample_exit, !t->session);
	if (t->session)
		bpf_program__set_expected_attach_type(p->alloc_sample, ATTACH_UPROBE_SESSION);
}

static bool is_alloc_prog(const struct tracer *t, const struct bpf_program *prog)
{
	const __typeof__(t->skel->progs) *p = &t->skel->progs;

	return prog == p->alloc_enter || prog == p->alloc_exit || prog == p->free_enter ||
	       prog == p->alloc_sample || prog == p->alloc_sample_enter ||
	       prog == p->alloc_sample_exit || prog == p->free_sample;
}

/* One set of the watch tier's programs loads: the tracepoints or the raw ones. */
static void set_syscall_programs(struct tracer *t)
{
	__typeof__(t->skel->progs) *p = &t->skel->progs;
	struct bpf_program *per_syscall[] = { p->mmap_exit, p->munmap_enter,
					      p->mremap_enter, p->mremap_exit, p->brk_enter,
					      p->brk_exit, p->mprotect_enter, p->mprotect_exit,
					      p->madvise_enter };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(per_syscall); i++)
		bpf_program__set_autoload(per_syscall[i],
					  t->syscalls == SYSCALL_PROBES_TRACEPOINTS);
	bpf_program__set_autoload(p->raw_enter, t->syscalls == SYSCALL_PROBES_RAW);
	bpf_program__set_autoload(p->raw_exit, t->syscalls == SYSCALL_PROBES_RAW);
}

int syscall_probes_parse(const char *name, enum syscall_probes *ret)
{
	static const char *const names[] = { "auto", "tracepoints", "raw" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(name, names[i])) {
			*ret = (enum syscall_probes)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* What the watch tier runs on: asked for, or the cheapest the kernel allows. */
static int choose_syscalls(enum syscall_probes asked, enum syscall_probes *ret)
{
	switch (asked) {
	case SYSCALL_PROBES_AUTO:
		*ret = have_tracefs() ? SYSCALL_PROBES_TRACEPOINTS : SYSCALL_PROBES_RAW;
		return 0;
	case SYSCALL_PROBES_TRACEPOINTS:
		*ret = asked;
		return have_tracefs() ? 0 : -ENOTSUP;
	case SYSCALL_PROBES_RAW:
		*ret = asked;
		return 0;
	}
	return -EINVAL;
}

bool tracer__syscalls_possible(enum syscall_probes asked)
{
	enum syscall_probes chosen;

	/* Automatic: the raw entry and exit at worst. */
	return asked == SYSCALL_PROBES_AUTO || !choose_syscalls(asked, &chosen);
}

/* Attaches every loaded program that is not an allocator probe. */
static int attach_tracepoints(struct tracer *t)
{
	struct bpf_program *prog;
	struct bpf_link *l;
	size_t n = 0;

	bpf_object__for_each_program(prog, t->skel->obj)
		n++;
	t->tp_links = calloc(n ? n : 1, sizeof(*t->tp_links));
	if (!t->tp_links)
		return -ENOMEM;
	bpf_object__for_each_program(prog, t->skel->obj) {
		if (!bpf_program__autoload(prog) || is_alloc_prog(t, prog) ||
		    prog == t->skel->progs.otel_alloc || prog == t->skel->progs.otel_free)
			continue;
		/* Links made this way are not the skeleton's: tracer__free destroys them. */
		l = bpf_program__attach(prog);
		if (!l)
			return -errno;
		t->tp_links[t->nr_tp_links++] = l;
	}
	return 0;
}

/* Whether the running kernel has a kfunc (its BTF names it). */
static bool have_kfunc(const char *name)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool found;

	if (!btf)
		return false;
	found = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) > 0;
	btf__free(btf);
	return found;
}

void tracer__features(struct tracer_features *ret)
{
	ret->btf = !access("/sys/kernel/btf/vmlinux", R_OK);
	ret->uprobes = !access("/sys/bus/event_source/devices/uprobe/type", R_OK);
	ret->uprobe_multi = probe_uprobe_multi();
	ret->uprobe_session = ret->uprobe_multi && probe_uprobe_session();
	ret->syscall_tracepoints = tracefs_there();
	ret->hold = have_kfunc("bpf_send_signal_task");
}

static void free_objects(struct attachment *a)
{
	struct attachment *next;
	size_t i;

	for (; a; a = next) {
		next = a->next;
		for (i = 0; i < a->nr_links; i++)
			bpf_link__destroy(a->links[i]);
		for (i = 0; i < a->nr_fds; i++)
			close(a->fds[i]);
		free(a->links);
		free(a->fds);
		free(a->ids);
		free(a);
	}
}

static void detach_objects(struct traced_proc *p)
{
	free_objects(p->objects);
	p->objects = NULL;
}

static void *reaper_main(void *arg)
{
	struct tracer *t = arg;
	struct attachment *one;

	pthread_mutex_lock(&t->reaper_lock);
	for (;;) {
		while (!t->reap && !t->reaper_stop)
			pthread_cond_wait(&t->reaper_wake, &t->reaper_lock);
		if (!t->reap)
			break;		/* stopped, and nothing left */
		/* One at a time: the other threads close the next ones meanwhile. */
		one = t->reap;
		t->reap = one->next;
		one->next = NULL;
		pthread_mutex_unlock(&t->reaper_lock);
		free_objects(one);
		pthread_mutex_lock(&t->reaper_lock);
	}
	pthread_mutex_unlock(&t->reaper_lock);
	return NULL;
}

/*
 * Hands the objects of a process that is gone to the reaper (or closes them here).
 * USDT links are closed here: libbpf's USDT manager, which their destruction
 * updates (its list of free spec ids), is not safe from two threads at once.
 */
static void reap_objects(struct tracer *t, struct traced_proc *p)
{
	struct attachment *last, **pp, *usdt = NULL;

	for (pp = &p->objects; *pp;) {
		struct attachment *a = *pp;

		if (!a->usdt) {
			pp = &a->next;
			continue;
		}
		*pp = a->next;
		a->next = usdt;
		usdt = a;
	}
	free_objects(usdt);
	if (!t->reaper_running || !p->objects) {
		detach_objects(p);
		return;
	}
	for (last = p->objects; last->next; last = last->next)
		;
	pthread_mutex_lock(&t->reaper_lock);
	last->next = t->reap;
	t->reap = p->objects;
	pthread_cond_broadcast(&t->reaper_wake);
	pthread_mutex_unlock(&t->reaper_lock);
	p->objects = NULL;
}

/* ---- restarts: what a keeper holds between two daemons (tracer.h, keeper.h) ---- */

#define RING_PIN "ring"

/*
 * The maps that outlive a daemon: what the programs of both write and read.  Of the
 * ring buffer, the slot that names the ring in use (the watching ring or the
 * tracing one); that ring itself is kept as RING_PIN.
 */
static struct bpf_map **shared_maps(struct tracer *t, size_t *ret_n)
{
	static struct bpf_map *v[10];

	v[0] = t->skel->maps.rings;
	v[1] = t->skel->maps.counters;
	v[2] = t->skel->maps.traced;
	v[3] = t->skel->maps.control;
	v[4] = t->skel->maps.inflight;
	v[5] = t->skel->maps.stacks_sent;
	v[6] = t->skel->maps.sent_cache;
	v[7] = t->skel->maps.sampled;
	v[8] = t->skel->maps.sample_states;
	v[9] = t->skel->maps.sample_intervals;	/* the probes' cookies name their slots */
	*ret_n = ARRAY_SIZE(v);
	return v;
}

static int set_control(struct tracer *t, uint64_t deadline_ns)
{
	struct leakd_control c = { .deadline_ns = deadline_ns, .watch_gen = t->watch_gen,
				   .self_pid = (uint32_t)getpid(), .stack_epoch = t->stack_epoch };
	__u32 k = 0;

	return bpf_map_update_elem(bpf_map__fd(t->skel->maps.control), &k, &c, BPF_ANY) ?
	       -errno : 0;
}

/* A kept map is taken only as this build would make it: else -ESTALE. */
static int reuse_map(struct bpf_map *m, struct keeper *k)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	int fd, err = 0;

	fd = keeper__get(k, bpf_map__name(m));
	if (fd < 0)
		return fd;
	if (bpf_map_get_info_by_fd(fd, &info, &len))
		err = -errno;
	else if (info.type != bpf_map__type(m) || info.key_size != bpf_map__key_size(m) ||
		 info.value_size != bpf_map__value_size(m) ||
		 info.max_entries != bpf_map__max_entries(m) ||
		 info.map_flags != bpf_map__map_flags(m))
		err = -ESTALE;
	else
		err = bpf_map__reuse_fd(m, fd);
	close(fd);
	return err;
}

/*
 * The ring the handover's programs write to, of whatever size it had: the ring in
 * use from here (its slot in rings, reused, names it).
 */
static int adopt_ring(struct tracer *t, struct keeper *k)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	int fd;

	fd = keeper__get(k, RING_PIN);
	if (fd < 0)
		return fd;
	if (bpf_map_get_info_by_fd(fd, &info, &len) || info.type != BPF_MAP_TYPE_RINGBUF) {
		close(fd);
		return -ESTALE;
	}
	t->ring_fd = fd;
	t->ring_bytes = info.max_entries;
	t->skel->data->wakeup_bytes = info.max_entries / 4;
	return 0;
}

/*
 * The reused slot must still name the adopted ring once loaded: were it filled
 * again with this skeleton's own ring, the handover's programs would write there.
 */
static int keep_ring_slot(struct tracer *t)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info), zero = 0, id = 0;
	int rings = bpf_map__fd(t->skel->maps.rings);

	if (bpf_map_get_info_by_fd(t->ring_fd, &info, &len))
		return -errno;
	if (!bpf_map_lookup_elem(rings, &zero, &id) && id == info.id)
		return 0;
	return bpf_map_update_elem(rings, &zero, &t->ring_fd, BPF_ANY) ? -errno : 0;
}

static int reuse_maps(struct tracer *t, struct keeper *k)
{
	struct leakd_control c;
	struct bpf_map **maps;
	size_t i, n;
	__u32 key = 0;
	int err;

	maps = shared_maps(t, &n);
	for (i = 0; i < n; i++) {
		err = reuse_map(maps[i], k);
		if (err)
			return err;
	}
	err = adopt_ring(t, k);
	if (err)
		return err;
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.control), &key, &c))
		return -errno;
	t->watch_gen = c.watch_gen + 1 ? c.watch_gen + 1 : 1;
	t->stack_epoch = c.stack_epoch;
	return 0;
}

struct tracer *tracer__new(const struct tracer_opts *opts)
{
	sigset_t all, old;
	struct tracer *t;
	int err;

	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	err = hashtab__init(&t->procs, sizeof(struct traced_proc), 16);
	if (!err)
		err = hashtab__init(&t->plans, sizeof(struct plan), 64);
	if (!err)
		err = hashtab__init(&t->usdt_plans, sizeof(struct usdt_plan), 64);
	if (err)
		goto fail;
	t->nr_slots = opts->max_procs;
	t->slot_used = calloc(t->nr_slots + 1, sizeof(*t->slot_used));
	if (!t->slot_used) {
		err = -ENOMEM;
		goto fail;
	}
	pthread_mutex_init(&t->reaper_lock, NULL);
	pthread_cond_init(&t->reaper_wake, NULL);
	/*
	 * Signals are the main thread's (signalfd): born with all of them blocked, or
	 * one the daemon blocks later (SIGHUP) could land here and end the process.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	/* Without them, links are closed where they are let go, as before. */
	while (t->reaper_running < REAPERS &&
	       !pthread_create(&t->reaper[t->reaper_running], NULL, reaper_main, t))
		t->reaper_running++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!t->reaper_running) {
		pthread_mutex_destroy(&t->reaper_lock);
		pthread_cond_destroy(&t->reaper_wake);
	}
	t->multi = probe_uprobe_multi();
	t->session = t->multi && probe_uprobe_session();
	err = choose_syscalls(opts->syscalls, &t->syscalls);
	if (err)
		goto fail;
	t->skel = leakd_bpf__open();
	if (!t->skel) {
		err = -errno;
		goto fail;
	}
	t->skel->rodata->max_depth = opts->max_depth;
	t->skel->data->wakeup_bytes = opts->ringbuf_bytes / 4;
	t->ring_fd = -1;
	t->ring_bytes = opts->ringbuf_bytes;
	t->skel->rodata->use_tables = !opts->frame_pointers;
	t->skel->rodata->watch_all = opts->watch_all;
	t->skel->rodata->self_pid = getpid();
	t->skel->rodata->follow_forks = opts->follow_forks;
	t->skel->rodata->hold_exec = opts->hold_exec;
	bpf_map__set_max_entries(t->skel->maps.events, opts->ringbuf_bytes);
	bpf_map__set_max_entries(t->skel->maps.stacks_sent, opts->stack_cache);
	bpf_map__set_max_entries(t->skel->maps.traced, opts->max_procs);
	bpf_map__set_max_entries(t->skel->maps.sample_intervals, t->nr_slots + 1);
	bpf_map__set_max_entries(t->skel->maps.unwind_procs,
				 opts->unwind_procs ? opts->unwind_procs : opts->max_procs);
	bpf_map__set_max_entries(t->skel->maps.unwind_rows, opts->unwind_rows);
	/* libbpf takes one USDT spec per probe attached: two per sampler, a few per process. */
	bpf_map__set_max_entries(t->skel->maps.__bpf_usdt_specs,
				 opts->max_procs * 8 < 65536 ? opts->max_procs * 8 : 65536);
	if (!t->multi) {
		/* Plain uprobes: the same programs, attached through perf events. */
		bpf_program__set_expected_attach_type(t->skel->progs.alloc_enter, 0);
		bpf_program__set_expected_attach_type(t->skel->progs.alloc_exit, 0);
		bpf_program__set_expected_attach_type(t->skel->progs.free_enter, 0);
		bpf_program__set_expected_attach_type(t->skel->progs.alloc_sample_enter, 0);
		bpf_program__set_expected_attach_type(t->skel->progs.alloc_sample_exit, 0);
		bpf_program__set_expected_attach_type(t->skel->progs.free_sample, 0);
	}
	bpf_map__set_max_entries(t->skel->maps.sampled, opts->max_sampled ? opts->max_sampled :
							 1 << 18);
	set_sample_programs(t);
	set_syscall_programs(t);
	t->watch_gen = 1;
	if (opts->adopt) {
		err = reuse_maps(t, opts->adopt);
		if (err)
			goto fail;
		t->adopted = true;
	}
	t->skel->rodata->watch_gen = t->watch_gen;
	err = leakd_bpf__load(t->skel);
	if (!err && t->adopted)
		err = keep_ring_slot(t);
	if (err)
		goto fail;
	err = attach_tracepoints(t);
	if (!err)
		err = set_control(t, 0);	/* ours now: the old watch links fall silent */
	if (err)
		goto fail;
	t->hold_why = "off";
	if (opts->hold && !have_kfunc("bpf_send_signal_task")) {
		t->hold_why = "not held (no bpf_send_signal_task in this kernel)";
	} else if (opts->hold) {
		/* After the tracepoints: the resumer must not keep their links open. */
		struct holds_maps maps = {
			.holds = bpf_map__fd(t->skel->maps.holds),
			.comms = bpf_map__fd(t->skel->maps.rule_comms),
			.units = bpf_map__fd(t->skel->maps.rule_units),
			.cgroups = bpf_map__fd(t->skel->maps.rule_cgroups),
		};

		t->holds = holds__new(&maps);
		t->hold_why = t->holds ? "held at fork and exec" :
					 "not held (cannot start the resumer)";
		/* Only now: whatever the kernel side holds, something resumes. */
		t->skel->bss->hold = t->holds != NULL;
	}
	/* The tracepoint links are owned by the skeleton from here. */
	return t;
fail:
	tracer__free(t);
	errno = err < 0 ? -err : EINVAL;
	return NULL;
}

void tracer__free(struct tracer *t)
{
	struct traced_proc *p;
	size_t i;

	if (!t)
		return;
	holds__free(t->holds);	/* nothing held stays stopped */
	/* Every link goes through the reapers: closed together, they wait less. */
	if (t->procs.slots)
		hashtab__for_each(&t->procs, i, p)
			reap_objects(t, p);
	if (t->reaper_running) {
		pthread_mutex_lock(&t->reaper_lock);
		t->reaper_stop = true;
		pthread_cond_broadcast(&t->reaper_wake);
		pthread_mutex_unlock(&t->reaper_lock);
		for (i = 0; i < t->reaper_running; i++)
			pthread_join(t->reaper[i], NULL);
		pthread_mutex_destroy(&t->reaper_lock);
		pthread_cond_destroy(&t->reaper_wake);
	}
	hashtab__destroy(&t->procs);
	hashtab__destroy(&t->plans);
	hashtab__destroy(&t->usdt_plans);
	free(t->slot_used);
	for (i = 0; i < t->nr_tp_links; i++)
		bpf_link__destroy(t->tp_links[i]);
	free(t->tp_links);
	leakd_bpf__destroy(t->skel);
	if (t->ring_fd >= 0)
		close(t->ring_fd);
	free(t);
}

int tracer__events_fd(const struct tracer *t)
{
	return t->ring_fd >= 0 ? t->ring_fd : bpf_map__fd(t->skel->maps.events);
}

int tracer__grow_ring(struct tracer *t, uint64_t bytes, int (*add)(void *ctx, int fd), void *ctx)
{
	__u32 zero = 0;
	int fd, err;

	if (bytes <= t->ring_bytes)
		return -EALREADY;
	if (t->ring_fd >= 0)
		return -EBUSY;	/* once: the consumer keeps every ring it was given */
	fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "events", 0, 0, bytes, NULL);
	if (fd < 0)
		return -errno;
	err = add(ctx, fd);
	if (err) {
		close(fd);
		return err;
	}
	/*
	 * The kernel returns once no program still runs with the old ring.  Should it
	 * fail, the consumer reads one more ring that nobody writes.
	 */
	t->ring_fd = fd;
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.rings), &zero, &fd, BPF_ANY))
		return -errno;
	t->ring_bytes = bytes;
	t->skel->data->wakeup_bytes = bytes / 4;
	return 0;
}

uint64_t tracer__ring_bytes(const struct tracer *t)
{
	return t->ring_bytes;
}

/*
 * The walks the programs remember lapse (struct leakd_control's stack_epoch); also
 * the unwinder's callback when a process's tables entry changed.
 */
static void walks_lapse(void *ctx)
{
	struct tracer *t = ctx;
	int fd = bpf_map__fd(t->skel->maps.control);
	struct leakd_control c;
	__u32 key = 0;

	if (!bpf_map_lookup_elem(fd, &key, &c)) {
		c.stack_epoch = ++t->stack_epoch;
		bpf_map_update_elem(fd, &key, &c, BPF_ANY);
	}
}

void tracer__unwind_maps(struct tracer *t, struct unwinder_maps *ret)
{
	ret->rows_fd = bpf_map__fd(t->skel->maps.unwind_rows);
	ret->max_rows = bpf_map__max_entries(t->skel->maps.unwind_rows);
	ret->files_fd = bpf_map__fd(t->skel->maps.unwind_files);
	ret->max_files = bpf_map__max_entries(t->skel->maps.unwind_files);
	ret->procs_fd = bpf_map__fd(t->skel->maps.unwind_procs);
	ret->procs_changed = walks_lapse;
	ret->ctx = t;
}

const char *tracer__mechanism(const struct tracer *t)
{
	return t->multi ? "uprobe_multi" : "uprobe";
}

const char *tracer__sample_mechanism(const struct tracer *t)
{
	return t->session ? "uprobe sessions" : "entry and return probes";
}

const char *tracer__syscall_mechanism(const struct tracer *t)
{
	switch (t->syscalls) {
	case SYSCALL_PROBES_TRACEPOINTS:
		return "syscall tracepoints";
	default:
		return "raw syscall entry and exit";
	}
}

/* The memory the kernel charges for a map (fdinfo's memlock); 0 when unknown. */
static uint64_t map_memlock(int fd)
{
	unsigned long long v = 0;
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

static uint64_t map_max_entries(int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	return bpf_map_get_info_by_fd(fd, &info, &len) ? 0 : info.max_entries;
}

void tracer__map_memory(const struct tracer *t, uint64_t *ret_held, uint64_t *ret_mapped)
{
	uint64_t page = sysconf(_SC_PAGESIZE);
	struct bpf_map *m;

	*ret_held = *ret_mapped = 0;
	if (t->ring_fd >= 0) {
		*ret_held += map_memlock(t->ring_fd);
		*ret_mapped += 2 * page + 2 * map_max_entries(t->ring_fd);
	}
	bpf_object__for_each_map(m, t->skel->obj) {
		if (bpf_map__fd(m) < 0)
			continue;
		*ret_held += map_memlock(bpf_map__fd(m));
		/* What leakd maps for good: the ring (its data twice) and the skeleton's data. */
		if (bpf_map__type(m) == BPF_MAP_TYPE_RINGBUF)
			*ret_mapped += 2 * page + 2 * (uint64_t)bpf_map__max_entries(m);
		else if (bpf_map__is_internal(m) && (bpf_map__map_flags(m) & BPF_F_MMAPABLE))
			*ret_mapped += (bpf_map__value_size(m) + page - 1) / page * page;
	}
}

static int add_link(struct attachment *a, struct bpf_link *l)
{
	struct bpf_link **nl;

	if (!l)
		return -errno;
	nl = realloc(a->links, (a->nr_links + 1) * sizeof(*nl));
	if (!nl) {
		bpf_link__destroy(l);
		return -ENOMEM;
	}
	a->links = nl;
	a->links[a->nr_links++] = l;
	return 0;
}

static int add_fd(struct attachment *a, int fd)
{
	int *nf;

	if (fd < 0)
		return fd;
	nf = realloc(a->fds, (a->nr_fds + 1) * sizeof(*nf));
	if (!nf) {
		close(fd);
		return -ENOMEM;
	}
	a->fds = nf;
	a->fds[a->nr_fds++] = fd;
	return 0;
}

static int attach_multi(struct tracer *t, struct attachment *a, pid_t pid, const char *path,
			struct bpf_program *prog, const unsigned long *offs, const __u64 *cookies,
			size_t n, bool ret)
{
	LIBBPF_OPTS(bpf_uprobe_multi_opts, o, .offsets = offs, .cookies = cookies, .cnt = n,
		    .retprobe = ret);

	(void)t;
	if (!n)
		return 0;
	return add_link(a, bpf_program__attach_uprobe_multi(prog, pid, path, NULL, &o));
}

static int attach_single(struct attachment *a, pid_t pid, const char *path,
			 struct bpf_program *prog, const unsigned long *offs, const __u64 *cookies,
			 size_t n, bool ret)
{
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, o, .bpf_cookie = cookies[i], .retprobe = ret);

		err = add_link(a, bpf_program__attach_uprobe_opts(prog, pid, path, offs[i], &o));
		if (err)
			return err;
	}
	return 0;
}

static int attach_sites(struct tracer *t, struct attachment *a, pid_t pid, const char *path,
			const struct probe_site *sites, size_t n, uint64_t sample, uint32_t slot)
{
	unsigned long alloc_offs[PROBES_MAX_SITES], free_offs[PROBES_MAX_SITES];
	__u64 alloc_cookies[PROBES_MAX_SITES], free_cookies[PROBES_MAX_SITES];
	__typeof__(t->skel->progs) *p = &t->skel->progs;
	struct bpf_program *enter = p->alloc_enter, *exit = p->alloc_exit;
	struct bpf_program *free_prog = p->free_enter;
	size_t i, na = 0, nf = 0;
	int err;

	for (i = 0; i < n; i++) {
		if (sites[i].fn == LEAKD_FN_FREE) {
			free_offs[nf] = sites[i].offset;
			free_cookies[nf++] = sites[i].fn;
		} else {
			alloc_offs[na] = sites[i].offset;
			alloc_cookies[na++] = LEAKD_SAMPLE_COOKIE(sites[i].fn, sample, slot);
		}
	}
	if (sample) {
		free_prog = p->free_sample;
		enter = p->alloc_sample_enter;
		exit = p->alloc_sample_exit;
	}
	if (sample && t->session) {
		err = 0;
		if (na)
			err = add_fd(a, link_create_uprobe_multi(bpf_program__fd(p->alloc_sample),
								 ATTACH_UPROBE_SESSION, pid, path,
								 alloc_offs, alloc_cookies, na));
		if (!err)
			err = attach_multi(t, a, pid, path, free_prog, free_offs, free_cookies, nf,
					   false);
		return err;
	}
	/* Return probes first: an entry without its return would leave calls in flight. */
	if (t->multi) {
		err = attach_multi(t, a, pid, path, exit, alloc_offs, alloc_cookies, na, true);
		if (!err)
			err = attach_multi(t, a, pid, path, enter, alloc_offs, alloc_cookies,
					   na, false);
		if (!err)
			err = attach_multi(t, a, pid, path, free_prog, free_offs, free_cookies, nf,
					   false);
	} else {
		err = attach_single(a, pid, path, exit, alloc_offs, alloc_cookies, na, true);
		if (!err)
			err = attach_single(a, pid, path, enter, alloc_offs, alloc_cookies, na,
					    false);
		if (!err)
			err = attach_single(a, pid, path, free_prog, free_offs, free_cookies, nf,
					    false);
	}
	return err;
}

static bool attached(const struct traced_proc *p, const struct map_entry *e, bool usdt)
{
	const struct attachment *a;

	for (a = p->objects; a; a = a->next)
		if (a->dev == e->dev && a->inode == e->inode && a->usdt == usdt)
			return true;
	return false;
}

/* Probes one object if it is an allocator: 1 when attached, 0 when not an allocator. */
static int attach_object(struct tracer *t, struct traced_proc *p, pid_t pid,
			 const struct map_entry *e)
{
	uint64_t key = (((uint64_t)e->dev << 32) ^ e->inode) * 0x9e3779b97f4a7c15ULL | 1;
	struct probe_site sites[PROBES_MAX_SITES];
	struct attachment *a = NULL;
	struct plan *plan;
	struct elf_obj *o;
	char path[128];
	size_t i;
	int n, err;

	err = map_entry__open_path(e, pid, path, sizeof(path));
	if (err)
		return err;
	plan = hashtab__get(&t->plans, key);
	if (plan && plan->dev == e->dev && plan->inode == e->inode) {
		n = plan->nr;
		memcpy(sites, plan->sites, n * sizeof(*sites));
	} else {
		o = elf_obj__open(path, e->path);
		if (!o)
			return errno == ENOENT ? map_entry__gone(pid) : 0;	/* or not readable */
		n = probes__plan(o, sites, ARRAY_SIZE(sites));
		elf_obj__free(o);
		if (n >= 0 && !plan && t->plans.count < MAX_PLANS &&
		    (plan = hashtab__upsert(&t->plans, key, NULL))) {
			plan->dev = e->dev;
			plan->inode = e->inode;
			plan->nr = n;
			memcpy(plan->sites, sites, n * sizeof(*sites));
		}
	}
	if (n <= 0)
		return n;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->dev = e->dev;
	a->inode = e->inode;
	snprintf(a->info.path, sizeof(a->info.path), "%s", e->path);
	a->info.nr_sites = n;
	for (i = 0; i < (size_t)n; i++)
		a->info.nr_emulated += sites[i].emulated;
	err = attach_sites(t, a, pid, path, sites, n, p->sample, p->slot);
	if (err) {
		struct traced_proc tmp = { .objects = a };

		detach_objects(&tmp);
		return err;
	}
	a->next = p->objects;
	p->objects = a;
	return 1;
}

/* Forgets the sampled blocks of pid still in the kernel's set. */
static void forget_sampled(struct tracer *t, pid_t pid)
{
	struct { __u32 pid, pad; __u64 addr; } key, next, *batch = NULL;
	int fd = bpf_map__fd(t->skel->maps.sampled);
	size_t n = 0, cap = 0, i;
	void *prev = NULL;

	/* Collected first: deleting while walking a hash map restarts the walk. */
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (next.pid != (__u32)pid)
			continue;
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 64;
			void *nb = realloc(batch, nc * sizeof(*batch));

			if (!nb)
				break;
			batch = nb;
			cap = nc;
		}
		batch[n++] = next;
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &batch[i]);
	free(batch);
}

/* Writes the interval in force for slot (0: the asked one); failing, the asked one holds. */
static int write_interval(struct tracer *t, uint32_t slot, uint64_t interval)
{
	__u64 v = interval;

	if (!slot)
		return -ENOSPC;
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.sample_intervals), &slot, &v, BPF_ANY))
		return -errno;
	return 0;
}

/* A free slot in sample_intervals, marked used; 0 when all are taken. */
static uint32_t take_slot(struct tracer *t)
{
	for (uint32_t i = 1; i <= t->nr_slots; i++)
		if (!t->slot_used[i]) {
			t->slot_used[i] = true;
			return i;
		}
	return 0;
}

static bool allocator_attached(const struct traced_proc *p)
{
	for (const struct attachment *a = p->objects; a; a = a->next)
		if (!a->usdt)
			return true;
	return false;
}

static void put_slot(struct tracer *t, struct traced_proc *p)
{
	if (!p->slot)
		return;
	write_interval(t, p->slot, 0);
	t->slot_used[p->slot] = false;
	p->slot = 0;
}

/*
 * The entry of a process to trace, found or made; a new one is marked traced for
 * the kernel side too.  NULL with *ret_err set.
 */
static struct traced_proc *follow_proc(struct tracer *t, pid_t pid, bool *ret_new, int *ret_err)
{
	struct traced_proc *p = hashtab__upsert(&t->procs, pid, ret_new);
	__u32 key = pid;
	__u8 one = 1;

	*ret_err = 0;
	if (!p) {
		*ret_err = -ENOMEM;
		return NULL;
	}
	if (*ret_new && bpf_map_update_elem(bpf_map__fd(t->skel->maps.traced), &key, &one,
					    BPF_ANY)) {
		*ret_err = -errno;
		hashtab__remove(&t->procs, pid, NULL);
		return NULL;
	}
	return p;
}

int tracer__attach(struct tracer *t, pid_t pid, uint64_t sample)
{
	struct proc_maps maps;
	struct traced_proc *p;
	bool is_new;
	size_t i, nr_objects = 0;
	int err, added = 0;

	err = procmaps__read(pid, &maps);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	p = follow_proc(t, pid, &is_new, &err);
	if (!p)
		goto out;
	if (!is_new && p->sample != sample) {
		/* Another interval (or exact): the probes carry it, so they are made again. */
		detach_objects(p);
		forget_sampled(t, pid);
	}
	/* Before its allocator is probed: the cookies of all its probes carry the slot. */
	if (!p->slot && !allocator_attached(p))
		p->slot = take_slot(t);
	if (is_new || p->sample != sample) {
		/* As asked, until the caller widens it again. */
		p->interval = 0;
		write_interval(t, p->slot, 0);
	}
	p->sample = sample;
	for (i = 0; i < maps.n; i++) {
		const struct map_entry *e = &maps.v[i];

		if (!e->exec || !map_entry__is_file(e) || attached(p, e, false))
			continue;
		err = attach_object(t, p, pid, e);
		if (err == -ENOENT)
			err = map_entry__gone(pid);
		if (err < 0)
			goto out;
		added += err;
	}
	for (const struct attachment *a = p->objects; a; a = a->next)
		nr_objects++;
	err = nr_objects ? added : -ENOENT;
out:
	procmaps__destroy(&maps);
	return err;
}

void tracer__forget_gone(struct tracer *t, pid_t pid)
{
	struct traced_proc *p = hashtab__get(&t->procs, pid);
	__u32 key = pid;

	bpf_map_delete_elem(bpf_map__fd(t->skel->maps.traced), &key);
	if (!p)
		return;
	reap_objects(t, p);
	if (p->sample)
		forget_sampled(t, pid);
	hashtab__remove(&t->procs, pid, NULL);
}

void tracer__detach(struct tracer *t, pid_t pid)
{
	struct traced_proc *p = hashtab__get(&t->procs, pid);
	__u32 key = pid;

	/* Even without probes: the kernel side marks a followed child traced at its fork. */
	bpf_map_delete_elem(bpf_map__fd(t->skel->maps.traced), &key);
	if (!p)
		return;
	detach_objects(p);
	if (p->sample)
		forget_sampled(t, pid);
	put_slot(t, p);
	hashtab__remove(&t->procs, pid, NULL);
}

struct holds *tracer__holds(const struct tracer *t)
{
	return t->holds;
}

const char *tracer__hold_mechanism(const struct tracer *t)
{
	return t->hold_why;
}

bool tracer__covers(struct tracer *t, pid_t pid)
{
	const struct traced_proc *p = hashtab__get(&t->procs, pid);
	struct proc_maps maps;
	bool found = false;
	size_t i;

	if (!p || procmaps__read(pid, &maps))
		return false;
	for (i = 0; i < maps.n && !found; i++)
		found = maps.v[i].exec && map_entry__is_file(&maps.v[i]) &&
			(attached(p, &maps.v[i], false) || attached(p, &maps.v[i], true));
	procmaps__destroy(&maps);
	return found;
}

size_t tracer__objects(const struct tracer *t, pid_t pid, struct tracer_object *ret, size_t max)
{
	const struct traced_proc *p = hashtab__get(&t->procs, pid);
	const struct attachment *a;
	size_t n = 0;

	for (a = p ? p->objects : NULL; a && n < max; a = a->next)
		ret[n++] = a->info;
	return n;
}

int tracer__counters(const struct tracer *t, uint64_t *ret)
{
	int fd = bpf_map__fd(t->skel->maps.counters), ncpu = libbpf_num_possible_cpus();
	__u64 *vals;
	__u32 k;
	int c;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (k = 0; k < LEAKD_CNT__COUNT; k++) {
		ret[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (c = 0; c < ncpu; c++)
			ret[k] += vals[c];
	}
	free(vals);
	return 0;
}

uint64_t tracer__missed_runs(const struct tracer *t)
{
	struct bpf_program *progs[] = { t->skel->progs.alloc_enter, t->skel->progs.alloc_exit,
					t->skel->progs.free_enter, t->skel->progs.alloc_sample,
					t->skel->progs.alloc_sample_enter,
					t->skel->progs.alloc_sample_exit, t->skel->progs.free_sample,
					t->skel->progs.otel_alloc, t->skel->progs.otel_free };
	uint64_t missed = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(progs); i++) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);

		if (!bpf_prog_get_info_by_fd(bpf_program__fd(progs[i]), &info, &len))
			missed += info.recursion_misses;
	}
	return missed;
}

static const char *const counter_names[LEAKD_CNT__COUNT] = {
	[LEAKD_DROP_RINGBUF_ALLOC] = "ringbuf_alloc",
	[LEAKD_DROP_RINGBUF_FREE] = "ringbuf_free",
	[LEAKD_DROP_RINGBUF_STACK] = "ringbuf_stack",
	[LEAKD_DROP_RINGBUF_PROC] = "ringbuf_proc",
	[LEAKD_DROP_TASK_STORAGE] = "task_storage",
	[LEAKD_DROP_MEMPTR_READ] = "memptr_read",
	[LEAKD_DROP_RINGBUF_MAP] = "ringbuf_map",
	[LEAKD_DROP_SAMPLED_SET] = "sampled_set",
	[LEAKD_CNT_STACK_READ_FAILED] = "stack_read_failed",
	[LEAKD_CNT_STACK_TRUNCATED] = "stack_truncated",
	[LEAKD_CNT_STALE_INFLIGHT] = "stale_inflight",
	[LEAKD_CNT_VMA_LOOKUP_FAILED] = "vma_lookup_failed",
	[LEAKD_CNT_UNWIND_FP_FRAMES] = "unwind_fp_frames",
	[LEAKD_CNT_UNWIND_PENDING] = "unwind_table_pending",
	[LEAKD_CNT_UNWIND_TRAMPOLINE] = "unwind_trampolines",
	[LEAKD_CNT_SAMPLED] = "sampled_allocs",
	[LEAKD_CNT_HELD] = "processes_held",
	[LEAKD_CNT_HOLD_SKIPPED] = "holds_skipped",
};

const char *tracer__counter_name(unsigned int c)
{
	return c < LEAKD_CNT__COUNT && counter_names[c] ? counter_names[c] : NULL;
}


uint64_t tracer__sample(const struct tracer *t, pid_t pid)
{
	const struct traced_proc *p = hashtab__get(&t->procs, pid);

	return p ? p->sample : 0;
}

int tracer__set_interval(struct tracer *t, pid_t pid, uint64_t interval)
{
	struct traced_proc *p = hashtab__get(&t->procs, pid);
	int err;

	if (!p || !p->sample)
		return -ENOENT;
	if (interval < p->sample)
		interval = p->sample;
	if (interval > LEAKD_SAMPLE_MAX)
		interval = LEAKD_SAMPLE_MAX;
	if (interval == (p->interval ? p->interval : p->sample))
		return 0;
	err = write_interval(t, p->slot, interval == p->sample ? 0 : interval);
	if (err)
		return err;
	p->interval = interval == p->sample ? 0 : interval;
	return 0;
}

uint64_t tracer__interval(const struct tracer *t, pid_t pid)
{
	const struct traced_proc *p = hashtab__get(&t->procs, pid);

	return !p ? 0 : p->interval ? p->interval : p->sample;
}

/* ---- otel_memory USDT probes (in-process samplers) ---- */

#define OTEL_PROVIDER "otel_memory"

/* The otel_memory probes of a mapped file: a count, 0 for none; cached by file. */
static int usdt_probes_of(struct tracer *t, pid_t pid, const struct map_entry *e)
{
	uint64_t key = (((uint64_t)e->dev << 32) ^ e->inode) * 0x9e3779b97f4a7c15ULL | 1;
	struct usdt_plan *plan = hashtab__get(&t->usdt_plans, key);
	char path[128];
	int n, err;

	if (plan && plan->dev == e->dev && plan->inode == e->inode)
		return plan->nr;
	err = map_entry__open_path(e, pid, path, sizeof(path));
	if (err)
		return err;
	n = elf_usdt_count(path, OTEL_PROVIDER);
	if (n == -ENOENT)
		return map_entry__gone(pid);
	if (n < 0)
		return 0;	/* not an ELF file, or unreadable: nothing to attach */
	if (!plan && t->usdt_plans.count < MAX_PLANS &&
	    (plan = hashtab__upsert(&t->usdt_plans, key, NULL))) {
		plan->dev = e->dev;
		plan->inode = e->inode;
		plan->nr = n;
	}
	return n;
}

int tracer__usdt_objects(struct tracer *t, pid_t pid)
{
	struct proc_maps maps;
	size_t i;
	int err, n = 0;

	err = procmaps__read(pid, &maps);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	for (i = 0; i < maps.n; i++) {
		const struct map_entry *e = &maps.v[i];

		if (!e->exec || !map_entry__is_file(e))
			continue;
		err = usdt_probes_of(t, pid, e);
		if (err < 0)
			goto out;
		n += err > 0;
	}
	err = n;
out:
	procmaps__destroy(&maps);
	return err;
}

/* The bpf cookie of an otel_memory probe: see usdt.bpf.h. */
#define USDT_COOKIE_IN_PROGRAM 1

/* Whether the mapped file is the process's program (its probes keep every frame). */
static bool is_program(pid_t pid, const struct map_entry *e)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	return !stat(path, &st) && st.st_ino == e->inode && st.st_dev == e->dev;
}

/* Whether a kernel link is one an attachment (a, or one attached before) keeps already. */
static bool link_kept(const struct tracer *t, const struct attachment *a, __u32 id)
{
	const struct traced_proc *p;
	const struct attachment *o;
	size_t i, k;

	for (k = 0; k < a->nr_ids; k++)
		if (a->ids[k] == id)
			return true;
	hashtab__for_each(&t->procs, i, p)
		for (o = p->objects; o; o = o->next)
			for (k = 0; k < o->nr_ids; k++)
				if (o->ids[k] == id)
					return true;
	return false;
}

/* One of our descriptors as a link of prog_id (its info in *ret); else -errno. */
static int link_of(int fd, __u32 prog_id, struct bpf_link_info *ret)
{
	__u32 len = sizeof(*ret);

	memset(ret, 0, sizeof(*ret));
	if (bpf_link_get_info_by_fd(fd, ret, &len))
		return -errno;
	return ret->prog_id == prog_id ? 0 : -ENOENT;
}

/*
 * The kernel links behind the USDT link libbpf just made for prog in pid, which its
 * API does not expose (one uprobe multi-link, or one perf event link per probe
 * site where the kernel lacks those): a restart hands them over as it does the
 * allocator's links.  They are the links of prog among our descriptors that no
 * attachment keeps yet (USDT links are made and closed by one thread alone), and
 * are kept through descriptors of our own, so that libbpf's close does not end
 * them.  Returns how many; 0 leaves the object traced, not to be handed over.
 */
static int keep_usdt_links(struct tracer *t, struct attachment *a, struct bpf_program *prog,
			   pid_t pid)
{
	struct bpf_prog_info pinfo = { 0 };
	struct bpf_link_info info, again;
	__u32 plen = sizeof(pinfo), *ni;
	struct dirent *de;
	int fd, own, err = 0, n = 0;
	DIR *dir;

	if (bpf_prog_get_info_by_fd(bpf_program__fd(prog), &pinfo, &plen))
		return -errno;
	dir = opendir("/proc/self/fd");
	if (!dir)
		return -errno;
	while (!err && (de = readdir(dir))) {
		char *end;
		long v = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name || v < 0 || v > INT32_MAX || v == dirfd(dir))
			continue;
		fd = (int)v;
		if (link_of(fd, pinfo.id, &info) || link_kept(t, a, info.id))
			continue;
		if (info.type == BPF_LINK_TYPE_UPROBE_MULTI && info.uprobe_multi.pid != (__u32)pid)
			continue;	/* another process's */
		own = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (own < 0) {
			err = -errno;
			break;
		}
		/* The same link still (a reaper may have closed fd, another opened it). */
		if (link_of(own, pinfo.id, &again) || again.id != info.id) {
			close(own);
			continue;
		}
		ni = realloc(a->ids, (a->nr_ids + 1) * sizeof(*ni));
		if (!ni) {
			close(own);
			err = -ENOMEM;
			break;
		}
		a->ids = ni;
		err = add_fd(a, own);
		if (!err) {
			a->ids[a->nr_ids++] = info.id;
			n++;
		}
	}
	closedir(dir);
	return err ? err : n;
}

/* Attaches both probes of one object; the free probe may be missing, the alloc one not. */
static int attach_usdt_object(struct tracer *t, struct traced_proc *p, pid_t pid,
			      const struct map_entry *e, int nr)
{
	LIBBPF_OPTS(bpf_usdt_opts, o);
	struct attachment *a;
	struct bpf_link *l;
	char path[128];
	int err, kept_free = 0;

	err = map_entry__open_path(e, pid, path, sizeof(path));
	if (err)
		return err;
	o.usdt_cookie = is_program(pid, e) ? USDT_COOKIE_IN_PROGRAM : 0;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->dev = e->dev;
	a->inode = e->inode;
	a->usdt = true;
	snprintf(a->info.path, sizeof(a->info.path), "%s", e->path);
	a->info.nr_sites = nr;
	a->info.usdt = true;
	/* The free probe first: an allocation seen without its free would look leaked. */
	l = bpf_program__attach_usdt(t->skel->progs.otel_free, pid, path, OTEL_PROVIDER, "free",
				     &o);
	if (l)
		err = add_link(a, l);
	else if (errno != ENOENT)
		err = -errno;
	if (!err && l)
		err = keep_usdt_links(t, a, t->skel->progs.otel_free, pid);
	if (err >= 0) {
		kept_free = err;
		err = add_link(a, bpf_program__attach_usdt(t->skel->progs.otel_alloc, pid, path,
							   OTEL_PROVIDER, "alloc", &o));
	}
	if (!err)
		err = keep_usdt_links(t, a, t->skel->progs.otel_alloc, pid);
	if (err >= 0) {
		/*
		 * Each probe's kernel links, or none kept: a restart traces it afresh
		 * then.  Their ids stay, so that no later object takes them for its own.
		 */
		if (!err || (l && !kept_free)) {
			for (size_t i = 0; i < a->nr_fds; i++)
				close(a->fds[i]);
			a->nr_fds = 0;
		}
		err = 0;
	}
	if (err) {
		struct traced_proc tmp = { .objects = a };

		detach_objects(&tmp);
		return err;
	}
	a->next = p->objects;
	p->objects = a;
	return 1;
}

int tracer__attach_usdt(struct tracer *t, pid_t pid)
{
	struct proc_maps maps;
	struct traced_proc *p;
	bool is_new;
	size_t i;
	int err, n, added = 0, nr_objects = 0;
	__u32 key = pid;

	err = procmaps__read(pid, &maps);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	p = follow_proc(t, pid, &is_new, &err);
	if (!p)
		goto out;
	for (i = 0; i < maps.n; i++) {
		const struct map_entry *e = &maps.v[i];

		if (!e->exec || !map_entry__is_file(e) || attached(p, e, true))
			continue;
		n = usdt_probes_of(t, pid, e);
		if (n > 0)
			n = attach_usdt_object(t, p, pid, e, n);
		if (n == -ENOENT)
			n = map_entry__gone(pid);
		if (n < 0) {
			err = n;
			goto done;
		}
		added += n;
	}
	err = added;
done:
	for (const struct attachment *a = p->objects; a; a = a->next)
		nr_objects += a->usdt;
	if (!nr_objects && (err >= 0 || is_new)) {
		/* Nothing of ours there: leave the process as it was. */
		if (is_new) {
			hashtab__remove(&t->procs, pid, NULL);
			bpf_map_delete_elem(bpf_map__fd(t->skel->maps.traced), &key);
		}
		if (err >= 0)
			err = -ENOENT;
	}
out:
	procmaps__destroy(&maps);
	return err;
}

/* ---- restarts, continued ---- */

bool tracer__adopted(const struct tracer *t)
{
	return t->adopted;
}

int tracer__pin(struct tracer *t, struct keeper *k, uint64_t deadline_ns)
{
	struct bpf_map **maps;
	char name[32];
	size_t i, n;
	int err;

	/*
	 * The kept watch links run on with no daemon: they must stop no process,
	 * for none may come to resume it.  What is held now is resumed at our exit.
	 */
	t->skel->bss->hold = false;
	maps = shared_maps(t, &n);
	for (i = 0; i < n; i++) {
		err = keeper__put(k, bpf_map__name(maps[i]), bpf_map__fd(maps[i]));
		if (err)
			return err;
	}
	err = keeper__put(k, RING_PIN, tracer__events_fd(t));
	if (err)
		return err;
	for (i = 0; i < t->nr_tp_links; i++) {
		snprintf(name, sizeof(name), "watch-%zu", i);
		err = keeper__put(k, name, bpf_link__fd(t->tp_links[i]));
		if (err)
			return err;
		/* Closed, not detached, when the tracer goes: a perf event link is disabled. */
		bpf_link__disconnect(t->tp_links[i]);
	}
	return set_control(t, deadline_ns);
}

static int link_name(char *buf, size_t size, pid_t pid, size_t obj, size_t k)
{
	return snprintf(buf, size, "link-%d-%zu-%zu", (int)pid, obj, k) >= (int)size ?
	       -ENAMETOOLONG : 0;
}

int tracer__pin_proc(struct tracer *t, pid_t pid, struct keeper *k, struct tracer_pinned *ret,
		     size_t max)
{
	const struct traced_proc *p = hashtab__get(&t->procs, pid);
	const struct attachment *a;
	char name[64];
	size_t n = 0, j, first;
	int err;

	if (!p)
		return -ESRCH;
	for (a = p->objects; a; a = a->next)
		if (a->usdt && !a->nr_fds)
			return -EOPNOTSUPP;
	for (a = p->objects; a; a = a->next, n++) {
		if (n >= max)
			return -E2BIG;
		/* Of an otel_memory object, the kernel links alone: libbpf's has no fd. */
		first = a->usdt ? a->nr_links : 0;
		ret[n] = (struct tracer_pinned){ .dev = a->dev, .inode = a->inode,
						 .info = a->info,
						 .nr_links = a->nr_links + a->nr_fds - first };
		for (j = first; j < a->nr_links + a->nr_fds; j++) {
			int fd = j < a->nr_links ? bpf_link__fd(a->links[j]) :
						   a->fds[j - a->nr_links];

			err = link_name(name, sizeof(name), pid, n, j - first);
			if (!err)
				err = keeper__put(k, name, fd);
			if (err)
				return err;
		}
		/*
		 * Closed, not detached, when the tracer goes: a perf event link would be
		 * disabled, and a USDT link would end the kernel links it is made of.
		 */
		for (j = 0; j < a->nr_links; j++)
			bpf_link__disconnect(a->links[j]);
	}
	return n;
}

void tracer__slot(const struct tracer *t, pid_t pid, uint32_t *ret_slot, uint64_t *ret_interval)
{
	const struct traced_proc *p = hashtab__get(&t->procs, pid);

	*ret_slot = p ? p->slot : 0;
	*ret_interval = p ? p->interval : 0;
}

int tracer__adopt_proc(struct tracer *t, pid_t pid, uint64_t sample, uint32_t slot,
		       uint64_t interval, struct keeper *kp, const struct tracer_pinned *objs,
		       size_t n)
{
	struct traced_proc *p;
	struct attachment *a;
	char name[64];
	size_t i, k;
	bool is_new;
	__u32 key = pid;
	__u8 one = 1;
	int err = 0;

	/* Its links' cookies name the slot: taken as it was, or not at all. */
	if (slot > t->nr_slots || (slot && t->slot_used[slot]) ||
	    (interval && (!sample || interval < sample || interval > LEAKD_SAMPLE_MAX)))
		return -ERANGE;
	p = hashtab__upsert(&t->procs, pid, &is_new);
	if (!p)
		return -ENOMEM;
	if (!is_new)
		return -EEXIST;
	p->sample = sample;
	p->slot = slot;
	p->interval = interval;
	if (slot)
		t->slot_used[slot] = true;
	for (i = 0; i < n && !err; i++) {
		a = calloc(1, sizeof(*a));
		if (!a) {
			err = -ENOMEM;
			break;
		}
		a->dev = objs[i].dev;
		a->inode = objs[i].inode;
		a->usdt = objs[i].info.usdt;
		a->info = objs[i].info;
		a->info.path[sizeof(a->info.path) - 1] = '\0';
		a->next = p->objects;
		p->objects = a;
		for (k = 0; k < objs[i].nr_links && !err; k++) {
			err = link_name(name, sizeof(name), pid, i, k);
			if (!err)
				err = add_fd(a, keeper__get(kp, name));
		}
	}
	if (!err && bpf_map_update_elem(bpf_map__fd(t->skel->maps.traced), &key, &one, BPF_ANY))
		err = -errno;
	if (err) {
		detach_objects(p);
		if (p->slot)
			t->slot_used[p->slot] = false;
		hashtab__remove(&t->procs, pid, NULL);
		bpf_map_delete_elem(bpf_map__fd(t->skel->maps.traced), &key);
	}
	return err;
}

void tracer__forget_sent(struct tracer *t)
{
	int fd = bpf_map__fd(t->skel->maps.stacks_sent), ncpu = libbpf_num_possible_cpus();
	__u64 key, next, *zeros;
	__u32 slot, slots = bpf_map__max_entries(t->skel->maps.sent_cache);

	/* Deleting the first key each time: no walk to restart. */
	while (!bpf_map_get_next_key(fd, NULL, &next)) {
		key = next;
		if (bpf_map_delete_elem(fd, &key))
			break;
	}
	if (ncpu > 0 && (zeros = calloc(ncpu, sizeof(*zeros)))) {
		fd = bpf_map__fd(t->skel->maps.sent_cache);
		for (slot = 0; slot < slots; slot++)
			bpf_map_update_elem(fd, &slot, zeros, BPF_ANY);
		free(zeros);
	}
	/* After the caches: a walk remembered from now on was settled against them. */
	walks_lapse(t);
}

uint64_t tracer_kept_deadline(struct keeper *k)
{
	struct leakd_control c = { 0 };
	__u32 key = 0;
	int fd;

	fd = keeper__get(k, "control");
	if (fd < 0)
		return 0;
	if (bpf_map_lookup_elem(fd, &key, &c))
		c.deadline_ns = 0;
	close(fd);
	return c.deadline_ns;
}
