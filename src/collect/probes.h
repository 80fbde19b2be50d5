/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Where the allocator probes go in one ELF object: which functions it defines,
 * and for each the cheapest instruction to probe that still sees every call.
 */
#ifndef LEAKD_PROBES_H
#define LEAKD_PROBES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "leakd/events.h"

struct elf_obj;

struct probe_site {
	uint64_t offset;	/* file offset of the probed instruction */
	uint64_t func_offset;	/* file offset of the function */
	uint32_t skip;		/* offset - func_offset */
	enum leakd_fn fn;
	bool emulated;		/* the kernel emulates the instruction: no single-step */
	const char *symbol;	/* static string */
};

#define PROBES_MAX_SITES 48

/*
 * The probe sites of an object that defines an allocator (at least malloc and
 * free).  Returns the number of sites, 0 when the object defines no allocator.
 */
int probes__plan(const struct elf_obj *o, struct probe_site *sites, size_t max);

/*
 * Decodes the first instructions of a function's code and returns how many bytes
 * may be skipped before the probe: instructions that touch nothing a probe reads
 * (arguments, stack and frame pointer, memory) and do not branch.  free_like
 * functions (a NULL argument is a no-op) may also skip a leading NULL check.
 * *ret_emulated tells whether the instruction found there is one the kernel
 * emulates instead of single-stepping.
 */
uint32_t probes__skip(const uint8_t *code, size_t len, bool free_like, bool *ret_emulated);

#endif
