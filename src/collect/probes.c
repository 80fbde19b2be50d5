// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stacks/elfobj.h"
#include "collect/probes.h"
#include "base/macros.h"

static const struct {
	const char *name;
	enum leakd_fn fn;
} alloc_fns[] = {
	{ "malloc", LEAKD_FN_MALLOC },
	{ "free", LEAKD_FN_FREE },
	{ "calloc", LEAKD_FN_CALLOC },
	{ "realloc", LEAKD_FN_REALLOC },
	{ "reallocarray", LEAKD_FN_REALLOCARRAY },
	{ "posix_memalign", LEAKD_FN_POSIX_MEMALIGN },
	{ "aligned_alloc", LEAKD_FN_ALIGNED_ALLOC },
	{ "memalign", LEAKD_FN_ALIGNED_ALLOC },
	{ "valloc", LEAKD_FN_VALLOC },
	{ "pvalloc", LEAKD_FN_PVALLOC },
	/*
	 * C++ operators and jemalloc's own API, where the allocator defines them:
	 * tcmalloc's and jemalloc's operator new do not go through malloc.  (An
	 * object that only calls malloc, such as libstdc++, is no allocator.)
	 */
	{ "_Znwm", LEAKD_FN_MALLOC },
	{ "_Znam", LEAKD_FN_MALLOC },
	{ "_ZnwmRKSt9nothrow_t", LEAKD_FN_MALLOC },
	{ "_ZnamRKSt9nothrow_t", LEAKD_FN_MALLOC },
	{ "_ZnwmSt11align_val_t", LEAKD_FN_MALLOC },
	{ "_ZnamSt11align_val_t", LEAKD_FN_MALLOC },
	{ "_ZnwmSt11align_val_tRKSt9nothrow_t", LEAKD_FN_MALLOC },
	{ "_ZnamSt11align_val_tRKSt9nothrow_t", LEAKD_FN_MALLOC },
	{ "_ZdlPv", LEAKD_FN_FREE },
	{ "_ZdaPv", LEAKD_FN_FREE },
	{ "_ZdlPvm", LEAKD_FN_FREE },
	{ "_ZdaPvm", LEAKD_FN_FREE },
	{ "_ZdlPvRKSt9nothrow_t", LEAKD_FN_FREE },
	{ "_ZdaPvRKSt9nothrow_t", LEAKD_FN_FREE },
	{ "_ZdlPvSt11align_val_t", LEAKD_FN_FREE },
	{ "_ZdaPvSt11align_val_t", LEAKD_FN_FREE },
	{ "_ZdlPvmSt11align_val_t", LEAKD_FN_FREE },
	{ "_ZdaPvmSt11align_val_t", LEAKD_FN_FREE },
	{ "mallocx", LEAKD_FN_MALLOC },
	{ "rallocx", LEAKD_FN_REALLOC },
	{ "dallocx", LEAKD_FN_FREE },
	{ "sdallocx", LEAKD_FN_FREE },
	/*
	 * mimalloc's own API, for programs that call it directly.  Most of it is the
	 * standard names' aliases (mi_malloc is malloc), probed once; these are the
	 * entry points of their own whose arguments match a standard function's.
	 * mi_heap_* (a heap first) and mi_strdup and the like (no size) are not
	 * traced: their calls are missed unless they reach one of these.
	 */
	{ "mi_malloc", LEAKD_FN_MALLOC },
	{ "mi_free", LEAKD_FN_FREE },
	{ "mi_calloc", LEAKD_FN_CALLOC },
	{ "mi_realloc", LEAKD_FN_REALLOC },
	{ "mi_zalloc", LEAKD_FN_MALLOC },
	{ "mi_malloc_small", LEAKD_FN_MALLOC },
	{ "mi_zalloc_small", LEAKD_FN_MALLOC },
	{ "mi_mallocn", LEAKD_FN_CALLOC },
	{ "mi_reallocn", LEAKD_FN_REALLOCARRAY },
	{ "mi_reallocf", LEAKD_FN_REALLOC },
	{ "mi_rezalloc", LEAKD_FN_REALLOC },
	{ "mi_recalloc", LEAKD_FN_REALLOCARRAY },
	{ "mi_malloc_aligned", LEAKD_FN_MALLOC },
	{ "mi_zalloc_aligned", LEAKD_FN_MALLOC },
	{ "mi_calloc_aligned", LEAKD_FN_CALLOC },
	{ "mi_realloc_aligned", LEAKD_FN_REALLOC },
	{ "mi_free_size", LEAKD_FN_FREE },
	{ "mi_free_aligned", LEAKD_FN_FREE },
	{ "mi_free_size_aligned", LEAKD_FN_FREE },
	{ "mi_posix_memalign", LEAKD_FN_POSIX_MEMALIGN },
	{ "mi_aligned_alloc", LEAKD_FN_ALIGNED_ALLOC },
	{ "mi_memalign", LEAKD_FN_ALIGNED_ALLOC },
	{ "mi_reallocarray", LEAKD_FN_REALLOCARRAY },
	{ "mi_new", LEAKD_FN_MALLOC },
	{ "mi_new_nothrow", LEAKD_FN_MALLOC },
	{ "mi_new_aligned", LEAKD_FN_MALLOC },
	{ "mi_new_aligned_nothrow", LEAKD_FN_MALLOC },
	{ "mi_new_n", LEAKD_FN_CALLOC },
	{ "mi_new_realloc", LEAKD_FN_REALLOC },
	{ "mi_new_reallocn", LEAKD_FN_REALLOCARRAY },
};

