// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/fnv.h"
#include "base/hashtab.h"
#include "present/diff.h"

/* A string and its terminator: "ab"+"c" is not "a"+"bc". */
static uint64_t fnv_field(uint64_t h, const char *s)
{
	return fnv_bytes(h, s, strlen(s) + 1);
}

uint64_t stack_snap__key(const struct stack_snap *s)
{
	uint64_t h = fnv_bytes(FNV_OFFSET, &s->level, sizeof(s->level));

	for (uint32_t i = 0; i < s->nr_frames; i++) {
		const struct frame_snap *f = &s->frames[i];

		/* The file (by build-id where there is one) and the offset in it. */
		if (f->build_id && f->build_id[0] && !f->jit) {
			h = fnv_field(h, f->build_id);
			h = fnv_bytes(h, &f->offset, sizeof(f->offset));
		} else if (f->module_path && !f->jit) {
			h = fnv_field(h, f->module_path);
			h = fnv_bytes(h, &f->offset, sizeof(f->offset));
		} else if (f->real.function) {
			h = fnv_field(h, f->real.function);	/* JIT code moves */
		} else {
			h = fnv_bytes(h, &f->pc, sizeof(f->pc));
		}
	}
	return h ? h : 1;	/* 0 is the hash table's empty slot */
}

struct match {
	uint64_t key;
	size_t row;
};

/* Changes either way, the largest first, growth before shrinkage. */
static int cmp_rows(const void *x, const void *y)
{
	const struct diff_row *a = x, *b = y;

	if ((a->delta_bytes > 0) != (b->delta_bytes > 0))
		return a->delta_bytes > 0 ? -1 : 1;
	if (a->delta_bytes != b->delta_bytes)
		return a->delta_bytes > 0 ? (a->delta_bytes > b->delta_bytes ? -1 : 1) :
					    (a->delta_bytes < b->delta_bytes ? 1 : -1);
	return a->delta_count > b->delta_count ? -1 : a->delta_count < b->delta_count;
}

static int add(struct hashtab *idx, struct diff_row **rows, size_t *n, size_t *cap,
	       const struct stack_snap *s, bool in_b)
{
	struct match *m;
	struct diff_row *r;
	bool is_new;

	m = hashtab__upsert(idx, stack_snap__key(s), &is_new);
	if (!m)
		return -ENOMEM;
	if (is_new) {
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 64;
			struct diff_row *v = realloc(*rows, nc * sizeof(*v));

			if (!v)
				return -ENOMEM;
			*rows = v;
			*cap = nc;
		}
		m->row = (*n)++;
		memset(&(*rows)[m->row], 0, sizeof(**rows));
	}
	r = &(*rows)[m->row];
	/* The same code may appear in several processes: their figures add up. */
	if (in_b) {
		r->bytes_b += s->bytes;
		r->count_b += s->count;
		r->stack = s;
	} else {
		r->bytes_a += s->bytes;
		r->count_a += s->count;
		if (!r->stack)
			r->stack = s;
	}
	return 0;
}

int diff__compute(const struct stack_list *a, const struct stack_list *b, uint32_t limit,
		  struct diff_snap *ret)
{
	struct diff_row *rows = NULL;
	size_t n = 0, cap = 0, i, k = 0;
	struct hashtab idx;
	int err = 0;

	memset(ret, 0, sizeof(*ret));
	if (hashtab__init(&idx, sizeof(struct match), 64))
		return -ENOMEM;
	for (i = 0; i < a->n && !err; i++) {
		ret->bytes_a += a->v[i].bytes;
		err = add(&idx, &rows, &n, &cap, &a->v[i], false);
	}
	for (i = 0; i < b->n && !err; i++) {
		ret->bytes_b += b->v[i].bytes;
		err = add(&idx, &rows, &n, &cap, &b->v[i], true);
	}
	hashtab__destroy(&idx);
	if (err) {
		free(rows);
		return err;
	}
	for (i = 0; i < n; i++) {
		struct diff_row *r = &rows[i];

		r->delta_bytes = (int64_t)(r->bytes_b - r->bytes_a);
		r->delta_count = (int64_t)(r->count_b - r->count_a);
		if (!r->delta_bytes && !r->delta_count) {
			ret->unchanged++;
			continue;
		}
		if (r->delta_bytes > 0 || (!r->delta_bytes && r->delta_count > 0))
			ret->grew++;
		else
			ret->shrank++;
		rows[k++] = *r;
	}
	qsort(rows, k, sizeof(*rows), cmp_rows);
	if (limit && k > limit) {
		/* Keep the largest changes both ways: growth from the front, shrinkage from the end. */
		size_t up = 0, keep_up, keep_down;

		while (up < k && (rows[up].delta_bytes > 0 ||
				  (!rows[up].delta_bytes && rows[up].delta_count > 0)))
			up++;
		keep_up = up < limit ? up : (k - up < limit / 2 ? limit - (k - up) : limit - limit / 2);
		keep_down = limit - keep_up;
		memmove(rows + keep_up, rows + k - keep_down, keep_down * sizeof(*rows));
		ret->left_out = k - limit;
		k = limit;
	}
	ret->rows = rows;
	ret->n = k;
	return 0;
}

void diff_snap__free(struct diff_snap *d)
{
	if (!d)
		return;
	free(d->rows);
	d->rows = NULL;
	d->n = 0;
}
