/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The user stack walker.  Where userspace has loaded the .eh_frame table of the
 * code at a pc, the CFA (the caller's stack pointer) and the saved RBP come from
 * it; elsewhere (JIT code, a table not built yet) from frame pointers, and such
 * frames are marked.  Return addresses that a uretprobe replaced by its trampoline
 * are mapped back to the real ones.  Included by leakd.bpf.c.
 */
#ifndef LEAKD_UNWIND_BPF_H
#define LEAKD_UNWIND_BPF_H

#include "leakd/unwind.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);		/* the row budget, set by userspace */
	__type(key, __u32);
	__type(value, struct leakd_unwind_row);
} unwind_rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct leakd_unwind_file);
} unwind_files SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct leakd_unwind_proc);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* 8 KiB each: only for processes there are */
} unwind_procs SEC(".maps");

/*
 * The rows found lately, per CPU, by pc: most stacks repeat their return
 * addresses, and a hit spares the two binary searches (mapping, then row) that
 * cost most of a frame.  Valid for one pid and one version (gen) of its
 * mappings; the check word catches an entry torn by a preempted writer.
 */
#define ROW_CACHE_SLOTS 4096

struct row_cache_entry {
	__u64 pc;
	__u32 pid, gen;
	struct leakd_unwind_row row;
	__u64 check;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ROW_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct row_cache_entry);
} row_cache SEC(".maps");

static __always_inline __u64 row_cache_check(__u64 pc, __u32 pid, __u32 gen, __u64 row)
{
	__u64 h = (pc ^ ((__u64)pid << 32 | gen)) * 0x9e3779b97f4a7c15ULL;

	return (h ^ row) * 0xff51afd7ed558ccdULL | 1;
}

/* Frames beyond this distance from the stack pointer are not believed. */
#define MAX_FRAME_SPAN (8ULL << 20)

struct walk {
	struct inflight *t;
	struct leakd_unwind_proc *proc;	/* NULL: no table for this process */
	__u64 pc, sp, bp;
	__u64 ra_addr;			/* where pc was read from */
	__u64 tramp;			/* the uretprobe trampoline; 0 until looked up */
	__u32 pid;
	__u32 n, flags;
	__u32 exact;			/* pc was interrupted, not a return address */
	__u32 max;
};

/*
 * The lookups below are global functions: the verifier checks each once instead
 * of once per path through the walk, which would not fit its budget.
 */

/* Index of the mapping of p that holds pc, or -1. */
__noinline int unwind_find_map(struct leakd_unwind_proc *p, __u64 pc)
{
	__u32 lo = 0, hi, mid, k;

	if (!p)
		return -1;
	hi = p->nr;
	if (hi > LEAKD_UNWIND_MAX_MAPS)
		hi = LEAKD_UNWIND_MAX_MAPS;
	for (k = 0; k < 10; k++) {
		if (lo >= hi)
			break;
		mid = (lo + hi) / 2;
		if (mid >= LEAKD_UNWIND_MAX_MAPS)
			break;
		if (pc < p->maps[mid].start)
			hi = mid;
		else if (pc >= p->maps[mid].end)
			lo = mid + 1;
		else
			return mid;
	}
	return -1;
}

/* Index of the last row at or before off among rows [start, start + nr), or -1. */
__noinline int unwind_find_row(__u32 start, __u32 nr, __u64 off)
{
	struct leakd_unwind_row *r;
	__u32 lo = start, hi = start + nr, mid, k;

	if (off > 0xffffffffULL || hi <= lo)
		return -1;
	for (k = 0; k < 26; k++) {
		if (hi - lo <= 1)
			break;
		mid = lo + (hi - lo) / 2;
		r = bpf_map_lookup_elem(&unwind_rows, &mid);
		if (!r)
			return -1;
		if (r->pc <= off)
			lo = mid;
		else
			hi = mid;
	}
	r = bpf_map_lookup_elem(&unwind_rows, &lo);
	return r && r->pc <= off ? (int)lo : -1;
}

