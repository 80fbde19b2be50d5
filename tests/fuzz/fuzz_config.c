// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The configuration file (src/cli/options.c) on any text, and the same lines as a
 * command line: accepted or refused with a one-line reason, never a crash.
 */
#include <fcntl.h>

#include "cli/options.h"
#include "fuzz.h"

#define MAX_ARGS 64

static char path[512];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct leakd_options o;
	char err[512], *text, *argv[MAX_ARGS + 2], *line;
	int argc = 0, fd, e;
	size_t done = 0;

	if (!path[0])
		fuzz_tmp_path(path, sizeof(path), "leakd.conf");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	fuzz_assert(fd >= 0);
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		fuzz_assert(n > 0);
		done += (size_t)n;
	}
	close(fd);
	options__defaults(&o);
	err[0] = 0;
	e = options__load_config(path, &o, err, sizeof(err));
	if (e) {
		fuzz_assert(e < 0 && err[0]);
		fuzz_assert(!strchr(err, '\n'));
	}
	options__free(&o);		/* the texts the configuration's strings point into */

	/* Each line an argument, after the program's name. */
	text = malloc(size + 1);
	fuzz_assert(text);
	memcpy(text, data, size);
	text[size] = 0;
	argv[argc++] = "leakd";
	for (line = text; line && argc <= MAX_ARGS; ) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl++ = 0;
		argv[argc++] = line;
		line = nl;
	}
	argv[argc] = NULL;
	err[0] = 0;
	e = options__parse(argc, argv, &o, err, sizeof(err));
	if (e)
		fuzz_assert(e < 0 && err[0]);
	free(text);
	return 0;
}
