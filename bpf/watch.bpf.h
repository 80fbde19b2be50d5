/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The watch tier's memory syscalls: anonymous mmap (with its stack), munmap,
 * mremap, brk (growth with its stack), mprotect of anonymous memory (commits of
 * reservations with their stack, decommits), madvise that releases memory, and
 * executable file mappings (dlopen).
 * Attached either to the per-syscall tracepoints (tracefs) or, failing those, to
 * the raw syscall entry and exit with the syscall picked out here.  Included by
 * leakd.bpf.c.
 */
#ifndef LEAKD_WATCH_BPF_H
#define LEAKD_WATCH_BPF_H

#define NR_MMAP 9
#define NR_MPROTECT 10
#define NR_MUNMAP 11
#define NR_BRK 12
#define NR_MREMAP 25
#define NR_MADVISE 28

#define PROT_READ 0x1
#define PROT_WRITE 0x2
#define PROT_EXEC 0x4
#define PROT_ACCESS (PROT_READ | PROT_WRITE | PROT_EXEC)
#define MAP_SHARED 0x01
#define MAP_ANONYMOUS 0x20
#define MAP_NORESERVE 0x4000
#define MADV_DONTNEED 4
#define MADV_FREE 8
#define MADV_REMOVE 9

#define VM_READ 0x1
#define VM_WRITE 0x2
#define VM_ACCESS (VM_READ | VM_WRITE | VM_EXEC)

