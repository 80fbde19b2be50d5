// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libiberty/demangle.h>

#include "stacks/names.h"

/* Groups nested deeper than this are shortened no further, only copied. */
#define SHORTEN_MAX_DEPTH 32

bool name_is_mangled(const char *raw)
{
	return raw[0] == '_' && (raw[1] == 'Z' || raw[1] == 'R');
}

char *name_demangle(const char *raw)
{
	const int opts = DMGL_PARAMS | DMGL_ANSI;
	char *d;

	if (!name_is_mangled(raw) || strnlen(raw, NAME_MANGLED_MAX) >= NAME_MANGLED_MAX)
		return NULL;
	/*
	 * Rust first: a legacy Rust symbol is also a valid C++ one, ending in its
	 * hash.  These two entry points return NULL when memory runs out; the
	 * library's generic cplus_demangle() can exit the process instead.
	 */
	d = rust_demangle(raw, opts);
	if (!d && raw[1] == 'Z')
		d = cplus_demangle_v3(raw, opts);
	return d;
}

/* Output of the shortener: counts everything, stores what fits. */
struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->size && o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_n(struct out *o, const char *s, size_t n)
{
	while (n--)
		put(o, *s++);
}

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '$';
}

/* Whether s[i] starts a name component: the start, or after "::", a space or a bracket. */
static bool component_start(const char *s, size_t i)
{
	return !i || s[i - 1] == ':' || s[i - 1] == ' ' || s[i - 1] == '(' || s[i - 1] == '<' ||
	       s[i - 1] == '{' || s[i - 1] == ',';
}

static bool has_prefix(const char *s, size_t n, const char *p)
{
	size_t len = strlen(p);

	return n >= len && !memcmp(s, p, len);
}

/*
 * At s[i..n) "operator" followed by an operator's symbol or word: the length of
 * both; *ret_conversion when what follows is a type (operator bool).  0 when
 * s[i] does not start an operator's name.
 */
static size_t operator_len(const char *s, size_t i, size_t n, bool *ret_conversion)
{
	static const char *const symbols[] = {
		"<=>", "<<=", ">>=", "->*", "()", "[]", "<<", ">>", "<=", ">=", "==", "!=",
		"&&", "||", "++", "--", "->", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
		"<", ">", "+", "-", "*", "/", "%", "&", "|", "^", "~", "!", "=", ",",
		" new[]", " new", " delete[]", " delete", " co_await",
	};
	const size_t kw = sizeof("operator") - 1;
	size_t k;

	*ret_conversion = false;
	if (!component_start(s, i) || !has_prefix(s + i, n - i, "operator") ||
	    (i + kw < n && ident_char(s[i + kw])))
		return 0;
	for (k = 0; k < sizeof(symbols) / sizeof(symbols[0]); k++) {
		size_t len = strlen(symbols[k]);

		if (has_prefix(s + i + kw, n - i - kw, symbols[k]) &&
		    (symbols[k][0] != ' ' || i + kw + len >= n || !ident_char(s[i + kw + len])))
			return kw + len;
	}
	/* A user-defined literal: operator"" _km */
	if (has_prefix(s + i + kw, n - i - kw, "\"\"")) {
		k = i + kw + 2;
		if (k < n && s[k] == ' ')
			k++;
		while (k < n && ident_char(s[k]))
			k++;
		return k - i;
	}
	*ret_conversion = i + kw < n && s[i + kw] == ' ';
	return kw;
}

static bool opener(char c)
{
	return c == '(' || c == '<' || c == '[' || c == '{';
}

static bool closer(char c)
{
	return c == ')' || c == '>' || c == ']' || c == '}';
}

/* s[i] opens a group: the index after the bracket that closes it, or n. */
static size_t skip_group(const char *s, size_t i, size_t n)
{
	size_t depth = 0, k;
	bool conv;

	while (i < n) {
		k = operator_len(s, i, n, &conv);
		if (k) {
			i += k;		/* "operator<" inside a group closes nothing */
			continue;
		}
		if (s[i] == '-' && i + 1 < n && s[i + 1] == '>') {
			i += 2;
			continue;
		}
		if (opener(s[i]))
			depth++;
		else if (closer(s[i]) && depth && !--depth)
			return i + 1;
		i++;
	}
	return n;
}

static void shorten(struct out *o, const char *s, size_t n, bool top, int depth);

/* Copies the group s[i..j) with its brackets, its inside shortened as a group. */
static void copy_group(struct out *o, const char *s, size_t i, size_t j, int depth)
{
	bool closed = j > i + 1 && closer(s[j - 1]);

	put(o, s[i]);
	shorten(o, s + i + 1, j - i - 1 - closed, false, depth + 1);
	if (closed)
		put(o, s[j - 1]);
}

/*
 * Shortens s[0..n).  At the top, what precedes a space belongs to a return type
 * and goes, and so does what follows the parameter list (const, &&, noexcept),
 * but for a " [clone .cold]" suffix.  Inside braces ({lambda(int)#1}) and Rust's
 * qualified paths (<T as Trait>) spaces stay and parameter lists go alone.
 */
