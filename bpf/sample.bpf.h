/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Sampled tracing of the allocator: each thread counts its allocated bytes down
 * from exponential draws of mean T (the probe cookie carries T), and only the call
 * that crosses zero walks its stack and is reported, with the weight it stands
 * for (include/leakd/sampling.h).  Attached as a uprobe session, the entry
 * declines the return probe of every call it does not sample; without sessions,
 * entry and return probes (the return then costs every call a trap).  Frees cost
 * one delete from the set of sampled blocks.  Included by leakd.bpf.c.
 */
#ifndef LEAKD_SAMPLE_BPF_H
#define LEAKD_SAMPLE_BPF_H

#include "leakd/sampling.h"

extern bool bpf_session_is_return(void) __ksym __weak;

/* Blocks sampled and not freed yet, of every sampled process. */
struct sampled_key {
	__u32 pid;
	__u32 _pad;
	__u64 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* as many as are live, not the limit */
	__uint(max_entries, 1 << 18);
	__type(key, struct sampled_key);
	__type(value, __u8);
} sampled SEC(".maps");

/*
 * The interval in force per sampled process, by the slot its cookies carry: the
 * one asked for, or wider while the daemon's event budget is exceeded.  0: the
 * cookie's.  An array: the lookup costs no hash on the allocator's path.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4097);	/* slot 0 and one per traced process: set at load */
	__type(key, __u32);
	__type(value, __u64);
} sample_intervals SEC(".maps");

/* Per thread, small: every allocator call of a sampled process touches it. */
struct sample_state {
	__u64 left;		/* bytes to the next sample; 0: not drawn yet */
	__u64 interval;		/* the interval left was drawn for */
	__u64 in_sp;		/* a sampled call in flight: its stack pointer; 0: none */
	__u32 nest;		/* entry+return: calls nested in it whose returns are to come */
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sample_state);
} sample_states SEC(".maps");

static __always_inline int forget_sampled(__u64 addr)
{
	struct sampled_key k = { .pid = bpf_get_current_pid_tgid() >> 32, .addr = addr };

	return bpf_map_delete_elem(&sampled, &k);
}

/*
 * The entry of an allocator call: 0 when sampled (its return must run), 1 when
 * not.  Calls nested in a sampled one (realloc(NULL, n) is malloc) are not
 * counted again; those nested in an unsampled one are, as their returns cannot
 * be told apart without a return probe: only tail calls inside the allocator do
 * so, and they are rare.
 */
static __always_inline int sample_enter(struct pt_regs *ctx, bool session)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), interval = LEAKD_SAMPLE_COOKIE_INTERVAL(cookie);
	__u64 sp = PT_REGS_SP(ctx), a = PT_REGS_PARM1(ctx), b = PT_REGS_PARM2(ctx);
	__u32 fn = cookie & 0xff, slot = LEAKD_SAMPLE_COOKIE_SLOT(cookie);
	__u64 size, arg = 0, *now;
	struct sample_state *s;
	struct inflight *t;

	now = slot ? bpf_map_lookup_elem(&sample_intervals, &slot) : NULL;
	if (now && *now >= LEAKD_SAMPLE_MIN && *now <= LEAKD_SAMPLE_MAX)
		interval = *now;

	s = bpf_task_storage_get(&sample_states, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		count(LEAKD_DROP_TASK_STORAGE);
		return 1;
	}
	if (s->in_sp) {
		if (sp <= s->in_sp) {
			if (!session)
				s->nest++;
			return 1;
		}
		count(LEAKD_CNT_STALE_INFLIGHT);
		s->in_sp = 0;
		s->nest = 0;
	}
	switch (fn) {
	case LEAKD_FN_CALLOC:
		size = a * b;
		break;
	case LEAKD_FN_REALLOC:
		arg = a;
		size = b;
		break;
	case LEAKD_FN_REALLOCARRAY:
		arg = a;
		size = b * PT_REGS_PARM3(ctx);
		break;
	case LEAKD_FN_POSIX_MEMALIGN:
		size = PT_REGS_PARM3(ctx);
		break;
	case LEAKD_FN_ALIGNED_ALLOC:
		size = b;
		break;
	default:		/* malloc, valloc, pvalloc */
		size = a;
		break;
	}
	/* realloc lets go of a sampled block now; failing, it keeps it (rare: lost). */
	if (arg && !forget_sampled(arg))
		emit_free(LEAKD_EV_FREE, arg);

	/*
	 * A new interval draws afresh: the draw is memoryless, so every call is
	 * sampled with p = 1 - e^(-size/interval) under the interval in force at
	 * its entry, which sample_exit weighs it by (s->interval).
	 */
	if (s->interval != interval || !s->left) {
		s->interval = interval;
		s->left = leakd_sample_draw(interval, bpf_get_prandom_u32()) + 1;
	}
	if (size < s->left) {
		s->left -= size;
		return 1;
	}
	s->left = leakd_sample_draw(interval, bpf_get_prandom_u32()) + 1;

	t = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t) {
		count(LEAKD_DROP_TASK_STORAGE);
		return 1;
	}
	s->in_sp = sp;
	s->nest = 0;
	/* In flight like a traced call: a mapping made inside it gets its stack. */
	t->depth = 1;
	t->sp = sp;
	t->fn = fn;
	t->size = size;
	t->arg = fn == LEAKD_FN_POSIX_MEMALIGN ? a : 0;
	t->stack_id = capture_stack(t, PT_REGS_IP(ctx), sp, PT_REGS_FP(ctx), true);
	return 0;
}

