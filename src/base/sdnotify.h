/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Tells systemd (Type=notify) a state, if it started us; no libsystemd needed. */
#ifndef LEAKD_BASE_SDNOTIFY_H
#define LEAKD_BASE_SDNOTIFY_H

void sd_notify_msg(const char *msg);

#endif
