/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Stacks read back from leakd's own JSON (a saved snapshot, an ad-hoc report
 * file, a top answer), for diffs.  Input is untrusted: every field is checked,
 * sizes are bounded, and what does not parse is an error with a reason.
 */
#ifndef LEAKD_PRESENT_STACKLOAD_H
#define LEAKD_PRESENT_STACKLOAD_H

#include <stddef.h>

#include "present/snapshot.h"

#define STACKLOAD_MAX_BYTES (64u << 20)	/* of JSON text */
#define STACKLOAD_MAX_STACKS 100000

/*
 * The stacks of the last JSON object in text that has any (an ad-hoc report
 * file holds one object per report: the final one is last).  0, -EINVAL (not
 * leakd's JSON: *ret_why says why), -E2BIG, -ENOMEM.
 */
int stack_list__load_json(const char *text, size_t len, struct stack_list *ret,
			  const char **ret_why);
/* The same from a file. */
int stack_list__load_file(const char *path, struct stack_list *ret, const char **ret_why);

#endif
