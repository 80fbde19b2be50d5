/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Renderers: a snapshot (present/snapshot.h) in, bytes of one output format out.
 * Every format is one struct renderer in the table render.c keeps; a new format
 * (pprof, folded stacks, SVG, OpenMetrics) is one new renderer and one new enum
 * value, and renders the kinds of snapshot it can (-ENOTSUP for the others).
 */
#ifndef LEAKD_RENDER_H
#define LEAKD_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "present/snapshot.h"

enum output_format {
	OUTPUT_TEXT,
	OUTPUT_JSON,
	OUTPUT_METRICS,			/* Prometheus text exposition format */
	OUTPUT_PPROF,			/* gzip-compressed profile.proto: stacks only */
	OUTPUT_FOLDED,			/* folded stacks, live bytes: stacks only */
	OUTPUT_SVG,			/* flame graph of live bytes: stacks only */
	OUTPUT__COUNT,
};

struct renderer {
	enum output_format format;
	const char *name;		/* as --format and the protocol name it */
	bool binary;			/* not text: never for a terminal */
	bool profile;			/* shows the stacks of an answer only, as a profile */
	int (*render)(FILE *f, const struct snapshot *s);
};

extern const struct renderer render_text, render_json, render_metrics;
extern const struct renderer render_pprof, render_folded, render_svg;

/* 0, -ENOTSUP (format cannot show this kind, or no such format), -EIO (write failed). */
int render(FILE *f, enum output_format fmt, const struct snapshot *s);
/* "text", "json", "metrics", "pprof", "folded", "svg"; NULL for no such format. */
const char *output_format_name(enum output_format fmt);
/* -EINVAL for an unknown name. */
int output_format_parse(const char *name, enum output_format *ret);
/* Its output is not text (pprof): not for a terminal. */
bool render_is_binary(enum output_format fmt);
/* A profile of stacks (pprof, folded, svg): of the stacks of a report, top or diff only. */
bool render_is_profile(enum output_format fmt);

#endif
