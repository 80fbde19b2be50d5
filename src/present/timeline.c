// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/units.h"
#include "present/svg.h"
#include "present/timeline.h"

#define LEFT 80
#define RIGHT 24
#define TOP_Y 70		/* the memory chart */
#define TOP_H 220
#define GAP 70			/* its legend */
#define STACK_H 200		/* the stacks chart */
#define LEGEND_LINE 18

static const char *const series_names[TIMELINE__NR_SERIES] = {
	[TIMELINE_RSS] = "resident (RSS)",
	[TIMELINE_ANON] = "anonymous mappings",
	[TIMELINE_HEAP] = "heap (brk)",
	[TIMELINE_TRACED] = "traced live bytes",
	[TIMELINE_FILE] = "file-backed",
};

static const char *const series_colors[TIMELINE__NR_SERIES] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#7f7f7f",
};

/* Neighbours in the stack differ in hue. */
static const char *const stack_colors[TIMELINE_MAX_STACKS + 1] = {
	"#e6550d", "#3182bd", "#31a354", "#756bb1", "#e377c2",
	"#fd8d3c", "#6baed6", "#74c476", "#9e9ac8", "#c49c94", "#bbbbbb",
};

struct chart {
	FILE *f;
	const struct timeline *t;
	double x0, xw;			/* plot area in px */
	double t_span;			/* ns */
	unsigned width;
};

static double px_x(const struct chart *c, size_t i)
{
	return c->x0 + (c->t->points[i].t_ns - c->t->points[0].t_ns) / c->t_span * c->xw;
}

/* A step of 1, 2 or 5 times a power of ten that cuts max into at most n steps. */
static double nice_step(double max, int n)
{
	double step = 1;

	while (max / step > n) {
		if (max / (step * 2) <= n)
			return step * 2;
		if (max / (step * 5) <= n)
			return step * 5;
		step *= 10;
	}
	return step;
}

static void time_label(char *buf, size_t size, double s)
{
	if (s >= 7200)
		snprintf(buf, size, "%gh", s / 3600);
	else if (s >= 120)
		snprintf(buf, size, "%gm", s / 60);
	else
		snprintf(buf, size, "%gs", s);
}

static void time_axis(struct chart *c, double y, double h)
{
	static const double steps[] = { 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800,
					3600, 7200, 3 * 3600, 6 * 3600, 12 * 3600, 86400 };
	double span = c->t_span / 1e9, step = steps[0], s;
	char label[32];
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		step = steps[i];
		if (span / step <= 8)
			break;
	}
	while (span / step > 8)
		step *= 2;
	for (s = 0; s <= span + 1e-9; s += step) {
		double x = c->x0 + s / span * c->xw;

		time_label(label, sizeof(label), s);
		fprintf(c->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			      "stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%.1f\" "
			      "text-anchor=\"middle\">%s</text>\n",
			x, y, x, y + h, x, y + h + 14, label);
	}
}

/* A step of 1, 2 or 5 times a power of ten of B, KiB, MiB or GiB: round labels. */
static double bytes_step(double max)
{
	double unit = 1;

	while (unit < (1ULL << 40) && max / (unit * 1024) >= 1)
		unit *= 1024;
	return nice_step(max / unit, 5) * unit;
}

/* The top of a bytes axis: max rounded up to a whole step. */
static double axis_top(double max)
{
	double step = bytes_step(max);

	return step * (uint64_t)((max + step - 1) / step);
}

static void bytes_axis(struct chart *c, double y, double h, double max)
{
	double step = bytes_step(max), v;
	char label[32];

	for (v = 0; v <= max + 1e-9; v += step) {
		double yy = y + h - v / max * h;

		fprintf(c->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			      "stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%.1f\" "
			      "text-anchor=\"end\">%s</text>\n",
			c->x0, yy, c->x0 + c->xw, yy, c->x0 - 6, yy + 4,
			fmt_bytes((uint64_t)v, label, sizeof(label)));
	}
}

/* "last 1234 bytes (1.2 KiB), min ..., max ..." for a tooltip. */
static void series_figures(FILE *f, uint64_t last, uint64_t min, uint64_t max)
{
	char h[3][32];

	fprintf(f, "last %" PRIu64 " bytes (%s), min %" PRIu64 " (%s), max %" PRIu64 " (%s)",
		last, fmt_bytes(last, h[0], sizeof(h[0])), min, fmt_bytes(min, h[1], sizeof(h[1])),
		max, fmt_bytes(max, h[2], sizeof(h[2])));
}

