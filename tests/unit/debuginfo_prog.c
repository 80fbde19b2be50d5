// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Inlining for test_debuginfo.c, which builds this with and without DWARF and
 * compares leakd's frames with addr2line's: leaf_mix (from the header) inlined
 * into middle, inlined into the real function outer, twice over.  Nothing here runs.
 */
#include "debuginfo_prog.h"

int outer(int x);
int plain(int x);

volatile int sink;

static inline __attribute__((always_inline)) int middle(int x)
{
	int r = leaf_mix(x + 1);

	return r ^ leaf_mix(r);
}

__attribute__((noinline)) int outer(int x)
{
	int r = middle(x);

	sink = r;
	return middle(r) + 1;
}

/* Nothing inlined: one frame. */
__attribute__((noinline)) int plain(int x)
{
	sink = x;
	return sink * 7;
}

int main(int argc, char **argv __attribute__((unused)))
{
	return outer(argc) + plain(argc);
}
