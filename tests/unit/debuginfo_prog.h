/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The innermost inlined function of debuginfo_prog.c, in a header so that its file differs. */
extern volatile int sink;

static inline __attribute__((always_inline)) int leaf_mix(int x)
{
	sink += x;
	return x * 31 + sink;
}
