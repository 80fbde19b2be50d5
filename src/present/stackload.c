// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/files.h"
#include "present/stackload.h"

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static uint64_t u64(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_uint64(v);
}

/* "0x1234" as leakd writes addresses. */
static uint64_t hex(struct json_object *o, const char *key)
{
	const char *s = str(o, key);

	return s && !strncmp(s, "0x", 2) ? strtoull(s + 2, NULL, 16) : 0;
}

static int dup_into(char **dst, const char *s)
{
	if (!s)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

static int load_frame(struct json_object *o, struct frame_snap *f)
{
	struct json_object *inl, *b;
	int err;

	f->pc = hex(o, "pc");
	f->offset = hex(o, "offset");
	f->real.function_offset = u64(o, "function_offset");
	f->real.line = (int)u64(o, "line");
	f->jit = json_object_object_get_ex(o, "jit", &b) && json_object_get_boolean(b);
	if (!strcmp(str(o, "unwound_by") ? str(o, "unwound_by") : "", "frame_pointer"))
		f->flags |= LEAKD_FRAME_FP;
	err = dup_into(&f->real.function, str(o, "function")) ?:
	      dup_into(&f->real.file, str(o, "file")) ?:
	      dup_into(&f->module, str(o, "module")) ?:
	      dup_into(&f->module_path, str(o, "path")) ?:
	      dup_into(&f->build_id, str(o, "build_id"));
	if (err)
		return err;
	if (json_object_object_get_ex(o, "inlined", &inl) &&
	    json_object_is_type(inl, json_type_array) && json_object_array_length(inl)) {
		size_t n = json_object_array_length(inl), i;

		if (n > 64)
			return -E2BIG;
		f->inlined = calloc(n, sizeof(*f->inlined));
		if (!f->inlined)
			return -ENOMEM;
		f->nr_inlined = n;
		for (i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(inl, i);

			if (!json_object_is_type(e, json_type_object))
				continue;
			f->inlined[i].line = (int)u64(e, "line");
			err = dup_into(&f->inlined[i].function, str(e, "function")) ?:
			      dup_into(&f->inlined[i].file, str(e, "file"));
			if (err)
				return err;
		}
	}
	return 0;
}

/* An object with "level", "bytes" and "frames" is a stack row. */
static bool is_stack(struct json_object *o)
{
	struct json_object *v;

	return json_object_is_type(o, json_type_object) && str(o, "level") &&
	       json_object_object_get_ex(o, "frames", &v) &&
	       json_object_is_type(v, json_type_array) &&
	       json_object_object_get_ex(o, "bytes", &v) && json_object_is_type(v, json_type_int);
}

static int add_stack(struct stack_list *l, struct json_object *o)
{
	struct json_object *frames;
	struct stack_snap *v, *s;
	const char *level = str(o, "level"), *comm = str(o, "comm");
	size_t n, i;
	int err, lv;

	if (l->n >= STACKLOAD_MAX_STACKS)
		return -E2BIG;
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	s = &v[l->n];
	memset(s, 0, sizeof(*s));
	lv = level_of_name(level);
	s->level = lv < 0 ? LEVEL_MAP : (enum level)lv;
	s->pid = u64(o, "pid");
	if (comm)
		snprintf(s->comm, sizeof(s->comm), "%s", comm);
	s->id = hex(o, "id");
	s->bytes = u64(o, "bytes");
	s->count = u64(o, level_words(s->level)->count_key);
	s->stats.total_bytes = u64(o, "total_bytes");
	s->stats.total_count = u64(o, "total_count");
	s->stats.freed_bytes = u64(o, "freed_bytes");
	s->stats.freed_count = u64(o, "freed_count");
	if (json_object_object_get_ex(o, "overflow", &frames) && json_object_get_boolean(frames))
		s->flags |= STACK_OVERFLOW;
	if (json_object_object_get_ex(o, "preexisting", &frames) && json_object_get_boolean(frames))
		s->id = STACK_ID_PREEXISTING;
	if (json_object_object_get_ex(o, "cut", &frames) &&
	    json_object_is_type(frames, json_type_array)) {
		for (i = 0; i < json_object_array_length(frames); i++) {
			struct json_object *c = json_object_array_get_idx(frames, i);

			for (size_t k = 0; k < nr_stack_notes; k++)
				if (json_object_is_type(c, json_type_string) &&
				    !strcmp(json_object_get_string(c), stack_notes[k].name))
					s->flags |= stack_notes[k].flag;
		}
	}
	json_object_object_get_ex(o, "frames", &frames);
	n = json_object_array_length(frames);
	if (n)
		s->flags |= STACK_HAS_FRAMES;
	l->n++;		/* from here on stack_list__free frees what s holds */
	if (n > LEAKD_MAX_FRAMES)
		return -E2BIG;
	if (!n)
		return 0;
	s->frames = calloc(n, sizeof(*s->frames));
	if (!s->frames)
		return -ENOMEM;
	s->nr_frames = n;
	for (i = 0; i < n; i++) {
		struct json_object *f = json_object_array_get_idx(frames, i);

		if (!json_object_is_type(f, json_type_object))
			return -EINVAL;
		err = load_frame(f, &s->frames[i]);
		if (err)
			return err;
	}
	return 0;
}

/* Every stack row anywhere in o, in document order. */
static int collect(struct stack_list *l, struct json_object *o, int depth)
{
	int err = 0;

	if (depth > 16)
		return 0;
	if (is_stack(o))
		return add_stack(l, o);
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, val) {
			(void)key;
			err = collect(l, val, depth + 1);
			if (err)
				return err;
		}
	} else if (json_object_is_type(o, json_type_array)) {
		size_t n = json_object_array_length(o);

		for (size_t i = 0; i < n && !err; i++)
			err = collect(l, json_object_array_get_idx(o, i), depth + 1);
	}
	return err;
}

