// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <string.h>

#include "present/export.h"
#include "present/flamegraph.h"
#include "present/folded.h"
#include "present/pprof.h"

static const char *const names[EXPORT__COUNT] = {
	[EXPORT_PPROF] = "pprof",
	[EXPORT_FOLDED] = "folded",
	[EXPORT_SVG] = "svg",
};

int export__parse(const char *name, enum export_format *ret)
{
	int i;

	for (i = 0; i < EXPORT__COUNT; i++) {
		if (!strcmp(name, names[i])) {
			*ret = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *export__name(enum export_format fmt)
{
	return (unsigned)fmt < EXPORT__COUNT ? names[fmt] : "?";
}

bool export__binary(enum export_format fmt)
{
	return fmt == EXPORT_PPROF;
}

int export__proc(FILE *f, enum export_format fmt, const struct proc_mem *p, struct symbolizer *s,
		 const struct profile_gather_opts *o)
{
	struct flamegraph_opts fo = { .value = PROFILE_INUSE_SPACE };
	struct profile *prof;
	int err;

	if ((unsigned)fmt >= EXPORT__COUNT)
		return -EINVAL;
	prof = profile__gather(p, s, o);
	if (!prof)
		return -errno;
	switch (fmt) {
	case EXPORT_PPROF:
		err = pprof__write(f, prof);
		break;
	case EXPORT_FOLDED:
		err = folded__write(f, prof, PROFILE_INUSE_SPACE);
		break;
	default:
		err = flamegraph__write(f, prof, &fo);
		break;
	}
	profile__free(prof);
	return err;
}
