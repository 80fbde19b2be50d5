// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * leakd's kernel side.  The trace tier: entry and return of the malloc family and
 * entry of free, attached per process by userspace (the kernel filters by pid).
 * The watch tier: anonymous mmap, munmap, mremap and brk, and the lifecycle of
 * processes (fork, exec, exit), for every process (daemon) or the traced ones.
 * The otel_memory USDT probes of in-process samplers (usdt.bpf.h).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "leakd/events.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 max_depth = LEAKD_DEFAULT_FRAMES;
/* Off: frame pointers only, for programs built with them (cheaper per frame). */
const volatile bool use_tables = true;
/*
 * Wake the consumer only once this much is waiting: a wakeup per event costs µs.
 * A quarter of the ring in use; userspace changes it with the ring.
 */
__u64 wakeup_bytes = 1 << 20;
/* The watch tier covers every process but leakd itself; else only traced ones. */
const volatile bool watch_all = false;
const volatile __u32 self_pid = 0;
/* The generation these watch-tier programs run in (struct leakd_control). */
const volatile __u32 watch_gen = 0;
/* Children of traced processes are traced from their fork (leakd -f). */
const volatile bool follow_forks = false;
/* Traced processes are held at exec too (leakd -- COMMAND: its own child). */
const volatile bool hold_exec = false;
/*
 * Processes to be traced are stopped until their probes are in: set by userspace
 * once it has what resumes them (collect/holds.c).
 */
volatile bool hold = false;

/*
 * The ring buffer the programs write to, in the one slot of rings: the daemon
 * starts with a small one and swaps in a larger one when it first traces a
 * process (the update waits until no program still writes to the old ring, which
 * the consumer then drains first).  Both are mapped into leakd, their data pages
 * twice: a ring sized for tracing would be most of a watching daemon's memory.
 */
struct ring_map {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct ring_map);
} rings SEC(".maps") = {
	.values = { [0] = &events },
};

static __always_inline void *ring(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&rings, &zero);
}

/* A record of size bytes in the ring, or NULL when it is full. */
static __always_inline void *ring_reserve(__u64 size)
{
	void *r = ring();

	return r ? bpf_ringbuf_reserve(r, size, 0) : NULL;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LEAKD_CNT__COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/*
 * Stacks already sent to userspace, with the marks of the walk sent (why it was
 * cut short), so that a later walk of the same pcs with fewer marks (complete, or
 * only cut at the depth limit) is sent again and settles them.  Forgetting one
 * only costs a resend.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} stacks_sent SEC(".maps");

/*
 * The stacks this CPU sent or found sent lately, direct-mapped by id: an array
 * lookup instead of the LRU's hash for the stacks of a hot loop.  A stale slot
 * only means the LRU is asked.
 */
#define SENT_CACHE_SLOTS 1024

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SENT_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} sent_cache SEC(".maps");

/* Processes with allocator tracing. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} traced SEC(".maps");

/* Bytes of user stack read at once when a walk starts: the first frames' slots. */
#define STACK_WINDOW 1024

/*
 * A walk a thread made lately (unwind.bpf.h): where it started, where the stack
 * words it read are (all in the window) and a hash of them, with the stack it
 * gave.  The hash is as wide as a stack's id, which is a hash of its frames too.
 */
#define MEMO_SLOTS 8
#define MEMO_WORDS 64

struct memo_key {
	__u64 pc, sp, bp;
	__u64 epoch;		/* struct leakd_control's stack_epoch: tables, stacks sent */
	__u32 exec_id;		/* the program image (task's self_exec_id) */
	__u32 at_entry;
};

struct walk_memo {
	struct memo_key key;
	__u64 stack_id;		/* 0: empty */
	__u16 nr;		/* words read */
	__u16 use_bp;		/* the walk read rbp as it was at the start: key.bp counts */
	__u16 span;		/* bytes of the window the words are in */
	__u16 used;		/* the thread's memo_clock when last found or kept */
	__u64 words;		/* hash of the words, in the order read */
	__u8 off[MEMO_WORDS];	/* in words from the window's base */
};

