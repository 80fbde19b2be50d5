// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Source of the ELF seeds of the fuzzer 'elf' (see make_seeds.py): a few functions
 * with frames of different shapes, so that their CFI has several kinds of rows. */
volatile long sink;

__attribute__((noinline)) long leaf(long x)
{
	return x * 3 + 1;
}

__attribute__((noinline)) long with_frame(long n)
{
	volatile char buf[64];
	long i;

	for (i = 0; i < n && i < 64; i++)
		buf[i] = (char)leaf(i);
	return buf[n & 63];
}

__attribute__((noinline)) long dynamic(long n)
{
	char *p = __builtin_alloca(n & 255);

	p[0] = 1;
	sink = (long)p;
	return with_frame(n) + p[0];
}

int main(void)
{
	return (int)dynamic(sink);
}
