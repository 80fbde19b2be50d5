// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/macros.h"
#include "model/ages.h"

const uint64_t age_bucket_limits_s[AGE_BUCKETS - 1] = { 10, 60, 600, 3600, 6 * 3600, 86400 };

struct ts_list {
	uint64_t *v;
	size_t n, cap;
};

static int push(struct ts_list *l, uint64_t ts)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		uint64_t *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = ts;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static unsigned int bucket(uint64_t age_ns)
{
	unsigned int i;

	for (i = 0; i < AGE_BUCKETS - 1; i++)
		if (age_ns < age_bucket_limits_s[i] * 1000000000ULL)
			break;
	return i;
}

static int add(struct ts_list *lists, struct stack_ages *ret, int32_t row, uint64_t ts,
	       uint64_t bytes, uint64_t now_ns)
{
	uint64_t age = now_ns > ts ? now_ns - ts : 0;
	unsigned int b = bucket(age);

	ret[row].count++;
	ret[row].counts[b]++;
	ret[row].bytes[b] += bytes;
	return push(&lists[row], ts);
}

int proc_mem__ages(const struct proc_mem *p, enum level l, const uint32_t *stacks, size_t n,
		   uint64_t now_ns, struct stack_ages *ret)
{
	struct ts_list *lists = calloc(n ? n : 1, sizeof(*lists));
	int32_t *row = calloc(p->nr_stacks ? p->nr_stacks : 1, sizeof(*row));
	const struct live_alloc *a;
	size_t i;
	int err = 0;

	memset(ret, 0, n * sizeof(*ret));
	if (!lists || !row) {
		err = -ENOMEM;
		goto out;
	}
	/* row[stack] - 1: which of the wanted stacks it is; 0: not wanted. */
	for (i = 0; i < n; i++)
		if (stacks[i] < p->nr_stacks)
			row[stacks[i]] = i + 1;
	if (l == LEVEL_HEAP) {
		hashtab__for_each(&p->allocs, i, a)
			if (a->stack < p->nr_stacks && row[a->stack] && !err)
				err = add(lists, ret, row[a->stack] - 1, a->ts, a->size, now_ns);
	} else {
		for (i = 0; i < p->nr_maps && !err; i++) {
			const struct mapping *m = &p->maps[i];

			if (m->stack < p->nr_stacks && row[m->stack])
				err = add(lists, ret, row[m->stack] - 1, m->ts, m->end - m->start,
					  now_ns);
		}
	}
	if (err)
		goto out;
	for (i = 0; i < n; i++) {
		struct ts_list *ls = &lists[i];

		if (!ls->n)
			continue;
		qsort(ls->v, ls->n, sizeof(*ls->v), cmp_u64);
		ret[i].oldest_ns = now_ns > ls->v[0] ? now_ns - ls->v[0] : 0;
		ret[i].median_ns = now_ns > ls->v[ls->n / 2] ? now_ns - ls->v[ls->n / 2] : 0;
	}
out:
	for (i = 0; lists && i < n; i++)
		free(lists[i].v);
	free(lists);
	free(row);
	return err;
}

const char *age_bucket__name(unsigned int i)
{
	static const char *const names[AGE_BUCKETS] = { "<10s", "10s-1m", "1m-10m", "10m-1h",
							 "1h-6h", "6h-1d", ">1d" };

	return i < ARRAY_SIZE(names) ? names[i] : "?";
}
