/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Function names as reports show them.  It owns the one demangler (libiberty's,
 * for C++ and for Rust's legacy and v0 schemes), the cache of shown names that
 * the symbol table and DWARF readers each keep, and the shortening of long C++
 * and Rust names that text reports do on request.
 */
#ifndef LEAKD_NAMES_H
#define LEAKD_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/hashtab.h"

/* A shown name longer than this is cut, ending in "...": template soup costs memory. */
#define NAME_SHOWN_MAX 4096
/*
 * Mangled names at least this long stay mangled: the demangler's scratch space is
 * on the stack, about 60 bytes per character of input.
 */
#define NAME_MANGLED_MAX 16384

/* Whether raw looks like a C++ ("_Z...") or Rust v0 ("_R...") symbol. */
bool name_is_mangled(const char *raw);

/*
 * The demangled form of a C++ or Rust (legacy "_ZN...17h<hash>E" and v0 "_R...")
 * symbol, with parameter lists, malloc()ed; NULL when raw is not a mangled name
 * the demangler understands (or is NAME_MANGLED_MAX long or longer).
 */
char *name_demangle(const char *raw);

/*
 * A demangled name without template arguments, parameter lists, return type and
 * qualifiers: "std::vector<int>::push_back(int const&)" becomes
 * "std::vector::push_back".  Operators, "(anonymous namespace)", lambdas and Rust's
 * "<T as Trait>" paths keep their shape.  Writes at most size bytes with the NUL
 * and returns the length of the whole result, as snprintf does; the result is
 * never longer than name.  A name that would shorten to nothing is copied.
 */
size_t name_shorten(const char *name, char *buf, size_t size);

/*
 * Shown names kept by the address of the raw string they stand for, which the
 * caller owns and keeps for as long as the cache; bounded in bytes.
 */
struct name_cache {
	struct hashtab map;	/* struct name_slot */
	size_t bytes, max_bytes;
	uint64_t dropped;	/* names not kept: the bound was reached */
};

int name_cache__init(struct name_cache *c, size_t max_bytes);
void name_cache__destroy(struct name_cache *c);
/* The name kept for key, or NULL. */
const char *name_cache__get(const struct name_cache *c, const void *key);
/*
 * Keeps name (malloc()ed; the cache takes it) as the shown form of key, cut to
 * NAME_SHOWN_MAX.  Returns the kept name, or NULL when it could not be kept (name
 * is freed then).
 */
const char *name_cache__keep(struct name_cache *c, const void *key, char *name);
/*
 * The shown form of a symbol name: demangled, without the version an ELF name can
 * carry ("xdr_uint32_t@GLIBC_2.2.5").  raw itself when it needs no change or when
 * the cache is full.
 */
const char *name_cache__display(struct name_cache *c, const char *raw);
size_t name_cache__memory(const struct name_cache *c);

#endif
