/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Macros every module may use. */
#ifndef LEAKD_BASE_MACROS_H
#define LEAKD_BASE_MACROS_H

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
