// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * 16384 distinct leaking stacks of 18 frames: every path through a chain of 14
 * calls that each go to one of two functions.  For timing symbolization of a
 * report with many stacks: leakd -v -i 0 -n 0 -- many_stacks
 */
#include <stdlib.h>

static void *volatile sink;
static volatile int depth_sink;

static void a(int d, unsigned bits);
static void b(int d, unsigned bits);

__attribute__((noinline)) static void leaf(void)
{
	sink = malloc(16);
	depth_sink++;
}

__attribute__((noinline)) static void a(int d, unsigned bits)
{
	if (!d)
		leaf();
	else if (bits & 1)
		a(d - 1, bits >> 1);
	else
		b(d - 1, bits >> 1);
	depth_sink++;
}

__attribute__((noinline)) static void b(int d, unsigned bits)
{
	if (!d)
		leaf();
	else if (bits & 1)
		a(d - 1, bits >> 1);
	else
		b(d - 1, bits >> 1);
	depth_sink++;
}

int main(void)
{
	for (unsigned bits = 0; bits < 16384; bits++)
		a(14, bits);
	return 0;
}
