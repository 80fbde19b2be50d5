/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Sizes and durations as people write them, parsed and printed. */
#ifndef LEAKD_BASE_UNITS_H
#define LEAKD_BASE_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* "1.5s", "200ms", "10m", "2h", "1d"; a bare number is seconds.  -EINVAL / -ERANGE. */
int parse_duration(const char *s, uint64_t *ret_ns);
/* "64K", "16M", "1G" (powers of 1024); a bare number is bytes. */
int parse_size(const char *s, uint64_t *ret);
/* A whole decimal number in [min, max]. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret);
/* Bytes as "1.5 MiB" into buf. */
const char *fmt_bytes(uint64_t bytes, char *buf, size_t size);

#endif
