// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Says "ready" and waits for a line on stdin (a tracer attaches meanwhile); then
 * loads libotelprobe.so (next to this program) with dlopen, waits until a tracer
 * listens to its otel_memory probes (their semaphores, raised by the kernel when
 * the tracer attaches to the newly mapped library), says "listening", waits for
 * another line (the kernel raises a semaphore just before it arms the probe: the
 * tracer says when it is done) and leaks through them.
 */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "truth.h"

static void *(*probe_alloc)(size_t, size_t);

NOINLINE void leak_late(void)
{
	for (int i = 0; i < 5; i++)
		keep(probe_alloc(300, 3000));
	truth_leak(__func__, 5 * 3000, 5 * 10);
}

int main(void)
{
	struct timespec ms = { 0, 1000000 };
	char exe[PATH_MAX], path[PATH_MAX + 32], line[16];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int (*listening)(void);
	void *h;
	int i;

	if (n <= 0)
		return 1;
	exe[n] = 0;
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	snprintf(path, sizeof(path), "%s/libotelprobe.so", dirname(exe));
	h = dlopen(path, RTLD_NOW);
	probe_alloc = h ? (void *(*)(size_t, size_t))dlsym(h, "otelprobe_alloc") : NULL;
	listening = h ? (int (*)(void))dlsym(h, "otelprobe_listening") : NULL;
	if (!probe_alloc || !listening) {
		fprintf(stderr, "leak_otel_dlopen: %s\n", dlerror());
		return 1;
	}
	/* The condition itself is polled: at most 30 s. */
	for (i = 0; i < 30000 && !listening(); i++)
		nanosleep(&ms, NULL);
	if (!listening()) {
		fprintf(stderr, "leak_otel_dlopen: nobody listens to the probes\n");
		return 1;
	}
	printf("listening %d\n", (int)getpid());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	leak_late();
	truth_write();
	return 0;
}
