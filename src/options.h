/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* leakd's command line: its grammar, defaults and exit codes. */
#ifndef LEAKD_OPTIONS_H
#define LEAKD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Exit codes, documented in leakd(8). */
enum leakd_exit {
	EXIT_OK = 0,
	EXIT_FAILURE_RUNTIME = 1,	/* anything not listed below */
	EXIT_USAGE = 2,			/* bad arguments */
	EXIT_NO_PRIVILEGE = 3,		/* not root / missing capabilities */
	EXIT_NO_KERNEL_FEATURE = 4,	/* no BTF, uprobes, BPF ... */
	EXIT_NO_TARGET = 5,		/* no such process, or one leakd cannot trace */
	EXIT_NO_ALLOCATOR = 6,		/* the process maps no allocator leakd knows */
	EXIT_COMMAND_FAILED = 7,	/* the command could not be started */
};

enum leakd_mode {
	MODE_DAEMON,
	MODE_PID,
	MODE_COMMAND,
};

struct leakd_options {
	enum leakd_mode mode;
	pid_t pid;
	char **command;			/* NULL-terminated, from argv */
	uint64_t interval_ns;		/* 0: final report only */
	uint32_t top;			/* 0: all */
	uint64_t min_age_ns;
	uint64_t duration_ns;		/* 0: until the process exits or a signal */
	bool json;
	const char *output;		/* NULL: stdout */
	uint32_t max_depth;
	uint64_t ringbuf_bytes;
	uint64_t max_allocs;
	uint64_t max_stacks;
	uint64_t unwind_rows;		/* the kernel's unwind table budget, in rows */
	const char *cache_dir;		/* unwind tables built before; NULL: none */
	bool frame_pointers;		/* no unwind tables: frame pointers only */
	int verbose;
	bool help, version;
};

void options__defaults(struct leakd_options *o);
/* Parses argv into o.  -EINVAL with a one-line reason in err. */
int options__parse(int argc, char **argv, struct leakd_options *o, char *err, size_t errlen);
void options__usage(FILE *f);

#endif
