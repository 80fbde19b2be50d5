// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/fnv.h"
#include "base/units.h"
#include "present/flamegraph.h"
#include "present/svg.h"

#define FRAME_H 16
#define TOP 70			/* title, subtitle, buttons, a warning */
#define BOTTOM 30		/* the line that shows the frame under the pointer */
#define PAD 10

/* A frame of a sample's path: a location and one of its lines. */
struct fref {
	uint32_t loc;		/* 1-based; 0: the root ("all") */
	uint32_t line;
};

/* A frame whose children are still coming, in the sweep over sorted paths. */
struct open_frame {
	struct fref ref;
	int64_t start;		/* value before it, from the left */
	int64_t value;
};

/*
 * Paths are sorted by their frames' names, root first, so that equal prefixes are
 * neighbours: one sweep then merges them into frames (as flamegraph.pl does with
 * sorted folded lines), in memory linear in the samples, with no tree.
 */
struct fg {
	const struct profile *p;
	const struct flamegraph_opts *o;
	struct fref *frames;		/* every positive sample's path, root first */
	size_t *first;			/* per sample: its path's start in frames */
	uint32_t *len;			/* per sample: its path's length */
	uint32_t *order;		/* positive samples, sorted by path */
	uint32_t nr, max_len;
	int64_t total;
	FILE *f;
	double scale;			/* px per unit of value */
};

static const char *ref_name(const struct fg *g, struct fref r, char *buf, size_t size)
{
	if (!r.loc)
		return "all";
	return profile__frame_name(g->p, &g->p->locations[r.loc - 1], r.line, buf, size);
}

static bool ref_inlined(const struct fg *g, struct fref r)
{
	const struct profile_location *l;

	if (!r.loc)
		return false;
	l = &g->p->locations[r.loc - 1];
	return r.line < l->nr_lines && l->lines[r.line].inlined;
}

/* Frames a and b are one frame of the graph (given equal paths above them). */
static int cmp_ref(const struct fg *g, struct fref a, struct fref b)
{
	char ba[64], bb[64];
	int c;

	if (a.loc == b.loc && a.line == b.line)
		return 0;
	c = strcmp(ref_name(g, a, ba, sizeof(ba)), ref_name(g, b, bb, sizeof(bb)));
	return c ? c : ref_inlined(g, a) - ref_inlined(g, b);
}

static int cmp_paths(const void *x, const void *y, void *ctx)
{
	const struct fg *g = ctx;
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y, k;
	const struct fref *pa = g->frames + g->first[a], *pb = g->frames + g->first[b];
	int c;

	for (k = 0; k < g->len[a] && k < g->len[b]; k++) {
		c = cmp_ref(g, pa[k], pb[k]);
		if (c)
			return c;
	}
	return g->len[a] < g->len[b] ? -1 : g->len[a] > g->len[b];
}

/* The path of every sample with a positive figure, root first, and their order. */
static int paths(struct fg *g)
{
	const struct profile *p = g->p;
	size_t n = 0, total = 0;
	uint32_t i, j, k;

	for (i = 0; i < p->nr_samples; i++) {
		const struct profile_sample *s = &p->samples[i];

		if (s->value[g->o->value] <= 0)
			continue;
		for (j = 0; j < s->nr_locs; j++) {
			const struct profile_location *l = &p->locations[s->locs[j] - 1];

			total += l->nr_lines ? l->nr_lines : 1;
		}
	}
	g->frames = malloc((total ? total : 1) * sizeof(*g->frames));
	g->first = malloc((p->nr_samples + 1) * sizeof(*g->first));
	g->len = malloc((p->nr_samples + 1) * sizeof(*g->len));
	g->order = malloc((p->nr_samples + 1) * sizeof(*g->order));
	if (!g->frames || !g->first || !g->len || !g->order)
		return -ENOMEM;
	for (i = 0; i < p->nr_samples; i++) {
		const struct profile_sample *s = &p->samples[i];

		g->first[i] = n;
		g->len[i] = 0;
		if (s->value[g->o->value] <= 0)
			continue;
		for (j = s->nr_locs; j-- > 0;) {
			const struct profile_location *l = &p->locations[s->locs[j] - 1];

			for (k = l->nr_lines ? l->nr_lines : 1; k-- > 0;)
				g->frames[n++] = (struct fref){ .loc = s->locs[j], .line = k };
		}
		g->len[i] = n - g->first[i];
		if (g->len[i] > g->max_len)
			g->max_len = g->len[i];
		g->order[g->nr++] = i;
		g->total += s->value[g->o->value];
	}
	qsort_r(g->order, g->nr, sizeof(*g->order), cmp_paths, g);
	return 0;
}

