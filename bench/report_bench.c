// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The cost of a report over many live allocations: fills the tables with
 * ALLOCS allocations over STACKS stacks (as events would), then times ranking
 * (top 10, and with a minimum age, which walks every allocation) and the JSON
 * report.  Usage: report_bench [ALLOCS] [STACKS]  (default 1000000 10000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "leakd/events.h"
#include "present/report.h"
#include "stacks/symbolize.h"
#include "model/tables.h"
#include "base/clock.h"

static double ms_since(uint64_t t0)
{
	return (now_ns() - t0) / 1e6;
}

int main(int argc, char **argv)
{
	uint64_t allocs = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	uint64_t stacks = argc > 2 ? strtoull(argv[2], NULL, 10) : 10000;
	struct tables_limits lim = { .max_allocs = allocs * 2, .max_stacks = stacks * 2,
				     .max_maps = 1024 };
	struct report_opts ro = { .top = 10, .format = OUTPUT_JSON };
	struct report_meta meta = { .final = true };
	struct report_row *rows;
	struct symbolizer *sym = symbolizer__new(16);
	struct tables t;
	struct proc_mem *p;
	FILE *devnull = fopen("/dev/null", "w");
	uint64_t i, t0;
	int n;

	if (!sym || !devnull || tables__init(&t, &lim) || !(p = tables__add_proc(&t, 1, 1)))
		return 1;
	t0 = now_ns();
	for (i = 0; i < allocs; i++)
		proc_mem__alloc(p, 1, LEAKD_FN_MALLOC, 0x10000 + i * 64, 16 + i % 1000,
			    ((i % stacks) << 1) | 1, 0, i);
	printf("filling %llu allocations over %llu stacks: %.0f ms\n", (unsigned long long)allocs,
	       (unsigned long long)stacks, ms_since(t0));
	/* What a live allocation costs the tables: its entry and its share of the stacks. */
	printf("memory: %.1f bytes per live allocation in the allocation table, %.1f with "
	       "everything the tables hold\n", (double)hashtab__memory(&p->allocs) / allocs,
	       (double)tables__memory(&t) / allocs);

	t0 = now_ns();
	n = report__rank(p, 10, 0, allocs, &rows);
	printf("rank, top 10: %.1f ms (%d rows)\n", ms_since(t0), n);
	free(rows);

	t0 = now_ns();
	n = report__rank(p, 10, allocs / 2, allocs, &rows);
	printf("rank, top 10, older than half: %.1f ms (%d rows)\n", ms_since(t0), n);
	free(rows);

	t0 = now_ns();
	n = report__rank(p, 0, 0, allocs, &rows);
	printf("rank, all %d stacks: %.1f ms\n", n, ms_since(t0));
	free(rows);

	meta.now_ns = allocs;
	t0 = now_ns();
	report__print(devnull, &ro, &meta, p, sym);
	printf("JSON report, top 10: %.1f ms\n", ms_since(t0));
	ro.top = 0;
	t0 = now_ns();
	report__print(devnull, &ro, &meta, p, sym);
	printf("JSON report, all stacks: %.1f ms\n", ms_since(t0));

	tables__destroy(&t);
	symbolizer__free(sym);
	fclose(devnull);
	return 0;
}
