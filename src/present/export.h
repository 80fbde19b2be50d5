/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Exports of one process's stacks in the formats other tools read: the one
 * switch from a format to its renderer.  `leakd --format` in ad-hoc mode uses it,
 * and so can `leakctl export` and an HTTP endpoint: gather, then render.
 */
#ifndef LEAKD_EXPORT_H
#define LEAKD_EXPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "model/tables.h"
#include "present/gather_profile.h"

enum export_format {
	EXPORT_PPROF,		/* gzip-compressed profile.proto */
	EXPORT_FOLDED,		/* folded stacks, live bytes */
	EXPORT_SVG,		/* flame graph of live bytes */
	EXPORT__COUNT,
};

struct symbolizer;

/* The format named name ("pprof", "folded", "svg"); -EINVAL when none is. */
int export__parse(const char *name, enum export_format *ret);
const char *export__name(enum export_format fmt);
/* True for a format whose output is not text (not for a terminal). */
bool export__binary(enum export_format fmt);
/* The stacks of p at o->level, gathered and rendered in fmt to f; 0 or -errno. */
int export__proc(FILE *f, enum export_format fmt, const struct proc_mem *p, struct symbolizer *s,
		 const struct profile_gather_opts *o);

#endif