static __always_inline struct inflight *thread_state(bool create)
{
	return bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

static __always_inline bool failed(long ret)
{
	return ret < 0 && ret > -4096;
}

/* The user registers the kernel saved at the system call's entry. */
static __always_inline struct pt_regs *user_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

/*
 * The stack of the call that made memory, or the traced allocator call around it
 * (malloc maps and grows the heap itself: the memory is its caller's).
 */
static __always_inline __u64 syscall_stack(struct inflight *t, const struct pt_regs *regs,
					    __u32 *flags)
{
	if (t->depth) {
		*flags |= LEAKD_MAP_IN_ALLOCATOR;
		return t->stack_id;
	}
	return capture_stack(t, regs->ip, regs->sp, regs->bp, false);
}

/*
 * After an mmap: code (a file mapped executable: dlopen), or anonymous memory with
 * the stack of who made it.  Its arguments are still in the user registers (the
 * kernel saved them at entry): no entry program, no state kept across the call.
 */
static __always_inline void on_mmap_exit(long ret)
{
	struct pt_regs *regs;
	struct leakd_map_event *e;
	struct inflight *t;
	__u32 pid = bpf_get_current_pid_tgid() >> 32, flags = 0;
	__u64 len, prot, mflags, stack_id = 0;

	if (failed(ret) || !watched(pid))
		return;
	regs = user_regs();
	prot = regs->dx;
	mflags = regs->r10;
	if (!(mflags & MAP_ANONYMOUS)) {
		/* File mappings matter only when executable: they bring code. */
		if ((prot & PROT_EXEC) || (long)regs->r8 < 0)
			emit_proc(LEAKD_EV_MAP_EXEC, pid, hold_again(pid));
		return;
	}
	len = regs->si;
	if (mflags & MAP_SHARED)
		flags |= LEAKD_MAP_SHARED;
	if (!(prot & PROT_ACCESS))
		flags |= LEAKD_MAP_RESERVED;
	/* No memory is committed for it: it counts once made accessible by mprotect. */
	if ((mflags & MAP_NORESERVE) && !(mflags & MAP_SHARED))
		flags |= LEAKD_MAP_RESERVED | LEAKD_MAP_NORESERVE;
	/* A reservation is address space only: whoever commits it is the one. */
	if (!(flags & LEAKD_MAP_RESERVED)) {
		t = thread_state(true);
		if (t)
			stack_id = syscall_stack(t, regs, &flags);
		else
			count(LEAKD_DROP_TASK_STORAGE);
	}
	e = ring_reserve(sizeof(*e));
	if (!e) {
		count(LEAKD_DROP_RINGBUF_MAP);
		return;
	}
	fill_hdr(&e->hdr, LEAKD_EV_MMAP, flags);
	e->addr = ret;
	e->len = len;
	e->stack_id = stack_id;
	bpf_ringbuf_submit(e, wake_flag());
}

static __always_inline void emit_range_aux(__u32 type, __u64 addr, __u64 len, __u32 aux)
{
	struct leakd_range_event *e;

	e = ring_reserve(sizeof(*e));
	if (!e) {
		count(LEAKD_DROP_RINGBUF_MAP);
		return;
	}
	fill_hdr(&e->hdr, type, aux);
	e->addr = addr;
	e->len = len;
	bpf_ringbuf_submit(e, wake_flag());
}

static __always_inline void emit_range(__u32 type, __u64 addr, __u64 len)
{
	emit_range_aux(type, addr, len, 0);
}

/*
 * munmap and mremap are reported at their entry, before the range is free: a
 * range reused by another thread's mmap can then never be seen before its unmap.
 */
static __always_inline void on_munmap_enter(__u64 addr, __u64 len)
{
	if (watched(bpf_get_current_pid_tgid() >> 32))
		emit_range(LEAKD_EV_MUNMAP, addr, len);
}

static __always_inline void on_mremap_enter(__u64 addr, __u64 old_len, __u64 new_len)
{
	struct inflight *t;

	if (!watched(bpf_get_current_pid_tgid() >> 32))
		return;
	t = thread_state(true);
	if (!t) {
		count(LEAKD_DROP_TASK_STORAGE);
		return;
	}
	t->sys[0] = addr;
	t->sys[1] = old_len;
	t->sys[2] = new_len;
	t->sys_nr = NR_MREMAP;
	emit_range(LEAKD_EV_MREMAP_BEGIN, addr, old_len);
}

static __always_inline void on_mremap_exit(long ret)
{
	struct leakd_mremap_event *e;
	struct inflight *t = thread_state(false);

	if (!t || t->sys_nr != NR_MREMAP)
		return;
	t->sys_nr = 0;
	e = ring_reserve(sizeof(*e));
	if (!e) {
		count(LEAKD_DROP_RINGBUF_MAP);
		return;
	}
	fill_hdr(&e->hdr, LEAKD_EV_MREMAP_END, 0);
	e->old_addr = t->sys[0];
	e->old_len = t->sys[1];
	e->new_addr = failed(ret) ? 0 : ret;
	e->new_len = t->sys[2];
	bpf_ringbuf_submit(e, wake_flag());
}

static __always_inline void on_brk_enter(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct inflight *t;

	if (!watched(bpf_get_current_pid_tgid() >> 32))
		return;
	t = thread_state(true);
	if (!t) {
		count(LEAKD_DROP_TASK_STORAGE);
		return;
	}
	t->sys[0] = BPF_CORE_READ(task, mm, brk);
	t->sys_nr = NR_BRK;
}

/* brk returns the heap's end, moved or not (a failed or a query call). */
static __always_inline void on_brk_exit(long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct inflight *t = thread_state(false);
	struct leakd_brk_event *e;
	__u64 old, stack_id = 0;
	__u32 flags = 0;

	if (!t || t->sys_nr != NR_BRK)
		return;
	t->sys_nr = 0;
	old = t->sys[0];
	if (failed(ret) || (__u64)ret == old)
		return;
	if ((__u64)ret > old)
		stack_id = syscall_stack(t, user_regs(), &flags);
	e = ring_reserve(sizeof(*e));
	if (!e) {
		count(LEAKD_DROP_RINGBUF_MAP);
		return;
	}
	fill_hdr(&e->hdr, LEAKD_EV_BRK_MOVE, flags);
	e->start = BPF_CORE_READ(task, mm, start_brk);
	e->old_end = old;
	e->new_end = ret;
	e->stack_id = stack_id;
	bpf_ringbuf_submit(e, wake_flag());
}

/* The mapping at an address, as mprotect will find it. */
struct prot_vma {
	__u64 end;
	__u32 found, anon, access;
};

static long prot_vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct prot_vma *v = data;

	v->end = vma->vm_end;
	v->anon = !vma->vm_file;
	v->access = !!(vma->vm_flags & VM_ACCESS);
	v->found = 1;
	return 0;
}

/*
 * mprotect matters where it changes whether anonymous memory is accessible: a
 * reservation committed, or memory decommitted.  A call that flips permissions of
 * memory that stays accessible (a JIT's W^X) is skipped here, before any stack work.
 */
