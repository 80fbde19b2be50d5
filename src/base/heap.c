// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <string.h>

#include "base/heap.h"

#define AT(base, i, size) ((char *)(base) + (i) * (size))

static inline void swap(void *a, void *b, size_t size)
{
	unsigned char t[64];

	/* Elements are small (indices, ranking rows): one copy each way. */
	if (size <= sizeof(t)) {
		memcpy(t, a, size);
		memcpy(a, b, size);
		memcpy(b, t, size);
		return;
	}
	for (unsigned char *x = a, *y = b; size--; x++, y++) {
		unsigned char c = *x;

		*x = *y;
		*y = c;
	}
}

void heap_sift_up(void *base, size_t size, size_t i, heap_before before, void *ctx)
{
	while (i) {
		size_t parent = (i - 1) / 2;

		if (!before(AT(base, i, size), AT(base, parent, size), ctx))
			return;
		swap(AT(base, i, size), AT(base, parent, size), size);
		i = parent;
	}
}

void heap_sift_down(void *base, size_t n, size_t size, size_t i, heap_before before, void *ctx)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < n && before(AT(base, l, size), AT(base, m, size), ctx))
			m = l;
		if (r < n && before(AT(base, r, size), AT(base, m, size), ctx))
			m = r;
		if (m == i)
			return;
		swap(AT(base, i, size), AT(base, m, size), size);
		i = m;
	}
}
