// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Probe placement: probes__skip on hand-written instruction bytes (each in a
 * buffer of exactly its length, so that valgrind sees any read past it), and
 * probes__plan on the machine's libc, checked against objdump's decoding.
 */
#include <check.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stacks/elfobj.h"
#include "collect/probes.h"
#include "testutil.h"

/* probes__skip on a heap copy of exactly len bytes. */
static uint32_t skip(const uint8_t *bytes, size_t len, bool free_like, bool *ret_emulated)
{
	uint8_t *copy = malloc(len ? len : 1);
	uint32_t n;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, bytes, len);
	*ret_emulated = !*ret_emulated;
	n = probes__skip(copy, len, free_like, ret_emulated);
	free(copy);
	return n;
}

#define ck_skip(free_like, want, want_emulated, ...)                          \
	do {                                                                  \
		const uint8_t b_[] = { __VA_ARGS__ };                         \
		bool e_ = false;                                              \
		ck_assert_uint_eq(skip(b_, sizeof(b_), (free_like), &e_), (want)); \
		ck_assert_int_eq(e_, (want_emulated));                        \
	} while (0)

START_TEST(skip_documented_cases)
{
	/* push %r12 */
	ck_skip(false, 0, true, 0x41, 0x54, 0x55);
	/* cmpb $0,disp32(%rip); push %rbx */
	ck_skip(false, 7, true, 0x80, 0x3d, 0x01, 0x02, 0x14, 0x00, 0x00, 0x53);
	/* cmpb $0,disp32(%rip); je rel8 */
	ck_skip(false, 7, true, 0x80, 0x3d, 0x71, 0x0e, 0x14, 0x00, 0x00, 0x74, 0x07);
	/* test %rdi,%rdi; je rel32; push %rbp: free's NULL check */
	ck_skip(true, 9, true, 0x48, 0x85, 0xff, 0x0f, 0x84, 0xbf, 0x00, 0x00, 0x00, 0x55);
	ck_skip(false, 0, false, 0x48, 0x85, 0xff, 0x0f, 0x84, 0xbf, 0x00, 0x00, 0x00, 0x55);
	/* endbr64; push %rbp */
	ck_skip(false, 4, true, 0xf3, 0x0f, 0x1e, 0xfa, 0x55);
	/* mov %rsi,%rax */
	ck_skip(false, 0, false, 0x48, 0x89, 0xf0, 0x48, 0xf7, 0xe2);
	ck_skip(true, 0, false, 0x48, 0x89, 0xf0, 0x48, 0xf7, 0xe2);
}
END_TEST

START_TEST(skip_each_instruction)
{
	/* Emulated at the start: push, push r8-r15, jmp rel8, jcc rel8, call, jmp, jcc rel32. */
	ck_skip(false, 0, true, 0x50);
	ck_skip(false, 0, true, 0x57);
	ck_skip(false, 0, true, 0x41, 0x57);
	ck_skip(false, 0, true, 0xeb, 0x05);
	ck_skip(false, 0, true, 0x70, 0x05);
	ck_skip(false, 0, true, 0x7f, 0x05);
	ck_skip(false, 0, true, 0xe8, 0x00, 0x00, 0x00, 0x00);
	ck_skip(false, 0, true, 0xe9, 0x00, 0x00, 0x00, 0x00);
	ck_skip(false, 0, true, 0x0f, 0x80, 0x00, 0x00, 0x00, 0x00);
	ck_skip(false, 0, true, 0x0f, 0x8f, 0x00, 0x00, 0x00, 0x00);
	/* Not emulated: pop %r8, pop %rax, sub $8,%rsp, ret, nop. */
	ck_skip(false, 0, false, 0x41, 0x58);
	ck_skip(false, 0, false, 0x58);
	ck_skip(false, 0, false, 0x48, 0x83, 0xec, 0x08);
	ck_skip(false, 0, false, 0xc3);
	ck_skip(false, 0, false, 0x90, 0x55);
	/* Inert compares of each size: cmpl $imm8 (7), cmpq $imm8 (8), cmpl $imm32 (10). */
	ck_skip(false, 7, true, 0x83, 0x3d, 1, 2, 3, 4, 0x00, 0x55);
	ck_skip(false, 8, true, 0x48, 0x83, 0x3d, 1, 2, 3, 4, 0x00, 0x55);
	ck_skip(false, 10, true, 0x81, 0x3d, 1, 2, 3, 4, 5, 6, 7, 8, 0xe9, 0, 0, 0, 0);
	/* A compare with another addressing mode is not skipped: cmpb $0,(%rax). */
	ck_skip(false, 0, false, 0x80, 0x38, 0x00, 0x55);
	/* test %rdi,%rdi; je rel8, for free-like functions only. */
	ck_skip(true, 5, true, 0x48, 0x85, 0xff, 0x74, 0x10, 0x53);
	ck_skip(false, 0, false, 0x48, 0x85, 0xff, 0x74, 0x10, 0x53);
	/* test %rdi,%rdi; jne: not a NULL check that returns. */
	ck_skip(true, 0, false, 0x48, 0x85, 0xff, 0x75, 0x10, 0x53);
	/* test %rsi,%rsi: another argument. */
	ck_skip(true, 0, false, 0x48, 0x85, 0xf6, 0x74, 0x10, 0x53);
	/* Chains: endbr64, cmpb, NULL check, then push. */
	ck_skip(true, 16, true, 0xf3, 0x0f, 0x1e, 0xfa, 0x80, 0x3d, 1, 2, 3, 4, 0x00,
		0x48, 0x85, 0xff, 0x74, 0x10, 0x41, 0x54);
	ck_skip(false, 11, false, 0xf3, 0x0f, 0x1e, 0xfa, 0x80, 0x3d, 1, 2, 3, 4, 0x00,
		0x48, 0x85, 0xff, 0x74, 0x10, 0x41, 0x54);
}
END_TEST

