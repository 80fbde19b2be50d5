/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* What leakd's SVG renderers share: text made safe for XML, the page's frame. */
#ifndef LEAKD_SVG_H
#define LEAKD_SVG_H

#include <stddef.h>
#include <stdio.h>

/* Glyph width of the monospace font at the size frames are labelled in, in px. */
#define SVG_CHAR_PX 7.3

/*
 * Writes s as XML character data or attribute text: markup escaped, control
 * characters and bytes that are not UTF-8 as '?'; at most max_chars characters,
 * the last two ".." when it was cut (max_chars 0: all of it).
 */
void svg__text(FILE *f, const char *s, size_t max_chars);
/* Characters (not bytes) of s as svg__text counts them. */
size_t svg__chars(const char *s);
/* The XML declaration and the opening <svg> of a width x height page. */
void svg__begin(FILE *f, unsigned width, unsigned height);

#endif