static void shorten(struct out *o, const char *s, size_t n, bool top, int depth)
{
	size_t start = o->len, i = 0, j, k;
	bool params_done = false, conv;

	if (depth > SHORTEN_MAX_DEPTH) {
		put_n(o, s, n);
		return;
	}
	while (i < n) {
		char c = s[i];

		if (params_done) {
			if (has_prefix(s + i, n - i, " [clone ")) {
				j = skip_group(s, i + 1, n);
				put_n(o, s + i, j - i);
				i = j;
			} else {
				i++;
			}
			continue;
		}
		k = operator_len(s, i, n, &conv);
		if (k) {
			put_n(o, s + i, k);
			i += k;
			if (conv) {
				/* The type converted to, up to the parameter list. */
				while (i < n && s[i] != '(') {
					if (s[i] == '<') {
						i = skip_group(s, i, n);
					} else {
						put(o, s[i]);
						i++;
					}
				}
			}
			/* "operator< <int>": the operator's own template arguments. */
			if (i + 1 < n && s[i] == ' ' && s[i + 1] == '<')
				i++;
			if (i < n && s[i] == '<')
				i = skip_group(s, i, n);
			continue;
		}
		switch (c) {
		case '<':
			j = skip_group(s, i, n);
			if (i >= 2 && s[i - 1] == ':' && s[i - 2] == ':') {
				/* Rust's "f::<T>": the "::" goes with the arguments. */
				if (o->len >= start + 2)
					o->len -= 2;
			} else if (component_start(s, i)) {
				copy_group(o, s, i, j, depth);	/* <T as Trait> */
			}
			i = j;
			break;
		case '(':
			j = skip_group(s, i, n);
			if (has_prefix(s + i, n - i, "(anonymous namespace)")) {
				put_n(o, s + i, j - i);
			} else if (top && i + 1 < n && (s[i + 1] == '*' || s[i + 1] == '&')) {
				/* A function returning a function pointer: void (*f(int))(long) */
				o->len = start;
				shorten(o, s + i + 2, j - i - 2 - (s[j - 1] == ')'), true, depth + 1);
				params_done = true;
			} else if (top && o->len > start) {
				/* The parameters of a function whose local entity this is go alone. */
				for (k = j; k < n && (s[k] == ' ' || s[k] == '&' || ident_char(s[k]));)
					k++;
				if (has_prefix(s + k, n - k, "::"))
					j = k;
				else
					params_done = true;
			}
			/* else: a lambda's parameters, or a return type's decltype(...) */
			i = j;
			break;
		case '{':
			j = skip_group(s, i, n);
			copy_group(o, s, i, j, depth);
			i = j;
			break;
		case '[':
			j = skip_group(s, i, n);
			if (!has_prefix(s + i, n - i, "[abi:"))
				put_n(o, s + i, j - i);
			i = j;
			break;
		case ' ':
			if (!top)
				put(o, c);
			else if (i + 1 < n && s[i + 1] == '[')
				put(o, c);
			else
				o->len = start;		/* what came before was a return type */
			i++;
			break;
		default:
			put(o, c);
			i++;
		}
	}
}

size_t name_shorten(const char *name, char *buf, size_t size)
{
	struct out o = { buf, size, 0 };
	size_t n = strlen(name);

	shorten(&o, name, n, true, 0);
	if (!o.len) {
		o.len = 0;
		put_n(&o, name, n);
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return o.len;
}

struct name_slot {
	uint64_t key;		/* the address of the raw name */
	char *name;
};

int name_cache__init(struct name_cache *c, size_t max_bytes)
{
	memset(c, 0, sizeof(*c));
	c->max_bytes = max_bytes;
	return hashtab__init(&c->map, sizeof(struct name_slot), 64);
}

void name_cache__destroy(struct name_cache *c)
{
	struct name_slot *slot;
	size_t i;

	if (!c->map.slots)
		return;
	hashtab__for_each(&c->map, i, slot)
		free(slot->name);
	hashtab__destroy(&c->map);
}

const char *name_cache__get(const struct name_cache *c, const void *key)
{
	const struct name_slot *slot = hashtab__get(&c->map, (uint64_t)(uintptr_t)key);

	return slot ? slot->name : NULL;
}

const char *name_cache__keep(struct name_cache *c, const void *key, char *name)
{
	struct name_slot *slot;
	size_t len = strlen(name);

	if (c->bytes >= c->max_bytes) {
		c->dropped++;
		free(name);
		return NULL;
	}
	if (len > NAME_SHOWN_MAX) {
		memcpy(name + NAME_SHOWN_MAX - 3, "...", 4);
		len = NAME_SHOWN_MAX;
	}
	slot = hashtab__upsert(&c->map, (uint64_t)(uintptr_t)key, NULL);
	if (!slot) {
		free(name);
		return NULL;
	}
	free(slot->name);
	slot->name = name;
	c->bytes += len + 1;
	return name;
}

const char *name_cache__display(struct name_cache *c, const char *raw)
{
	const char *at = strchr(raw, '@'), *kept;
	bool mangled = name_is_mangled(raw);
	char *name, *dm;

	if (!mangled && (!at || at == raw))
		return raw;
	kept = name_cache__get(c, raw);
	if (kept)
		return kept;
	if (c->bytes >= c->max_bytes) {
		c->dropped++;
		return raw;
	}
	/* Corrupt DWARF can name a function with a whole section: it is cut short. */
	name = strndup(raw, at && at != raw ? (size_t)(at - raw) : NAME_MANGLED_MAX);
	if (!name)
		return raw;
	if (mangled) {
		dm = name_demangle(name);
		if (dm) {
			free(name);
			name = dm;
		}
	}
	kept = name_cache__keep(c, raw, name);
	return kept ? kept : raw;
}

size_t name_cache__memory(const struct name_cache *c)
{
	return hashtab__memory(&c->map) + c->bytes;
}