static __always_inline int sample_exit(struct pt_regs *ctx)
{
	struct sampled_key k = { .pid = bpf_get_current_pid_tgid() >> 32 };
	struct leakd_alloc_event *e;
	struct sample_state *s;
	struct inflight *t;
	__u64 addr = PT_REGS_RC(ctx);
	__u8 one = 1;

	s = bpf_task_storage_get(&sample_states, bpf_get_current_task_btf(), 0, 0);
	if (!s || !s->in_sp)
		return 0;
	if (s->nest) {
		s->nest--;
		return 0;
	}
	s->in_sp = 0;
	t = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, 0);
	if (!t)
		return 0;
	t->depth = 0;
	if (t->fn == LEAKD_FN_POSIX_MEMALIGN) {
		if (addr)	/* an error number: nothing was allocated */
			return 0;
		if (bpf_probe_read_user(&addr, sizeof(addr), (void *)t->arg)) {
			count(LEAKD_DROP_MEMPTR_READ);
			return 0;
		}
	}
	if (!addr)
		return 0;
	k.addr = addr;
	if (bpf_map_update_elem(&sampled, &k, &one, BPF_ANY)) {
		count(LEAKD_DROP_SAMPLED_SET);
		return 0;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		bpf_map_delete_elem(&sampled, &k);
		count(LEAKD_DROP_RINGBUF_ALLOC);
		return 0;
	}
	fill_hdr(&e->hdr, LEAKD_EV_ALLOC, t->fn);
	e->addr = addr;
	e->size = t->size;
	e->stack_id = t->stack_id;
	e->old_addr = 0;
	/* The interval this call was drawn under, not the asked one: a widened one too. */
	e->weight = leakd_sample_weight(t->size, s->interval);
	bpf_ringbuf_submit(e, wake_flag());
	count(LEAKD_CNT_SAMPLED);
	return 0;
}

/* Attached as a uprobe session (expected attach type set by userspace). */
SEC("uprobe.multi")
int alloc_sample(struct pt_regs *ctx)
{
	if (paused())
		return 1;	/* no return probe for this call either */
	if (bpf_session_is_return())
		return sample_exit(ctx);
	return sample_enter(ctx, true);
}

/* Without sessions: the entry and the return as two probes. */
SEC("uprobe.multi")
int alloc_sample_enter(struct pt_regs *ctx)
{
	if (paused())
		return 0;
	sample_enter(ctx, false);
	return 0;
}

SEC("uretprobe.multi")
int alloc_sample_exit(struct pt_regs *ctx)
{
	if (paused())
		return 0;
	return sample_exit(ctx);
}

SEC("uprobe.multi")
int free_sample(struct pt_regs *ctx)
{
	__u64 addr = PT_REGS_PARM1(ctx);

	if (paused())
		return 0;
	if (addr && !forget_sampled(addr))
		emit_free(LEAKD_EV_FREE, addr);
	return 0;
}

#endif
