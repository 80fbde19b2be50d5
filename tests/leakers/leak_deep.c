// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A leak at the bottom of a chain of twelve functions built -O2 without frame
 * pointers, some with variable-length arrays (their CFA is RBP-based): the stack
 * leakd reports must be the chain, frame for frame.
 */
#include <alloca.h>
#include <stdlib.h>

#include "truth.h"

static volatile long sink_value;

#define LINK(name, next)                                                                  \
	NOINLINE long name(long x)                                                        \
	{                                                                                 \
		long r = next(x + 1);                                                     \
		sink_value += r;                                                          \
		return r + 1;                                                             \
	}

/* With a buffer sized at run time the compiler sets up RBP as the frame base. */
#define VLA_LINK(name, next)                                                              \
	NOINLINE long name(long x)                                                        \
	{                                                                                 \
		volatile char *buf = alloca(16 + (x & 7) * 8);                            \
		long r;                                                                   \
		buf[3] = (char)x;                                                         \
		r = next(x + 1);                                                          \
		sink_value += r + buf[3];                                                 \
		return r + 1;                                                             \
	}

NOINLINE long deep_leak(long x)
{
	keep(malloc(4000));
	sink_value += x;
	return x;
}

LINK(chain12, deep_leak)
VLA_LINK(chain11, chain12)
LINK(chain10, chain11)
LINK(chain9, chain10)
VLA_LINK(chain8, chain9)
LINK(chain7, chain8)
LINK(chain6, chain7)
LINK(chain5, chain6)
VLA_LINK(chain4, chain5)
LINK(chain3, chain4)
LINK(chain2, chain3)
LINK(chain1, chain2)

int main(void)
{
	static const char *const callers[] = {
		"chain12", "chain11", "chain10", "chain9", "chain8", "chain7", "chain6",
		"chain5", "chain4", "chain3", "chain2", "chain1", "main", NULL,
	};
	sink_value += chain1(0);
	truth_leak("deep_leak", 4000, 1);
	truth_stack("deep_leak", callers);
	truth_write();
	return 0;
}
