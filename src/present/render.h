/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Renderers: a snapshot (present/snapshot.h) in, bytes of one output format out.
 * Every format is one struct renderer in the table render.c keeps; a new format
 * (pprof, folded stacks, SVG, OpenMetrics) is one new renderer and one new enum
 * value, and renders the kinds of snapshot it can (-ENOTSUP for the others).
 */
#ifndef LEAKD_RENDER_H
#define LEAKD_RENDER_H

#include <stdio.h>

#include "present/snapshot.h"

enum output_format {
	OUTPUT_TEXT,
	OUTPUT_JSON,
	OUTPUT_METRICS,			/* Prometheus text exposition format */
	OUTPUT__COUNT,
};

struct renderer {
	enum output_format format;
	const char *name;		/* as --format and the protocol name it */
	int (*render)(FILE *f, const struct snapshot *s);
};

extern const struct renderer render_text, render_json, render_metrics;

/* 0, -ENOTSUP (format cannot show this kind, or no such format), -EIO (write failed). */
int render(FILE *f, enum output_format fmt, const struct snapshot *s);
/* "text", "json"; NULL for no such format. */
const char *output_format_name(enum output_format fmt);
/* -EINVAL for an unknown name. */
int output_format_parse(const char *name, enum output_format *ret);

#endif