/* Length of an instruction the kernel emulates (push reg, jmp, jcc, call), or 0. */
static size_t emulated_len(const uint8_t *c, size_t len)
{
	if (len >= 1 && c[0] >= 0x50 && c[0] <= 0x57)
		return 1;
	if (len >= 2 && c[0] == 0x41 && c[1] >= 0x50 && c[1] <= 0x57)
		return 2;
	if (len >= 2 && (c[0] == 0xeb || (c[0] >= 0x70 && c[0] <= 0x7f)))
		return 2;
	if (len >= 5 && (c[0] == 0xe8 || c[0] == 0xe9))
		return 5;
	if (len >= 6 && c[0] == 0x0f && c[1] >= 0x80 && c[1] <= 0x8f)
		return 6;
	return 0;
}

/* Length of an instruction that has no effect a probe could see, or 0. */
static size_t inert_len(const uint8_t *c, size_t len)
{
	static const uint8_t endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };

	if (len >= 4 && !memcmp(c, endbr64, 4))
		return 4;
	/* cmp $imm, disp32(%rip): reads memory, writes only flags. */
	if (len >= 7 && (c[0] == 0x80 || c[0] == 0x83) && c[1] == 0x3d)
		return 7;
	if (len >= 8 && c[0] == 0x48 && c[1] == 0x83 && c[2] == 0x3d)
		return 8;
	if (len >= 10 && c[0] == 0x81 && c[1] == 0x3d)
		return 10;
	return 0;
}

/* "test %rdi,%rdi; je/jz far" at c: the length of both, or 0. */
static size_t null_check_len(const uint8_t *c, size_t len)
{
	if (len < 5 || c[0] != 0x48 || c[1] != 0x85 || c[2] != 0xff)
		return 0;
	if (c[3] == 0x74)
		return 5;
	if (len >= 9 && c[3] == 0x0f && c[4] == 0x84)
		return 9;
	return 0;
}

/* x86 register numbers (REX extended) as bits. */
#define REG(r) (1u << (r))
#define RAX 0
#define RCX 1
#define RDX 2
#define RSP 4
#define RBP 5
#define RSI 6
#define RDI 7
/* What the programs read at an allocator's entry: arguments, and the stack and frame pointer. */
#define KEEP_ALLOC (REG(RDI) | REG(RSI) | REG(RDX) | REG(RSP) | REG(RBP))
#define KEEP_FREE (REG(RDI) | REG(RSP) | REG(RBP))
#define ARGS (REG(RDI) | REG(RSI) | REG(RDX) | REG(RCX) | REG(8) | REG(9))

/*
 * Length of an instruction that writes nothing but flags and registers outside
 * keep, or 0: the integer forms allocators' fast paths start with (mov, lea,
 * add/sub/and/or/xor, shifts, cmp, test, movzx) on registers, reading memory at
 * most (never writing it).  A test of an argument register is left to the NULL
 * check logic above.
 */
