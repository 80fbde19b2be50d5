/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Logging to stderr, with journald priority prefixes when stderr is the journal. */
#ifndef LEAKD_LOG_H
#define LEAKD_LOG_H

#include <stdarg.h>

/* Syslog priorities; TRACE (beyond debug, -vv) is libbpf's chatter, never sent to journald. */
enum log_level {
	LOG_LVL_ERR = 3,
	LOG_LVL_WARN = 4,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7,
	LOG_LVL_TRACE = 8,
};

void log_init(const char *prog, enum log_level max);
void log_set_level(enum log_level max);
enum log_level log_get_level(void);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Routes libbpf's own messages through log_msg. */
void log_hook_libbpf(void);

#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
