/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The watch tier's memory syscalls: anonymous mmap (with its stack), munmap,
 * mremap and brk of watched processes, and executable file mappings (dlopen).
 * Attached either to the per-syscall tracepoints (tracefs) or, failing those, to
 * the raw syscall entry and exit with the syscall picked out here.  Included by
 * leakd.bpf.c.
 */
#ifndef LEAKD_WATCH_BPF_H
#define LEAKD_WATCH_BPF_H

#define NR_MMAP 9
#define NR_MUNMAP 11
#define NR_BRK 12
#define NR_MREMAP 25

#define PROT_EXEC 0x4
#define MAP_SHARED 0x01
#define MAP_ANONYMOUS 0x20

static __always_inline struct inflight *thread_state(bool create)
{
	return bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

static __always_inline bool failed(long ret)
{
	return ret < 0 && ret > -4096;
}

static __always_inline void on_mmap_enter(__u64 len, __u64 prot, __u64 flags, long fd)
{
	struct inflight *t;

	if (!watched(bpf_get_current_pid_tgid() >> 32))
		return;
	/* File mappings matter only when executable: they bring code (dlopen). */
	if (!(flags & MAP_ANONYMOUS) && fd >= 0 && !(prot & PROT_EXEC))
		return;
	t = thread_state(true);
	if (!t) {
		count(LEAKD_DROP_TASK_STORAGE);
		return;
	}
	t->sys[0] = len;
	t->sys[1] = prot;
	t->sys[2] = flags;
	t->sys_nr = NR_MMAP;
}

static __always_inline void on_mmap_exit(long ret, __u64 pc, __u64 sp, __u64 bp)
{
	struct leakd_map_event *e;
	struct inflight *t = thread_state(false);
	__u32 pid = bpf_get_current_pid_tgid() >> 32, flags = 0;
	__u64 stack_id;

	if (!t || t->sys_nr != NR_MMAP)
		return;
	t->sys_nr = 0;
	if (failed(ret))
		return;
	if (!(t->sys[2] & MAP_ANONYMOUS)) {
		emit_proc(LEAKD_EV_MAP_EXEC, pid, 0);
		return;
	}
	if (t->sys[2] & MAP_SHARED)
		flags |= LEAKD_MAP_SHARED;
	if (!t->sys[1])
		flags |= LEAKD_MAP_RESERVED;
	if (t->depth) {
		/* malloc maps large blocks itself: the memory is its caller's. */
		flags |= LEAKD_MAP_IN_ALLOCATOR;
		stack_id = t->stack_id;
	} else {
		stack_id = capture_stack(t, pc, sp, bp, false);
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(LEAKD_DROP_RINGBUF_MAP);
		return;
	}
	fill_hdr(&e->hdr, LEAKD_EV_MMAP, flags);
	e->addr = ret;
	e->len = t->sys[0];
	e->stack_id = stack_id;
	bpf_ringbuf_submit(e, wake_flag());
}

static __always_inline void emit_range(__u32 type, __u64 addr, __u64 len)
{
	struct leakd_range_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(LEAKD_DROP_RINGBUF_MAP);
		return;
	}
	fill_hdr(&e->hdr, type, 0);
	e->addr = addr;
	e->len = len;
	bpf_ringbuf_submit(e, wake_flag());
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
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
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

static __always_inline void on_brk_exit(long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 start;

	if (failed(ret) || !watched(bpf_get_current_pid_tgid() >> 32))
		return;
	start = BPF_CORE_READ(task, mm, start_brk);
	if ((__u64)ret >= start)
		emit_range(LEAKD_EV_BRK, start, ret - start);
}

/* The user registers of the syscall, for the stack of an mmap. */
static __always_inline struct pt_regs *user_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

SEC("tracepoint/syscalls/sys_enter_mmap")
int mmap_enter(struct trace_event_raw_sys_enter *ctx)
{
	on_mmap_enter(ctx->args[1], ctx->args[2], ctx->args[3], (long)ctx->args[4]);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_mmap")
int mmap_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = user_regs();

	on_mmap_exit(ctx->ret, BPF_CORE_READ(regs, ip), BPF_CORE_READ(regs, sp),
		     BPF_CORE_READ(regs, bp));
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

SEC("tracepoint/syscalls/sys_exit_brk")
int brk_exit(struct trace_event_raw_sys_exit *ctx)
{
	on_brk_exit(ctx->ret);
	return 0;
}

/* Without tracefs: every syscall's entry and exit, the four picked out here. */
SEC("tp_btf/sys_enter")
int BPF_PROG(raw_enter, struct pt_regs *regs, long id)
{
	switch (id) {
	case NR_MMAP:
		on_mmap_enter(regs->si, regs->dx, regs->r10, (long)regs->r8);
		break;
	case NR_MUNMAP:
		on_munmap_enter(regs->di, regs->si);
		break;
	case NR_MREMAP:
		on_mremap_enter(regs->di, regs->si, regs->dx);
		break;
	}
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(raw_exit, struct pt_regs *regs, long ret)
{
	switch (regs->orig_ax) {
	case NR_MMAP:
		on_mmap_exit(ret, regs->ip, regs->sp, regs->bp);
		break;
	case NR_MREMAP:
		on_mremap_exit(ret);
		break;
	case NR_BRK:
		on_brk_exit(ret);
		break;
	}
	return 0;
}

#endif
