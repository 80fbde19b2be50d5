/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Ad-hoc mode: trace one process (by pid, or a command leakd starts) and report on it. */
#ifndef LEAKD_ADHOC_H
#define LEAKD_ADHOC_H

#include <signal.h>

#include "cli/options.h"

/* Runs until the process exits, a signal or the duration; returns an exit code. */
int adhoc__run(const struct leakd_options *o, const sigset_t *orig_mask);

#endif
