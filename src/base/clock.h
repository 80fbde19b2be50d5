/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* CLOCK_MONOTONIC, the clock of the BPF side's timestamps. */
#ifndef LEAKD_BASE_CLOCK_H
#define LEAKD_BASE_CLOCK_H

#include <stdint.h>

#define NSEC_PER_SEC ((uint64_t)1000000000)
#define NSEC_PER_MSEC ((uint64_t)1000000)

uint64_t now_ns(void);
/*
 * A time in clock ticks since boot (a process's start in /proc/PID/stat) on
 * CLOCK_MONOTONIC, which stops while the machine sleeps; 0 for 0.
 */
uint64_t boot_ticks_to_ns(uint64_t ticks);

#endif
