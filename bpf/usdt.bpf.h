/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The otel_memory USDT probes (the OpenTelemetry eBPF profiler's memory-profiling
 * contract): alloc(ptr, size, weight) on a sampled allocation and free(ptr) on the
 * free of a sampled block, emitted by leakd's own sampler or by any program.  They
 * become the same records as the allocator probes: LEAKD_EV_ALLOC, with the weight
 * the allocation stands for, and LEAKD_EV_FREE.  Attached per process by
 * userspace with libbpf's USDT support, which also raises the probes' semaphores.
 * A restart keeps the links as they are, these programs with them: so the specs
 * they read (libbpf's maps, not handed over) stay theirs.
 * Included by leakd.bpf.c, after capture_stack.
 */
#ifndef LEAKD_USDT_BPF_H
#define LEAKD_USDT_BPF_H

/* Sized at load from the number of processes traced at once (tracer.c). */
#define BPF_USDT_MAX_SPEC_CNT 512
#define BPF_USDT_MAX_IP_CNT 1	/* bpf cookies carry the spec id on this kernel */
#include <bpf/usdt.bpf.h>

/* The text mapping of the probe's object. */
struct usdt_vma {
	__u64 start, end;
	bool found;
};

static long usdt_vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct usdt_vma *v = data;

	v->start = vma->vm_start;
	v->end = vma->vm_end;
	v->found = true;
	return 0;
}

/*
 * Where the code at pc is mapped: from the unwinder's mappings of the process,
 * which need no lock, else from the kernel's (which fails while the mmap lock is
 * contended).
 */
static __always_inline void usdt_text_of(__u64 pc, struct usdt_vma *v)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct leakd_unwind_proc *p = bpf_map_lookup_elem(&unwind_procs, &pid);
	int mi = unwind_find_map(p, pc);

	barrier_var(mi);
	if (p && mi >= 0) {
		v->start = p->maps[(__u32)mi & (LEAKD_UNWIND_MAX_MAPS - 1)].start;
		v->end = p->maps[(__u32)mi & (LEAKD_UNWIND_MAX_MAPS - 1)].end;
		v->found = true;
		return;
	}
	bpf_find_vma(bpf_get_current_task_btf(), pc, usdt_vma_cb, v, 0);
}

/* The bpf cookie of an otel_memory probe (userspace's, next to libbpf's spec id). */
#define USDT_COOKIE_IN_PROGRAM 1	/* the probes are in the program itself */

struct usdt_shift {
	struct inflight *t;
	__u32 by;
};

static long usdt_shift_one(__u32 i, void *data)
{
	struct usdt_shift *s = data;
	__u32 from = (i + s->by) & (LEAKD_MAX_FRAMES - 1), to = i & (LEAKD_MAX_FRAMES - 1);

	s->t->pcs[to] = s->t->pcs[from];
	s->t->frame_flags[to] = s->t->frame_flags[from];
	return 0;
}

/*
 * The stack at a probe, without the frames of the object that emits it: those
 * are the sampler's (or the allocator's) own, as an allocator probe's stack starts
 * at the allocator's caller.  A program that emits the probes from its own code
 * keeps every frame, and so does a stack that never leaves the emitting object.
 */
static __noinline __u64 capture_usdt_stack(struct inflight *t, __u64 pc, __u64 sp, __u64 bp,
					  __u64 cookie)
{
	struct usdt_vma v = {};
	struct usdt_shift s = { .t = t };
	struct leakd_unwind_proc *proc;
	__u32 n, flags = 0, k;
	bool settled;

	if (!t)
		return 0;
	proc = walk_tables();
	t->rec_ok = 0;		/* not remembered: the frames below are cut after */
	unwind_window(t, sp, STACK_WINDOW);
	n = unwind_user(t, proc, pc, sp, bp, false, &flags);
	if (!n) {
		count(LEAKD_CNT_STACK_READ_FAILED);
		return 0;
	}
	if (!(cookie & USDT_COOKIE_IN_PROGRAM))
		usdt_text_of(pc, &v);
	if (v.found) {
		for (k = 0; k < LEAKD_MAX_FRAMES; k++) {
			__u64 f;

			if (k >= n)
				break;
			f = t->pcs[k];
			if (f < v.start || f >= v.end)
				break;
		}
		if (k < n && k > 0) {
			s.by = k;
			bpf_loop(n - k, usdt_shift_one, &s, 0);
			n -= k;
		}
	}
	return commit_stack(t, n, flags, &settled);
}

SEC("usdt")
int BPF_USDT(otel_alloc, __u64 ptr, __u64 size, __u64 weight)
{
	struct leakd_alloc_event *e;
	struct inflight *t;
	__u64 stack_id;

	if (!ptr || paused())
		return 0;
	t = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t) {
		count(LEAKD_DROP_TASK_STORAGE);
		return 0;
	}
	stack_id = capture_usdt_stack(t, PT_REGS_IP(ctx), PT_REGS_SP(ctx), PT_REGS_FP(ctx),
				      bpf_usdt_cookie(ctx));
	e = ring_reserve(sizeof(*e));
	if (!e) {
		count(LEAKD_DROP_RINGBUF_ALLOC);
		return 0;
	}
	fill_hdr(&e->hdr, LEAKD_EV_ALLOC, LEAKD_FN_MALLOC);
	e->addr = ptr;
	e->size = size;
	e->stack_id = stack_id;
	e->old_addr = 0;
	/* A weight below the size says nothing more than the size: exact. */
	e->weight = weight > size ? weight : 0;
	bpf_ringbuf_submit(e, wake_flag());
	return 0;
}

SEC("usdt")
int BPF_USDT(otel_free, __u64 ptr)
{
	if (!ptr || paused())
		return 0;
	return emit_free(LEAKD_EV_FREE, ptr);
}

#endif
