/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * USDT probe points of the otel_memory contract (the OpenTelemetry eBPF
 * profiler's memory-profiling design): alloc(ptr, size, weight) on a sampled
 * allocation, free(ptr) on the free of a sampled block, each with a semaphore that
 * a tracer raises while it listens.
 *
 * Written here rather than taken from <sys/sdt.h>: that header puts a 1-byte nop
 * at the probe, which the kernel can only trap on; a 5-byte nop (nopl
 * 0x0(%rax,%rax,1)) is turned by recent kernels into a call that enters through a
 * system call.  The note's layout is the one SystemTap defined and every USDT
 * tracer reads (type 3 in .note.stapsdt: pc, link-time base, semaphore, provider,
 * name, argument string).
 */
#ifndef LEAKD_OTEL_USDT_H
#define LEAKD_OTEL_USDT_H

/* Semaphores live in .probes, as tracers expect; the kernel counts listeners in them. */
#define OTEL_USDT_SEMAPHORE(name) otel_memory_##name##_semaphore
#define OTEL_USDT_DEFINE_SEMAPHORE(name)                                                   \
	__attribute__((section(".probes"), used, visibility("hidden")))                    \
	volatile unsigned short OTEL_USDT_SEMAPHORE(name)

#define OTEL_USDT_STR(x) #x
#define OTEL_USDT_XSTR(x) OTEL_USDT_STR(x)

/*
 * The probe point itself: a 5-byte nop, and a note that names it.  args is the
 * argument string in the "size@operand" form, with %0, %1... for the operands.
 */
#define OTEL_USDT_PROBE(name, args, ...)                                                   \
	__asm__ __volatile__(                                                              \
		"990:	.byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n"                              \
		"	.pushsection .note.stapsdt, \"?\", \"note\"\n"                     \
		"	.balign 4\n"                                                       \
		"	.4byte 992f-991f, 994f-993f, 3\n"                                  \
		"991:	.asciz \"stapsdt\"\n"                                              \
		"992:	.balign 4\n"                                                       \
		"993:	.8byte 990b\n"                                                     \
		"	.8byte _.stapsdt.base\n"                                           \
		"	.8byte " OTEL_USDT_XSTR(OTEL_USDT_SEMAPHORE(name)) "\n"            \
		"	.asciz \"otel_memory\"\n"                                          \
		"	.asciz \"" #name "\"\n"                                            \
		"	.asciz \"" args "\"\n"                                             \
		"994:	.balign 4\n"                                                       \
		"	.popsection\n"                                                     \
		"	.ifndef _.stapsdt.base\n"                                          \
		"	.pushsection .stapsdt.base, \"aG\", \"progbits\", .stapsdt.base, comdat\n" \
		"	.weak _.stapsdt.base\n"                                            \
		"	.hidden _.stapsdt.base\n"                                          \
		"_.stapsdt.base:	.space 1\n"                                        \
		"	.size _.stapsdt.base, 1\n"                                         \
		"	.popsection\n"                                                     \
		"	.endif\n"                                                          \
		:: __VA_ARGS__)

/* Whether a tracer listens to the probe (the semaphore is non-zero). */
#define OTEL_USDT_ENABLED(name) __builtin_expect(OTEL_USDT_SEMAPHORE(name) != 0, 0)

/* Call only where the semaphores are defined (OTEL_USDT_DEFINE_SEMAPHORE(alloc), (free)). */
#define OTEL_MEMORY_ALLOC(ptr, size, weight)                                               \
	OTEL_USDT_PROBE(alloc, "8@%0 8@%1 8@%2", "r"((unsigned long)(ptr)),                \
			"r"((unsigned long)(size)), "r"((unsigned long)(weight)))
#define OTEL_MEMORY_FREE(ptr) OTEL_USDT_PROBE(free, "8@%0", "r"((unsigned long)(ptr)))

#endif
