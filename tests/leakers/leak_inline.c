// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A leak from a function inlined into another, built -O2 -g: the report must show
 * the inlined function (as inlined) and both source lines, marked below.
 */
#include <stdlib.h>

#include "truth.h"

static inline __attribute__((always_inline)) void inline_helper(int n)
{
	keep(malloc(n)); /* LINE:inline_helper */
}

NOINLINE void inline_caller(void)
{
	inline_helper(700); /* LINE:inline_caller */
	keep(NULL);
}

int main(void)
{
	inline_caller();
	truth_leak("inline_caller", 700, 1);
	truth_write();
	return 0;
}