static void memory_chart(struct chart *c, double max)
{
	const struct timeline *t = c->t;
	size_t i;
	int s;

	bytes_axis(c, TOP_Y, TOP_H, max);
	time_axis(c, TOP_Y, TOP_H);
	for (s = 0; s < TIMELINE__NR_SERIES; s++) {
		uint64_t lo = UINT64_MAX, hi = 0, v;
		double lx = c->x0 + 16 + s * ((c->xw - 16) / TIMELINE__NR_SERIES);

		for (i = 0; i < t->nr_points; i++) {
			v = t->points[i].bytes[s];
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
		fprintf(c->f, "<g class=\"series\"><title>%s: ", series_names[s]);
		series_figures(c->f, t->points[t->nr_points - 1].bytes[s], lo, hi);
		fprintf(c->f, "</title><polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
			      "points=\"", series_colors[s]);
		for (i = 0; i < t->nr_points; i++)
			fprintf(c->f, "%s%.1f,%.1f", i ? " " : "", px_x(c, i),
				TOP_Y + TOP_H - t->points[i].bytes[s] / max * TOP_H);
		fprintf(c->f, "\"/>\n<rect x=\"%.1f\" y=\"%d\" width=\"12\" height=\"4\" "
			      "fill=\"%s\"/><text x=\"%.1f\" y=\"%d\">%s</text></g>\n",
			lx - 16, TOP_Y + TOP_H + 34, series_colors[s], lx, TOP_Y + TOP_H + 40,
			series_names[s]);
	}
}

/* Bytes of drawn stack k at point i; k == TIMELINE_MAX_STACKS sums the rest. */
static uint64_t stack_bytes(const struct timeline *t, size_t k, size_t i)
{
	uint64_t sum = 0;

	if (k < TIMELINE_MAX_STACKS)
		return t->stacks[k].bytes[i];
	for (; k < t->nr_stacks; k++)
		sum += t->stacks[k].bytes[i];
	return sum;
}

static void stacks_chart(struct chart *c, double y0, size_t drawn, double max, double *cum)
{
	const struct timeline *t = c->t;
	char human[32];
	size_t k, i;

	bytes_axis(c, y0, STACK_H, max);
	time_axis(c, y0, STACK_H);
	memset(cum, 0, t->nr_points * sizeof(*cum));
	for (k = 0; k < drawn; k++) {
		bool other = k == TIMELINE_MAX_STACKS;
		uint64_t last = stack_bytes(t, k, t->nr_points - 1);
		double ly = y0 + STACK_H + 40 + k * LEGEND_LINE;

		fputs("<g class=\"stack\"><title>", c->f);
		if (other)
			fprintf(c->f, "%zu other stacks", t->nr_stacks - TIMELINE_MAX_STACKS);
		else
			svg__text(c->f, t->stacks[k].name ? t->stacks[k].name : "[unknown]", 0);
		fprintf(c->f, ": last %" PRIu64 " bytes (%s)", last,
			fmt_bytes(last, human, sizeof(human)));
		if (!other)
			fprintf(c->f, ", %+" PRId64 " bytes/h", t->stacks[k].growth);
		fprintf(c->f, "</title><polygon fill=\"%s\" fill-opacity=\"0.85\" points=\"",
			stack_colors[k]);
		for (i = 0; i < t->nr_points; i++)
			fprintf(c->f, "%s%.1f,%.1f", i ? " " : "", px_x(c, i),
				y0 + STACK_H - (cum[i] + stack_bytes(t, k, i)) / max * STACK_H);
		for (i = t->nr_points; i-- > 0;)
			fprintf(c->f, " %.1f,%.1f", px_x(c, i), y0 + STACK_H - cum[i] / max * STACK_H);
		fprintf(c->f, "\"/>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" "
			      "fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\">",
			c->x0, ly - 10, stack_colors[k], c->x0 + 18, ly);
		if (other)
			fprintf(c->f, "%zu other stacks", t->nr_stacks - TIMELINE_MAX_STACKS);
		else
			svg__text(c->f, t->stacks[k].name ? t->stacks[k].name : "[unknown]",
				  (size_t)((c->xw - 240) / SVG_CHAR_PX));
		fprintf(c->f, " — %s", fmt_bytes(last, human, sizeof(human)));
		if (!other) {
			int64_t g = t->stacks[k].growth;

			fprintf(c->f, ", %s%s/h", g < 0 ? "-" : "+",
				fmt_bytes(g < 0 ? -(uint64_t)g : (uint64_t)g, human, sizeof(human)));
		}
		fputs("</text></g>\n", c->f);
		for (i = 0; i < t->nr_points; i++)
			cum[i] += stack_bytes(t, k, i);
	}
}

int timeline__write(FILE *f, const struct timeline *t, unsigned width)
{
	struct chart c = { .f = f, .t = t };
	size_t drawn, i, k;
	double max = 0, smax = 0, *cum;
	unsigned height;
	char when[64] = "";

	width = width ? width : 1000;
	if (width < 400 || width > 100000)
		return -EINVAL;
	for (i = 1; i < t->nr_points; i++)
		if (t->points[i].t_ns < t->points[i - 1].t_ns)
			return -EINVAL;
	drawn = t->nr_stacks > TIMELINE_MAX_STACKS ? TIMELINE_MAX_STACKS + 1 : t->nr_stacks;
	cum = calloc(t->nr_points ? t->nr_points : 1, sizeof(*cum));
	if (!cum)
		return -ENOMEM;
	for (i = 0; i < t->nr_points; i++) {
		double sum = 0;
		int s;

		for (s = 0; s < TIMELINE__NR_SERIES; s++)
			if (t->points[i].bytes[s] > max)
				max = t->points[i].bytes[s];
		for (k = 0; k < drawn; k++)
			sum += stack_bytes(t, k, i);
		smax = sum > smax ? sum : smax;
	}
	max = axis_top(max ? max : 1);
	smax = axis_top(smax ? smax : 1);
	c.width = width;
	c.x0 = LEFT;
	c.xw = width - LEFT - RIGHT;
	c.t_span = t->nr_points ? t->points[t->nr_points - 1].t_ns - t->points[0].t_ns : 0;
	if (c.t_span <= 0)
		c.t_span = 1e9;
	height = TOP_Y + TOP_H + GAP + 30 + STACK_H + 30 + (drawn + 1) * LEGEND_LINE;
	if (t->wall_start_ns) {
		time_t w = t->wall_start_ns / 1000000000;
		struct tm tm;

		if (gmtime_r(&w, &tm))
			strftime(when, sizeof(when), ", from %Y-%m-%d %H:%M:%S UTC", &tm);
	}

	svg__begin(f, width, height);
	fputs("<style>text { font-family: monospace; font-size: 12px; fill: #000; }\n"
	      "#title { font-size: 17px; } .h { font-size: 14px; }\n"
	      "g.series:hover polyline { stroke-width: 4; } g.stack:hover polygon "
	      "{ fill-opacity: 1; stroke: #000; }\n</style>\n", f);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%u\" height=\"%u\" fill=\"#fff\"/>\n", width,
		height);
	fprintf(f, "<text id=\"title\" x=\"%u\" y=\"26\" text-anchor=\"middle\">", width / 2);
	svg__text(f, t->title ? t->title : "Memory over time", 0);
	fprintf(f, "</text>\n<text class=\"h\" x=\"%d\" y=\"%d\">Memory%s</text>\n", LEFT,
		TOP_Y - 12, when);
	/* Just watched: its memory is read once every sample-interval. */
	if (t->nr_points)
		memory_chart(&c, max);
	else
		fprintf(f, "<text x=\"%u\" y=\"%d\" text-anchor=\"middle\">No samples yet"
			   "</text>\n", width / 2, TOP_Y + TOP_H / 2);
	fprintf(f, "<text class=\"h\" x=\"%d\" y=\"%d\">Live bytes of the top growing stacks"
		   "</text>\n", LEFT, TOP_Y + TOP_H + GAP - 12 + 30);
	if (drawn && t->nr_points)
		stacks_chart(&c, TOP_Y + TOP_H + GAP + 30, drawn, smax, cum);
	else
		fprintf(f, "<text x=\"%u\" y=\"%d\" text-anchor=\"middle\">No traced stacks"
			   "</text>\n", width / 2, TOP_Y + TOP_H + GAP + 30 + STACK_H / 2);
	fputs("</svg>\n", f);
	free(cum);
	return fflush(f) || ferror(f) ? -EIO : 0;
}
