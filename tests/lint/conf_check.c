// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * What leakd's configuration file accepts, asked of options.c itself (no BPF, no
 * daemon), for the lint tests:
 *   conf_check accepted NAME...  for each NAME the file accepts, "NAME switch" or
 *                                "NAME value" (a bare NAME is a switch)
 *   conf_check defaults FILE     loads FILE and fails unless every setting in it
 *                                leaves its default as it was
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/options.h"

/* Loads text as a configuration file over the defaults. */
static int load_text(const char *text, struct leakd_options *o, char *err, size_t errlen)
{
	char path[] = "/tmp/leakd-conf-check-XXXXXX";
	int fd, e;

	options__defaults(o);
	fd = mkstemp(path);
	if (fd < 0) {
		e = -errno;
		snprintf(err, errlen, "mkstemp: %s", strerror(-e));
		return e;
	}
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		snprintf(err, errlen, "write: %s", strerror(errno));
		close(fd);
		unlink(path);
		return -EIO;
	}
	close(fd);
	e = options__load_config(path, o, err, errlen);
	unlink(path);
	return e;
}

static int accepted(int n, char **names)
{
	struct leakd_options o;
	char line[128], err[512];
	int i;

	for (i = 0; i < n; i++) {
		if (snprintf(line, sizeof(line), "%s\n", names[i]) >= (int)sizeof(line))
			return 1;
		err[0] = 0;
		if (!load_text(line, &o, err, sizeof(err)))
			printf("%s switch\n", names[i]);
		else if (strstr(err, "needs a value"))
			printf("%s value\n", names[i]);
		else if (!strstr(err, "unknown setting")) {
			fprintf(stderr, "conf_check: %s: unexpected answer: %s\n", names[i], err);
			return 1;
		}
	}
	return 0;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static int defaults(const char *path)
{
	struct leakd_options d, o;
	char err[512];

	options__defaults(&d);
	options__defaults(&o);
	if (options__load_config(path, &o, err, sizeof(err))) {
		fprintf(stderr, "conf_check: %s\n", err);
		return 1;
	}
	/* Strings by value, then everything else byte for byte (padding is zero in both). */
	if (!same_str(d.output, o.output) || !same_str(d.cache_dir, o.cache_dir) ||
	    !same_str(d.config, o.config) || !same_str(d.socket, o.socket) ||
	    !same_str(d.socket_group, o.socket_group) || !same_str(d.state_dir, o.state_dir) ||
	    !same_str(d.drilldown_exclude, o.drilldown_exclude) ||
	    !same_str(d.sampler, o.sampler) || d.command != o.command) {
		fprintf(stderr, "conf_check: %s: a string setting differs from its default\n",
			path);
		return 1;
	}
	o.output = d.output;
	o.cache_dir = d.cache_dir;
	o.config = d.config;
	o.socket = d.socket;
	o.socket_group = d.socket_group;
	o.state_dir = d.state_dir;
	o.drilldown_exclude = d.drilldown_exclude;
	o.sampler = d.sampler;
	options__free(&o);	/* the text it was read from: not a setting */
	if (memcmp(&d, &o, sizeof(d))) {
		fprintf(stderr, "conf_check: %s: a setting differs from its default\n", path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "accepted"))
		return accepted(argc - 2, argv + 2);
	if (argc == 3 && !strcmp(argv[1], "defaults"))
		return defaults(argv[2]);
	fprintf(stderr, "usage: conf_check accepted NAME... | conf_check defaults FILE\n");
	return 2;
}
