// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/wire.h"

void wbuf__init(struct wbuf *w, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->max = max;
}

void wbuf__destroy(struct wbuf *w)
{
	free(w->p);
	w->p = NULL;
	w->n = w->cap = 0;
}

void wbuf__bytes(struct wbuf *w, const void *v, size_t n)
{
	if (w->err)
		return;
	if (n > w->max - w->n) {
		w->err = -E2BIG;
		return;
	}
	if (w->n + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		uint8_t *np;

		while (cap < w->n + n)
			cap *= 2;
		if (cap > w->max)
			cap = w->max;
		np = realloc(w->p, cap);
		if (!np) {
			w->err = -ENOMEM;
			return;
		}
		w->p = np;
		w->cap = cap;
	}
	memcpy(w->p + w->n, v, n);
	w->n += n;
}

void wbuf__u8(struct wbuf *w, uint8_t v)
{
	wbuf__bytes(w, &v, 1);
}

void wbuf__u32(struct wbuf *w, uint32_t v)
{
	wbuf__bytes(w, &v, sizeof(v));
}

void wbuf__u64(struct wbuf *w, uint64_t v)
{
	wbuf__bytes(w, &v, sizeof(v));
}

void wbuf__f64(struct wbuf *w, double v)
{
	wbuf__bytes(w, &v, sizeof(v));
}

void wbuf__str(struct wbuf *w, const char *s, size_t max_len)
{
	size_t n = s ? strnlen(s, max_len) : 0;

	wbuf__u32(w, (uint32_t)n);
	wbuf__bytes(w, s, n);
}

void rbuf__init(struct rbuf *r, const void *p, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->p = p;
	r->n = n;
}

bool rbuf__fail(struct rbuf *r, const char *why)
{
	if (!r->bad)
		r->why = why;
	r->bad = true;
	return false;
}

bool rbuf__bytes(struct rbuf *r, void *ret, size_t n)
{
	if (r->bad || n > r->n - r->off) {
		memset(ret, 0, n);
		return rbuf__fail(r, "truncated");
	}
	memcpy(ret, r->p + r->off, n);
	r->off += n;
	return true;
}

uint8_t rbuf__u8(struct rbuf *r)
{
	uint8_t v;

	rbuf__bytes(r, &v, sizeof(v));
	return v;
}

uint32_t rbuf__u32(struct rbuf *r)
{
	uint32_t v;

	rbuf__bytes(r, &v, sizeof(v));
	return v;
}

uint64_t rbuf__u64(struct rbuf *r)
{
	uint64_t v;

	rbuf__bytes(r, &v, sizeof(v));
	return v;
}

double rbuf__f64(struct rbuf *r)
{
	double v;

	rbuf__bytes(r, &v, sizeof(v));
	if (!isfinite(v)) {
		rbuf__fail(r, "a figure is not a number");
		return 0;
	}
	return v;
}

bool rbuf__str(struct rbuf *r, char *ret, size_t size)
{
	uint32_t n = rbuf__u32(r);

	ret[0] = '\0';
	if (r->bad)
		return false;
	if (n >= size)
		return rbuf__fail(r, "a string is too long");
	if (!rbuf__bytes(r, ret, n))
		return false;
	ret[n] = '\0';
	if (strlen(ret) != n)
		return rbuf__fail(r, "a string holds a NUL");
	return true;
}

uint32_t rbuf__count(struct rbuf *r, size_t item_size, uint64_t max)
{
	uint32_t n = rbuf__u32(r);

	if (r->bad)
		return 0;
	if (n > max || (item_size && n > (r->n - r->off) / item_size)) {
		rbuf__fail(r, "a count is larger than the file or its bound");
		return 0;
	}
	return n;
}
