/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A self-contained SVG flame graph of a profile, rendered by leakd itself: an
 * icicle (the root on top, callees below), each frame as wide as its share of
 * live bytes (or of growth), its tooltip with the exact figures.  A small inline
 * script zooms on a click and searches; nothing is fetched from the network, and
 * without scripts (rsvg-convert, an <img>) the picture is complete.
 */
#ifndef LEAKD_FLAMEGRAPH_H
#define LEAKD_FLAMEGRAPH_H

#include <stdio.h>

#include "present/profile.h"

struct flamegraph_opts {
	enum profile_value value;	/* PROFILE_INUSE_SPACE, or PROFILE_GROWTH */
	const char *title;		/* NULL: from the profile's process */
	unsigned width;			/* px; 0: 1200 */
};

/* Frames narrower than this many px are left out, as flamegraph.pl does. */
#define FLAMEGRAPH_MIN_PX 0.1

int flamegraph__write(FILE *f, const struct profile *p, const struct flamegraph_opts *o);

#endif
