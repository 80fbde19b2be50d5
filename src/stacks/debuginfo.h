/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Source-level names for one ELF object, from its DWARF through libdwfl: the
 * function, file and line of a code address, with the functions inlined there.
 * It owns the object's libdwfl session (and the separate debug file that session
 * found: by build-id, by .gnu_debuglink or through debuginfod), a cache of answers
 * by file offset, and the demangled names it hands out.  Not thread-safe.
 */
#ifndef LEAKD_DEBUGINFO_H
#define LEAKD_DEBUGINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Answers cached per object; see debuginfo.c for why this many. */
#define DEBUGINFO_CACHE_MAX 16384
/* Most frames one address expands to (inlined levels + the real function). */
#define DEBUGINFO_MAX_CHAIN 32

struct debuginfo;

/* Where the DWARF came from. */
enum debuginfo_source {
	DEBUGINFO_NONE,		/* none found: symbol table names only */
	DEBUGINFO_EMBEDDED,	/* the object's own sections */
	DEBUGINFO_FILE,		/* a separate debug file: debuginfo__debug_file() */
	DEBUGINFO_DEBUGINFOD,	/* fetched by libdwfl's debuginfod client */
};

struct src_frame {
	const char *function;	/* demangled; NULL if unknown */
	const char *file;	/* joined to its unit's directory if relative; NULL if unknown */
	int line, column;	/* 0 if unknown */
	bool inlined;		/* an inlined instance: all but the last frame of a chain */
};

struct debuginfo_stats {
	uint64_t lookups;
	uint64_t cache_hits;
	uint64_t cache_flushes;		/* times the older half of the cache was dropped */
	uint64_t names_dropped;		/* left mangled: the name pool was full */
	uint64_t cus_indexed;		/* compilation units whose functions were indexed */
	uint64_t cus_truncated;		/* ... of which the index stopped at a bound */
};

/*
 * Opens the object open as fd (dup()ed; the caller keeps its own).  real_path is
 * a path to the object in leakd's file system, for the .gnu_debuglink search
 * (next to it, in .debug/ and under /usr/lib/debug/<its dir>/): for a process in
 * another mount namespace /proc/PID/root/<its path>.  NULL derives it from fd as
 * the kernel names the file, which is its path in its own mount namespace.
 * build_id (hex) is what the caller knows the object by: when the
 * file has another one, NULL with errno ESTALE.  Separate debug info is looked
 * for at once, so this blocks while debuginfod is asked (DEBUGINFOD_URLS set).
 * NULL with errno: ENOEXEC when fd is not a usable ELF object, EINVAL when
 * build_id is not hex, EBADF.
 */
struct debuginfo *debuginfo__open(int fd, const char *real_path, const char *build_id);
/*
 * The same with libdwfl's search path for debug files instead of its default
 * ":.debug:/usr/lib/debug" (see dwfl_standard_find_debuginfo; build-id links are
 * looked for under its absolute entries).
 */
struct debuginfo *debuginfo__open_search(int fd, const char *real_path, const char *build_id,
					 const char *search_path);
void debuginfo__free(struct debuginfo *d);

/* True when DWARF with line information was found, in the object or a debug file. */
bool debuginfo__has_dwarf(const struct debuginfo *d);
enum debuginfo_source debuginfo__source(const struct debuginfo *d);
/* The separate debug file in use (DEBUGINFO_FILE), else NULL. */
const char *debuginfo__debug_file(const struct debuginfo *d);

/*
 * The frames at file offset off, innermost first: each inlined function, then
 * the function it was inlined into, ending with the real function.  Returns how
 * many were stored in ret[0..max) (0 when nothing is known).  Without DWARF the
 * one frame has the symbol table's name and no file.  For a return address pass
 * its offset - 1, which is inside the call.  Strings live as long as d.
 */
int debuginfo__lookup(struct debuginfo *d, uint64_t off, struct src_frame *ret, int max);

void debuginfo__stats(const struct debuginfo *d, struct debuginfo_stats *ret);
/* Bytes held by the cache, the indexes and the names (not libdw's own). */
size_t debuginfo__memory(const struct debuginfo *d);

#endif
