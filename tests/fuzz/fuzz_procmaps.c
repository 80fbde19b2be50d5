// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * /proc/PID/maps parsing (src/base/procmaps.c) on any text: no crash, no read out
 * of bounds, no leak; where the entries are as the kernel lists them (sorted,
 * disjoint), lookups find each of them.
 */
#include <stdbool.h>

#include "base/procmaps.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proc_maps m = { 0 };
	char *text = malloc(size + 1);
	bool sorted = true;
	size_t i;

	fuzz_assert(text);
	memcpy(text, data, size);
	text[size] = 0;
	if (procmaps__parse(text, &m) == 0) {
		for (i = 0; i < m.n; i++) {
			map_entry__is_file(&m.v[i]);
			if (m.v[i].start >= m.v[i].end || (i && m.v[i - 1].end > m.v[i].start))
				sorted = false;
		}
		for (i = 0; sorted && i < m.n; i++) {
			const struct map_entry *e = &m.v[i];

			fuzz_assert(procmaps__find(&m, e->start) == e);
			fuzz_assert(procmaps__find(&m, e->end - 1) == e);
		}
		procmaps__find(&m, 0);
		procmaps__find(&m, UINT64_MAX);
		procmaps__destroy(&m);
	}
	free(text);
	return 0;
}
