/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Open-addressing hash table of fixed-size entries whose first 8 bytes are a
 * non-zero u64 key.  Linear probing with backward-shift deletion: no tombstones,
 * so lookups stay short however much churn passes through (allocations do).
 * Kept between half and three quarters full.
 */
#ifndef LEAKD_HASHTAB_H
#define LEAKD_HASHTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hashtab {
	char *slots;
	size_t entry_size;
	size_t cap;		/* slots, any number */
	size_t count;
};

int hashtab__init(struct hashtab *h, size_t entry_size, size_t min_capacity);
void hashtab__destroy(struct hashtab *h);
void *hashtab__get(const struct hashtab *h, uint64_t key);
/* The entry for key, zero-filled but for the key when new; NULL when out of memory. */
void *hashtab__upsert(struct hashtab *h, uint64_t key, bool *ret_new);
/* Removes key, copying the entry to ret_copy first when given.  -ENOENT if absent. */
int hashtab__remove(struct hashtab *h, uint64_t key, void *ret_copy);
void hashtab__clear(struct hashtab *h);
/* Bytes held by the table itself. */
size_t hashtab__memory(const struct hashtab *h);

static inline size_t hashtab__capacity(const struct hashtab *h)
{
	return h->slots ? h->cap : 0;
}

/* The entry in slot i, or NULL when that slot is empty: for iteration. */
static inline void *hashtab__slot(const struct hashtab *h, size_t i)
{
	char *e = h->slots + i * h->entry_size;

	return *(uint64_t *)e ? e : NULL;
}

#define hashtab__for_each(h, i, e)                                                   \
	for ((i) = 0; (i) < hashtab__capacity(h); (i)++)                             \
		if (((e) = hashtab__slot((h), (i))) != NULL)

#endif
