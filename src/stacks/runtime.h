/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Who owns a mapping: the native allocator, a managed runtime's heap (V8, the
 * JVM, .NET, Go, Python), or thread stacks, told from the frames of the call that
 * mapped or committed it; and what a user can do next for each.
 */
#ifndef LEAKD_STACKS_RUNTIME_H
#define LEAKD_STACKS_RUNTIME_H

#include <stddef.h>

#include "stacks/symbolize.h"

enum runtime_kind {
	RUNTIME_OTHER,		/* mapped by the program itself */
	RUNTIME_NATIVE_HEAP,	/* malloc and friends: brk heap, arenas, large blocks */
	RUNTIME_V8,
	RUNTIME_JVM,
	RUNTIME_DOTNET,
	RUNTIME_GO,
	RUNTIME_PYTHON,		/* pymalloc's arenas */
	RUNTIME_THREAD_STACK,
	RUNTIME__COUNT,
};

/* Frames innermost first, as symbolizer__describe chains them. */
enum runtime_kind runtime__classify(const struct frame_desc *frames, size_t n);
/* The same for a stack's frames, each named by its symbol table (no DWARF read). */
enum runtime_kind runtime__owner(struct symbolizer *s, const struct stack_frame *frames,
				 uint32_t n);
/* "native heap", "V8 heap", ...: for "growth is in the V8 heap". */
const char *runtime__name(enum runtime_kind k);
/* A short key for JSON and metrics labels: "native", "v8", "jvm", ... */
const char *runtime__key(enum runtime_kind k);
/* What to do next about growth there, one sentence. */
const char *runtime__advice(enum runtime_kind k);

#endif
