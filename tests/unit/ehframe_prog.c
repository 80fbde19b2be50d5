// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Frame shapes for test_ehframe.c, which builds this with and without frame pointers
 * and as a .debug_frame-only module, and compares leakd's table with readelf's reading
 * of the CFI.  Nothing here runs.
 */
#include <alloca.h>
#include <stdio.h>
#include <stdlib.h>

int leaf(int x);
int small_frame(int x);
int saves_registers(int a, int b, int c, int d);
int medium_frame(int x);
int huge_frame(int x);
int uses_vla(int n);
int uses_alloca(int n);
void fail(const char *why) __attribute__((noreturn));
void dies(int x);

volatile int sink;

__attribute__((noinline)) int leaf(int x)
{
	return x * 3 + sink;
}

__attribute__((noinline)) int small_frame(int x)
{
	volatile char buf[24];

	buf[x & 15] = x;
	return buf[(x + 1) & 15] + leaf(x);
}

/* Keeps values live across calls: pushes of callee-saved registers, RBP among them. */
__attribute__((noinline)) int saves_registers(int a, int b, int c, int d)
{
	int r1 = leaf(a), r2 = leaf(b), r3 = leaf(c), r4 = leaf(d), r5 = leaf(a + b);

	return r1 * r2 + r3 * r4 + r5 + leaf(r1 + r2 + r3 + r4 + r5) * a * b * c * d;
}

__attribute__((noinline)) int medium_frame(int x)
{
	volatile char buf[4000];

	buf[x % sizeof(buf)] = x;
	return buf[(x * 7) % sizeof(buf)] + leaf(x);
}

/* A CFA offset past the 16 bits of a row. */
__attribute__((noinline)) int huge_frame(int x)
{
	volatile char buf[100000];

	buf[x % sizeof(buf)] = x;
	return buf[(x * 7) % sizeof(buf)] + leaf(x);
}

/* A frame of run-time size: the CFA moves to RBP even without frame pointers. */
__attribute__((noinline)) int uses_vla(int n)
{
	volatile char vla[n];

	vla[0] = n;
	vla[n - 1] = leaf(n);
	return vla[n / 2];
}

__attribute__((noinline)) int uses_alloca(int n)
{
	volatile char *p = alloca(n);

	p[0] = n;
	p[n - 1] = leaf(n);
	return p[n / 2] + leaf(p[0]);
}

__attribute__((noinline)) void fail(const char *why)
{
	fprintf(stderr, "%s\n", why);
	abort();
}

/* Ends with the call to fail(): its return address is the first byte after it. */
__attribute__((noinline)) void dies(int x)
{
	sink = leaf(x);
	fail("dies");
}

int main(int argc, char **argv __attribute__((unused)))
{
	int x = argc + 40;

	if (argc > 5)
		dies(x);
	return small_frame(x) + saves_registers(x, x + 1, x + 2, x + 3) + medium_frame(x) +
	       huge_frame(x) + uses_vla(x) + uses_alloca(x) > 0;
}