/*
 * Reads want bytes of the stack above sp into t->window, in one piece: the first
 * frames' slots are then taken from it, not read one by one (a memo's check reads
 * only as far as its words).  Near the top of a stack the whole window may not be
 * mapped: then what is left of sp's page.
 */
__noinline int unwind_window(struct inflight *t, __u64 sp, __u32 want)
{
	__u32 len;

	if (!t)
		return 0;
	if (want < 8 || want > STACK_WINDOW)
		want = STACK_WINDOW;
	t->window_base = sp;
	t->window_len = 0;
	t->window_full = want == STACK_WINDOW;
	if (!bpf_probe_read_user(t->window, want, (void *)sp)) {
		t->window_len = want;
		return 0;
	}
	len = 4096 - (sp & 4095);
	if (len > want)
		len = want;
	if (len >= 8 && !bpf_probe_read_user(t->window, len, (void *)sp))
		t->window_len = len;
	return 0;
}

struct stack_words {
	__u64 v[2];
};

/* A word the walk's result depends on, window word i, into the memo being recorded. */
static __always_inline void memo_record(struct inflight *t, __u32 i, __u64 val)
{
	struct walk_memo *m = &t->memo[t->rec_slot & (MEMO_SLOTS - 1)];
	__u32 k = t->rec_nr;

	if (!t->rec_ok)
		return;
	if (k >= MEMO_WORDS) {
		t->rec_ok = 0;
		return;
	}
	m->off[k & (MEMO_WORDS - 1)] = i;
	t->rec_hash = mix(t->rec_hash, val);
	t->rec_nr = k + 1;
	if (8 * i + 8 > t->rec_span)
		t->rec_span = 8 * i + 8;
}

/*
 * The walk uses rbp: as the register was (the memo then holds for that rbp only),
 * or as read from the stack (that word counts).  A saved rbp that is never used
 * does not: code that keeps a changing value in rbp must not defeat the memo.
 */
static __always_inline void memo_bp_used(struct inflight *t)
{
	if (t->bp_start) {
		t->rec_bp = 1;
	} else if (t->bp_pend) {
		memo_record(t, t->bp_pend_off, t->bp_pend_val);
		t->bp_pend = 0;
	}
}

/*
 * n (1 or 2) words of the user stack at addr: from the window where it holds
 * them, else read.  saved_bp: the first is a saved rbp, which counts for the memo
 * only once used (memo_bp_used).  A global function, like the lookups: the
 * verifier checks it once, not once per use on every path of the walk.
 */
__noinline long unwind_stack_words(struct inflight *t, __u64 addr, struct stack_words *ret,
				   __u32 n, __u32 saved_bp)
{
	__u64 off, i;

	if (!t || !ret)
		return -1;
	n = n == 1 ? 1 : 2;
	off = addr - t->window_base;
	if (addr >= t->window_base && off + 8 * n <= t->window_len && !(off & 7)) {
		i = off >> 3;
		ret->v[0] = t->window[i & (STACK_WINDOW / 8 - 1)];
		ret->v[1] = t->window[(i + 1) & (STACK_WINDOW / 8 - 1)];
		if (saved_bp) {
			t->bp_pend = 1;
			t->bp_pend_off = i;
			t->bp_pend_val = ret->v[0];
		} else {
			memo_record(t, i, ret->v[0]);
		}
		if (n == 2)
			memo_record(t, i + 1, ret->v[1]);
		return 0;
	}
	t->rec_ok = 0;		/* a memo is checked against the window alone */
	return bpf_probe_read_user(ret, 8 * n, (void *)addr);
}

#define MEMO_SEED 0x2545f4914f6cdd1dULL

