// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* A leak inside a signal handler: the stack must lead through the signal frame. */
#include <signal.h>
#include <stdlib.h>

#include "truth.h"

static volatile int sink_int;

NOINLINE void leak_in_handler(void)
{
	keep(malloc(555));
	sink_int++;
}

NOINLINE void handler(int sig)
{
	leak_in_handler();
	sink_int += sig;
}

NOINLINE void interrupted(void)
{
	raise(SIGUSR1);
	sink_int++;
}

int main(void)
{
	static const char *const callers[] = { "handler", "interrupted", "main", NULL };
	struct sigaction sa = { .sa_handler = handler };

	sigaction(SIGUSR1, &sa, NULL);
	interrupted();
	truth_leak("leak_in_handler", 555, 1);
	/* Frames in this program, in order; libc's (the signal trampoline, raise) between. */
	truth_stack("leak_in_handler", callers);
	truth_write();
	return 0;
}