static size_t scratch_len(const uint8_t *c, size_t len, uint32_t keep)
{
	bool writes_reg = false, writes_rm = false, test = false, sib;
	size_t i = 0, imm = 0;
	uint8_t rex = 0, op, modrm, mod, base;
	unsigned int reg, rm;

	if (i < len && c[i] == 0x64)		/* %fs: thread-local data */
		i++;
	if (i < len && (c[i] & 0xf0) == 0x40)
		rex = c[i++];
	if (i >= len)
		return 0;
	op = c[i++];
	switch (op) {
	case 0x25:				/* and $imm32,%eax */
		return i + 4 <= len && !(keep & REG(RAX)) && !(rex & 1) ? i + 4 : 0;
	case 0x3d:				/* cmp $imm32,%eax */
		return i + 4 <= len ? i + 4 : 0;
	case 0x01: case 0x09: case 0x21: case 0x29: case 0x31: case 0x89:
		writes_rm = true;		/* op reg, r/m */
		break;
	case 0x03: case 0x0b: case 0x23: case 0x2b: case 0x33: case 0x8b: case 0x8d:
		writes_reg = true;		/* op r/m, reg */
		break;
	case 0x39: case 0x3b:			/* cmp */
		break;
	case 0x85:
		test = true;
		break;
	case 0x81: case 0x83: case 0xc1:	/* group 1 with imm32/imm8, shifts by imm8 */
		imm = op == 0x81 ? 4 : 1;
		break;
	case 0x0f:				/* movzx */
		if (i >= len || (c[i] != 0xb6 && c[i] != 0xb7))
			return 0;
		i++;
		writes_reg = true;
		break;
	default:
		return 0;
	}
	if (i >= len)
		return 0;
	modrm = c[i++];
	mod = modrm >> 6;
	reg = ((modrm >> 3) & 7) | (rex & 4 ? 8 : 0);
	rm = (modrm & 7) | (rex & 1 ? 8 : 0);
	if (op == 0x81 || op == 0x83)
		writes_rm = ((modrm >> 3) & 7) != 7;	/* all but cmp */
	else if (op == 0xc1)
		writes_rm = true;
	if (mod != 3) {
		base = modrm & 7;
		sib = base == 4;
		if (sib) {
			if (i >= len)
				return 0;
			base = c[i++] & 7;
		}
		if (mod == 1)
			i += 1;
		else if (mod == 2 || (mod == 0 && base == 5))
			i += 4;		/* disp32, rip-relative or absolute */
	}
	i += imm;
	if (i > len)
		return 0;
	if (writes_rm && (mod != 3 || (keep & REG(rm))))
		return 0;		/* memory, or a register the probe reads */
	if (writes_reg && (keep & REG(reg)))
		return 0;
	if (test && ((ARGS & REG(reg)) || (mod == 3 && (ARGS & REG(rm)))))
		return 0;
	return i;
}

uint32_t probes__skip(const uint8_t *code, size_t len, bool free_like, bool *ret_emulated)
{
	size_t off = 0, n, first;

	*ret_emulated = false;
	for (;;) {
		if (emulated_len(code + off, len - off)) {
			*ret_emulated = true;
			return off;
		}
		n = inert_len(code + off, len - off);
		if (!n && free_like)
			n = null_check_len(code + off, len - off);
		if (!n)
			break;
		off += n;
	}
	/*
	 * No emulated instruction past inert ones: try past scratch work too
	 * (jemalloc's and tcmalloc's fast paths), but only if that reaches one.
	 */
	first = off;
	off = 0;
	for (;;) {
		if (emulated_len(code + off, len - off)) {
			*ret_emulated = true;
			return off;
		}
		n = inert_len(code + off, len - off);
		if (!n)
			n = scratch_len(code + off, len - off, free_like ? KEEP_FREE : KEEP_ALLOC);
		if (!n)
			return first;
		off += n;
	}
}

/*
 * Whether any jump or call in the function's code may land in (1, skip]: then
 * the probe could see a call twice, or a path that skips the entry.  Every byte
 * is read as a possible opcode: a false alarm only keeps the probe at the entry.
 */