/* The memo in slot i holds the walk from k when the words it read are unchanged. */
static __always_inline bool memo_holds(struct inflight *t, __u32 i, const struct memo_key *k)
{
	struct walk_memo *m = &t->memo[i & (MEMO_SLOTS - 1)];
	__u64 h = MEMO_SEED;
	__u32 j, off;

	if (!m->stack_id || m->key.pc != k->pc || m->key.sp != k->sp ||
	    m->key.epoch != k->epoch || m->key.exec_id != k->exec_id ||
	    m->key.at_entry != k->at_entry || (m->use_bp && m->key.bp != k->bp))
		return false;
	if (m->span > t->window_len && !t->window_full)
		unwind_window(t, k->sp, m->span);
	for (j = 0; j < MEMO_WORDS; j++) {
		if (j >= m->nr)
			break;
		off = m->off[j];
		if (8 * off + 8 > t->window_len)
			return false;
		h = mix(h, t->window[off & (STACK_WINDOW / 8 - 1)]);
	}
	return h == m->words;
}

/* The one of slots a and b to give a new walk: an empty one, else the one used longer ago. */
static __always_inline __u32 memo_victim(struct inflight *t, __u32 a, __u32 b)
{
	struct walk_memo *ma = &t->memo[a & (MEMO_SLOTS - 1)];
	struct walk_memo *mb = &t->memo[b & (MEMO_SLOTS - 1)];

	if (!ma->stack_id)
		return a;
	if (!mb->stack_id)
		return b;
	return (__u16)(t->memo_clock - ma->used) >= (__u16)(t->memo_clock - mb->used) ? a : b;
}

/* The slot of a walk's span hint: by where it starts alone. */
static __always_inline __u32 memo_hint(const struct memo_key *k)
{
	return ((k->sp ^ k->pc) * 0x9e3779b97f4a7c15ULL) >> 61;
}

/*
 * Walks from one place differ by the words above it (one function called from
 * several, at the same depth): a walk's two candidate slots are chosen by the
 * first word too, so that a few such callers taking turns keep their memos.
 */
static __always_inline void memo_slots(const struct inflight *t, const struct memo_key *k,
				       __u32 *a, __u32 *b)
{
	__u64 h = (k->sp ^ k->pc ^ (t->window_len >= 8 ? t->window[0] : 0)) *
		  0x9e3779b97f4a7c15ULL;

	*a = h >> 61;
	*b = (h >> 58) & (MEMO_SLOTS - 1);
	if (*b == *a)
		*b = *a ^ 1;
}

/*
 * A thread's memo of the walk from k, when the stack words that walk read are the
 * same in the window now: then this walk would read and give the same, and its
 * stack's id is returned.  Else 0, and the walk about to be made is recorded into
 * a slot (unwind_stack_words) to be kept by unwind_memo_keep.
 *
 * Everything a walk reads is covered: the registers (pc, sp; rbp where it was
 * used), the words (hashed in the order read), the program image, and the tables
 * and userspace's knowledge of the stacks sent (stack_epoch, bumped when either
 * changes).  What a walk reads from elsewhere (a uretprobe's return
 * instances, a signal frame, words past the window) keeps it from being kept.
 */
__noinline __u64 unwind_memo_find(struct inflight *t, const struct memo_key *k)
{
	struct walk_memo *m;
	__u32 a, b, slot, hint;

	if (!t || !k)
		return 0;
	/*
	 * The read is as long as the last walk from this pc and sp needed (a hint by
	 * them alone: the slots depend on the first word read), the whole window when
	 * none is known.
	 */
	hint = memo_hint(k);
	unwind_window(t, k->sp, t->span_hint[hint & (MEMO_SLOTS - 1)]);
	memo_slots(t, k, &a, &b);
	slot = memo_holds(t, a, k) ? a : memo_holds(t, b, k) ? b : MEMO_SLOTS;
	if (slot < MEMO_SLOTS) {
		m = &t->memo[slot & (MEMO_SLOTS - 1)];
		m->used = ++t->memo_clock;
		if (m->span > t->span_hint[hint & (MEMO_SLOTS - 1)])
			t->span_hint[hint & (MEMO_SLOTS - 1)] = m->span;
		t->rec_ok = 0;
		return m->stack_id;
	}
	slot = memo_victim(t, a, b);
	t->memo[slot & (MEMO_SLOTS - 1)].stack_id = 0;
	t->rec_slot = slot;
	t->rec_nr = 0;
	t->rec_hash = MEMO_SEED;
	t->rec_span = 0;
	t->rec_bp = 0;
	t->rec_ok = 1;
	return 0;
}