START_TEST(skip_stops_at_the_end)
{
	const uint8_t none[1] = { 0x55 };
	bool e = true;

	ck_assert_uint_eq(skip(none, 0, true, &e), 0);
	ck_assert(!e);
	/* Cut inside each kind of instruction: nothing read past the end. */
	ck_skip(false, 0, false, 0x41);
	ck_skip(false, 0, false, 0xeb);
	ck_skip(false, 0, false, 0x74);
	ck_skip(false, 0, false, 0xe8, 0x00, 0x00, 0x00);
	ck_skip(false, 0, false, 0x0f, 0x84, 0x00, 0x00, 0x00);
	ck_skip(false, 0, false, 0xf3, 0x0f, 0x1e);
	ck_skip(false, 0, false, 0x80, 0x3d, 0x00, 0x00, 0x00, 0x00);
	ck_skip(false, 0, false, 0x48, 0x83, 0x3d, 0x00, 0x00, 0x00, 0x00);
	ck_skip(false, 0, false, 0x81, 0x3d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
	ck_skip(true, 0, false, 0x48, 0x85, 0xff, 0x74);
	ck_skip(true, 0, false, 0x48, 0x85, 0xff, 0x0f, 0x84, 0x00, 0x00, 0x00);
	/* Whole instructions skipped up to the very end, then nothing. */
	ck_skip(false, 4, false, 0xf3, 0x0f, 0x1e, 0xfa);
	ck_skip(false, 7, false, 0x80, 0x3d, 0x00, 0x00, 0x00, 0x00, 0x00);
	ck_skip(false, 7, false, 0x80, 0x3d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x41);
	ck_skip(true, 9, false, 0x48, 0x85, 0xff, 0x0f, 0x84, 0x00, 0x00, 0x00, 0x00);
	ck_skip(true, 5, false, 0x48, 0x85, 0xff, 0x74, 0x00, 0x0f, 0x84);
}
END_TEST

static const struct probe_site *site_of(const struct probe_site *v, int n, enum leakd_fn fn)
{
	int i;

	for (i = 0; i < n; i++)
		if (v[i].fn == fn)
			return &v[i];
	return NULL;
}

/*
 * objdump's decoding from vaddr up to and including the instruction at site: true
 * when site starts an instruction, every one before it is one a probe may skip,
 * and the one at site is emulated or not as claimed.
 */
static void check_with_objdump(const char *path, const struct probe_site *s, uint64_t vaddr)
{
	char cmd[4096], line[512];
	uint64_t site = vaddr + s->skip;
	bool at_site = false;
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "objdump -d --no-show-raw-insn --start-address=%#lx --stop-address=%#lx '%s'",
		 (unsigned long)vaddr, (unsigned long)site + 16, path);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long addr;
		char insn[256];
		int pos = 0;

		if (sscanf(line, " %lx:%n", &addr, &pos) != 1 || !pos)
			continue;
		snprintf(insn, sizeof(insn), "%s", line + pos);
		insn[strcspn(insn, "\n")] = 0;
		if (addr < site) {
			bool inert = strstr(insn, "endbr64") ||
				     (!strncmp(insn + strspn(insn, " \t"), "cmp", 3) &&
				      strstr(insn, "(%rip)")) ||
				     (s->fn == LEAKD_FN_FREE &&
				      (strstr(insn, "test   %rdi,%rdi") || strstr(insn, "je ")));

			ck_assert_msg(inert, "%s: skipped %s", s->symbol, insn);
			continue;
		}
		if (addr == site) {
			const char *m = insn + strspn(insn, " \t");
			bool emulated = !strncmp(m, "push ", 5) || !strncmp(m, "jmp ", 4) ||
					!strncmp(m, "call ", 5) ||
					(m[0] == 'j' && strncmp(m, "jmp", 3));

			ck_assert_msg(emulated == s->emulated, "%s: at +%u %s, emulated %d",
				      s->symbol, s->skip, m, s->emulated);
			at_site = true;
		}
		break;
	}
	pclose(f);
	ck_assert_msg(at_site, "%s: +%u is not an instruction", s->symbol, s->skip);
}

