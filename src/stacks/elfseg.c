// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>

#include "stacks/elfseg.h"

int elf_segments__load(Elf *elf, struct elf_segments *ret)
{
	struct elf_segments s = { 0 };
	size_t i, n;

	if (elf_getphdrnum(elf, &n))
		return -ENOEXEC;
	s.v = calloc(n ? n : 1, sizeof(*s.v));
	if (!s.v)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		s.v[s.n++] = (struct elf_segment){ ph.p_vaddr, ph.p_offset, ph.p_filesz,
						   ph.p_flags & PF_X };
	}
	if (!s.n) {
		free(s.v);
		return -ENOEXEC;
	}
	*ret = s;
	return 0;
}

void elf_segments__destroy(struct elf_segments *s)
{
	if (!s)
		return;
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

void elf_segments__clip(struct elf_segments *s, uint64_t file_size)
{
	size_t i, k = 0;

	for (i = 0; i < s->n; i++) {
		struct elf_segment g = s->v[i];

		if (g.offset >= file_size)
			continue;
		if (g.filesz > file_size - g.offset)
			g.filesz = file_size - g.offset;
		if (g.vaddr > UINT64_MAX - g.filesz)
			continue;
		s->v[k++] = g;
	}
	s->n = k;
}

bool elf_segments__within(const struct elf_segments *s, uint64_t file_size)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].offset > file_size || s->v[i].filesz > file_size - s->v[i].offset)
			return false;
	return true;
}

int elf_segments__to_offset(const struct elf_segments *s, uint64_t vaddr, uint64_t *ret_off)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct elf_segment *g = &s->v[i];

		if (vaddr >= g->vaddr && vaddr - g->vaddr < g->filesz) {
			*ret_off = vaddr - g->vaddr + g->offset;
			return 0;
		}
	}
	return -ENOENT;
}

int elf_segments__to_vaddr(const struct elf_segments *s, uint64_t off, uint64_t *ret_vaddr)
{
	const struct elf_segment *found = NULL;
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct elf_segment *g = &s->v[i];

		if (off >= g->offset && off - g->offset < g->filesz && (!found || g->exec))
			found = g;
	}
	if (!found)
		return -ENOENT;
	*ret_vaddr = off - found->offset + found->vaddr;
	return 0;
}
