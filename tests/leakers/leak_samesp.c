// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Allocations that start from one stack pointer through different callers, in
 * turn: leaf_x and leaf_y called from the same frame (their return addresses
 * differ), and leaf called through via_a and via_b, whose frames are alike (only
 * a return address deeper in the stack differs).  leakd remembers a thread's last
 * walks by where they start; each allocation must still land on its own stack.
 * The note same_sp says the stack pointers were indeed the same.
 */
#include <stdlib.h>

#include "truth.h"

#define ROUNDS 600

static volatile long sink_value;
static unsigned long leaf_sp[2], pick_sp[2];

static unsigned long stack_pointer(void)
{
	unsigned long sp;

	__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
	return sp;
}

/* path: 0 through via_a, 1 through via_b; every other block of via_b's is freed. */
NOINLINE void leaf(size_t n, int path, int round)
{
	void *p = malloc(n);

	leaf_sp[path] = stack_pointer();
	if (path && (round & 1))
		free(p);
	else
		keep(p);
	sink_value++;
}

NOINLINE void mid(size_t n, int path, int round)
{
	leaf(n, path, round);
	sink_value++;
}

NOINLINE void via_a(size_t n, int round)
{
	mid(n, 0, round);
	sink_value += 1;
}

NOINLINE void via_b(size_t n, int round)
{
	mid(n, 1, round);
	sink_value += 2;
}

NOINLINE void leaf_x(size_t n)
{
	keep(malloc(n));
	pick_sp[0] = stack_pointer();
	sink_value++;
}

NOINLINE void leaf_y(size_t n)
{
	keep(malloc(n));
	pick_sp[1] = stack_pointer();
	sink_value++;
}

NOINLINE void pick(void (*fn)(size_t), size_t n)
{
	fn(n);
	sink_value++;
}

int main(void)
{
	int same = 1;

	for (int i = 0; i < ROUNDS; i++) {
		if (i & 1)
			via_b(96, i / 2);
		else
			via_a(64, i / 2);
		same &= leaf_sp[0] == leaf_sp[1] || i == 0;
		pick(i & 1 ? leaf_y : leaf_x, i & 1 ? 48 : 32);
		same &= pick_sp[0] == pick_sp[1] || i == 0;
	}
	truth_leak("leaf_x", 32 * (ROUNDS / 2), ROUNDS / 2);
	truth_leak("leaf_y", 48 * (ROUNDS / 2), ROUNDS / 2);
	/* leaf's two stacks: checked by the test from these. */
	truth_note("via_a_bytes", 64 * (ROUNDS / 2));
	truth_note("via_a_count", ROUNDS / 2);
	truth_note("via_b_bytes", 96 * (ROUNDS / 4));
	truth_note("via_b_count", ROUNDS / 4);
	truth_note("same_sp", same);
	truth_write();
	return 0;
}
