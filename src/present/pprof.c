// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/fnv.h"
#include "base/hashtab.h"
#include "present/pprof.h"
#include "profile.pb-c.h"
#include "version.h"

struct id_slot {
	uint64_t key;
	uint64_t id;
};

/* Everything the message points to, freed at once. */
struct enc {
	const struct profile *p;
	Perftools__Profiles__Profile msg;
	char **strings;
	size_t nr_strings, cap_strings;
	struct hashtab string_index;	/* struct id_slot: hash -> string index */
	struct hashtab function_index;	/* struct id_slot: (name, file) -> function id */
	Perftools__Profiles__ValueType types[PROFILE__NR_VALUES], period_type;
	Perftools__Profiles__ValueType *type_ptrs[PROFILE__NR_VALUES];
	Perftools__Profiles__Sample *samples;
	Perftools__Profiles__Sample **sample_ptrs;
	int64_t *values;
	uint64_t *sample_locs;
	Perftools__Profiles__Mapping *mappings;
	Perftools__Profiles__Mapping **mapping_ptrs;
	Perftools__Profiles__Location *locations;
	Perftools__Profiles__Location **location_ptrs;
	Perftools__Profiles__Line *lines;
	Perftools__Profiles__Line **line_ptrs;
	Perftools__Profiles__Function *functions;
	Perftools__Profiles__Function **function_ptrs;
	size_t nr_functions;
	int64_t comments[3];
	char comment[3][256];
};

/* The index of s in the string table, added when new; -errno on failure. */
static int64_t str_index(struct enc *e, const char *s)
{
	uint64_t h;

	if (!s || !*s)
		return 0;
	for (h = fnv_str(FNV_OFFSET, s);; h = h * 0x9e3779b97f4a7c15ULL + 1) {
		struct id_slot *slot;
		bool is_new;

		slot = hashtab__upsert(&e->string_index, h | 1, &is_new);
		if (!slot)
			return -ENOMEM;
		if (!is_new) {
			if (!strcmp(e->strings[slot->id], s))
				return slot->id;
			continue;	/* another string with this hash: probe on */
		}
		if (e->nr_strings == e->cap_strings) {
			size_t ncap = 2 * e->cap_strings;
			char **ns = realloc(e->strings, ncap * sizeof(*ns));

			if (!ns) {
				hashtab__remove(&e->string_index, h | 1, NULL);
				return -ENOMEM;
			}
			e->strings = ns;
			e->cap_strings = ncap;
		}
		/* The profile outlives the encoding: its strings are not copied. */
		e->strings[e->nr_strings] = (char *)s;
		slot->id = e->nr_strings;
		return e->nr_strings++;
	}
}

static int64_t function_id(struct enc *e, const struct profile_line *l)
{
	int64_t name = str_index(e, l->function), file = str_index(e, l->file);
	struct id_slot *slot;
	Perftools__Profiles__Function *fn;
	bool is_new;

	if (name < 0 || file < 0)
		return -ENOMEM;
	slot = hashtab__upsert(&e->function_index, (((uint64_t)name << 32) | file) + 1, &is_new);
	if (!slot)
		return -ENOMEM;
	if (!is_new)
		return slot->id;
	fn = &e->functions[e->nr_functions];
	perftools__profiles__function__init(fn);
	fn->id = e->nr_functions + 1;
	fn->name = name;
	fn->system_name = name;
	fn->filename = file;
	e->function_ptrs[e->nr_functions++] = fn;
	slot->id = fn->id;
	return fn->id;
}

static void value_type(struct enc *e, Perftools__Profiles__ValueType *t, const char *type,
		       const char *unit)
{
	perftools__profiles__value_type__init(t);
	t->type = str_index(e, type);
	t->unit = str_index(e, unit);
}

static const struct {
	const char *type, *unit;
} sample_types[PROFILE__NR_VALUES] = {
	[PROFILE_ALLOC_OBJECTS] = { "alloc_objects", "count" },
	[PROFILE_ALLOC_SPACE] = { "alloc_space", "bytes" },
	[PROFILE_INUSE_OBJECTS] = { "inuse_objects", "count" },
	[PROFILE_INUSE_SPACE] = { "inuse_space", "bytes" },
	[PROFILE_GROWTH] = { "growth", "bytes/hour" },
};

