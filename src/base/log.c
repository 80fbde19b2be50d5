// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>

#include "base/log.h"

static const char *log_prog = "leakd";
static enum log_level log_max = LOG_LVL_INFO;
static int log_journal;

/* journald sets JOURNAL_STREAM to "dev:ino" of the stream it gave us as stderr. */
static int stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%lu:%lu", &dev, &ino) != 2 || fstat(2, &st))
		return 0;
	return st.st_dev == dev && st.st_ino == ino;
}

void log_init(const char *prog, enum log_level max)
{
	log_prog = prog;
	log_max = max;
	log_journal = stderr_is_journal();
}

void log_set_level(enum log_level max)
{
	log_max = max;
}

enum log_level log_get_level(void)
{
	return log_max;
}

static __attribute__((format(printf, 2, 0))) void log_vmsg(enum log_level lvl, const char *fmt,
							    va_list ap)
{
	char *buf;
	int n;

	if (lvl > log_max)
		return;
	/* Verifier logs run to many kilobytes: no fixed buffer. */
	n = vasprintf(&buf, fmt, ap);
	if (n < 0)
		return;
	/* libbpf's messages end in a newline, ours do not. */
	while (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	if (log_journal)
		fprintf(stderr, "<%d>%s\n", lvl, buf);
	else
		fprintf(stderr, "%s: %s\n", log_prog, buf);
	free(buf);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

static __attribute__((format(printf, 2, 0))) int libbpf_print(enum libbpf_print_level level,
								const char *fmt, va_list ap)
{
	/* libbpf warns about much that leakd handles itself: keep it at debug. */
	enum log_level lvl = level == LIBBPF_WARN ? LOG_LVL_DEBUG : LOG_LVL_DEBUG + 1;

	log_vmsg(lvl, fmt, ap);
	return 0;
}

void log_hook_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
