// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/histories.h"

struct stack_series {
	uint64_t key;			/* see series_key(); never 0 */
	struct history h;
};

/* pid, stack index and level in one key: levels take the low 2 bits. */
#define LEVEL_BITS 2
_Static_assert(LEVEL__COUNT <= 1 << LEVEL_BITS, "levels fit their bits");

static uint64_t series_key(pid_t pid, uint32_t stack, enum level l)
{
	uint64_t key = (uint64_t)(uint32_t)pid << 32 |
		       (uint64_t)(stack & (UINT32_MAX >> LEVEL_BITS)) << LEVEL_BITS | l;

	return key ? key : 1ull << 63;	/* 0 is the hash table's empty slot; pid 0 has none */
}

int histories__init(struct histories *hs, const struct histories_limits *l)
{
	memset(hs, 0, sizeof(*hs));
	hs->limits = *l;
	return hashtab__init(&hs->series, sizeof(struct stack_series), 64);
}

void histories__destroy(struct histories *hs)
{
	struct stack_series *s;
	size_t i;

	if (!hs || !hs->series.slots)
		return;
	hashtab__for_each(&hs->series, i, s)
		history__destroy(&s->h);
	hashtab__destroy(&hs->series);
}

void histories__sample(struct histories *hs, const struct proc_mem *p, uint64_t now_ns)
{
	for (uint32_t i = 0; i < p->nr_stacks; i++) {
		const struct proc_stack *st = p->stacks[i];

		for (int l = 0; l < LEVEL__COUNT; l++) {
			uint64_t key = series_key(p->pid, i, l);
			uint64_t v[HIST__VALUES];
			double b, c, sb, sc;

			/* A sampled stack's history is of its estimates (exact part included). */
			proc_stack__live(st, l, &b, &c, &sb, &sc);
			v[HIST_BYTES] = b > 0 ? (uint64_t)llround(b) : 0;
			v[HIST_COUNT] = c > 0 ? (uint64_t)llround(c) : 0;
			struct stack_series *s = hashtab__get(&hs->series, key);
			bool is_new;

			if (!s) {
				/* Stacks that never held memory here need no history. */
				if (!v[HIST_BYTES])
					continue;
				if (hs->series.count >= hs->limits.max_series) {
					hs->dropped++;
					continue;
				}
				s = hashtab__upsert(&hs->series, key, &is_new);
				if (!s || history__init(&s->h, hs->limits.points, HIST__VALUES)) {
					if (s)
						hashtab__remove(&hs->series, key, NULL);
					hs->dropped++;
					continue;
				}
			}
			history__add(&s->h, now_ns, v);
		}
	}
}

const struct history *histories__get(const struct histories *hs, pid_t pid, uint32_t stack,
				     enum level l)
{
	const struct stack_series *s = hashtab__get(&hs->series, series_key(pid, stack, l));

	return s ? &s->h : NULL;
}

void histories__forget_proc(struct histories *hs, pid_t pid)
{
	struct stack_series *s, copy;
	uint64_t *keys;
	size_t i, n = 0;

	hashtab__for_each(&hs->series, i, s)
		n += s->key >> 32 == (uint32_t)pid;
	if (!n)
		return;
	/* Removal moves entries between slots: collect the keys, then remove. */
	keys = malloc(n * sizeof(*keys));
	if (!keys) {
		/* Slower, without memory: start over after each removal. */
		for (i = 0; i < hashtab__capacity(&hs->series); i++) {
			s = hashtab__slot(&hs->series, i);
			if (s && s->key >> 32 == (uint32_t)pid) {
				hashtab__remove(&hs->series, s->key, &copy);
				history__destroy(&copy.h);
				i = (size_t)-1;
			}
		}
		return;
	}
	n = 0;
	hashtab__for_each(&hs->series, i, s)
		if (s->key >> 32 == (uint32_t)pid)
			keys[n++] = s->key;
	for (i = 0; i < n; i++)
		if (!hashtab__remove(&hs->series, keys[i], &copy))
			history__destroy(&copy.h);
	free(keys);
}

size_t histories__memory(const struct histories *hs)
{
	const struct stack_series *s;
	size_t i, n = hashtab__memory(&hs->series);

	hashtab__for_each(&hs->series, i, s)
		n += history__memory(&s->h);
	return n;
}