/* Keeps the walk just recorded, which gave the stack id, for the next one from k. */
__noinline int unwind_memo_keep(struct inflight *t, const struct memo_key *k, __u64 id)
{
	struct walk_memo *m;

	if (!t || !k || !t->rec_ok)
		return 0;
	m = &t->memo[t->rec_slot & (MEMO_SLOTS - 1)];
	m->key = *k;
	m->nr = t->rec_nr;
	m->words = t->rec_hash;
	m->span = t->rec_span;
	m->use_bp = t->rec_bp;
	m->used = ++t->memo_clock;
	m->stack_id = id;
	t->span_hint[memo_hint(k) & (MEMO_SLOTS - 1)] = m->span < 8 ? 8 : m->span;
	return 0;
}

/*
 * The real return address behind the uretprobe trampoline found at ra_addr: the
 * kernel keeps it in the return instance for that stack slot.  0 if none.
 */
__noinline long unwind_untrampoline(__u64 ra_addr)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct return_instance *ri = BPF_CORE_READ(task, utask, return_instances);
	__u32 k;

	for (k = 0; k < 16 && ri; k++) {
		if (BPF_CORE_READ(ri, stack) == ra_addr)
			return BPF_CORE_READ(ri, orig_ret_vaddr);
		ri = BPF_CORE_READ(ri, next);
	}
	return 0;
}

static __always_inline bool untrampoline(struct walk *w)
{
	__u64 real;

	if (!w->tramp) {
		struct task_struct *task = bpf_get_current_task_btf();

		w->tramp = BPF_CORE_READ(task, mm, uprobes_state.xol_area, vaddr);
		if (!w->tramp)
			w->tramp = 1;
	}
	if (w->pc != w->tramp)
		return false;
	real = unwind_untrampoline(w->ra_addr);
	if (!real)
		return false;
	w->pc = real;
	w->t->rec_ok = 0;	/* read from the kernel's state, not the stack */
	return true;
}

static __always_inline void record(struct walk *w, __u64 pc, __u32 flags)
{
	__u32 i = w->n & (LEAKD_MAX_FRAMES - 1);

	w->t->pcs[i] = pc;
	w->t->frame_flags[i] = flags;
	w->n++;
}

