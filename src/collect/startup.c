// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <string.h>

#include "base/log.h"
#include "cli/options.h"
#include "collect/startup.h"
#include "collect/tracer.h"
#include "stacks/unwinder.h"

int startup__tracer(const struct tracer_opts *opts, struct tracer **ret)
{
	const char *why;
	int err;

	err = tracer__check(&why);
	if (err) {
		log_err("%s", why);
		return err == -EPERM ? EXIT_NO_PRIVILEGE : EXIT_NO_KERNEL_FEATURE;
	}
	if (!tracer__syscalls_possible(opts->syscalls)) {
		log_err("syscall-probes: this kernel cannot probe the memory system calls that way "
			"(leakd --version says how it can)");
		return EXIT_NO_KERNEL_FEATURE;
	}
	*ret = tracer__new(opts);
	if (!*ret) {
		err = errno;
		log_err("cannot load the BPF programs: %s%s", strerror(err),
			log_get_level() < LOG_LVL_DEBUG ? " (-v tells more)" : "");
		return err == EPERM ? EXIT_NO_PRIVILEGE : EXIT_NO_KERNEL_FEATURE;
	}
	return EXIT_OK;
}

void startup__log_table(void *ctx, const struct unwind_table_note *note)
{
	(void)ctx;
	if (note->rows)
		log_debug("unwind table ready: %s (%u rows %s in %.1f ms)", note->path,
			  note->rows, note->from_cache ? "loaded from the cache" : "built",
			  note->build_us / 1000.0);
	else
		log_debug("no unwind table for %s: frame pointers there", note->path);
}
