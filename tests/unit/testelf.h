/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Where a section lies in an ELF file, for the tests that read or damage one. */
#ifndef LEAKD_TESTELF_H
#define LEAKD_TESTELF_H

#include <check.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

struct section {
	uint64_t off, size, addr;
	uint64_t shdr_off;	/* of its section header in the file */
	uint64_t name_off;	/* of its name in the file */
};

/* The first section of that name; false when the file has none. */
static bool __attribute__((unused))
find_section(const char *path, const char *name, struct section *ret)
{
	GElf_Shdr sh, strsh;
	Elf_Scn *scn = NULL;
	bool found = false;
	size_t shstrndx;
	GElf_Ehdr eh;
	Elf *elf;
	int fd;

	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	ck_assert_ptr_nonnull(elf);
	ck_assert_ptr_nonnull(gelf_getehdr(elf, &eh));
	ck_assert_int_eq(elf_getshdrstrndx(elf, &shstrndx), 0);
	ck_assert_ptr_nonnull(gelf_getshdr(elf_getscn(elf, shstrndx), &strsh));
	while (!found && (scn = elf_nextscn(elf, scn))) {
		const char *n;

		ck_assert_ptr_nonnull(gelf_getshdr(scn, &sh));
		n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (n && !strcmp(n, name)) {
			*ret = (struct section){
				.off = sh.sh_offset,
				.size = sh.sh_size,
				.addr = sh.sh_addr,
				.shdr_off = eh.e_shoff + elf_ndxscn(scn) * eh.e_shentsize,
				.name_off = strsh.sh_offset + sh.sh_name,
			};
			found = true;
		}
	}
	elf_end(elf);
	close(fd);
	return found;
}

#endif
