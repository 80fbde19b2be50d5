/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Ground truth of a test leaker: what it leaked from which function, written as
 * JSON to the file named by $LEAKER_TRUTH when the leaker is done.  Header-only so
 * that every leaker is one C file.
 */
#ifndef LEAKD_TEST_TRUTH_H
#define LEAKD_TEST_TRUTH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __clang__
#define NOINLINE __attribute__((noinline, used))	/* clang does not clone functions */
#else
#define NOINLINE __attribute__((noinline, noclone, used))
#endif

struct truth_site {
	const char *function;
	const char *via;	/* the library function it calls, frame 0 of the stack */
	unsigned long long bytes, count;
	int balanced;		/* must show no outstanding bytes */
	const char *stack[24];	/* the whole expected stack below frame 0, when given */
};

static struct truth_site truth_sites[64];
static int truth_nsites;
static const char *truth_keys[16];
static long long truth_vals[16];
static int truth_nnotes;

/* Keeps a pointer reachable so that neither gcc nor leakd can call it unused. */
static void *volatile truth_sink[1 << 16];
static unsigned truth_nsink;

static void keep(void *p)
{
	truth_sink[truth_nsink++ & 0xffff] = p;
}

static struct truth_site *truth_get(const char *fn)
{
	int i;

	for (i = 0; i < truth_nsites; i++)
		if (!strcmp(truth_sites[i].function, fn))
			return &truth_sites[i];
	truth_sites[truth_nsites].function = fn;
	return &truth_sites[truth_nsites++];
}

/* fn leaked count blocks of bytes in all. */
static void truth_leak(const char *fn, unsigned long long bytes, unsigned long long count)
{
	struct truth_site *s = truth_get(fn);

	s->bytes += bytes;
	s->count += count;
}

/* Like truth_leak, through a library function (strdup) that calls the allocator. */
static void truth_leak_via(const char *fn, const char *via, unsigned long long bytes,
			   unsigned long long count)
{
	struct truth_site *s = truth_get(fn);

	s->via = via;
	s->bytes += bytes;
	s->count += count;
}

/* The functions expected below fn in its stack, callers in order, NULL-terminated. */
static void truth_stack(const char *fn, const char *const *callers)
{
	struct truth_site *s = truth_get(fn);
	int i;

	for (i = 0; callers[i] && i < 23; i++)
		s->stack[i] = callers[i];
}

static void truth_balanced(const char *fn)
{
	truth_get(fn)->balanced = 1;
}

static void truth_note(const char *key, long long val)
{
	truth_keys[truth_nnotes] = key;
	truth_vals[truth_nnotes++] = val;
}

/* The ground truth to path (a process of many writes its own file). */
static void truth_write_to(const char *path)
{
	FILE *f;
	int i;

	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(99);
	}
	fprintf(f, "{\"pid\": %d, \"sites\": [", (int)getpid());
	for (i = 0; i < truth_nsites; i++) {
		struct truth_site *t = &truth_sites[i];

		fprintf(f, "%s{\"function\": \"%s\", \"via\": \"%s\", \"bytes\": %llu, "
			   "\"count\": %llu, \"balanced\": %s, \"stack\": [",
			i ? ", " : "", t->function, t->via ? t->via : "", t->bytes, t->count,
			t->balanced ? "true" : "false");
		for (int k = 0; t->stack[k]; k++)
			fprintf(f, "%s\"%s\"", k ? ", " : "", t->stack[k]);
		fprintf(f, "]}");
	}
	fprintf(f, "], \"notes\": {");
	for (i = 0; i < truth_nnotes; i++)
		fprintf(f, "%s\"%s\": %lld", i ? ", " : "", truth_keys[i], truth_vals[i]);
	fprintf(f, "}}\n");
	fclose(f);
}

static void truth_write(void)
{
	const char *path = getenv("LEAKER_TRUTH");

	if (path)
		truth_write_to(path);
}

#endif
