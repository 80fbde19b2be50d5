/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A profile in pprof's format: gzip-compressed profile.proto, with the sample
 * types Go's heap profiles have (alloc_objects/count, alloc_space/bytes,
 * inuse_objects/count, inuse_space/bytes; inuse_space the default), so that
 * `go tool pprof`, Parca and Pyroscope read it as they read a Go heap profile.
 */
#ifndef LEAKD_PPROF_H
#define LEAKD_PPROF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "present/profile.h"

/* The gzip-compressed encoding of p in a malloc'd buffer; 0 or -errno. */
int pprof__encode(const struct profile *p, uint8_t **ret_buf, size_t *ret_len);
int pprof__write(FILE *f, const struct profile *p);

#endif