/*
 * Per-thread state.  The outermost allocator call in flight: allocators call each
 * other (realloc(NULL, n) is malloc, reallocarray tail-calls realloc), and only
 * the outermost call is reported, with its caller's stack and size.  The
 * arguments of a memory syscall between its entry and exit.  Scratch for the walk.
 */
struct inflight {
	__u64 sp;		/* stack pointer at the outermost entry */
	__u64 size;
	__u64 arg;		/* realloc: old block; posix_memalign: result pointer */
	__u64 stack_id;
	__u32 depth;
	__u32 fn;
	__u64 sys[3];		/* mmap: len, prot, flags; munmap/mremap: addr, len, new */
	__u32 sys_nr;		/* which syscall sys[] belongs to; 0: none */
	__u64 pcs[LEAKD_MAX_FRAMES];
	__u8 frame_flags[LEAKD_MAX_FRAMES];
	__u64 window[STACK_WINDOW / 8];	/* the stack above the walk's first sp (unwind.bpf.h) */
	__u64 window_base;		/* where it was read from */
	__u64 window_len;		/* bytes read; 0: none */
	__u32 window_full;		/* the whole window was asked for */
	struct walk_memo memo[MEMO_SLOTS];
	__u16 span_hint[MEMO_SLOTS];	/* bytes the last walk from a pc and sp needed */
	__u16 memo_clock;		/* ticks at every memo found or kept */
	__u16 rec_nr;			/* words recorded so far */
	__u32 rec_slot;			/* the memo this walk is recorded into */
	__u16 rec_span;			/* bytes of the window they are in */
	__u64 rec_hash;			/* of them, so far */
	__u8 rec_ok;			/* 0: not to be remembered */
	__u8 rec_bp;			/* the walk read rbp as it was at the start */
	__u8 bp_start;			/* the walk's rbp is still the register's */
	__u8 bp_pend;			/* else it was read from the window, at: */
	__u8 bp_pend_off;
	__u64 bp_pend_val;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct inflight);
} inflight SEC(".maps");

/* Survives the daemon with the maps above: see struct leakd_control. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct leakd_control);
} control SEC(".maps");

static __always_inline struct leakd_control *ctl(void)
{
	__u32 k = 0;

	return bpf_map_lookup_elem(&control, &k);
}

static __always_inline bool past_deadline(const struct leakd_control *c)
{
	return c->deadline_ns && bpf_ktime_get_ns() > c->deadline_ns;
}

/* Past a handover's deadline with no daemon back: nothing to do (an array lookup). */
static __always_inline bool paused(void)
{
	struct leakd_control *c = ctl();

	return c && past_deadline(c);
}

static __always_inline void count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &which);

	if (v)
		*v += 1;
}

static __always_inline __u64 wake_flag(void)
{
	void *r = ring();

	return r && bpf_ringbuf_query(r, BPF_RB_AVAIL_DATA) >= wakeup_bytes ?
		BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/*
 * The clock (CLOCK_MONOTONIC) read once per tick per CPU: a record's time is then
 * at most a tick early, which ages and windows of seconds do not see, and most
 * records spare the clock read (a fifth of a program on this VM).  Tracing
 * programs may not read the kernel's coarse clock; jiffies they may.
 */
struct tick_clock {
	__u64 jiffies, ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tick_clock);
} tick_clocks SEC(".maps");

static __always_inline __u64 tick_ns(void)
{
	__u32 zero = 0;
	struct tick_clock *c = bpf_map_lookup_elem(&tick_clocks, &zero);
	__u64 j = bpf_jiffies64();

	if (!c)
		return bpf_ktime_get_ns();
	if (c->jiffies != j) {
		c->ns = bpf_ktime_get_ns();
		c->jiffies = j;
	}
	return c->ns;
}

/* Only records that make memory carry a time (its age): nothing reads a free's. */
static __always_inline void fill_hdr(struct leakd_event_hdr *h, __u32 type, __u32 aux)
{
	__u64 id = bpf_get_current_pid_tgid();
	bool timed = type == LEAKD_EV_ALLOC || type == LEAKD_EV_MMAP ||
		     type == LEAKD_EV_PROTECT || type == LEAKD_EV_BRK_MOVE ||
		     type == LEAKD_EV_MREMAP_END;

	h->type = type;
	h->pid = id >> 32;
	h->tid = (__u32)id;
	h->aux = aux;
	/* Code mapped: to the ns, as userspace tells apart what it read after it. */
	h->ts = type == LEAKD_EV_MAP_EXEC ? bpf_ktime_get_ns() : timed ? tick_ns() : 0;
}

