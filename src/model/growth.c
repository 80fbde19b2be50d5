// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "model/growth.h"

int series__init(struct series *s, uint32_t cap)
{
	memset(s, 0, sizeof(*s));
	s->t = calloc(cap ? cap : 1, sizeof(*s->t));
	s->v = calloc(cap ? cap : 1, sizeof(*s->v));
	if (!s->t || !s->v) {
		series__destroy(s);
		return -ENOMEM;
	}
	s->cap = cap ? cap : 1;
	return 0;
}

void series__destroy(struct series *s)
{
	if (!s)
		return;
	free(s->t);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

void series__add(struct series *s, uint64_t t_ns, uint64_t v)
{
	uint32_t i;

	if (!s->cap)
		return;
	if (s->n == s->cap) {
		s->t[s->head] = t_ns;
		s->v[s->head] = v;
		s->head = (s->head + 1) % s->cap;
		return;
	}
	i = (s->head + s->n) % s->cap;
	s->t[i] = t_ns;
	s->v[i] = v;
	s->n++;
}

void series__growth(const struct series *s, uint64_t since_ns, struct growth *ret)
{
	double st = 0, sv = 0, stt = 0, stv = 0, t0 = 0, v0 = 0;
	uint32_t k, up = 0, moved = 0;
	uint64_t first_t = 0, last_t = 0, first_v = 0, prev = 0;
	bool have = false;

	memset(ret, 0, sizeof(*ret));
	for (k = 0; k < s->n; k++) {
		uint32_t i = (s->head + k) % s->cap;
		double t, v;

		if (s->t[i] < since_ns)
			continue;
		if (!have) {
			/* Relative to the first sample: keeps the sums small and exact. */
			t0 = s->t[i];
			v0 = s->v[i];
			first_t = s->t[i];
			first_v = s->v[i];
			have = true;
		} else if (s->v[i] != prev) {
			moved++;
			up += s->v[i] > prev;
		}
		prev = s->v[i];
		last_t = s->t[i];
		t = (s->t[i] - t0) / 1e9;
		v = s->v[i] - v0;
		st += t;
		sv += v;
		stt += t * t;
		stv += t * v;
		ret->samples++;
	}
	if (ret->samples < 2)
		return;
	ret->delta = (int64_t)(prev - first_v);
	ret->span_ns = last_t - first_t;
	ret->steady = moved ? (double)up / moved : 0;
	{
		double n = ret->samples, den = n * stt - st * st;

		if (den > 0)
			ret->per_hour = (n * stv - st * sv) / den * 3600;
	}
}