static long unwind_step(__u32 i, void *data)
{
	struct walk *w = data;
	struct leakd_unwind_row *row = NULL, cached;
	struct leakd_unwind_map *m = NULL;
	struct row_cache_entry *ce = NULL;
	__u32 slot;
	__u64 rv;
	__u64 lookup, cfa, ra, bp = w->bp, regs[3];
	struct stack_words words;
	__u8 cfa_kind = LEAKD_CFA_NONE, rbp_rule = LEAKD_RBP_SAME;
	__s8 rbp_off = 0;
	__u32 fflags = 0;

	if (w->n >= w->max || w->n >= LEAKD_MAX_FRAMES) {
		w->flags |= LEAKD_STACK_TRUNCATED;
		return 1;
	}
	/* Return addresses point after the call: the call's own row is the byte before. */
	lookup = w->exact ? w->pc : w->pc - 1;
	if (w->proc) {
		slot = (__u32)((lookup * 0x9e3779b97f4a7c15ULL) >> 52) & (ROW_CACHE_SLOTS - 1);
		ce = bpf_map_lookup_elem(&row_cache, &slot);
		if (ce && ce->pc == lookup && ce->pid == w->pid && ce->gen == w->proc->gen) {
			__builtin_memcpy(&rv, &ce->row, sizeof(rv));
			if (ce->check == row_cache_check(lookup, w->pid, ce->gen, rv)) {
				cached = ce->row;
				row = &cached;
				goto have_row;
			}
		}
	}
	if (w->proc) {
		int mi = unwind_find_map(w->proc, lookup);

		/* clang sees the bound in the callee and drops the mask; the verifier does not. */
		barrier_var(mi);
		if (mi >= 0)
			m = &w->proc->maps[(__u32)mi & (LEAKD_UNWIND_MAX_MAPS - 1)];
	}
	if (!m && untrampoline(w)) {
		w->t->pcs[(w->n - 1) & (LEAKD_MAX_FRAMES - 1)] = w->pc;
		count(LEAKD_CNT_UNWIND_TRAMPOLINE);
		return 0;	/* walk on from the real return address */
	}
	if (m) {
		__u32 file = m->file;
		struct leakd_unwind_file *f = bpf_map_lookup_elem(&unwind_files, &file);

		if (f && f->row_nr) {
			__u32 ri = unwind_find_row(f->row_start, f->row_nr, lookup + m->off_base);

			row = bpf_map_lookup_elem(&unwind_rows, &ri);
			if (row && ce) {
				__builtin_memcpy(&rv, row, sizeof(rv));
				ce->check = 0;
				ce->pc = lookup;
				ce->pid = w->pid;
				ce->gen = w->proc->gen;
				ce->row = *row;
				ce->check = row_cache_check(lookup, w->pid, w->proc->gen, rv);
			}
		} else if (!f || f->row_start != LEAKD_UNWIND_NO_TABLE) {
			w->flags |= LEAKD_STACK_TABLE_PENDING;
		}
	} else if (!w->proc && use_tables) {
		w->flags |= LEAKD_STACK_TABLE_PENDING;
	}
have_row:
	if (row) {
		cfa_kind = LEAKD_ROW_CFA(row);
		rbp_rule = LEAKD_ROW_RBP(row);
		rbp_off = row->rbp_off;
	}

	switch (cfa_kind) {
	case LEAKD_CFA_RSP:
		cfa = w->sp + row->cfa_off;
		break;
	case LEAKD_CFA_RBP:
		memo_bp_used(w->t);
		cfa = w->bp + row->cfa_off;
		break;
	case LEAKD_CFA_PLT:
		cfa = w->sp + row->cfa_off + ((w->pc & 15) >= (__u8)rbp_off ? 8 : 0);
		rbp_rule = LEAKD_RBP_SAME;
		break;
	case LEAKD_CFA_END:
		return 1;
	case LEAKD_CFA_SIGNAL:
		/* The kernel's signal frame: a ucontext at the stack pointer; rbp, rsp, rip. */
		w->t->rec_ok = 0;
		w->t->bp_start = 0;
		if (bpf_probe_read_user(&regs[0], 8, (void *)(w->sp + 120)) ||
		    bpf_probe_read_user(&regs[1], 16, (void *)(w->sp + 160))) {
			w->flags |= LEAKD_STACK_READ_FAILED;
			return 1;
		}
		if (!regs[2] || regs[1] <= w->sp)
			return 1;
		record(w, regs[2], LEAKD_FRAME_EXACT);
		w->pc = regs[2];
		w->bp = regs[0];
		w->ra_addr = w->sp + 168;
		w->sp = regs[1];
		w->exact = 1;
		return 0;
	default:
		/* No usable row: trust frame pointers, if RBP looks like one. */
		/* A caller with nothing but the saved RBP in its frame has RBP == our CFA. */
		memo_bp_used(w->t);
		if (w->bp < w->sp || w->bp - w->sp > MAX_FRAME_SPAN) {
			if (!row && m)
				w->flags |= LEAKD_STACK_BAD_FRAME;
			return 1;
		}
		cfa = w->bp + 16;
		rbp_rule = LEAKD_RBP_AT_CFA;
		rbp_off = -2;
		if (use_tables) {
			fflags = LEAKD_FRAME_FP;
			w->flags |= LEAKD_STACK_FP_FALLBACK;
			count(LEAKD_CNT_UNWIND_FP_FRAMES);
		}
		break;
	}
	if (cfa <= w->sp || cfa - w->sp > MAX_FRAME_SPAN) {
		w->flags |= LEAKD_STACK_BAD_FRAME;
		return 1;
	}
	if (rbp_rule == LEAKD_RBP_AT_CFA && rbp_off == -2) {
		/* RBP pushed right below the return address: one read for both. */
		if (unwind_stack_words(w->t, cfa - 16, &words, 2, 1)) {
			w->flags |= LEAKD_STACK_READ_FAILED;
			return 1;
		}
		bp = words.v[0];
		ra = words.v[1];
	} else {
		if (unwind_stack_words(w->t, cfa - 8, &words, 1, 0)) {
			w->flags |= LEAKD_STACK_READ_FAILED;
			return 1;
		}
		ra = words.v[0];
		if (rbp_rule == LEAKD_RBP_AT_CFA &&
		    unwind_stack_words(w->t, cfa + 8 * (__s64)rbp_off, &words, 1, 1)) {
			w->flags |= LEAKD_STACK_READ_FAILED;
			return 1;
		}
		if (rbp_rule == LEAKD_RBP_AT_CFA)
			bp = words.v[0];
		if (rbp_rule == LEAKD_RBP_UNDEFINED) {
			bp = 0;
			w->t->bp_pend = 0;
		}
	}
	if (!ra)
		return 1;	/* the outermost frame */
	record(w, ra, fflags);
	w->pc = ra;
	w->ra_addr = cfa - 8;
	w->sp = cfa;
	w->bp = bp;
	if (rbp_rule != LEAKD_RBP_SAME)
		w->t->bp_start = 0;
	w->exact = 0;
	return 0;
}