START_TEST(skip_scratch_work)
{
	/* jemalloc's malloc: cmp $0x1000,%rdi; ja rel32. */
	ck_skip(false, 7, true, 0x48, 0x81, 0xff, 0x00, 0x10, 0x00, 0x00, 0x0f, 0x87, 0x93, 0x00,
		0x00, 0x00);
	/* jemalloc's free: address arithmetic in scratch registers, a compare, jne rel32. */
	ck_skip(true, 0x30, true, 0x48, 0x89, 0xf8, 0x48, 0x8b, 0x15, 0x0e, 0x53, 0x0a, 0x00, 0x48,
		0x89, 0xf9, 0x48, 0xc1, 0xe8, 0x1a, 0x48, 0x81, 0xe1, 0x00, 0x00, 0x00, 0xc0, 0x25,
		0xf0, 0x00, 0x00, 0x00, 0x64, 0x48, 0x03, 0x04, 0x25, 0x00, 0x00, 0x00, 0x00, 0x48,
		0x01, 0xd0, 0x48, 0x3b, 0x88, 0xb0, 0x01, 0x00, 0x00, 0x0f, 0x85, 0x8a, 0x00, 0x00,
		0x00);
	/* ... which writes %rdx: not past it where the third argument counts. */
	ck_skip(false, 0, false, 0x48, 0x89, 0xf8, 0x48, 0x8b, 0x15, 0x0e, 0x53, 0x0a, 0x00, 0x75,
		0x05);
	/* tcmalloc's malloc and free: mov disp32(%rip),%rax; test %rax,%rax; jne. */
	ck_skip(false, 10, true, 0x48, 0x8b, 0x05, 0x59, 0xab, 0x00, 0x00, 0x48, 0x85, 0xc0, 0x75,
		0x75);
	ck_skip(true, 10, true, 0x48, 0x8b, 0x05, 0x59, 0xb1, 0x1b, 0x00, 0x48, 0x85, 0xc0, 0x0f,
		0x85, 0x90, 0x00, 0x00, 0x00);
	/* jemalloc's sdallocx: mov %rdi,%r8; cmp $0x1000,%rsi; ja rel8. */
	ck_skip(true, 10, true, 0x49, 0x89, 0xf8, 0x48, 0x81, 0xfe, 0x00, 0x10, 0x00, 0x00, 0x77,
		0x0c);
	/* Writes an argument, the stack pointer or memory: stays at the entry. */
	ck_skip(false, 0, false, 0x48, 0x89, 0xc7, 0x75, 0x05);		/* mov %rax,%rdi */
	ck_skip(true, 0, false, 0x48, 0x89, 0xc7, 0x75, 0x05);
	ck_skip(false, 0, false, 0x48, 0x89, 0xc6, 0x75, 0x05);		/* mov %rax,%rsi */
	ck_skip(true, 3, true, 0x48, 0x89, 0xc6, 0x75, 0x05);		/* free reads %rdi only */
	ck_skip(false, 0, false, 0x48, 0x89, 0x07, 0x75, 0x05);		/* mov %rax,(%rdi) */
	ck_skip(false, 0, false, 0x48, 0x83, 0xc4, 0x08, 0x75, 0x05);	/* add $8,%rsp */
	ck_skip(false, 0, false, 0x48, 0x89, 0xc5, 0x75, 0x05);		/* mov %rax,%rbp */
	ck_skip(false, 0, false, 0x48, 0x83, 0x07, 0x01, 0x75, 0x05);	/* addq $1,(%rdi) */
	/* A compare with an immediate is kept (cmp $1,%rsi), an add to %rcx skipped. */
	ck_skip(false, 8, true, 0x48, 0x83, 0xfe, 0x01, 0x48, 0x83, 0xc1, 0x01, 0x74, 0x05);
	/* Scratch work that reaches no emulated instruction changes nothing. */
	ck_skip(false, 0, false, 0x48, 0x89, 0xf8, 0x48, 0x89, 0xc7);
	/* Cut inside: nothing read past the end. */
	ck_skip(false, 0, false, 0x48, 0x81, 0xff, 0x00, 0x10, 0x00);
	ck_skip(false, 0, false, 0x64, 0x48, 0x03, 0x04);
}
END_TEST

