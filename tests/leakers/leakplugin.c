// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* A library that leak_dlopen loads at run time; it leaks. */
#include <stdlib.h>

static void *volatile plugin_sink[16];

__attribute__((noinline, visibility("default"))) int plugin_leak(int n)
{
	for (int i = 0; i < n; i++)
		plugin_sink[i & 15] = malloc(321);
	return n;
}
