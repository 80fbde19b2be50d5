/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Saved snapshots: named sets of stacks kept as leakd's own JSON under the state
 * directory, one folder per user (snapshots/UID/NAME.json), so that users see and
 * diff only their own.  Bounded in number per user; names are checked before any
 * path is made of them.
 */
#ifndef LEAKD_SERVE_SNAPSTORE_H
#define LEAKD_SERVE_SNAPSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "present/snapshot.h"

#define SNAPSTORE_NAME_MAX 63		/* bytes of a name */

struct snapstore {
	char *dir;			/* STATE/snapshots */
	uint32_t max_per_user;
};

/* A name is 1 to 63 of [A-Za-z0-9._-], not starting with '.', and not "now". */
bool snapstore_name_ok(const char *name);

int snapstore__init(struct snapstore *s, const char *state_dir, uint32_t max_per_user);
void snapstore__destroy(struct snapstore *s);
/*
 * Writes what render() makes of snap (JSON) as uid's snapshot name, replacing one
 * of that name.  -EINVAL (bad name), -ENOSPC (max_per_user reached), -errno.
 */
int snapstore__save(struct snapstore *s, uid_t uid, const char *name,
		    const struct snapshot *snap);
/* The stacks of uid's snapshot name.  -ENOENT, -EINVAL (and *ret_why), -errno. */
int snapstore__load(struct snapstore *s, uid_t uid, const char *name, struct stack_list *ret,
		    const char **ret_why);
int snapstore__delete(struct snapstore *s, uid_t uid, const char *name);
/* uid's snapshots, by name; *ret is malloc'd. */
int snapstore__list(struct snapstore *s, uid_t uid, struct saved_snap **ret, size_t *ret_n);

#endif