static int fill_mappings(struct enc *e)
{
	const struct profile *p = e->p;
	uint32_t i, j;

	for (i = 0; i < p->nr_mappings; i++) {
		const struct profile_mapping *m = &p->mappings[i];
		Perftools__Profiles__Mapping *pm = &e->mappings[i];

		perftools__profiles__mapping__init(pm);
		pm->id = i + 1;
		pm->memory_start = m->start;
		pm->memory_limit = m->limit;
		pm->file_offset = m->offset;
		pm->filename = str_index(e, m->path);
		pm->build_id = str_index(e, m->build_id);
		if (pm->filename < 0 || pm->build_id < 0)
			return -ENOMEM;
		e->mapping_ptrs[i] = pm;
	}
	/* What the mapping's locations carry: pprof symbolizes none of that again. */
	for (i = 0; i < p->nr_locations; i++) {
		const struct profile_location *l = &p->locations[i];
		Perftools__Profiles__Mapping *pm;

		if (!l->mapping || !l->nr_lines)
			continue;
		pm = &e->mappings[l->mapping - 1];
		pm->has_functions = true;
		for (j = 0; j < l->nr_lines; j++) {
			if (l->lines[j].file)
				pm->has_filenames = true;
			if (l->lines[j].line)
				pm->has_line_numbers = true;
		}
		if (l->nr_lines > 1)
			pm->has_inline_frames = true;
	}
	return 0;
}

static int fill_locations(struct enc *e)
{
	const struct profile *p = e->p;
	size_t nl = 0;
	uint32_t i, j;

	for (i = 0; i < p->nr_locations; i++) {
		const struct profile_location *l = &p->locations[i];
		Perftools__Profiles__Location *pl = &e->locations[i];

		perftools__profiles__location__init(pl);
		pl->id = i + 1;
		pl->mapping_id = l->mapping;
		pl->address = l->address;
		pl->n_line = l->nr_lines;
		pl->line = e->line_ptrs + nl;
		for (j = 0; j < l->nr_lines; j++, nl++) {
			Perftools__Profiles__Line *line = &e->lines[nl];
			int64_t fn = function_id(e, &l->lines[j]);

			if (fn < 0)
				return fn;
			perftools__profiles__line__init(line);
			line->function_id = fn;
			line->line = l->lines[j].line;
			e->line_ptrs[nl] = line;
		}
		e->location_ptrs[i] = pl;
	}
	return 0;
}

static void fill_samples(struct enc *e, size_t nr_types)
{
	const struct profile *p = e->p;
	size_t nlocs = 0;
	uint32_t i, j, t;

	for (i = 0; i < p->nr_samples; i++) {
		const struct profile_sample *s = &p->samples[i];
		Perftools__Profiles__Sample *ps = &e->samples[i];

		perftools__profiles__sample__init(ps);
		ps->n_value = nr_types;
		ps->value = e->values + (size_t)i * nr_types;
		for (t = 0; t < nr_types; t++)
			ps->value[t] = s->value[t];
		ps->n_location_id = s->nr_locs;
		ps->location_id = e->sample_locs + nlocs;
		for (j = 0; j < s->nr_locs; j++)
			e->sample_locs[nlocs++] = s->locs[j];
		e->sample_ptrs[i] = ps;
	}
}

static void enc_free(struct enc *e)
{
	free(e->strings);
	hashtab__destroy(&e->string_index);
	hashtab__destroy(&e->function_index);
	free(e->samples);
	free(e->sample_ptrs);
	free(e->values);
	free(e->sample_locs);
	free(e->mappings);
	free(e->mapping_ptrs);
	free(e->locations);
	free(e->location_ptrs);
	free(e->lines);
	free(e->line_ptrs);
	free(e->functions);
	free(e->function_ptrs);
}

static int gzip(const uint8_t *in, size_t len, uint8_t **ret_buf, size_t *ret_len)
{
	z_stream z = { 0 };
	uint8_t *out;
	size_t cap;
	int zr;

	/* 16 + 15: a gzip header around a full-window deflate stream. */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + 15, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	cap = deflateBound(&z, len);
	out = malloc(cap);
	if (!out) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (uint8_t *)in;
	z.avail_in = len;
	z.next_out = out;
	z.avail_out = cap;
	zr = deflate(&z, Z_FINISH);
	deflateEnd(&z);
	if (zr != Z_STREAM_END) {
		free(out);
		return -EIO;
	}
	*ret_buf = out;
	*ret_len = cap - z.avail_out;
	return 0;
}

