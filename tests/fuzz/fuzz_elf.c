// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * ELF objects (src/stacks/elfobj.c) and the unwind-table builder
 * (src/stacks/ehframe.c, from .eh_frame or .debug_frame) on any file.  A table
 * built has rows by strictly increasing pc, the last a terminator, and lookups
 * stay inside it; symbols found are the object's own.
 */
#include "fuzz.h"
#include "stacks/ehframe.h"
#include "stacks/elfobj.h"

static void check_table(const struct unwind_table *t)
{
	size_t i;

	fuzz_assert(t->nr <= UNWIND_TABLE_MAX_ROWS + 1);
	for (i = 1; i < t->nr; i++)
		fuzz_assert(t->rows[i - 1].pc < t->rows[i].pc);
	for (i = 0; i < t->nr; i++) {
		const struct leakd_unwind_row *r = unwind_table__find(t, t->rows[i].pc);

		fuzz_assert(r == &t->rows[i]);
	}
	unwind_table__find(t, 0);
	unwind_table__find(t, UINT32_MAX);
}

static void check_obj(const char *path)
{
	struct elf_obj *o = elf_obj__open(path, NULL);
	struct elf_sym sym;
	char id[2 * BUILD_ID_MAX + 1];
	uint64_t v, off;
	uint8_t buf[16];

	if (!o)
		return;
	elf_obj__build_id(o, id, sizeof(id));
	elf_obj__has_debug_file(o);
	elf_obj__nr_syms(o);
	if (elf_obj__find_sym(o, "main", &sym) == 0) {
		struct elf_sym again;

		fuzz_assert(sym.name && !strcmp(sym.name, "main"));
		if (elf_obj__symbolize(o, sym.addr, &again) == 0)
			fuzz_assert(again.name && again.addr <= sym.addr);
	}
	for (v = 0; v < 0x3000; v += 0x3ff) {
		if (elf_obj__symbolize(o, v, &sym) == 0)
			fuzz_assert(sym.name && sym.addr <= v);
		if (elf_obj__vaddr_to_offset(o, v, &off) == 0)
			elf_obj__read(o, off, buf, sizeof(buf));
		elf_obj__offset_to_vaddr(o, v, &off);
	}
	elf_obj__close_file(o);
	elf_obj__free(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unwind_table t;
	char path[64], id[128];
	int fd = fuzz_memfd(data, size);

	elf_fd_build_id(fd, id, sizeof(id));
	fuzz_assert(lseek(fd, 0, SEEK_SET) == 0);
	if (ehframe__build_fd(fd, &t) == 0) {
		check_table(&t);
		unwind_table__destroy(&t);
	}
	fuzz_fd_path(fd, path, sizeof(path));
	check_obj(path);
	close(fd);
	return 0;
}
