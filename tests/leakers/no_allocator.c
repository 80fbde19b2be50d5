// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* A static program without libc, hence without malloc: nothing leakd can probe. */
#include <asm/unistd.h>

static long sys1(long nr, long a)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a) : "rcx", "r11", "memory");
	return ret;
}

void _start(void)
{
	/* Waits for any signal; SIGTERM ends it. */
	sys1(__NR_pause, 0);
	sys1(__NR_exit, 0);
	for (;;)
		;
}