static __always_inline __u64 mix(__u64 h, __u64 v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 31);
}

/* The mapping that holds pc, as bpf_find_vma reports it. */
struct vma_info {
	__u64 start, end, pgoff, ino;
	__u32 dev;
	__u16 found;
	__u16 exec;
};

#define VM_EXEC 0x4

static long vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_info *v = data;
	struct file *f = vma->vm_file;

	v->start = vma->vm_start;
	v->end = vma->vm_end;
	v->pgoff = vma->vm_pgoff;
	v->ino = f ? f->f_inode->i_ino : 0;
	v->dev = f ? f->f_inode->i_sb->s_dev : 0;
	v->exec = !!(vma->vm_flags & VM_EXEC);
	v->found = 1;
	return 0;
}

struct place_ctx {
	struct leakd_stack_event *s;
	struct inflight *t;
	struct vma_info v;
};

static long place_one(__u32 i, void *data)
{
	struct place_ctx *c = data;
	struct leakd_frame *f;
	__u64 pc;

	if (i >= LEAKD_MAX_FRAMES)
		return 1;
	f = &c->s->frames[i];
	pc = c->t->pcs[i];
	f->pc = pc;
	f->flags = c->t->frame_flags[i];
	if (!c->v.found || pc < c->v.start || pc >= c->v.end) {
		c->v.found = 0;
		bpf_find_vma(bpf_get_current_task_btf(), pc, vma_cb, &c->v, 0);
	}
	if (!c->v.found) {
		/* The mmap lock was taken (a concurrent mmap): userspace asks the maps. */
		f->ino = f->dev = f->offset = 0;
		f->flags |= LEAKD_FRAME_NO_VMA;
		count(LEAKD_CNT_VMA_LOOKUP_FAILED);
		return 0;
	}
	f->ino = c->v.ino;
	f->dev = c->v.dev;
	f->offset = pc - c->v.start + (c->v.pgoff << 12);
	return 0;
}

#include "unwind.bpf.h"

/*
 * Sends a new stack's frames, each placed in its file while the mapping exists, so
 * that userspace can name them even after the process is gone.
 */
static __always_inline bool send_stack(struct inflight *t, __u64 id, __u32 n, __u32 flags)
{
	struct leakd_stack_event *s;
	struct place_ctx c = {};

	s = ring_reserve(sizeof(*s));
	if (!s) {
		/* Forget it so that the next use of this stack sends it again. */
		bpf_map_delete_elem(&stacks_sent, &id);
		count(LEAKD_DROP_RINGBUF_STACK);
		return false;
	}
	c.s = s;
	c.t = t;
	bpf_loop(n, place_one, &c, 0);
	fill_hdr(&s->hdr, LEAKD_EV_STACK, n);
	s->stack_id = id;
	s->flags = flags;
	s->_pad = 0;
	bpf_ringbuf_submit(s, wake_flag());
	return true;
}

/*
 * Deduplicates the n frames walked into t->pcs: returns the stack's id, and sends
 * its frames the first time (and again when the kernel forgot it).
 */
