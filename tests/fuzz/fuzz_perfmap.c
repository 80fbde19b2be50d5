// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Perf maps (src/stacks/perfmap.c) on any text, read in two steps as a JIT
 * appends: the first byte says where the first read stops.  Bounds on entries
 * and bytes hold, and lookups of the ranges named stay within them.
 */
#include <fcntl.h>

#include "fuzz.h"
#include "stacks/perfmap.h"

#define MAX_ENTRIES 64
#define MAX_BYTES 4096

static char path[512];

static void append(int fd, const uint8_t *data, size_t size)
{
	while (size) {
		ssize_t n = write(fd, data, size);

		fuzz_assert(n > 0);
		data += n;
		size -= (size_t)n;
	}
}

static void check(struct perfmap *m)
{
	struct perfmap_stats st;
	static const uint64_t probes[] = { 0, 1, 0x1000, 0x7fffffff, 0xffffffffffffffffull };
	size_t i;

	perfmap__stats(m, &st);
	fuzz_assert(st.entries <= MAX_ENTRIES);
	fuzz_assert(st.bytes <= MAX_BYTES);
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		uint64_t off = 0;
		const char *name = perfmap__lookup(m, probes[i], &off);

		if (name)
			fuzz_assert(strlen(name) <= PERFMAP_LINE_MAX && off <= probes[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct perfmap *m;
	size_t first;
	int fd;

	if (!path[0])
		fuzz_tmp_path(path, sizeof(path), "perf.map");
	if (!size)
		return 0;
	first = size > 1 ? data[0] % size : 0;
	data++;
	size--;
	if (first > size)
		first = size;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	fuzz_assert(fd >= 0);
	append(fd, data, first);
	m = perfmap__open(path);
	fuzz_assert(m);
	fuzz_assert(perfmap__set_limits(m, MAX_ENTRIES, MAX_BYTES) == 0);
	perfmap__refresh(m);
	check(m);
	append(fd, data + first, size - first);
	perfmap__refresh(m);
	check(m);
	perfmap__memory(m);
	perfmap__free(m);
	close(fd);
	return 0;
}
