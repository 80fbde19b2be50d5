// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Says "ready" and waits for a line on stdin (a tracer attaches meanwhile); loads
 * leakplugin.so (next to this program) with dlopen, says "loaded" and waits for
 * another line; then calls into it.  The plugin's leak must be found, with this
 * program's caller below it.
 */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "truth.h"

static volatile int sink_int;

NOINLINE void call_plugin(int (*fn)(int))
{
	sink_int += fn(5);
}

int main(void)
{
	static const char *const callers[] = { "call_plugin", "main", NULL };
	char exe[PATH_MAX], path[PATH_MAX + 32], line[16];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	void *h;
	int (*fn)(int);

	if (n <= 0)
		return 1;
	exe[n] = 0;
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	snprintf(path, sizeof(path), "%s/leakplugin.so", dirname(exe));
	h = dlopen(path, RTLD_NOW);
	fn = h ? (int (*)(int))dlsym(h, "plugin_leak") : NULL;
	if (!fn) {
		fprintf(stderr, "leak_dlopen: %s\n", dlerror());
		return 1;
	}
	printf("loaded %d\n", (int)getpid());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	call_plugin(fn);
	truth_leak("plugin_leak", 5 * 321, 5);
	truth_stack("plugin_leak", callers);
	truth_write();
	return 0;
}