static __always_inline __u64 commit_stack(struct inflight *t, __u32 n, __u32 flags,
					  bool *settled)
{
	__u32 i, slot;
	__u64 h, *cached;
	__u8 cut, *sent;

	if (flags & LEAKD_STACK_TRUNCATED)
		count(LEAKD_CNT_STACK_TRUNCATED);
	if (flags & LEAKD_STACK_READ_FAILED)
		count(LEAKD_CNT_STACK_READ_FAILED);
	if (flags & LEAKD_STACK_TABLE_PENDING)
		count(LEAKD_CNT_UNWIND_PENDING);

	/* The program image is part of the identity: the same pcs mean other code after exec. */
	h = mix(bpf_get_current_pid_tgid() >> 32, bpf_get_current_task_btf()->self_exec_id);
	for (i = 0; i < LEAKD_MAX_FRAMES; i++) {
		if (i >= n)
			break;
		h = mix(h, t->pcs[i]);
	}
	h = mix(h, n) | 1;	/* never 0: 0 means "no stack" */

	slot = (__u32)(h >> 20) & (SENT_CACHE_SLOTS - 1);
	cached = bpf_map_lookup_elem(&sent_cache, &slot);
	if (cached && *cached == h) {
		*settled = true;
		return h;
	}
	cut = flags & LEAKD_STACK_CUT_MARKS;
	sent = bpf_map_lookup_elem(&stacks_sent, &h);
	if (sent) {
		/* Known, unless this walk lacks some of the marks the one sent had. */
		if ((cut & ~*sent) || cut == *sent) {
			if (cached && !*sent)
				*cached = h;
			*settled = !*sent;
			return h;
		}
		*sent = cut;
	} else if (bpf_map_update_elem(&stacks_sent, &h, &cut, BPF_NOEXIST)) {
		return h;	/* another CPU sends it */
	}
	/*
	 * Cached only once sent, and only complete: a stack lost to a full ring buffer,
	 * or walked with marks a later walk may lack, is sent again.
	 */
	if (send_stack(t, h, n, flags) && !cut) {
		if (cached)
			*cached = h;
		*settled = true;
	}
	return h;
}

/*
 * The stack from user state (pc, sp, bp), deduplicated.  At an allocator's entry
 * pc is the allocator itself and the caller is found at sp; at a syscall pc is
 * where the process stopped.  A thread that calls again from where it did lately,
 * over the same stack words, gets the stack it got then without a walk.
 */
static __noinline __u64 capture_stack(struct inflight *t, __u64 pc, __u64 sp, __u64 bp,
				      bool at_entry)
{
	struct memo_key k = { .pc = pc, .sp = sp, .bp = bp, .at_entry = at_entry };
	struct leakd_control *c = ctl();
	struct leakd_unwind_proc *proc;
	__u32 n, flags = 0;
	bool settled = false;
	__u64 id;

	if (!t)
		return 0;
	/* The epoch covers the tables too: a remembered walk needs no lookup of them. */
	k.epoch = c ? c->stack_epoch : 0;
	k.exec_id = bpf_get_current_task_btf()->self_exec_id;
	id = unwind_memo_find(t, &k);
	if (id)
		return id;
	proc = walk_tables();
	if (!t->window_full)
		unwind_window(t, sp, STACK_WINDOW);
	n = unwind_user(t, proc, pc, sp, bp, at_entry, &flags);
	if (!n) {
		count(LEAKD_CNT_STACK_READ_FAILED);
		return 0;
	}
	id = commit_stack(t, n, flags, &settled);
	/* Only a complete walk, whose stack userspace has: a hit sends nothing. */
	if (settled && !flags)
		unwind_memo_keep(t, &k, id);
	return id;
}

static __always_inline int emit_free(__u32 type, __u64 addr)
{
	struct leakd_free_event *e;

	e = ring_reserve(sizeof(*e));
	if (!e) {
		count(LEAKD_DROP_RINGBUF_FREE);
		return 0;
	}
	fill_hdr(&e->hdr, type, 0);
	e->addr = addr;
	bpf_ringbuf_submit(e, wake_flag());
	return 0;
}

