// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/hashtab.h"
#include "base/units.h"
#include "present/flamegraph.h"
#include "present/svg.h"

#define FRAME_H 16
#define TOP 66			/* title, subtitle, buttons */
#define BOTTOM 30		/* the line that shows the frame under the pointer */
#define PAD 10

struct fg_node {
	const struct profile_location *loc;	/* NULL: the root */
	uint32_t line;
	uint32_t parent, depth;
	uint32_t first_child, next_sibling;	/* 0: none (node 0 is the root) */
	int64_t value;
};

struct fg_slot {
	uint64_t key;
	uint32_t node;
	uint32_t _pad;
};

struct fg {
	const struct profile *p;
	const struct flamegraph_opts *o;
	struct fg_node *nodes;
	uint32_t nr_nodes, cap_nodes, max_depth;
	struct hashtab index;		/* struct fg_slot: (parent, name) -> node */
	FILE *f;
	double scale;			/* px per unit of value */
	uint64_t frames_shown;
};

static const char *node_name(const struct fg *g, const struct fg_node *n, char *buf, size_t size)
{
	if (!n->loc)
		return "all";
	return profile__frame_name(g->p, n->loc, n->line, buf, size);
}

static bool node_inlined(const struct fg_node *n)
{
	return n->loc && n->line < n->loc->nr_lines && n->loc->lines[n->line].inlined;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* The child of parent with this frame's name, made when new; 0 when out of memory. */
static uint32_t child(struct fg *g, uint32_t parent, const struct profile_location *l,
		      uint32_t line)
{
	struct fg_node probe = { .loc = l, .line = line };
	char buf[64], buf2[64];
	const char *name = node_name(g, &probe, buf, sizeof(buf));
	bool inl = node_inlined(&probe);
	uint64_t key;

	key = hash_str((0xcbf29ce484222325ULL ^ parent) * 0x100000001b3ULL + inl, name);
	for (;; key = key * 0x9e3779b97f4a7c15ULL + 1) {
		struct fg_slot *slot;
		struct fg_node *n;
		bool is_new;

		slot = hashtab__upsert(&g->index, key | 1, &is_new);
		if (!slot)
			return 0;
		if (!is_new) {
			n = &g->nodes[slot->node];
			if (n->parent == parent && node_inlined(n) == inl &&
			    !strcmp(node_name(g, n, buf2, sizeof(buf2)), name))
				return slot->node;
			continue;
		}
		if (g->nr_nodes == g->cap_nodes) {
			uint32_t ncap = 2 * g->cap_nodes;
			struct fg_node *nn = ncap > g->cap_nodes ?
					     realloc(g->nodes, ncap * sizeof(*nn)) : NULL;

			if (!nn) {
				hashtab__remove(&g->index, key | 1, NULL);
				return 0;
			}
			g->nodes = nn;
			g->cap_nodes = ncap;
		}
		n = &g->nodes[g->nr_nodes];
		*n = probe;
		n->parent = parent;
		n->depth = g->nodes[parent].depth + 1;
		n->next_sibling = g->nodes[parent].first_child;
		g->nodes[parent].first_child = g->nr_nodes;
		if (n->depth > g->max_depth)
			g->max_depth = n->depth;
		slot->node = g->nr_nodes;
		return g->nr_nodes++;
	}
}

static int build(struct fg *g)
{
	const struct profile *p = g->p;
	uint32_t i, j, k;

	for (i = 0; i < p->nr_samples; i++) {
		const struct profile_sample *s = &p->samples[i];
		int64_t v = s->value[g->o->value];
		uint32_t node = 0;

		if (v <= 0)
			continue;
		g->nodes[0].value += v;
		for (j = s->nr_locs; j-- > 0;) {
			const struct profile_location *l = &p->locations[s->locs[j] - 1];
			uint32_t n = l->nr_lines ? l->nr_lines : 1;

			for (k = n; k-- > 0;) {
				node = child(g, node, l, k);
				if (!node)
					return -ENOMEM;
				g->nodes[node].value += v;
			}
		}
	}
	return 0;
}

/* flamegraph.pl's warm colours, from the name so that a function keeps its colour. */
static void color(const struct fg *g, const struct fg_node *n, const char *name, char *buf,
		  size_t size)
{
	uint64_t h = hash_str(0xcbf29ce484222325ULL, name);
	unsigned a, b, c;

	/* Mixed, so that names alike get colours apart. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	a = h & 0xff;
	b = (h >> 8) & 0xff;
	c = (h >> 16) & 0xff;

	if (!n->loc)
		snprintf(buf, size, "rgb(200,200,200)");
	else if (name[0] == '[')
		snprintf(buf, size, "rgb(%u,%u,%u)", 170 + c / 8, 170 + c / 8, 170 + c / 8);
	else if (node_inlined(n))
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
	fprintf(g->f, ", %.2f%%", g->nodes[0].value ? 100.0 * v / g->nodes[0].value : 0.0);
}

static int cmp_names(const void *a, const void *b, void *ctx)
{
	const struct fg *g = ctx;
	const struct fg_node *x = &g->nodes[*(const uint32_t *)a];
	const struct fg_node *y = &g->nodes[*(const uint32_t *)b];
	char bx[64], by[64];
	int c = strcmp(node_name(g, x, bx, sizeof(bx)), node_name(g, y, by, sizeof(by)));

	return c ? c : node_inlined(x) - node_inlined(y);
}

static void frame(struct fg *g, uint32_t i, double x, double w)
{
	const struct fg_node *n = &g->nodes[i];
	double total = g->nodes[0].value;
	char buf[64], fill[32];
	const char *name = node_name(g, n, buf, sizeof(buf));
	unsigned y = TOP + n->depth * FRAME_H;
	size_t fit = w > 3 * SVG_CHAR_PX ? (size_t)((w - 6) / SVG_CHAR_PX) : 0;

	color(g, n, name, fill, sizeof(fill));
	fprintf(g->f, "<g class=\"f\" data-x=\"%.6f\" data-w=\"%.6f\" data-d=\"%u\" data-n=\"",
		total ? (x - PAD) / g->scale / total : 0, total ? n->value / total : 0, n->depth);
	svg__text(g->f, name, 0);
	fputs("\"><title>", g->f);
	svg__text(g->f, name, 0);
	if (node_inlined(n))
		fputs(" (inlined)", g->f);
	fputs(": ", g->f);
	figures(g, n->value);
	fprintf(g->f, "</title><rect x=\"%.2f\" y=\"%u\" width=\"%.2f\" height=\"%u\" fill=\"%s\" "
		      "rx=\"2\"/><text x=\"%.2f\" y=\"%u\">",
		x, y, w, FRAME_H - 1, fill, x + 3, y + FRAME_H - 4);
	if (fit >= 3)
		svg__text(g->f, name, fit);
	fputs("</text></g>\n", g->f);
	g->frames_shown++;
}

static int layout(struct fg *g, uint32_t i, double x)
{
	uint32_t *kids, nk = 0, c, k;
	double w = g->nodes[i].value * g->scale;
	int err = 0;

	if (w < FLAMEGRAPH_MIN_PX)
		return 0;
	frame(g, i, x, w);
	for (c = g->nodes[i].first_child; c; c = g->nodes[c].next_sibling)
		nk++;
	if (!nk)
		return 0;
	kids = malloc(nk * sizeof(*kids));
	if (!kids)
		return -ENOMEM;
	nk = 0;
	for (c = g->nodes[i].first_child; c; c = g->nodes[c].next_sibling)
		kids[nk++] = c;
	qsort_r(kids, nk, sizeof(*kids), cmp_names, g);
	for (k = 0; k < nk && !err; k++) {
		err = layout(g, kids[k], x);
		x += g->nodes[kids[k]].value * g->scale;
	}
	free(kids);
	return err;
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
	g.cap_nodes = 256;
	g.nodes = calloc(g.cap_nodes, sizeof(*g.nodes));
	if (!g.nodes || hashtab__init(&g.index, sizeof(struct fg_slot), 256))
		goto out;
	g.nr_nodes = 1;
	err = build(&g);
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
	height = TOP + (g.max_depth + 1) * FRAME_H + BOTTOM;
	g.scale = g.nodes[0].value ? (width - 2.0 * PAD) / g.nodes[0].value : 0;

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
	figures(&g, g.nodes[0].value);
	fprintf(f, " in %u stacks; click a frame to zoom, hover for figures</text>\n",
		p->nr_samples);
	fprintf(f, "<text id=\"reset\" class=\"btn\" x=\"%u\" y=\"24\" style=\"display:none\">"
		   "Reset zoom</text>\n", PAD);
	fprintf(f, "<text id=\"search\" class=\"btn\" x=\"%u\" y=\"24\" text-anchor=\"end\">"
		   "Search</text>\n", width - PAD);
	fprintf(f, "<text id=\"details\" x=\"%u\" y=\"%u\"> </text>\n", PAD, height - 10);
	fprintf(f, "<text id=\"matched\" x=\"%u\" y=\"%u\" text-anchor=\"end\"> </text>\n",
		width - PAD, height - 10);
	if (!g.nodes[0].value)
		fprintf(f, "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\">Nothing to show: no "
			   "sample has a positive figure</text>\n", width / 2, TOP + 12);
	fputs("<g id=\"frames\">\n", f);
	err = g.nodes[0].value ? layout(&g, 0, PAD) : 0;
	fputs("</g>\n</svg>\n", f);
	if (!err && (fflush(f) || ferror(f)))
		err = -EIO;
out:
	free(g.nodes);
	hashtab__destroy(&g.index);
	return err;
}