static bool jumped_into(const uint8_t *code, size_t len, uint32_t skip)
{
	size_t i;
	int64_t t;

	for (i = 0; i < len; i++) {
		t = -1;
		if ((code[i] == 0xeb || (code[i] >= 0x70 && code[i] <= 0x7f)) && i + 2 <= len)
			t = (int64_t)i + 2 + (int8_t)code[i + 1];
		else if ((code[i] == 0xe8 || code[i] == 0xe9) && i + 5 <= len)
			t = (int64_t)i + 5 + (int32_t)(code[i + 1] | code[i + 2] << 8 |
						       code[i + 3] << 16 | (uint32_t)code[i + 4] << 24);
		else if (code[i] == 0x0f && i + 6 <= len && code[i + 1] >= 0x80 && code[i + 1] <= 0x8f)
			t = (int64_t)i + 6 + (int32_t)(code[i + 2] | code[i + 3] << 8 |
						       code[i + 4] << 16 | (uint32_t)code[i + 5] << 24);
		if (t > 0 && t <= skip)
			return true;
	}
	return false;
}

static bool has_site(const struct probe_site *sites, size_t n, uint64_t off)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (sites[i].func_offset == off)
			return true;
	return false;
}

/*
 * Whether the function at vaddr only jumps to another entry point of the same
 * kind that o defines (jemalloc's "operator delete" to free, mimalloc's
 * posix_memalign to mi_posix_memalign): the probe there sees its calls, and one
 * here too would report each free twice.
 */
static bool forwards_to_same(const struct elf_obj *o, uint64_t vaddr, enum leakd_fn fn)
{
	struct elf_sym sym;
	char name[128];
	size_t i;

	if (elf_obj__forwards_to(o, vaddr, name, sizeof(name)))
		return false;
	for (i = 0; i < ARRAY_SIZE(alloc_fns); i++)
		if (alloc_fns[i].fn == fn && !strcmp(alloc_fns[i].name, name))
			return !elf_obj__find_sym(o, name, &sym) && sym.addr != vaddr;
	return false;
}

/* The function's code has no branch into the instructions the probe skips. */
static bool safe_skip(const struct elf_obj *o, uint64_t off, uint64_t size, uint32_t skip)
{
	uint8_t *code;
	bool ok;

	if (!size)
		size = 4096;	/* unknown extent: what follows is read as its code */
	if (size > (1 << 20))
		return false;
	code = malloc(size);
	if (!code)
		return false;
	ok = !elf_obj__read(o, off, code, size) && !jumped_into(code, size, skip);
	free(code);
	return ok;
}

int probes__plan(const struct elf_obj *o, struct probe_site *sites, size_t max)
{
	struct elf_sym sym;
	size_t i, n = 0;

	/* An allocator defines both ends; an object that only calls malloc imports it. */
	if (elf_obj__find_sym(o, "malloc", &sym) || elf_obj__find_sym(o, "free", &sym))
		return 0;
	for (i = 0; i < ARRAY_SIZE(alloc_fns) && n < max; i++) {
		uint8_t code[64];
		uint64_t off;
		uint32_t skip;
		bool emulated;
		size_t len = sizeof(code);

		if (elf_obj__find_sym(o, alloc_fns[i].name, &sym) ||
		    elf_obj__vaddr_to_offset(o, sym.addr, &off))
			continue;
		/* Aliases (memalign is aligned_alloc in glibc) get one probe. */
		if (has_site(sites, n, off) || forwards_to_same(o, sym.addr, alloc_fns[i].fn))
			continue;
		if (sym.size && sym.size < len)
			len = sym.size;
		if (elf_obj__read(o, off, code, len)) {
			skip = 0;
			emulated = false;
		} else {
			skip = probes__skip(code, len, alloc_fns[i].fn == LEAKD_FN_FREE, &emulated);
		}
		if (skip && !safe_skip(o, off, sym.size, skip)) {
			skip = 0;
			emulated = emulated_len(code, len) > 0;
		}
		sites[n++] = (struct probe_site){
			.offset = off + skip,
			.func_offset = off,
			.skip = skip,
			.fn = alloc_fns[i].fn,
			.emulated = emulated,
			.symbol = alloc_fns[i].name,
		};
	}
	return n;
}