SEC("uprobe.multi")
int alloc_enter(struct pt_regs *ctx)
{
	__u32 fn = bpf_get_attach_cookie(ctx);
	__u64 sp = PT_REGS_SP(ctx), a = PT_REGS_PARM1(ctx), b = PT_REGS_PARM2(ctx);
	struct inflight *t;

	if (paused())
		return 0;
	t = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t) {
		count(LEAKD_DROP_TASK_STORAGE);
		return 0;
	}
	if (t->depth) {
		/* A nested (or tail) call runs at or below the outer call's stack pointer. */
		if (sp <= t->sp) {
			t->depth++;
			return 0;
		}
		count(LEAKD_CNT_STALE_INFLIGHT);
	}
	t->depth = 1;
	t->sp = sp;
	t->fn = fn;
	t->arg = 0;
	switch (fn) {
	case LEAKD_FN_CALLOC:
		t->size = a * b;
		break;
	case LEAKD_FN_REALLOC:
		t->arg = a;
		t->size = b;
		break;
	case LEAKD_FN_REALLOCARRAY:
		t->arg = a;
		t->size = b * PT_REGS_PARM3(ctx);
		break;
	case LEAKD_FN_POSIX_MEMALIGN:
		t->arg = a;
		t->size = PT_REGS_PARM3(ctx);
		break;
	case LEAKD_FN_ALIGNED_ALLOC:
		t->size = b;
		break;
	default:		/* malloc, valloc, pvalloc */
		t->size = a;
		break;
	}
	if (t->arg && (fn == LEAKD_FN_REALLOC || fn == LEAKD_FN_REALLOCARRAY))
		emit_free(LEAKD_EV_REALLOC_BEGIN, t->arg);
	t->stack_id = capture_stack(t, PT_REGS_IP(ctx), sp, PT_REGS_FP(ctx), true);
	return 0;
}

SEC("uretprobe.multi")
int alloc_exit(struct pt_regs *ctx)
{
	struct leakd_alloc_event *e;
	struct inflight *t;
	__u64 addr = PT_REGS_RC(ctx), old = 0;

	if (paused())
		return 0;
	t = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, 0);
	if (!t || !t->depth)
		return 0;
	if (--t->depth)
		return 0;

	switch (t->fn) {
	case LEAKD_FN_POSIX_MEMALIGN:
		if (addr)	/* an error number: nothing was allocated */
			return 0;
		if (bpf_probe_read_user(&addr, sizeof(addr), (void *)t->arg)) {
			count(LEAKD_DROP_MEMPTR_READ);
			return 0;
		}
		break;
	case LEAKD_FN_REALLOC:
	case LEAKD_FN_REALLOCARRAY:
		old = t->arg;
		break;
	}
	if (!addr && !old)
		return 0;

	e = ring_reserve(sizeof(*e));
	if (!e) {
		count(LEAKD_DROP_RINGBUF_ALLOC);
		return 0;
	}
	fill_hdr(&e->hdr, LEAKD_EV_ALLOC, t->fn);
	e->addr = addr;
	e->size = t->size;
	e->stack_id = t->stack_id;
	e->old_addr = old;
	e->weight = 0;
	bpf_ringbuf_submit(e, wake_flag());
	return 0;
}

SEC("uprobe.multi")
int free_enter(struct pt_regs *ctx)
{
	__u64 addr = PT_REGS_PARM1(ctx);

	if (!addr || paused())
		return 0;
	return emit_free(LEAKD_EV_FREE, addr);
}

static __always_inline void emit_proc(__u32 type, __u32 pid, __u32 aux)
{
	struct leakd_event_hdr *e;

	e = ring_reserve(sizeof(*e));
	if (!e) {
		count(LEAKD_DROP_RINGBUF_PROC);
		return;
	}
	fill_hdr(e, type, aux);
	e->pid = pid;
	/* Userspace must read the process's state while it is there: wake it now. */
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
}

/*
 * The watch tier: not leakd itself, only in its generation (a new daemon's
 * programs take over from the old ones at one store), and not past a deadline.
 */
static __always_inline bool watched(__u32 pid)
{
	struct leakd_control *c = ctl();

	if (pid == self_pid || !c || c->watch_gen != watch_gen || pid == c->self_pid ||
	    past_deadline(c))
		return false;
	return watch_all || bpf_map_lookup_elem(&traced, &pid);
}

/*
 * Holding: a process leakd must trace from its first allocation is stopped in the
 * kernel (at fork, before the child first runs; at exec and at the loader's next
 * mapping of code, before it returns to user space) and resumed by userspace once
 * its probes are in.  Every hold is recorded here, so that userspace resumes what
 * it did not see (a lost record, a bound passed) and leakd's end resumes the rest.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct leakd_hold);
} holds SEC(".maps");

/* The comms of the daemon's trace rules (key: comm; value: the owner's uid, or any). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, char[16]);
	__type(value, __u32);
} rule_comms SEC(".maps");

/* The units of the daemon's trace rules (key: a cgroup directory's name). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, char[LEAKD_UNIT_LEN]);
	__type(value, __u32);
} rule_units SEC(".maps");

/*
 * The cgroups of those units (key: cgroup id): those there when the rules were
 * set, found by userspace, and those made since, by cgroup_mkdir below.  What is
 * under one of them is in the unit too.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u32);
} rule_cgroups SEC(".maps");

/* How deep a unit's cgroup is looked for above a process's (systemd nests a few). */
#define UNIT_MAX_LEVEL 16

