// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The restart state file (src/serve/handover.c) on any bytes: refused with a
 * reason and the tables left as they were, or read whole into consistent tables;
 * never a crash.  The input is the payload: the harness puts a valid header (this
 * boot, the right checksum) before it, so that the fields themselves are tried,
 * unless its first byte is odd, when the bytes after it are the whole file.
 */
#include <errno.h>

#include "base/wire.h"
#include "model/tables.h"
#include "serve/handover.h"
#include "stacks/symbolize.h"
#include "base/fnv.h"
#include "fuzz.h"

#define HEADER 56

static uint8_t header[HEADER];

/* A valid header of this boot, from an empty handover. */
static void make_header(void)
{
	struct tables_limits l = { 1 << 16, 1 << 12, 1 << 12 };
	struct symbolizer *sym = symbolizer__new(16);
	struct handover h = { 0 };
	struct tables t;
	struct wbuf w;

	fuzz_assert(sym && !tables__init(&t, &l));
	wbuf__init(&w, 1 << 20);
	fuzz_assert(!handover__encode(&h, &t, sym, &w) && w.n >= HEADER);
	memcpy(header, w.p, HEADER);
	wbuf__destroy(&w);
	tables__destroy(&t);
	symbolizer__free(sym);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tables_limits l = { 1 << 12, 1 << 10, 1 << 10 };
	struct symbolizer *sym;
	struct handover h;
	const char *why = NULL;
	struct tables t;
	uint8_t *buf;
	uint64_t len, sum;
	size_t n;
	int err;

	if (!size)
		return 0;
	if (!header[0])
		make_header();
	if (data[0] & 1) {
		n = size - 1;
		buf = malloc(n ? n : 1);
		fuzz_assert(buf);
		memcpy(buf, data + 1, n);
	} else {
		n = HEADER + size - 1;
		buf = malloc(n);
		fuzz_assert(buf);
		memcpy(buf, header, HEADER);
		memcpy(buf + HEADER, data + 1, size - 1);
		len = size - 1;
		sum = fnv_bytes(FNV_OFFSET, buf + HEADER, len);
		memcpy(buf + 40, &len, 8);
		memcpy(buf + 48, &sum, 8);
	}
	sym = symbolizer__new(64);
	fuzz_assert(sym && !tables__init(&t, &l));
	err = handover__decode(buf, n, &t, sym, &h, &why);
	if (err) {
		fuzz_assert(err == -EINVAL || err == -ESTALE || err == -ENOMEM);
		fuzz_assert(why && !strchr(why, '\n'));
		fuzz_assert(!t.procs.count && !t.nr_allocs && !t.nr_stacks && !t.nr_maps);
	} else {
		fuzz_assert(t.nr_allocs <= l.max_allocs);
		handover__destroy(&h);
	}
	tables__destroy(&t);
	symbolizer__free(sym);
	free(buf);
	return 0;
}