/* jemalloc and tcmalloc as Debian ships them: malloc and free probed past their first, single-stepped instructions. */
START_TEST(plan_on_jemalloc_and_tcmalloc)
{
	static const char *const libs[] = {
		"/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
		"/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4",
	};
	struct probe_site sites[PROBES_MAX_SITES];
	size_t i;
	int n;

	for (i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		struct elf_obj *o = elf_obj__open(libs[i], libs[i]);
		const struct probe_site *m, *f;

		ck_assert_msg(o, "%s: not installed (setup.sh installs it)", libs[i]);
		n = probes__plan(o, sites, PROBES_MAX_SITES);
		ck_assert_int_gt(n, 2);
		m = site_of(sites, n, LEAKD_FN_MALLOC);
		f = site_of(sites, n, LEAKD_FN_FREE);
		ck_assert(m && f);
		ck_assert_msg(m->emulated && m->skip > 0, "%s: malloc at +%u", libs[i], m->skip);
		ck_assert_msg(f->emulated && f->skip > 0, "%s: free at +%u", libs[i], f->skip);
		elf_obj__free(o);
	}
}
END_TEST

START_TEST(plan_on_libc)
{
	static const struct {
		const char *name;
		enum leakd_fn fn;
	} want[] = {
		{ "malloc", LEAKD_FN_MALLOC }, { "free", LEAKD_FN_FREE },
		{ "calloc", LEAKD_FN_CALLOC }, { "realloc", LEAKD_FN_REALLOC },
		{ "reallocarray", LEAKD_FN_REALLOCARRAY },
		{ "posix_memalign", LEAKD_FN_POSIX_MEMALIGN },
		{ "aligned_alloc", LEAKD_FN_ALIGNED_ALLOC }, { "valloc", LEAKD_FN_VALLOC },
		{ "pvalloc", LEAKD_FN_PVALLOC },
	};
	const char *libc = libc_path();
	struct elf_obj *o = elf_obj__open(libc, libc);
	struct probe_site sites[PROBES_MAX_SITES], few[3];
	struct elf_sym a, m;
	uint64_t off;
	size_t i;
	int n, j;

	ck_assert_ptr_nonnull(o);
	n = probes__plan(o, sites, PROBES_MAX_SITES);
	/* memalign is aligned_alloc here: one site for both. */
	ck_assert_int_eq(elf_obj__find_sym(o, "aligned_alloc", &a), 0);
	ck_assert_int_eq(elf_obj__find_sym(o, "memalign", &m), 0);
	ck_assert_uint_eq(a.addr, m.addr);
	ck_assert_int_eq(n, 9);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct probe_site *s = site_of(sites, n, want[i].fn);
		struct elf_sym sym;

		ck_assert_msg(s, "no site for %s", want[i].name);
		ck_assert_str_eq(s->symbol, want[i].name);
		ck_assert_int_eq(elf_obj__find_sym(o, want[i].name, &sym), 0);
		ck_assert_int_eq(elf_obj__vaddr_to_offset(o, sym.addr, &off), 0);
		ck_assert_uint_eq(s->func_offset, off);
		ck_assert_uint_eq(s->offset, s->func_offset + s->skip);
		ck_assert_uint_gt(sym.size, 0);
		ck_assert_uint_lt(s->skip, sym.size);
		check_with_objdump(libc, s, sym.addr);
	}
	for (j = 0; j < n; j++) {
		ck_assert_str_ne(sites[j].symbol, "memalign");
		for (i = 0; i < (size_t)j; i++)
			ck_assert_uint_ne(sites[i].func_offset, sites[j].func_offset);
	}
	/* This libc checks free's argument for NULL first; malloc starts with a push. */
	ck_assert_uint_eq(site_of(sites, n, LEAKD_FN_FREE)->skip, 9);
	ck_assert(site_of(sites, n, LEAKD_FN_FREE)->emulated);
	ck_assert_uint_eq(site_of(sites, n, LEAKD_FN_MALLOC)->skip, 0);
	ck_assert(site_of(sites, n, LEAKD_FN_MALLOC)->emulated);

	/* Room for three: the first three. */
	ck_assert_int_eq(probes__plan(o, few, 3), 3);
	for (j = 0; j < 3; j++) {
		ck_assert_int_eq(few[j].fn, sites[j].fn);
		ck_assert_uint_eq(few[j].offset, sites[j].offset);
		ck_assert_uint_eq(few[j].skip, sites[j].skip);
		ck_assert_int_eq(few[j].emulated, sites[j].emulated);
	}
	ck_assert_int_eq(few[0].fn, LEAKD_FN_MALLOC);
	ck_assert_int_eq(few[1].fn, LEAKD_FN_FREE);
	ck_assert_int_eq(few[2].fn, LEAKD_FN_CALLOC);
	elf_obj__free(o);
}
END_TEST

