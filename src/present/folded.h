/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Folded stacks: one line per stack, the root first, frames joined by ';', then
 * a space and the figure ("main;f;g 4096"), as flamegraph.pl, speedscope and
 * inferno read them.  Inlined functions are frames of their own, marked "_[i]"
 * as flamegraph.pl marks them; a ';' in a name (C++ operator names) becomes ':'
 * and control characters become spaces, so that every line splits right.
 */
#ifndef LEAKD_FOLDED_H
#define LEAKD_FOLDED_H

#include <stdio.h>

#include "present/profile.h"

/* The samples of p whose figure `value` is positive, in the profile's order. */
int folded__write(FILE *f, const struct profile *p, enum profile_value value);

#endif
