// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "present/profile.h"

/* Strings live in chunks freed with the profile: no free per string. */
struct profile_chunk {
	struct profile_chunk *next;
	size_t used, size;
	char data[];
};

#define CHUNK_SIZE 65536

struct profile *profile__new(void)
{
	return calloc(1, sizeof(struct profile));
}

void profile__free(struct profile *p)
{
	struct profile_chunk *c, *next;
	uint32_t i;

	if (!p)
		return;
	for (i = 0; i < p->nr_locations; i++)
		free(p->locations[i].lines);
	for (i = 0; i < p->nr_samples; i++)
		free(p->samples[i].locs);
	free(p->mappings);
	free(p->locations);
	free(p->samples);
	for (c = p->strings; c; c = next) {
		next = c->next;
		free(c);
	}
	free(p);
}

const char *profile__strdup(struct profile *p, const char *s)
{
	struct profile_chunk *c = p->strings;
	size_t len;
	char *ret;

	if (!s)
		return NULL;
	len = strlen(s) + 1;
	if (p->string_bytes + len > PROFILE_MAX_STRING_BYTES) {
		errno = E2BIG;
		return NULL;
	}
	if (!c || c->size - c->used < len) {
		size_t size = len > CHUNK_SIZE ? len : CHUNK_SIZE;

		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->size = size;
		c->used = 0;
		c->next = p->strings;
		p->strings = c;
	}
	ret = c->data + c->used;
	memcpy(ret, s, len);
	c->used += len;
	p->string_bytes += len;
	return ret;
}

/* Room for one more element in *arr of *cap. */
static int grow(void **arr, uint32_t *cap, uint32_t n, size_t elem)
{
	uint32_t ncap;
	void *na;

	if (n < *cap)
		return 0;
	if (n >= UINT32_MAX / 2)
		return -E2BIG;
	ncap = *cap ? 2 * *cap : 64;
	na = realloc(*arr, (size_t)ncap * elem);
	if (!na)
		return -ENOMEM;
	*arr = na;
	*cap = ncap;
	return 0;
}

int profile__add_mapping(struct profile *p, uint64_t start, uint64_t limit, uint64_t offset,
			 const char *path, const char *build_id)
{
	struct profile_mapping *m;
	int err;

	err = grow((void **)&p->mappings, &p->cap_mappings, p->nr_mappings, sizeof(*m));
	if (err)
		return err;
	m = &p->mappings[p->nr_mappings];
	m->start = start;
	m->limit = limit;
	m->offset = offset;
	m->path = profile__strdup(p, path ? path : "");
	m->build_id = profile__strdup(p, build_id ? build_id : "");
	if (!m->path || !m->build_id)
		return -errno;
	return ++p->nr_mappings;
}

int profile__add_location(struct profile *p, uint64_t address, uint64_t offset, uint32_t mapping,
			  const struct profile_line *lines, uint32_t nr_lines)
{
	struct profile_location *l;
	uint32_t i;
	int err;

	if (mapping > p->nr_mappings)
		return -EINVAL;
	err = grow((void **)&p->locations, &p->cap_locations, p->nr_locations, sizeof(*l));
	if (err)
		return err;
	l = &p->locations[p->nr_locations];
	memset(l, 0, sizeof(*l));
	l->address = address;
	l->offset = offset;
	l->mapping = mapping;
	if (nr_lines) {
		l->lines = calloc(nr_lines, sizeof(*l->lines));
		if (!l->lines)
			return -ENOMEM;
	}
	for (i = 0; i < nr_lines; i++) {
		struct profile_line *d = &l->lines[i];

		d->function = profile__strdup(p, lines[i].function ? lines[i].function
								 : "[unknown]");
		d->file = profile__strdup(p, lines[i].file);
		d->line = lines[i].line;
		d->inlined = lines[i].inlined;
		if (!d->function || (lines[i].file && !d->file)) {
			err = -errno;
			free(l->lines);
			l->lines = NULL;
			return err;
		}
	}
	l->nr_lines = nr_lines;
	return ++p->nr_locations;
}

int profile__add_sample(struct profile *p, const int64_t value[PROFILE__NR_VALUES],
			const uint32_t *locs, uint32_t nr_locs)
{
	struct profile_sample *s;
	uint32_t i;
	int err;

	for (i = 0; i < nr_locs; i++)
		if (!locs[i] || locs[i] > p->nr_locations)
			return -EINVAL;
	err = grow((void **)&p->samples, &p->cap_samples, p->nr_samples, sizeof(*s));
	if (err)
		return err;
	s = &p->samples[p->nr_samples];
	memcpy(s->value, value, sizeof(s->value));
	s->nr_locs = nr_locs;
	s->locs = NULL;
	if (nr_locs) {
		s->locs = malloc(nr_locs * sizeof(*s->locs));
		if (!s->locs)
			return -ENOMEM;
		memcpy(s->locs, locs, nr_locs * sizeof(*s->locs));
	}
	return ++p->nr_samples;
}

const char *profile__frame_name(const struct profile *p, const struct profile_location *l,
				uint32_t i, char *buf, size_t size)
{
	const char *path, *slash;

	if (i < l->nr_lines)
		return l->lines[i].function;
	if (l->mapping) {
		path = p->mappings[l->mapping - 1].path;
		slash = strrchr(path, '/');
		snprintf(buf, size, "[%s+0x%" PRIx64 "]", slash ? slash + 1 : path, l->offset);
	} else {
		snprintf(buf, size, "[0x%" PRIx64 "]", l->address);
	}
	return buf;
}