#define MIMALLOC "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2"

/*
 * Debian's mimalloc: every entry point of the table it defines gets a probe
 * (aliases of one function one probe), within PROBES_MAX_SITES.
 */
START_TEST(plan_on_mimalloc)
{
	static const struct {
		const char *name;
		enum leakd_fn fn;
	} want[] = {
		{ "mi_malloc", LEAKD_FN_MALLOC }, { "mi_free", LEAKD_FN_FREE },
		{ "mi_zalloc", LEAKD_FN_MALLOC }, { "mi_mallocn", LEAKD_FN_CALLOC },
		{ "mi_reallocn", LEAKD_FN_REALLOCARRAY }, { "mi_malloc_aligned", LEAKD_FN_MALLOC },
		{ "mi_calloc_aligned", LEAKD_FN_CALLOC }, { "mi_realloc_aligned", LEAKD_FN_REALLOC },
		{ "mi_new_n", LEAKD_FN_CALLOC }, { "mi_new_reallocn", LEAKD_FN_REALLOCARRAY },
		{ "mi_posix_memalign", LEAKD_FN_POSIX_MEMALIGN },
	};
	struct probe_site sites[PROBES_MAX_SITES];
	struct elf_obj *o;
	struct elf_sym sym, other;
	char name[64];
	uint64_t off;
	size_t i;
	int n, j, k;

	ck_assert_msg(access(MIMALLOC, R_OK) == 0, MIMALLOC " missing (setup.sh installs it)");
	o = elf_obj__open(MIMALLOC, MIMALLOC);
	ck_assert_ptr_nonnull(o);
	n = probes__plan(o, sites, PROBES_MAX_SITES);
	ck_assert_int_gt(n, 0);
	ck_assert_int_lt(n, PROBES_MAX_SITES);	/* nothing left out for want of room */
	/* malloc is mi_malloc: one site, under the standard name. */
	ck_assert_int_eq(elf_obj__find_sym(o, "malloc", &sym), 0);
	ck_assert_int_eq(elf_obj__find_sym(o, "mi_malloc", &other), 0);
	ck_assert_uint_eq(sym.addr, other.addr);
	ck_assert_str_eq(site_of(sites, n, LEAKD_FN_MALLOC)->symbol, "malloc");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		bool found = false;

		ck_assert_int_eq(elf_obj__find_sym(o, want[i].name, &sym), 0);
		ck_assert_int_eq(elf_obj__vaddr_to_offset(o, sym.addr, &off), 0);
		for (j = 0; j < n; j++) {
			if (sites[j].func_offset != off)
				continue;
			ck_assert_int_eq(sites[j].fn, want[i].fn);
			ck_assert_uint_lt(sites[j].skip, sym.size);
			check_with_objdump(MIMALLOC, &sites[j], sym.addr);
			found = true;
		}
		ck_assert_msg(found, "no site for %s", want[i].name);
	}
	for (j = 0; j < n; j++)
		for (k = 0; k < j; k++)
			ck_assert_uint_ne(sites[k].func_offset, sites[j].func_offset);
	/*
	 * Forwarders (a jump through the PLT to another entry point of the same
	 * kind) get no probe: each free would be reported twice, or thrice.
	 */
	for (j = 0; j < n; j++)
		if (sites[j].fn == LEAKD_FN_FREE)
			ck_assert_str_eq(sites[j].symbol, "free");
	for (j = 0; j < n; j++) {
		ck_assert_str_ne(sites[j].symbol, "posix_memalign");
		ck_assert_str_ne(sites[j].symbol, "_ZdlPvSt11align_val_t");
	}
	ck_assert_int_eq(elf_obj__find_sym(o, "mi_free_aligned", &sym), 0);
	ck_assert_int_eq(elf_obj__forwards_to(o, sym.addr, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "mi_free");
	ck_assert_int_eq(elf_obj__find_sym(o, "_ZdlPvSt11align_val_t", &sym), 0);
	ck_assert_int_eq(elf_obj__forwards_to(o, sym.addr, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "mi_free_aligned");
	ck_assert_int_eq(elf_obj__forwards_to(o, sym.addr, name, 4), -ENOSPC);
	ck_assert_int_eq(elf_obj__find_sym(o, "mi_free", &sym), 0);
	ck_assert_int_eq(elf_obj__forwards_to(o, sym.addr, name, sizeof(name)), -ENOENT);
	elf_obj__free(o);
}
END_TEST

#define JEMALLOC "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"

/* jemalloc's "operator delete" jumps to free: free alone is probed for both. */
START_TEST(plan_on_jemalloc)
{
	struct probe_site sites[PROBES_MAX_SITES];
	struct elf_sym sym;
	struct elf_obj *o;
	char name[64];
	int n, j;

	ck_assert_msg(access(JEMALLOC, R_OK) == 0, JEMALLOC " missing (setup.sh installs it)");
	o = elf_obj__open(JEMALLOC, JEMALLOC);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(elf_obj__find_sym(o, "_ZdlPv", &sym), 0);
	ck_assert_int_eq(elf_obj__forwards_to(o, sym.addr, name, sizeof(name)), 0);
	ck_assert_str_eq(name, "free");
	n = probes__plan(o, sites, PROBES_MAX_SITES);
	ck_assert_int_gt(n, 0);
	ck_assert_ptr_nonnull(site_of(sites, n, LEAKD_FN_FREE));
	for (j = 0; j < n; j++) {
		ck_assert_str_ne(sites[j].symbol, "_ZdlPv");
		ck_assert_str_ne(sites[j].symbol, "_ZdaPv");
	}
	/* Sized delete is code of its own there: still probed. */
	ck_assert_int_eq(elf_obj__find_sym(o, "_ZdlPvm", &sym), 0);
	ck_assert_int_eq(elf_obj__forwards_to(o, sym.addr, name, sizeof(name)), -ENOENT);
	elf_obj__free(o);
}
END_TEST

START_TEST(plan_without_allocator)
{
	struct probe_site sites[PROBES_MAX_SITES];
	struct elf_obj *o = elf_obj__open("/proc/self/exe", NULL);

	/* This test calls malloc and free but defines neither. */
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(probes__plan(o, sites, PROBES_MAX_SITES), 0);
	elf_obj__free(o);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("probes");
	TCase *bytes = tcase_create("skip");
	TCase *plan = tcase_create("plan");

	tcase_add_test(bytes, skip_documented_cases);
	tcase_add_test(bytes, skip_each_instruction);
	tcase_add_test(bytes, skip_stops_at_the_end);
	tcase_add_test(bytes, skip_scratch_work);
	suite_add_tcase(s, bytes);
	tcase_set_timeout(plan, 60);
	tcase_add_test(plan, plan_on_libc);
	tcase_add_test(plan, plan_on_mimalloc);
	tcase_add_test(plan, plan_on_jemalloc);
	tcase_add_test(plan, plan_without_allocator);
	tcase_add_test(plan, plan_on_jemalloc_and_tcmalloc);
	suite_add_tcase(s, plan);
	return run_suite(s);
}
