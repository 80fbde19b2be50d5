// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/hashtab.h"

static inline size_t slot_of(const struct hashtab *h, uint64_t key)
{
	/* Keys are often aligned addresses: mix the high bits down. */
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	key *= 0x9e3779b97f4a7c15ULL;
	/* Any capacity, not only powers of two: the high bits scaled to it. */
	return (size_t)(((unsigned __int128)key * h->cap) >> 64);
}

static inline size_t next_slot(const struct hashtab *h, size_t i)
{
	return i + 1 == h->cap ? 0 : i + 1;
}

/* Steps from slot a forward to slot b, around the end. */
static inline size_t distance(const struct hashtab *h, size_t a, size_t b)
{
	return b >= a ? b - a : b + h->cap - a;
}

static inline char *entry(const struct hashtab *h, size_t i)
{
	return h->slots + i * h->entry_size;
}

static inline uint64_t key_at(const struct hashtab *h, size_t i)
{
	uint64_t k;

	memcpy(&k, entry(h, i), sizeof(k));
	return k;
}

int hashtab__init(struct hashtab *h, size_t entry_size, size_t min_capacity)
{
	size_t cap = min_capacity > 16 ? min_capacity : 16;

	h->slots = calloc(cap, entry_size);
	if (!h->slots)
		return -ENOMEM;
	h->entry_size = entry_size;
	h->cap = cap;
	h->count = 0;
	return 0;
}

void hashtab__destroy(struct hashtab *h)
{
	if (!h)
		return;
	free(h->slots);
	h->slots = NULL;
	h->count = 0;
	h->cap = 0;
}

void *hashtab__get(const struct hashtab *h, uint64_t key)
{
	size_t i;
	uint64_t k;

	if (!h->slots || !key)
		return NULL;
	for (i = slot_of(h, key);; i = next_slot(h, i)) {
		k = key_at(h, i);
		if (k == key)
			return entry(h, i);
		if (!k)
			return NULL;
	}
}

static int grow(struct hashtab *h)
{
	struct hashtab n;
	size_t i;
	int err;

	/*
	 * By half again, not double: the load stays within [1/2, 3/4], so that an
	 * entry costs at most twice its size (live allocations are most of leakd's
	 * memory).
	 */
	err = hashtab__init(&n, h->entry_size, h->cap + (h->cap + 1) / 2);
	if (err)
		return err;
	for (i = 0; i < h->cap; i++) {
		uint64_t k = key_at(h, i);
		size_t j;

		if (!k)
			continue;
		for (j = slot_of(&n, k); key_at(&n, j); j = next_slot(&n, j))
			;
		memcpy(entry(&n, j), entry(h, i), h->entry_size);
	}
	n.count = h->count;
	free(h->slots);
	*h = n;
	return 0;
}

void *hashtab__upsert(struct hashtab *h, uint64_t key, bool *ret_new)
{
	size_t i;
	uint64_t k;
	char *e;

	if (!key)
		return NULL;
	/* Keep the load under 3/4 so probe runs stay short. */
	if ((h->count + 1) * 4 > h->cap * 3 && grow(h))
		return NULL;
	for (i = slot_of(h, key);; i = next_slot(h, i)) {
		k = key_at(h, i);
		if (k == key) {
			if (ret_new)
				*ret_new = false;
			return entry(h, i);
		}
		if (!k)
			break;
	}
	e = entry(h, i);
	memset(e, 0, h->entry_size);
	memcpy(e, &key, sizeof(key));
	h->count++;
	if (ret_new)
		*ret_new = true;
	return e;
}

int hashtab__remove(struct hashtab *h, uint64_t key, void *ret_copy)
{
	size_t i, j, home;
	uint64_t k;

	if (!h->slots || !key)
		return -ENOENT;
	for (i = slot_of(h, key);; i = next_slot(h, i)) {
		k = key_at(h, i);
		if (k == key)
			break;
		if (!k)
			return -ENOENT;
	}
	if (ret_copy)
		memcpy(ret_copy, entry(h, i), h->entry_size);
	/* Backward shift: pull later entries of the run into the hole when allowed. */
	for (j = next_slot(h, i);; j = next_slot(h, j)) {
		k = key_at(h, j);
		if (!k)
			break;
		home = slot_of(h, k);
		/* Entry j may move to i only if its home is not in (i, j] cyclically. */
		if (distance(h, home, j) >= distance(h, i, j)) {
			memcpy(entry(h, i), entry(h, j), h->entry_size);
			i = j;
		}
	}
	memset(entry(h, i), 0, h->entry_size);
	h->count--;
	return 0;
}

void hashtab__clear(struct hashtab *h)
{
	if (h->slots)
		memset(h->slots, 0, h->cap * h->entry_size);
	h->count = 0;
}

size_t hashtab__memory(const struct hashtab *h)
{
	return h->slots ? h->cap * h->entry_size : 0;
}