#define SIGCONT 18
#define SIGSTOP 19

extern int bpf_send_signal_task(struct task_struct *task, int sig, enum pid_type type,
				__u64 value) __ksym __weak;
extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym __weak;
extern void bpf_task_release(struct task_struct *p) __ksym __weak;

/* The owner of a rule whose unit task's cgroup is, or is under; NULL when none. */
static __always_inline __u32 *rule_unit(struct task_struct *task)
{
	struct cgroup *cgrp = BPF_CORE_READ(task, cgroups, dfl_cgrp), *anc;
	int level = BPF_CORE_READ(cgrp, level);
	__u32 *owner;
	__u64 id;

	/* Nearest first; level 0 is the root, no unit's. */
	for (int i = 0; i < UNIT_MAX_LEVEL; i++) {
		if (level - i < 1)
			break;
		if (bpf_probe_read_kernel(&anc, sizeof(anc), &cgrp->ancestors[level - i]) || !anc)
			break;
		id = BPF_CORE_READ(anc, kn, id);
		owner = bpf_map_lookup_elem(&rule_cgroups, &id);
		if (owner)
			return owner;
	}
	return NULL;
}

/*
 * Whether a rule names task's comm (after exec, the new program's) or its unit,
 * for its owner.
 */
static __always_inline bool rule_names(struct task_struct *task)
{
	char comm[16];
	__u32 *owner;

	__builtin_memcpy(comm, task->comm, sizeof(comm));
	owner = bpf_map_lookup_elem(&rule_comms, comm);
	if (!owner)
		owner = rule_unit(task);
	if (!owner)
		return false;
	/*
	 * A shell with job control sees its job stop and takes it out of the
	 * foreground: processes on a terminal are attached after exec, as before.
	 */
	if (BPF_CORE_READ(task, signal, tty))
		return false;
	if (*owner == LEAKD_RULE_ANY_OWNER)
		return true;
	/* The owner's own process, not a setuid one it ran (the rule may not see those). */
	return *owner == BPF_CORE_READ(task, real_cred, uid.val) &&
	       *owner == BPF_CORE_READ(task, real_cred, euid.val);
}

/* Stops task (current when task is NULL) until userspace resumes it; false if it could not. */
static __always_inline bool hold_task(__u32 pid, struct task_struct *task)
{
	struct leakd_hold h = { .ts = bpf_ktime_get_ns(), .state = LEAKD_HOLD_STOPPED };
	long err;

	if (!hold || !bpf_send_signal_task)
		return false;
	if (bpf_map_update_elem(&holds, &pid, &h, BPF_ANY)) {
		count(LEAKD_CNT_HOLD_SKIPPED);
		return false;
	}
	err = task ? bpf_send_signal_task(task, SIGSTOP, PIDTYPE_TGID, 0) :
		     bpf_send_signal(SIGSTOP);
	if (err) {
		bpf_map_delete_elem(&holds, &pid);
		count(LEAKD_CNT_HOLD_SKIPPED);
		return false;
	}
	count(LEAKD_CNT_HELD);
	return true;
}

