/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Fixed-width values in and out of a byte buffer, for files leakd writes and reads
 * back (the restart state).  The writer grows its buffer up to a bound and
 * remembers the first failure; the reader never reads past its end and remembers
 * that it would have, so that a caller checks once, after a record.
 */
#ifndef LEAKD_BASE_WIRE_H
#define LEAKD_BASE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wbuf {
	uint8_t *p;
	size_t n, cap, max;
	int err;		/* -ENOMEM, -E2BIG (past max); 0: fine */
};

/* max: the most the buffer may hold. */
void wbuf__init(struct wbuf *w, size_t max);
void wbuf__destroy(struct wbuf *w);
void wbuf__bytes(struct wbuf *w, const void *v, size_t n);
void wbuf__u8(struct wbuf *w, uint8_t v);
void wbuf__u32(struct wbuf *w, uint32_t v);
void wbuf__u64(struct wbuf *w, uint64_t v);
void wbuf__f64(struct wbuf *w, double v);
/* A string as a u32 length (at most max_len, longer is cut) and its bytes. */
void wbuf__str(struct wbuf *w, const char *s, size_t max_len);

struct rbuf {
	const uint8_t *p;
	size_t n, off;
	bool bad;		/* a read went past the end, or a check failed */
	const char *why;	/* the first failure */
};

void rbuf__init(struct rbuf *r, const void *p, size_t n);
/* Marks the buffer bad with a reason (the first one stays); returns false. */
bool rbuf__fail(struct rbuf *r, const char *why);
bool rbuf__bytes(struct rbuf *r, void *ret, size_t n);
uint8_t rbuf__u8(struct rbuf *r);
uint32_t rbuf__u32(struct rbuf *r);
uint64_t rbuf__u64(struct rbuf *r);
double rbuf__f64(struct rbuf *r);	/* bad unless finite */
/*
 * A string of at most size - 1 bytes into ret, terminated; a longer one, or one
 * with a NUL inside, makes the buffer bad.
 */
bool rbuf__str(struct rbuf *r, char *ret, size_t size);
/* A count of items of at least item_size bytes each that the rest can hold, up to max. */
uint32_t rbuf__count(struct rbuf *r, size_t item_size, uint64_t max);

#endif