/* flamegraph.pl's warm colours, from the name so that a function keeps its colour. */
static void color(const struct fg *g, struct fref r, const char *name, char *buf, size_t size)
{
	uint64_t h = fnv_str(FNV_OFFSET, name);
	unsigned a, b, c;

	/* Mixed, so that names alike get colours apart. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	a = h & 0xff;
	b = (h >> 8) & 0xff;
	c = (h >> 16) & 0xff;

	if (!r.loc)
		snprintf(buf, size, "rgb(200,200,200)");
	else if (name[0] == '[')
		snprintf(buf, size, "rgb(%u,%u,%u)", 170 + c / 8, 170 + c / 8, 170 + c / 8);
	else if (ref_inlined(g, r))
		snprintf(buf, size, "rgb(%u,%u,%u)", 50 + a / 4, 170 + b / 4, 170 + c / 4);
	else if (g->o->value == PROFILE_GROWTH)
		snprintf(buf, size, "rgb(%u,%u,%u)", 200 + a / 5, 60 + b / 2, 40 + c / 5);
	else
		snprintf(buf, size, "rgb(%u,%u,%u)", 205 + a / 5, b * 230 / 255, c * 55 / 255);
}

static const char *unit_of(enum profile_value v)
{
	switch (v) {
	case PROFILE_ALLOC_OBJECTS:
	case PROFILE_INUSE_OBJECTS:
		return "allocations";
	case PROFILE_GROWTH:
		return "bytes/h";
	default:
		return "bytes";
	}
}

/* "1234567 bytes (1.2 MiB), 12.34%" */
static void figures(struct fg *g, int64_t v)
{
	enum profile_value pv = g->o->value;
	char human[32];

	fprintf(g->f, "%s%" PRId64 " %s", pv == PROFILE_GROWTH ? "+" : "", v, unit_of(pv));
	if (pv != PROFILE_ALLOC_OBJECTS && pv != PROFILE_INUSE_OBJECTS)
		fprintf(g->f, " (%s%s)", fmt_bytes(v, human, sizeof(human)),
			pv == PROFILE_GROWTH ? "/h" : "");
	fprintf(g->f, ", %.2f%%", g->total ? 100.0 * v / g->total : 0.0);
}

/* A frame of the graph at depth d (the root at 0), its value starting at start. */
static void frame(struct fg *g, const struct open_frame *of, uint32_t d)
{
	double x = PAD + of->start * g->scale, w = of->value * g->scale;
	char buf[64], fill[32];
	const char *name = ref_name(g, of->ref, buf, sizeof(buf));
	unsigned y = TOP + d * FRAME_H;
	size_t fit = w > 3 * SVG_CHAR_PX ? (size_t)((w - 6) / SVG_CHAR_PX) : 0;

	if (w < FLAMEGRAPH_MIN_PX)
		return;
	color(g, of->ref, name, fill, sizeof(fill));
	fprintf(g->f, "<g class=\"f\" data-x=\"%.6f\" data-w=\"%.6f\" data-d=\"%u\" data-n=\"",
		(double)of->start / g->total, (double)of->value / g->total, d);
	svg__text(g->f, name, 0);
	fputs("\"><title>", g->f);
	svg__text(g->f, name, 0);
	if (ref_inlined(g, of->ref))
		fputs(" (inlined)", g->f);
	fputs(": ", g->f);
	figures(g, of->value);
	fprintf(g->f, "</title><rect x=\"%.2f\" y=\"%u\" width=\"%.2f\" height=\"%u\" fill=\"%s\" "
		      "rx=\"2\"/><text x=\"%.2f\" y=\"%u\">",
		x, y, w, FRAME_H - 1, fill, x + 3, y + FRAME_H - 4);
	if (fit >= 3)
		svg__text(g->f, name, fit);
	fputs("</text></g>\n", g->f);
}

/*
 * One sweep over the sorted paths: a frame opens where a path leaves the one
 * before it and is drawn when a later path leaves it, with all it held.
 */
static int sweep(struct fg *g)
{
	struct open_frame *open = calloc(g->max_len + 1, sizeof(*open));
	uint32_t depth = 0, prev = 0, i, k, c;
	int64_t at = 0;

	if (!open)
		return -ENOMEM;
	open[0].ref = (struct fref){ 0 };
	for (i = 0; i < g->nr; i++) {
		uint32_t s = g->order[i];
		const struct fref *path = g->frames + g->first[s];
		int64_t v = g->p->samples[s].value[g->o->value];

		c = 0;
		if (i) {
			const struct fref *pp = g->frames + g->first[prev];

			while (c < g->len[s] && c < g->len[prev] && !cmp_ref(g, path[c], pp[c]))
				c++;
		}
		for (; depth > c; depth--)
			frame(g, &open[depth], depth);
		for (k = c; k < g->len[s]; k++)
			open[k + 1] = (struct open_frame){ .ref = path[k], .start = at };
		depth = g->len[s];
		for (k = 0; k <= depth; k++)
			open[k].value += v;
		at += v;
		prev = s;
	}
	for (; depth > 0; depth--)
		frame(g, &open[depth], depth);
	frame(g, &open[0], 0);
	free(open);
	return 0;
}

/*
 * Zoom: a click on a frame widens it to the page, its ancestors span it, frames
 * beside it are hidden.  Search: frames whose name matches a regular expression
 * turn purple, and the share they cover shows.  Labels are cut to fit again.
 */
static const char script[] =
	"<script type=\"text/ecmascript\"><![CDATA[\n"
	"var W, PAD = 10, CH = 7.3, fr = [], zoomed = null;\n"
	"function fit(g, w) {\n"
	"  var t = g.querySelector('text'), n = g.getAttribute('data-n'), m ="
		" Math.floor((w - 6) / CH);\n"
	"  t.textContent = m < 3 ? '' : n.length <= m ? n : n.substring(0, m - 2) + '..';\n"
	"}\n"
	"function place(g, x, w) {\n"
	"  var r = g.querySelector('rect'), t = g.querySelector('text');\n"
	"  r.setAttribute('x', x); r.setAttribute('width', w); t.setAttribute('x', x + 3);"
		" fit(g, w);\n"
	"}\n"
	"function zoom(g) {\n"
	"  var x0 = +g.getAttribute('data-x'), w0 = +g.getAttribute('data-w'), d0 ="
		" +g.getAttribute('data-d');\n"
	"  var span = W - 2 * PAD;\n"
	"  fr.forEach(function (e) {\n"
	"    var x = +e.getAttribute('data-x'), w = +e.getAttribute('data-w'), d ="
		" +e.getAttribute('data-d');\n"
	"    var inside = x >= x0 - 1e-9 && x + w <= x0 + w0 + 1e-9, above = d < d0 && x"
		" <= x0 + 1e-9 && x + w >= x0 + w0 - 1e-9;\n"
	"    if (above) { e.style.display = ''; e.style.opacity = 0.6; place(e, PAD, span); }\n"
	"    else if (inside && d >= d0) { e.style.display = ''; e.style.opacity = 1;\n"
	"      place(e, PAD + (x - x0) / w0 * span, w / w0 * span); }\n"
	"    else e.style.display = 'none';\n"
	"  });\n"
	"  document.getElementById('reset').style.display = '';\n"
	"}\n"
	"function reset() {\n"
	"  fr.forEach(function (e) { e.style.display = ''; e.style.opacity = 1;\n"
	"    place(e, PAD + +e.getAttribute('data-x') * (W - 2 * PAD),"
		" +e.getAttribute('data-w') * (W - 2 * PAD)); });\n"
	"  document.getElementById('reset').style.display = 'none';\n"
	"}\n"
	"function search() {\n"
	"  var re = prompt('Search frames (regular expression)', ''), iv = [], sum = 0, end = -1;\n"
	"  if (re === null) return;\n"
	"  try { re = new RegExp(re); } catch (ex) { return; }\n"
	"  fr.forEach(function (e) {\n"
	"    var r = e.querySelector('rect'), hit = re.source !== '(?:)' &&"
		" re.test(e.getAttribute('data-n'));\n"
	"    if (!r.hasAttribute('data-fill')) r.setAttribute('data-fill',"
		" r.getAttribute('fill'));\n"
	"    r.setAttribute('fill', hit ? 'rgb(230,0,230)' : r.getAttribute('data-fill'));\n"
	"    if (hit) iv.push([+e.getAttribute('data-x'), +e.getAttribute('data-x') +"
		" +e.getAttribute('data-w')]);\n"
	"  });\n"
	"  iv.sort(function (a, b) { return a[0] - b[0]; });\n"
	"  iv.forEach(function (v) { if (v[1] > end) { sum += v[1] - Math.max(v[0], end);"
		" end = v[1]; } });\n"
	"  document.getElementById('matched').textContent = iv.length ? 'Matched: ' + (100"
		" * sum).toFixed(2) + '%' : '';\n"
	"}\n"
	"window.addEventListener('load', function () {\n"
	"  var svg = document.documentElement, det = document.getElementById('details');\n"
	"  W = +svg.getAttribute('width');\n"
	"  fr = Array.prototype.slice.call(document.querySelectorAll('g.f'));\n"
	"  fr.forEach(function (e) {\n"
	"    e.addEventListener('click', function () { zoom(e); });\n"
	"    e.addEventListener('mouseover', function () { det.textContent ="
		" e.querySelector('title').textContent; });\n"
	"    e.addEventListener('mouseout', function () { det.textContent = ' '; });\n"
	"  });\n"
	"  document.getElementById('reset').addEventListener('click', reset);\n"
	"  document.getElementById('search').addEventListener('click', search);\n"
	"});\n"
	"]]></script>\n";

int flamegraph__write(FILE *f, const struct profile *p, const struct flamegraph_opts *o)
{
	unsigned width = o->width ? o->width : 1200, height;
	struct fg g = { .p = p, .o = o, .f = f };
	const char *what;
	char title[160];
	int err = -ENOMEM;

	if ((unsigned)o->value >= PROFILE__NR_VALUES || width < 200 || width > 100000)
		return -EINVAL;
	err = paths(&g);
	if (err)
		goto out;
	what = o->value == PROFILE_GROWTH ? "Growth" :
	       o->value == PROFILE_INUSE_SPACE ? "Live bytes" :
	       o->value == PROFILE_INUSE_OBJECTS ? "Live allocations" :
	       o->value == PROFILE_ALLOC_SPACE ? "Bytes allocated" : "Allocations";
	if (o->title)
		snprintf(title, sizeof(title), "%s", o->title);
	else
		snprintf(title, sizeof(title), "%s of pid %" PRIu64 " (%s)", what, p->pid,
			 p->comm ? p->comm : "?");
	height = TOP + (g.max_len + 1) * FRAME_H + BOTTOM;
	g.scale = g.total ? (width - 2.0 * PAD) / g.total : 0;

	svg__begin(f, width, height);
	fputs("<style>text { font-family: monospace; font-size: 12px; fill: #000; }\n"
	      "#title { font-size: 17px; } .btn { cursor: pointer; fill: #0645ad; }\n"
	      "g.f { cursor: pointer; } g.f:hover rect { stroke: #000; stroke-width: 0.5; }\n"
	      "</style>\n", f);
	fputs(script, f);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%u\" height=\"%u\" fill=\"#f8f8f8\"/>\n", width,
		height);
	fprintf(f, "<text id=\"title\" x=\"%u\" y=\"24\" text-anchor=\"middle\">", width / 2);
	svg__text(f, title, 0);
	fprintf(f, "</text>\n<text id=\"subtitle\" x=\"%u\" y=\"44\" text-anchor=\"middle\">"
		   "Total: ", width / 2);
	figures(&g, g.total);
	fprintf(f, " in %u stacks; click a frame to zoom, hover for figures</text>\n",
		p->nr_samples);
	if (p->warning) {
		fprintf(f, "<text id=\"warning\" x=\"%u\" y=\"60\" text-anchor=\"middle\" "
			   "style=\"fill:#c00\">INCOMPLETE: ", width / 2);
		svg__text(f, p->warning, 0);
		fputs("</text>\n", f);
	}
	fprintf(f, "<text id=\"reset\" class=\"btn\" x=\"%u\" y=\"24\" style=\"display:none\">"
		   "Reset zoom</text>\n", PAD);
	fprintf(f, "<text id=\"search\" class=\"btn\" x=\"%u\" y=\"24\" text-anchor=\"end\">"
		   "Search</text>\n", width - PAD);
	fprintf(f, "<text id=\"details\" x=\"%u\" y=\"%u\"> </text>\n", PAD, height - 10);
	fprintf(f, "<text id=\"matched\" x=\"%u\" y=\"%u\" text-anchor=\"end\"> </text>\n",
		width - PAD, height - 10);
	if (!g.total)
		fprintf(f, "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\">Nothing to show: no "
			   "sample has a positive figure</text>\n", width / 2, TOP + 12);
	fputs("<g id=\"frames\">\n", f);
	err = g.total ? sweep(&g) : 0;
	fputs("</g>\n</svg>\n", f);
	if (!err && (fflush(f) || ferror(f)))
		err = -EIO;
out:
	free(g.frames);
	free(g.first);
	free(g.len);
	free(g.order);
	return err;
}
