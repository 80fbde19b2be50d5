/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * From addresses to names.  While a process lives, its frames are normalized to
 * (module, file offset) and every module's symbols are read; so reports on a
 * process that has exited, or that lives in another mount namespace, still have
 * names.  Modules are shared by all processes and identified by device and inode.
 */
#ifndef LEAKD_SYMBOLIZE_H
#define LEAKD_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "model/tables.h"

struct symbolizer;

struct symbolizer_stats {
	uint64_t modules;		/* modules known */
	uint64_t modules_dropped;	/* not registered: the module table was full */
	uint64_t modules_unreadable;	/* registered without symbols */
	uint64_t maps_reads;		/* times a /proc/PID/maps was read */
	uint64_t debuginfo_open;	/* modules with DWARF open now */
	uint64_t debuginfo_closed;	/* closed to stay within the bound */
	uint64_t jit_names;		/* JIT function names from perf maps */
	uint64_t jit_names_dropped;	/* not kept: the table of them was full */
	uint64_t names_dropped;		/* shown raw (mangled): a name cache was full */
};

/* A frame as a report shows it; one frame of code may be several (inlined). */
struct frame_desc {
	const char *function;		/* demangled; NULL when unknown */
	uint64_t function_offset;	/* pc - function start (not for inlined ones) */
	const char *file;		/* source file; NULL when unknown */
	int line, column;
	bool inlined;			/* inlined into the next description */
	bool jit;			/* named by the process's perf map */
	const char *module;		/* base name; NULL when the pc is in no mapping */
	const char *module_path;	/* as the process saw it */
	const char *build_id;		/* hex, or "" */
};

#define SYMBOLIZE_MAX_CHAIN 16		/* descriptions of one frame at most */

struct symbolizer *symbolizer__new(uint32_t max_modules);
void symbolizer__free(struct symbolizer *s);

/*
 * Reads the mappings of pid again and the symbols of every module it maps, so
 * that its frames resolve even if it exits before they arrive.
 */
int symbolizer__refresh_proc(struct symbolizer *s, pid_t pid);
struct leakd_frame;

/*
 * Normalizes the kernel's frames[0..n) of process pid into a new frames array (the
 * caller owns it).  The kernel placed each frame in its file; the process's
 * mappings are read again only to learn the path of a file not seen before.
 */
struct stack_frame *symbolizer__normalize(struct symbolizer *s, pid_t pid,
				    const struct leakd_frame *frames, uint32_t n);
/* Forgets the mappings of pid (not its modules, which reports still need). */
void symbolizer__forget_proc(struct symbolizer *s, pid_t pid);
/*
 * Describes a frame, innermost inlined function first and the real one last;
 * returns how many descriptions (at least 1, at most max).  The strings live as
 * long as the symbolizer.
 */
int symbolizer__describe(struct symbolizer *s, const struct stack_frame *f, struct frame_desc *ret,
			 int max);
void symbolizer__stats(const struct symbolizer *s, struct symbolizer_stats *ret);

/*
 * Module and JIT name ids do not outlive the symbolizer: a restart saves what they
 * stand for and registers them again.  symbolizer__module tells module id's file
 * (inode 0: a named non-file mapping; path NULL when never learned); -ENOENT for
 * an id not there.  symbolizer__restore_module registers a file (found again by
 * its path in leakd's namespace when it is still that inode) and returns its id,
 * 0 when it cannot.  The same for JIT names.
 */
uint32_t symbolizer__nr_modules(const struct symbolizer *s);
int symbolizer__module(const struct symbolizer *s, uint32_t id, uint64_t *ret_dev,
		       uint64_t *ret_inode, const char **ret_path);
uint32_t symbolizer__restore_module(struct symbolizer *s, uint64_t dev, uint64_t inode,
				    const char *path);
uint32_t symbolizer__nr_jit_names(const struct symbolizer *s);
const char *symbolizer__jit_name(const struct symbolizer *s, uint32_t id);
uint32_t symbolizer__restore_jit_name(struct symbolizer *s, const char *name);
size_t symbolizer__memory(const struct symbolizer *s);

#endif
