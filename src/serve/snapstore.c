// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/files.h"
#include "present/render.h"
#include "present/stackload.h"
#include "serve/snapstore.h"

#define SUFFIX ".json"

bool snapstore_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (!n || n > SNAPSTORE_NAME_MAX || name[0] == '.' || !strcmp(name, "now"))
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
	       n;
}

int snapstore__init(struct snapstore *s, const char *state_dir, uint32_t max_per_user)
{
	memset(s, 0, sizeof(*s));
	s->max_per_user = max_per_user;
	if (asprintf(&s->dir, "%s/snapshots", state_dir) < 0) {
		s->dir = NULL;
		return -ENOMEM;
	}
	return 0;
}

void snapstore__destroy(struct snapstore *s)
{
	if (!s)
		return;
	free(s->dir);
	s->dir = NULL;
}

/* The user's folder, made (0700, root's) when make is set. */
static int user_dir(const struct snapstore *s, uid_t uid, bool make, char *buf, size_t size)
{
	char *slash;
	int n = snprintf(buf, size, "%s/%u", s->dir, (unsigned int)uid);

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	if (!make)
		return 0;
	/* STATE, STATE/snapshots, STATE/snapshots/UID: whatever is missing. */
	for (slash = strchr(buf + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = 0;
		if (mkdir(buf, 0700) && errno != EEXIST) {
			*slash = '/';
			return -errno;
		}
		*slash = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static int path_of(const struct snapstore *s, uid_t uid, const char *name, char *buf,
		   size_t size)
{
	char dir[4096];
	int n, err;

	if (!snapstore_name_ok(name))
		return -EINVAL;
	err = user_dir(s, uid, false, dir, sizeof(dir));
	if (err)
		return err;
	n = snprintf(buf, size, "%s/%s" SUFFIX, dir, name);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static bool is_snapshot_file(const char *name)
{
	size_t n = strlen(name), k = strlen(SUFFIX);
	char base[SNAPSTORE_NAME_MAX + 1];

	if (n <= k || n - k > SNAPSTORE_NAME_MAX || strcmp(name + n - k, SUFFIX))
		return false;
	memcpy(base, name, n - k);
	base[n - k] = 0;
	return snapstore_name_ok(base);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(((const struct saved_snap *)a)->name, ((const struct saved_snap *)b)->name);
}

int snapstore__list(struct snapstore *s, uid_t uid, struct saved_snap **ret, size_t *ret_n)
{
	struct saved_snap *v = NULL;
	size_t n = 0, cap = 0;
	char dir[4096];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int err;

	*ret = NULL;
	*ret_n = 0;
	err = user_dir(s, uid, false, dir, sizeof(dir));
	if (err)
		return err;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (!is_snapshot_file(de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct saved_snap *nv = realloc(v, nc * sizeof(*nv));

			if (!nv) {
				err = -ENOMEM;
				break;
			}
			v = nv;
			cap = nc;
		}
		snprintf(v[n].name, sizeof(v[n].name), "%.*s",
			 (int)(strlen(de->d_name) - strlen(SUFFIX)), de->d_name);
		v[n].saved = st.st_mtime;
		v[n].size = st.st_size;
		n++;
	}
	closedir(d);
	if (err) {
		free(v);
		return err;
	}
	/* By name, so that the answer does not depend on the directory's order. */
	if (n)
		qsort(v, n, sizeof(*v), cmp_names);
	*ret = v;
	*ret_n = n;
	return 0;
}

int snapstore__save(struct snapstore *s, uid_t uid, const char *name,
		    const struct snapshot *snap)
{
	char dir[4096], path[4200], *buf = NULL;
	struct saved_snap *have;
	size_t n, i, len = 0;
	bool replaces = false;
	FILE *f;
	int err;

	err = path_of(s, uid, name, path, sizeof(path));
	if (err)
		return err;
	err = snapstore__list(s, uid, &have, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		replaces |= !strcmp(have[i].name, name);
	free(have);
	if (!replaces && n >= s->max_per_user)
		return -ENOSPC;
	err = user_dir(s, uid, true, dir, sizeof(dir));
	if (err)
		return err;
	f = open_memstream(&buf, &len);
	if (!f)
		return -errno;
	err = render(f, OUTPUT_JSON, snap);
	if (fclose(f) && !err)
		err = -ENOMEM;
	/* Whole or not at all: a half-written file never takes the name. */
	if (!err)
		err = write_file_atomic(path, &(struct iovec){ buf, len }, 1, 0600);
	free(buf);
	return err;
}

int snapstore__load(struct snapstore *s, uid_t uid, const char *name, struct stack_list *ret,
		    const char **ret_why)
{
	char path[4200];
	int err;

	memset(ret, 0, sizeof(*ret));
	*ret_why = NULL;
	err = path_of(s, uid, name, path, sizeof(path));
	if (err)
		return err;
	return stack_list__load_file(path, ret, ret_why);
}

int snapstore__delete(struct snapstore *s, uid_t uid, const char *name)
{
	char path[4200];
	int err = path_of(s, uid, name, path, sizeof(path));

	if (err)
		return err;
	return unlink(path) ? -errno : 0;
}
