// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Run with mimalloc preloaded (LD_PRELOAD=libmimalloc.so.2): one leak through
 * each of mimalloc's own entry points that a program calls directly, found with
 * dlsym so that building needs no mimalloc, and one through the standard malloc
 * that mimalloc overrides.  Exits 2 when mimalloc is not loaded.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "truth.h"

static void *(*mi_malloc)(size_t);
static void *(*mi_zalloc)(size_t);
static void *(*mi_calloc)(size_t, size_t);
static void *(*mi_mallocn)(size_t, size_t);
static void *(*mi_realloc)(void *, size_t);
static void *(*mi_reallocn)(void *, size_t, size_t);
static void *(*mi_malloc_aligned)(size_t, size_t);
static void *(*mi_calloc_aligned)(size_t, size_t, size_t);
static void *(*mi_new_n)(size_t, size_t);
static void (*mi_free)(void *);
static void (*mi_free_aligned)(void *, size_t);

#define FIND(name)                                                        \
	do {                                                              \
		*(void **)&name = dlsym(RTLD_DEFAULT, #name);             \
		if (!name) {                                              \
			fprintf(stderr, "%s: not found: preload libmimalloc.so.2\n", #name); \
			exit(2);                                          \
		}                                                         \
	} while (0)

NOINLINE void leak_mi_malloc(void)
{
	for (int i = 0; i < 3; i++)
		keep(mi_malloc(1000));
	truth_leak(__func__, 3000, 3);
}

NOINLINE void leak_mi_zalloc(void)
{
	for (int i = 0; i < 2; i++)
		keep(mi_zalloc(700));
	truth_leak(__func__, 1400, 2);
}

NOINLINE void leak_mi_calloc(void)
{
	for (int i = 0; i < 2; i++)
		keep(mi_calloc(10, 100));
	truth_leak(__func__, 2000, 2);
}

NOINLINE void leak_mi_mallocn(void)
{
	keep(mi_mallocn(5, 120));
	truth_leak(__func__, 600, 1);
}

NOINLINE void *small_block(void)
{
	void *p = mi_malloc(50);

	keep(p);
	return p;
}

NOINLINE void leak_mi_realloc(void)
{
	/* Grown past its size class, the block moves: small_block holds nothing after. */
	keep(mi_realloc(small_block(), 3000));
	truth_leak(__func__, 3000, 1);
	truth_balanced("small_block");
}

NOINLINE void leak_mi_reallocn(void)
{
	keep(mi_reallocn(NULL, 7, 100));
	truth_leak(__func__, 700, 1);
}

NOINLINE void leak_mi_malloc_aligned(void)
{
	keep(mi_malloc_aligned(2048, 256));
	truth_leak(__func__, 2048, 1);
}

NOINLINE void leak_mi_calloc_aligned(void)
{
	keep(mi_calloc_aligned(4, 300, 64));
	truth_leak(__func__, 1200, 1);
}

NOINLINE void leak_mi_new_n(void)
{
	keep(mi_new_n(3, 200));
	truth_leak(__func__, 600, 1);
}

NOINLINE void leak_std_malloc(void)
{
	/* malloc is mimalloc's here. */
	for (int i = 0; i < 2; i++)
		keep(malloc(1234));
	truth_leak(__func__, 2468, 2);
}

NOINLINE void churn(void)
{
	for (int i = 0; i < 5000; i++) {
		void *p = mi_malloc(64 + i % 512), *q = mi_malloc_aligned(128, 64);

		keep(p);
		keep(q);
		mi_free(p);
		mi_free_aligned(q, 64);
	}
	truth_balanced(__func__);
}

int main(void)
{
	FIND(mi_malloc);
	FIND(mi_zalloc);
	FIND(mi_calloc);
	FIND(mi_mallocn);
	FIND(mi_realloc);
	FIND(mi_reallocn);
	FIND(mi_malloc_aligned);
	FIND(mi_calloc_aligned);
	FIND(mi_new_n);
	FIND(mi_free);
	FIND(mi_free_aligned);
	leak_mi_malloc();
	leak_mi_zalloc();
	leak_mi_calloc();
	leak_mi_mallocn();
	leak_mi_realloc();
	leak_mi_reallocn();
	leak_mi_malloc_aligned();
	leak_mi_calloc_aligned();
	leak_mi_new_n();
	leak_std_malloc();
	churn();
	truth_write();
	return 0;
}
