/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A heap profile as plain data: what the export renderers (pprof, folded stacks,
 * SVG flame graphs) take.  It holds names, not symbolizer handles, and owns every
 * string it points to, so that a renderer needs nothing else and a profile can be
 * crafted by hand in a test.  Building one from a snapshot's stacks is in
 * present/profile_stacks.h.
 */
#ifndef LEAKD_PROFILE_H
#define LEAKD_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The figures of a sample, in the order Go's heap profiles name them. */
enum profile_value {
	PROFILE_ALLOC_OBJECTS,	/* count: allocated since tracing began */
	PROFILE_ALLOC_SPACE,	/* bytes */
	PROFILE_INUSE_OBJECTS,	/* count: live now */
	PROFILE_INUSE_SPACE,	/* bytes */
	PROFILE_GROWTH,		/* bytes per hour; only when the profile has_growth */
	PROFILE__NR_VALUES,
};

/* One function of a location: several per location when code was inlined. */
struct profile_line {
	const char *function;	/* never NULL */
	const char *file;	/* NULL when unknown */
	int64_t line;		/* 0 when unknown */
	bool inlined;		/* inlined into the next line of its location */
};

/* A module the process mapped; address = start + (file offset - offset). */
struct profile_mapping {
	uint64_t start, limit, offset;
	const char *path;	/* never NULL */
	const char *build_id;	/* hex; "" when none */
};

/* A place in code.  A location without lines is named by its module and offset. */
struct profile_location {
	uint64_t address;	/* as the process saw it; 0 for a marker */
	uint64_t offset;	/* file offset in its mapping's file */
	uint32_t mapping;	/* 1-based index into mappings; 0: none */
	uint32_t nr_lines;
	struct profile_line *lines;	/* innermost inlined first, the real function last */
};

struct profile_sample {
	int64_t value[PROFILE__NR_VALUES];
	uint32_t nr_locs;
	uint32_t *locs;		/* 1-based indexes into locations, the leaf first */
};

struct profile {
	const char *comm;	/* what the profile is of, for titles; may be NULL */
	uint64_t pid;		/* 0: of many processes */
	int64_t time_ns;	/* wall clock, since the epoch */
	int64_t duration_ns;	/* how long tracing ran */
	int64_t period;		/* bytes one sampled byte stands for: 1 when exact */
	bool has_growth;	/* PROFILE_GROWTH is meaningful */
	const char *warning;	/* why figures may be short (events lost); NULL: none */
	struct profile_mapping *mappings;
	struct profile_location *locations;
	struct profile_sample *samples;
	uint32_t nr_mappings, nr_locations, nr_samples;
	/* Private. */
	uint32_t cap_mappings, cap_locations, cap_samples;
	struct profile_chunk *strings;
	size_t string_bytes;
};

/* The limit of a profile's strings: a bound against a runaway symbol table. */
#define PROFILE_MAX_STRING_BYTES (256u << 20)

struct profile *profile__new(void);
void profile__free(struct profile *p);
/* A copy of s owned by the profile (NULL for NULL); NULL with errno when full. */
const char *profile__strdup(struct profile *p, const char *s);
/* Each returns the new 1-based index, or -errno.  Strings and lines are copied. */
int profile__add_mapping(struct profile *p, uint64_t start, uint64_t limit, uint64_t offset,
			 const char *path, const char *build_id);
int profile__add_location(struct profile *p, uint64_t address, uint64_t offset, uint32_t mapping,
			  const struct profile_line *lines, uint32_t nr_lines);
int profile__add_sample(struct profile *p, const int64_t value[PROFILE__NR_VALUES],
			const uint32_t *locs, uint32_t nr_locs);

/*
 * The name a location shows for line i: the function, or for a location without
 * lines "[module+0xoffset]" ("[0xaddress]" outside any mapping), in buf.
 */
const char *profile__frame_name(const struct profile *p, const struct profile_location *l,
				uint32_t i, char *buf, size_t size);

#endif
