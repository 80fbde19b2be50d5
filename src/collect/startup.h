/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* What both of leakd's modes do to start: the BPF side, and what they say of it. */
#ifndef LEAKD_STARTUP_H
#define LEAKD_STARTUP_H

struct tracer;
struct tracer_opts;
struct unwind_table_note;

/* Checks privileges and kernel, loads the BPF programs; an exit code of leakd(8). */
int startup__tracer(const struct tracer_opts *opts, struct tracer **ret);
/* An unwinder callback: tells (at debug level) of each unwind table installed. */
void startup__log_table(void *ctx, const struct unwind_table_note *note);

#endif