int stack_list__load_json(const char *text, size_t len, struct stack_list *ret,
			  const char **ret_why)
{
	struct json_tokener *tok;
	struct json_object *o;
	size_t off = 0;
	bool any = false;
	int err = 0;

	memset(ret, 0, sizeof(*ret));
	*ret_why = NULL;
	if (len > STACKLOAD_MAX_BYTES) {
		*ret_why = "too large";
		return -E2BIG;
	}
	tok = json_tokener_new_ex(32);
	if (!tok)
		return -ENOMEM;
	/* One object after another (JSON lines): keep the last one that has stacks. */
	while (off < len) {
		size_t skip = strspn(text + off, " \t\r\n");
		struct stack_list probe = { 0 };

		off += skip;
		if (off >= len || !text[off])
			break;
		json_tokener_reset(tok);
		o = json_tokener_parse_ex(tok, text + off, (int)(len - off < INT32_MAX ?
								 len - off : INT32_MAX));
		if (!o) {
			*ret_why = json_tokener_error_desc(json_tokener_get_error(tok));
			err = -EINVAL;
			break;
		}
		off += json_tokener_get_parse_end(tok);
		any = true;
		err = collect(&probe, o, 0);
		if (err) {
			stack_list__free(&probe);
			json_object_put(o);
			*ret_why = err == -E2BIG ? "too many stacks or frames" : "malformed stack";
			break;
		}
		json_object_put(o);
		if (probe.n) {
			stack_list__free(ret);
			*ret = probe;
		}
	}
	json_tokener_free(tok);
	if (!err && !any) {
		*ret_why = "no JSON in it";
		err = -EINVAL;
	}
	if (err)
		stack_list__free(ret);
	return err;
}

int stack_list__load_file(const char *path, struct stack_list *ret, const char **ret_why)
{
	char *buf;
	size_t len;
	int err;

	memset(ret, 0, sizeof(*ret));
	*ret_why = NULL;
	err = read_regular_file(path, STACKLOAD_MAX_BYTES, &buf, &len);
	if (err == -EINVAL)
		*ret_why = "not a regular file";
	else if (err == -EFBIG)
		*ret_why = "too large";
	if (err)
		return err == -EFBIG ? -E2BIG : err;
	err = stack_list__load_json(buf, len, ret, ret_why);
	free(buf);
	return err;
}
