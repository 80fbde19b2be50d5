// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <stdbool.h>
#include <string.h>

#include "leakd/events.h"
#include "base/macros.h"
#include "stacks/runtime.h"

static bool starts_with(const char *s, const char *prefix)
{
	return s && !strncmp(s, prefix, strlen(prefix));
}

/* A module's base name is NAME, NAME.so or NAME.so.VERSION. */
static bool module_is(const char *module, const char *name)
{
	size_t n = strlen(name);

	return module && !strncmp(module, name, n) &&
	       (!module[n] || !strncmp(module + n, ".so", 3));
}

/* gcc's clones (f.part.0, f.constprop.0, f.isra.0) match on the base name. */
static bool name_in(const char *fn, const char *const *names, size_t n)
{
	size_t len;

	if (!fn)
		return false;
	len = strcspn(fn, ".");
	for (size_t i = 0; i < n; i++)
		if (!strncmp(fn, names[i], len) && !names[i][len])
			return true;
	return false;
}

static enum runtime_kind classify_frame(const struct frame_desc *f)
{
	static const char *const thread[] = { "pthread_create", "allocate_stack",
					      "pthread_create@@GLIBC_2.34" };
	static const char *const python[] = { "new_arena", "_PyObject_Malloc", "_PyObject_Calloc",
					      "_PyObject_Realloc", "_PyMem_ArenaAlloc",
					      "PyObject_Malloc", "pymalloc_alloc" };
	/* glibc's malloc, by name: other libc frames (__libc_start_main) say nothing. */
	static const char *const glibc_malloc[] = {
		"malloc", "calloc", "realloc", "reallocarray", "memalign", "posix_memalign",
		"aligned_alloc", "valloc", "pvalloc", "sysmalloc", "sysmalloc_mmap", "_int_malloc",
		"_int_realloc", "_int_memalign", "new_heap", "alloc_new_heap", "arena_get2",
		"_int_new_arena", "tcache_init", "__libc_malloc", "__libc_calloc", "__libc_realloc",
		"__libc_memalign", "__malloc_arena_thread_freeres" };
	/* Allocators whose every frame is the allocator's. */
	static const char *const allocators[] = { "libjemalloc", "libtcmalloc",
						  "libtcmalloc_minimal", "libmimalloc" };
	const char *fn = f->function;

	if (name_in(fn, thread, ARRAY_SIZE(thread)))
		return RUNTIME_THREAD_STACK;
	if (starts_with(fn, "v8::") || starts_with(fn, "cppgc::") || module_is(f->module, "libnode"))
		return RUNTIME_V8;
	if (module_is(f->module, "libjvm"))
		return RUNTIME_JVM;
	if (module_is(f->module, "libcoreclr") || module_is(f->module, "libclrgc"))
		return RUNTIME_DOTNET;
	if (starts_with(fn, "runtime.") || starts_with(fn, "runtime/internal/"))
		return RUNTIME_GO;
	if (name_in(fn, python, ARRAY_SIZE(python)))
		return RUNTIME_PYTHON;
	if (module_is(f->module, "libc") && name_in(fn, glibc_malloc, ARRAY_SIZE(glibc_malloc)))
		return RUNTIME_NATIVE_HEAP;
	for (size_t i = 0; i < ARRAY_SIZE(allocators); i++)
		if (module_is(f->module, allocators[i]) && !starts_with(fn, "mmap") &&
		    !starts_with(fn, "__mmap") && !starts_with(fn, "mprotect") &&
		    !starts_with(fn, "__mprotect") && !starts_with(fn, "brk") &&
		    !starts_with(fn, "__brk") && !starts_with(fn, "sbrk") &&
		    !starts_with(fn, "__sbrk") && !starts_with(fn, "madvise"))
			return RUNTIME_NATIVE_HEAP;
	return RUNTIME_OTHER;
}

/*
 * The innermost frame that says something decides: the system call wrapper
 * itself is libc's but tells nothing, its caller (sysmalloc, a V8 page
 * allocator, the Go runtime) does.
 */
enum runtime_kind runtime__classify(const struct frame_desc *frames, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		enum runtime_kind k = classify_frame(&frames[i]);

		if (k != RUNTIME_OTHER)
			return k;
	}
	return RUNTIME_OTHER;
}

enum runtime_kind runtime__owner(struct symbolizer *s, const struct stack_frame *frames,
				 uint32_t n)
{
	struct frame_desc descs[LEAKD_MAX_FRAMES];
	uint32_t i;

	/* The real functions are what classify_frame looks at: their symbols suffice. */
	for (i = 0; i < n && i < LEAKD_MAX_FRAMES; i++)
		symbolizer__symbol(s, &frames[i], &descs[i]);
	return runtime__classify(descs, i);
}

static const struct {
	const char *name, *key, *advice;
} kinds[RUNTIME__COUNT] = {
	[RUNTIME_OTHER] = { "program's own mappings", "other",
		"the stacks show the code that maps the memory" },
	[RUNTIME_NATIVE_HEAP] = { "native heap", "native",
		"trace the allocator (leakctl trace PID) to see which code holds the blocks" },
	[RUNTIME_V8] = { "V8 heap", "v8",
		"compare two heap snapshots (node --heapsnapshot-signal=SIGUSR2, or the "
		"inspector); run node with --perf-basic-prof to see JavaScript frames here" },
	[RUNTIME_JVM] = { "JVM heap", "jvm",
		"compare class histograms (jcmd PID GC.class_histogram) or heap dumps "
		"(jcmd PID GC.heap_dump)" },
	[RUNTIME_DOTNET] = { ".NET GC heap", "dotnet",
		"compare GC heap dumps (dotnet-gcdump collect -p PID); set "
		"DOTNET_PerfMapEnabled=1 to see managed frames here" },
	[RUNTIME_GO] = { "Go heap", "go",
		"read the program's heap profile (net/http/pprof: /debug/pprof/heap)" },
	[RUNTIME_PYTHON] = { "Python object arenas", "python",
		"compare tracemalloc snapshots in the process; run python3.12+ with -X perf "
		"to see Python frames here" },
	[RUNTIME_THREAD_STACK] = { "thread stacks", "thread_stacks",
		"threads are created and not joined or detached: look at the creating stack" },
};

const char *runtime__name(enum runtime_kind k)
{
	return k < RUNTIME__COUNT ? kinds[k].name : "?";
}

const char *runtime__key(enum runtime_kind k)
{
	return k < RUNTIME__COUNT ? kinds[k].key : "?";
}

const char *runtime__advice(enum runtime_kind k)
{
	return k < RUNTIME__COUNT ? kinds[k].advice : "";
}