/* A cgroup made with a rule's unit's name: processes in it are the unit's. */
SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	char name[LEAKD_UNIT_LEN] = {};
	__u32 *owner;
	__u64 id;

	if (bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(cgrp, kn, name)) <= 0)
		return 0;
	owner = bpf_map_lookup_elem(&rule_units, name);
	if (!owner)
		return 0;
	id = BPF_CORE_READ(cgrp, kn, id);
	bpf_map_update_elem(&rule_cgroups, &id, owner, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(proc_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ppid = parent->tgid, pid = child->tgid, aux = ppid;
	bool follow = false;
	__u8 one = 1;

	/* New processes only: a thread joins its parent's group. */
	if (pid != child->pid || !watched(ppid))
		return 0;
	/* A followed child is traced from here: its memory events are seen from the start. */
	if (follow_forks && bpf_map_lookup_elem(&traced, &ppid))
		follow = !bpf_map_update_elem(&traced, &pid, &one, BPF_NOEXIST);
	if ((follow || rule_names(child)) && hold_task(pid, child))
		aux |= LEAKD_PROC_HELD;
	emit_proc(LEAKD_EV_FORK, pid, aux);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(proc_exec, struct task_struct *p)
{
	__u32 pid = p->tgid, aux = 0;
	bool follow = (follow_forks || hold_exec) && bpf_map_lookup_elem(&traced, &pid);

	/*
	 * The tables entry describes the image before: walks in the new one until
	 * userspace writes its entry are cut short and say so, not walked against
	 * code that is gone (their memos lapse with the exec's id).
	 */
	bpf_map_delete_elem(&unwind_procs, &pid);
	if (!watched(pid))
		return 0;
	if ((follow || rule_names(p)) && hold_task(pid, NULL))
		aux = LEAKD_PROC_HELD;
	emit_proc(LEAKD_EV_EXEC, pid, aux);
	return 0;
}

/* Code mapped (the loader, after exec): an armed hold stops the process again. */
static __always_inline __u32 hold_again(__u32 pid)
{
	struct leakd_hold *h = bpf_map_lookup_elem(&holds, &pid);

	if (!h || h->state != LEAKD_HOLD_ARMED)
		return 0;
	if (bpf_send_signal(SIGSTOP)) {
		bpf_map_delete_elem(&holds, &pid);
		count(LEAKD_CNT_HOLD_SKIPPED);
		return 0;
	}
	h->ts = bpf_ktime_get_ns();
	h->state = LEAKD_HOLD_STOPPED;
	count(LEAKD_CNT_HELD);
	return LEAKD_PROC_HELD;
}

static long resume_one(struct bpf_map *map, __u32 *pid, struct leakd_hold *h, void *ctx)
{
	struct task_struct *task;

	if (h->state != LEAKD_HOLD_STOPPED)
		return 0;
	task = bpf_task_from_pid(*pid);
	if (!task)
		return 0;
	bpf_send_signal_task(task, SIGCONT, PIDTYPE_TGID, 0);
	bpf_task_release(task);
	return 0;
}

/*
 * leakd itself ends (killed, even by SIGKILL): what it holds goes on.  The kernel
 * queues one such signal per CPU at a time from here; the process leakd leaves
 * behind for this (leakd-resume, src/collect/holds.c) resumes whatever this could
 * not.
 */
static __always_inline void resume_all(void)
{
	if (hold && bpf_send_signal_task && bpf_task_from_pid && bpf_task_release)
		bpf_for_each_map_elem(&holds, resume_one, NULL, 0);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(proc_exit, struct task_struct *p)
{
	__u32 pid = p->tgid;

	struct mm_struct *mm;
	unsigned long flags = 0;
	__u32 dump = LEAKD_EXIT_DUMP_UNKNOWN;

	/* Every thread passes here; the process is gone when the last one does. */
	if (BPF_CORE_READ(p, signal, live.counter))
		return 0;
	if (pid == self_pid) {
		resume_all();
		return 0;
	}
	bpf_map_delete_elem(&holds, &pid);	/* killed while held */
	if (!watched(pid))
		return 0;
	/*
	 * Whether it was dumpable to the end (who may see its summary): the low bits
	 * of mm->flags, a word or (6.18) a bitmap of words.  Where the tracepoint
	 * comes after the address space is gone, unknown.
	 */
	mm = BPF_CORE_READ(p, mm);
	if (mm && !bpf_probe_read_kernel(&flags, sizeof(flags),
					 __builtin_preserve_access_index(&mm->flags)))
		dump = LEAKD_EXIT_DUMP_MODE + (flags & 3);
	emit_proc(LEAKD_EV_EXIT, pid, dump);
	return 0;
}

#include "sample.bpf.h"
#include "watch.bpf.h"
#include "usdt.bpf.h"