/* The current process's unwind tables, or NULL. */
static __always_inline struct leakd_unwind_proc *walk_tables(void)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	return use_tables ? bpf_map_lookup_elem(&unwind_procs, &pid) : NULL;
}

/*
 * Walks the user stack into t->pcs, after unwind_window; returns the number of
 * frames.  At an allocator's entry (at_entry) the CFA is sp + 8 whatever the
 * allocator's code, so the walk starts at the caller, found at sp.  Elsewhere (a
 * syscall) pc itself is the first frame, where the process was stopped.
 */
static __always_inline __u32 unwind_user(struct inflight *t, struct leakd_unwind_proc *proc,
					 __u64 pc, __u64 sp, __u64 bp, bool at_entry,
					 __u32 *ret_flags)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct walk w = { .t = t, .proc = proc, .max = max_depth, .sp = sp, .bp = bp,
			  .pid = pid };
	struct stack_words words;

	t->bp_start = 1;
	t->bp_pend = 0;
	if (at_entry) {
		if (unwind_stack_words(t, sp, &words, 1, 0)) {
			*ret_flags = LEAKD_STACK_READ_FAILED;
			return 0;
		}
		record(&w, words.v[0], 0);
		w.pc = words.v[0];
		w.ra_addr = sp;
		w.sp = sp + 8;
	} else {
		record(&w, pc, LEAKD_FRAME_EXACT);
		w.pc = pc;
		w.exact = 1;
	}
	bpf_loop(LEAKD_MAX_FRAMES, unwind_step, &w, 0);
	*ret_flags = w.flags;
	return w.n;
}

#endif
