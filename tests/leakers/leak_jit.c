// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A leak from a function called through code copied into anonymous memory, as a
 * JIT compiler's code calls into its runtime; no perf map names that code.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "truth.h"

NOINLINE void leak_from_jit(unsigned long size)
{
	keep(malloc(size));
	keep(malloc(size));
	truth_leak(__func__, 2 * size, 2);
}

/* push rbp; mov rbp, rsp; mov rax, rdi; mov rdi, rsi; call rax; pop rbp; ret */
static const unsigned char stub[] = {
	0x55, 0x48, 0x89, 0xe5, 0x48, 0x89, 0xf8, 0x48, 0x89, 0xf7, 0xff, 0xd0, 0x5d, 0xc3,
};

int main(void)
{
	void (*call)(void (*)(unsigned long), unsigned long);
	void *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (code == MAP_FAILED)
		return 3;
	memcpy(code, stub, sizeof(stub));
	if (mprotect(code, 4096, PROT_READ | PROT_EXEC))
		return 3;
	call = (void (*)(void (*)(unsigned long), unsigned long))code;
	call(leak_from_jit, 1234);
	truth_note("code", (long long)(unsigned long)code);
	truth_write();
	return 0;
}
