// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <stdbool.h>

#include "present/svg.h"

/* Length of the UTF-8 sequence at p, 0 when it is not one (overlong, surrogate ...). */
static int utf8_seq(const unsigned char *p)
{
	int n, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
		return 0;
	return n;
}

size_t svg__chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	int len;

	while (*p) {
		len = utf8_seq(p);
		p += len ? len : 1;
		n++;
	}
	return n;
}

void svg__text(FILE *f, const char *s, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t total = svg__chars(s), n = 0;
	bool cut = max_chars && total > max_chars;
	int len;

	if (cut && max_chars <= 2) {
		fputs(max_chars == 2 ? ".." : ".", f);
		return;
	}
	while (*p && (!cut || n < max_chars - 2)) {
		len = utf8_seq(p);
		if (!len || (len == 1 && (*p < 0x20 || *p == 0x7f))) {
			fputc('?', f);
			p++;
		} else if (len > 1) {
			fwrite(p, 1, len, f);
			p += len;
		} else {
			switch (*p) {
			case '<': fputs("&lt;", f); break;
			case '>': fputs("&gt;", f); break;
			case '&': fputs("&amp;", f); break;
			case '"': fputs("&quot;", f); break;
			case '\'': fputs("&apos;", f); break;
			default: fputc(*p, f);
			}
			p++;
		}
		n++;
	}
	if (cut)
		fputs("..", f);
}

void svg__begin(FILE *f, unsigned width, unsigned height)
{
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%u\" "
		   "height=\"%u\" viewBox=\"0 0 %u %u\">\n",
		width, height, width, height);
}
