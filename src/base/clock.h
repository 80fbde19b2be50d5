/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* CLOCK_MONOTONIC, the clock of the BPF side's timestamps. */
#ifndef LEAKD_BASE_CLOCK_H
#define LEAKD_BASE_CLOCK_H

#include <stdint.h>

#define NSEC_PER_SEC ((uint64_t)1000000000)
#define NSEC_PER_MSEC ((uint64_t)1000000)

uint64_t now_ns(void);

#endif
