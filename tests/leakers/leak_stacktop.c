// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A leak from a coroutine (makecontext) whose frames sit a few hundred bytes
 * below the end of its stack, with nothing readable above: a walk that reads the
 * stack above the stack pointer in one piece finds less there than usual.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "truth.h"

#define STACK_BYTES (64 * 1024)

static ucontext_t main_ctx, co_ctx;
static volatile int sink_int;

NOINLINE void leak_near_top(void)
{
	keep(malloc(777));
	sink_int++;
}

NOINLINE void on_small_stack(void)
{
	leak_near_top();
	sink_int++;
}

int main(void)
{
	static const char *const callers[] = { "on_small_stack", NULL };
	long page = sysconf(_SC_PAGESIZE);
	char *stack = mmap(NULL, STACK_BYTES + page, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

	/* The page above the stack unreadable: whatever is mapped next to it. */
	if (stack == MAP_FAILED || mprotect(stack + STACK_BYTES, page, PROT_NONE) ||
	    getcontext(&co_ctx))
		return 1;
	co_ctx.uc_stack.ss_sp = stack;
	co_ctx.uc_stack.ss_size = STACK_BYTES;
	co_ctx.uc_link = &main_ctx;
	makecontext(&co_ctx, on_small_stack, 0);
	if (swapcontext(&main_ctx, &co_ctx))
		return 1;
	truth_leak("leak_near_top", 777, 1);
	truth_stack("leak_near_top", callers);
	truth_write();
	return 0;
}