int pprof__encode(const struct profile *p, uint8_t **ret_buf, size_t *ret_len)
{
	size_t nr_types = p->has_growth ? PROFILE__NR_VALUES : PROFILE_GROWTH;
	size_t nr_lines = 0, nr_sample_locs = 0, packed_len, t;
	struct enc e = { .p = p };
	uint8_t *packed = NULL;
	int64_t idx;
	uint32_t i;
	int err = -ENOMEM;

	for (i = 0; i < p->nr_locations; i++)
		nr_lines += p->locations[i].nr_lines;
	for (i = 0; i < p->nr_samples; i++)
		nr_sample_locs += p->samples[i].nr_locs;
	e.cap_strings = 64;
	e.strings = calloc(e.cap_strings, sizeof(*e.strings));
	e.samples = calloc(p->nr_samples + 1, sizeof(*e.samples));
	e.sample_ptrs = calloc(p->nr_samples + 1, sizeof(*e.sample_ptrs));
	e.values = calloc((p->nr_samples + 1) * nr_types, sizeof(*e.values));
	e.sample_locs = calloc(nr_sample_locs + 1, sizeof(*e.sample_locs));
	e.mappings = calloc(p->nr_mappings + 1, sizeof(*e.mappings));
	e.mapping_ptrs = calloc(p->nr_mappings + 1, sizeof(*e.mapping_ptrs));
	e.locations = calloc(p->nr_locations + 1, sizeof(*e.locations));
	e.location_ptrs = calloc(p->nr_locations + 1, sizeof(*e.location_ptrs));
	e.lines = calloc(nr_lines + 1, sizeof(*e.lines));
	e.line_ptrs = calloc(nr_lines + 1, sizeof(*e.line_ptrs));
	/* At most one function per line. */
	e.functions = calloc(nr_lines + 1, sizeof(*e.functions));
	e.function_ptrs = calloc(nr_lines + 1, sizeof(*e.function_ptrs));
	if (!e.strings || !e.samples || !e.sample_ptrs || !e.values || !e.sample_locs ||
	    !e.mappings || !e.mapping_ptrs || !e.locations || !e.location_ptrs || !e.lines ||
	    !e.line_ptrs || !e.functions || !e.function_ptrs ||
	    hashtab__init(&e.string_index, sizeof(struct id_slot), 256) ||
	    hashtab__init(&e.function_index, sizeof(struct id_slot), 256))
		goto out;
	e.strings[e.nr_strings++] = "";

	perftools__profiles__profile__init(&e.msg);
	for (t = 0; t < nr_types; t++) {
		value_type(&e, &e.types[t], sample_types[t].type, sample_types[t].unit);
		e.type_ptrs[t] = &e.types[t];
	}
	e.msg.n_sample_type = nr_types;
	e.msg.sample_type = e.type_ptrs;
	value_type(&e, &e.period_type, "space", "bytes");
	e.msg.period_type = &e.period_type;
	e.msg.period = p->period;
	e.msg.time_nanos = p->time_ns;
	e.msg.duration_nanos = p->duration_ns;
	idx = str_index(&e, sample_types[PROFILE_INUSE_SPACE].type);
	if (idx < 0)
		goto out;
	e.msg.default_sample_type = idx;
	snprintf(e.comment[0], sizeof(e.comment[0]), "leakd %s", LEAKD_VERSION);
	if (p->pid)
		snprintf(e.comment[1], sizeof(e.comment[1]), "pid %llu (%s)",
			 (unsigned long long)p->pid, p->comm ? p->comm : "?");
	else
		snprintf(e.comment[1], sizeof(e.comment[1]), "many processes");
	e.msg.n_comment = 2;
	if (p->warning) {
		snprintf(e.comment[2], sizeof(e.comment[2]), "INCOMPLETE: %s", p->warning);
		e.msg.n_comment = 3;
	}
	for (t = 0; t < e.msg.n_comment; t++) {
		e.comments[t] = str_index(&e, e.comment[t]);
		if (e.comments[t] < 0)
			goto out;
	}
	e.msg.comment = e.comments;

	err = fill_mappings(&e);
	if (!err)
		err = fill_locations(&e);
	if (err)
		goto out;
	fill_samples(&e, nr_types);
	e.msg.n_mapping = p->nr_mappings;
	e.msg.mapping = e.mapping_ptrs;
	e.msg.n_location = p->nr_locations;
	e.msg.location = e.location_ptrs;
	e.msg.n_function = e.nr_functions;
	e.msg.function = e.function_ptrs;
	e.msg.n_sample = p->nr_samples;
	e.msg.sample = e.sample_ptrs;
	e.msg.n_string_table = e.nr_strings;
	e.msg.string_table = e.strings;
	/* Every string is in the table now (the comments point into e). */

	packed_len = perftools__profiles__profile__get_packed_size(&e.msg);
	packed = malloc(packed_len ? packed_len : 1);
	err = -ENOMEM;
	if (!packed)
		goto out;
	if (perftools__profiles__profile__pack(&e.msg, packed) != packed_len) {
		err = -EIO;
		goto out;
	}
	err = gzip(packed, packed_len, ret_buf, ret_len);
out:
	free(packed);
	enc_free(&e);
	return err;
}

int pprof__write(FILE *f, const struct profile *p)
{
	uint8_t *buf;
	size_t len;
	int err;

	err = pprof__encode(p, &buf, &len);
	if (err)
		return err;
	if (fwrite(buf, 1, len, f) != len || fflush(f))
		err = -EIO;
	free(buf);
	return err;
}
