/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * An ELF file's loadable segments (PT_LOAD): how its file offsets and virtual
 * addresses correspond.  Unwind rows and frames are file offsets; symbols and
 * DWARF speak virtual addresses.
 */
#ifndef LEAKD_ELFSEG_H
#define LEAKD_ELFSEG_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_segment {
	uint64_t vaddr, offset, filesz;
	bool exec;
};

struct elf_segments {
	struct elf_segment *v;
	size_t n;
};

/* Reads the PT_LOAD headers.  -ENOEXEC when unreadable or when there are none. */
int elf_segments__load(Elf *elf, struct elf_segments *ret);
void elf_segments__destroy(struct elf_segments *s);
/* Keeps of each segment only what a file of this size holds (a cut file). */
void elf_segments__clip(struct elf_segments *s, uint64_t file_size);
/* Whether every segment's bytes lie within a file of this size (else it was cut). */
bool elf_segments__within(const struct elf_segments *s, uint64_t file_size);
int elf_segments__to_offset(const struct elf_segments *s, uint64_t vaddr, uint64_t *ret_off);
/* Segments may share a page of the file: the executable one wins. */
int elf_segments__to_vaddr(const struct elf_segments *s, uint64_t off, uint64_t *ret_vaddr);

#endif
