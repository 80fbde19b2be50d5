// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * For attaching to a running process: allocates some blocks, says "ready" on
 * stdout, waits for a line on stdin, then frees the early blocks (leakd never saw
 * them allocated), leaks a known amount and exits -- or, given "exec", execs
 * itself to leak from a new program image.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "truth.h"

#define EARLY 25

static void *early[EARLY];

NOINLINE void early_blocks(void)
{
	for (int i = 0; i < EARLY; i++)
		early[i] = malloc(48);
}

NOINLINE void free_early(void)
{
	for (int i = 0; i < EARLY; i++)
		free(early[i]);
	truth_note("unmatched_frees", EARLY);
}

NOINLINE void leak_after_attach(void)
{
	for (int i = 0; i < 4; i++)
		keep(malloc(2500));
	truth_leak(__func__, 10000, 4);
}

NOINLINE void leak_before_exec(void)
{
	keep(malloc(777));
}

NOINLINE void leak_after_exec(void)
{
	for (int i = 0; i < 3; i++)
		keep(malloc(1234));
	truth_leak(__func__, 3 * 1234, 3);
}

int main(int argc, char **argv)
{
	char line[64];

	if (argc > 1 && !strcmp(argv[1], "stage2")) {
		leak_after_exec();
		truth_balanced("leak_before_exec");	/* the old image's tables are gone */
		truth_write();
		return 0;
	}
	early_blocks();
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	if (!strncmp(line, "exec", 4)) {
		leak_before_exec();
		execl("/proc/self/exe", argv[0], "stage2", (char *)NULL);
		return 1;
	}
	free_early();
	leak_after_attach();
	truth_write();
	return 0;
}