static __always_inline void on_mprotect_enter(__u64 addr, __u64 len, __u64 prot)
{
	struct prot_vma v = {};
	struct inflight *t;

	if (!watched(bpf_get_current_pid_tgid() >> 32))
		return;
	bpf_find_vma(bpf_get_current_task_btf(), addr, prot_vma_cb, &v, 0);
	/* Not found (or the lock was busy): let userspace decide from its own table. */
	if (v.found && (!v.anon || (v.end >= addr + len && v.access == !!(prot & PROT_ACCESS))))
		return;
	t = thread_state(true);
	if (!t) {
		count(LEAKD_DROP_TASK_STORAGE);
		return;
	}
	t->sys[0] = addr;
	t->sys[1] = len;
	t->sys[2] = prot;
	t->sys_nr = NR_MPROTECT;
}

static __always_inline void on_mprotect_exit(long ret)
{
	struct inflight *t = thread_state(false);
	struct leakd_map_event *e;
	__u64 stack_id = 0;
	__u32 flags = 0;

	if (!t || t->sys_nr != NR_MPROTECT)
		return;
	t->sys_nr = 0;
	if (failed(ret))
		return;
	if (t->sys[2] & PROT_ACCESS)
		stack_id = syscall_stack(t, user_regs(), &flags);
	else
		flags |= LEAKD_MAP_RESERVED;
	e = ring_reserve(sizeof(*e));
	if (!e) {
		count(LEAKD_DROP_RINGBUF_MAP);
		return;
	}
	fill_hdr(&e->hdr, LEAKD_EV_PROTECT, flags);
	e->addr = t->sys[0];
	e->len = t->sys[1];
	e->stack_id = stack_id;
	bpf_ringbuf_submit(e, wake_flag());
}

/* Reported at entry, like munmap: the memory is released as the call runs. */
static __always_inline void on_madvise_enter(__u64 addr, __u64 len, __u64 advice)
{
	if (advice != MADV_DONTNEED && advice != MADV_FREE && advice != MADV_REMOVE)
		return;
	if (watched(bpf_get_current_pid_tgid() >> 32))
		emit_range_aux(LEAKD_EV_DISCARD, addr, len, advice);
}

SEC("tracepoint/syscalls/sys_exit_mmap")
int mmap_exit(struct trace_event_raw_sys_exit *ctx)
{
	on_mmap_exit(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_munmap")
int munmap_enter(struct trace_event_raw_sys_enter *ctx)
{
	on_munmap_enter(ctx->args[0], ctx->args[1]);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_mremap")
int mremap_enter(struct trace_event_raw_sys_enter *ctx)
{
	on_mremap_enter(ctx->args[0], ctx->args[1], ctx->args[2]);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_mremap")
int mremap_exit(struct trace_event_raw_sys_exit *ctx)
{
	on_mremap_exit(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_brk")
int brk_enter(struct trace_event_raw_sys_enter *ctx)
{
	on_brk_enter();
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_brk")
int brk_exit(struct trace_event_raw_sys_exit *ctx)
{
	on_brk_exit(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_mprotect")
int mprotect_enter(struct trace_event_raw_sys_enter *ctx)
{
	on_mprotect_enter(ctx->args[0], ctx->args[1], ctx->args[2]);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_mprotect")
int mprotect_exit(struct trace_event_raw_sys_exit *ctx)
{
	on_mprotect_exit(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_madvise")
int madvise_enter(struct trace_event_raw_sys_enter *ctx)
{
	on_madvise_enter(ctx->args[0], ctx->args[1], ctx->args[2]);
	return 0;
}

/* Without tracefs: every syscall's entry and exit, the memory ones picked out here. */
SEC("tp_btf/sys_enter")
int BPF_PROG(raw_enter, struct pt_regs *regs, long id)
{
	switch (id) {
	case NR_MUNMAP:
		on_munmap_enter(regs->di, regs->si);
		break;
	case NR_MREMAP:
		on_mremap_enter(regs->di, regs->si, regs->dx);
		break;
	case NR_BRK:
		on_brk_enter();
		break;
	case NR_MPROTECT:
		on_mprotect_enter(regs->di, regs->si, regs->dx);
		break;
	case NR_MADVISE:
		on_madvise_enter(regs->di, regs->si, regs->dx);
		break;
	}
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(raw_exit, struct pt_regs *regs, long ret)
{
	switch (regs->orig_ax) {
	case NR_MMAP:
		on_mmap_exit(ret);
		break;
	case NR_MREMAP:
		on_mremap_exit(ret);
		break;
	case NR_BRK:
		on_brk_exit(ret);
		break;
	case NR_MPROTECT:
		on_mprotect_exit(ret);
		break;
	}
	return 0;
}

#endif
