// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <string.h>

#include "present/render.h"

static const struct renderer *const renderers[OUTPUT__COUNT] = {
	[OUTPUT_TEXT] = &render_text,
	[OUTPUT_JSON] = &render_json,
	[OUTPUT_METRICS] = &render_metrics,
	[OUTPUT_PPROF] = &render_pprof,
	[OUTPUT_FOLDED] = &render_folded,
	[OUTPUT_SVG] = &render_svg,
};

int render(FILE *f, enum output_format fmt, const struct snapshot *s)
{
	int err;

	if ((unsigned int)fmt >= OUTPUT__COUNT || !renderers[fmt])
		return -ENOTSUP;
	err = renderers[fmt]->render(f, s);
	if (err)
		return err;
	fflush(f);
	return ferror(f) ? -EIO : 0;
}

const char *output_format_name(enum output_format fmt)
{
	return (unsigned int)fmt < OUTPUT__COUNT && renderers[fmt] ? renderers[fmt]->name : NULL;
}

int output_format_parse(const char *name, enum output_format *ret)
{
	unsigned int i;

	for (i = 0; i < OUTPUT__COUNT; i++) {
		if (renderers[i] && !strcmp(renderers[i]->name, name)) {
			*ret = renderers[i]->format;
			return 0;
		}
	}
	return -EINVAL;
}

bool render_is_binary(enum output_format fmt)
{
	return (unsigned int)fmt < OUTPUT__COUNT && renderers[fmt] && renderers[fmt]->binary;
}

bool render_is_profile(enum output_format fmt)
{
	return (unsigned int)fmt < OUTPUT__COUNT && renderers[fmt] && renderers[fmt]->profile;
}
