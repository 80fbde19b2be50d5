// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/procmaps.h"
#include "base/files.h"

static int parse_line(const char *line, size_t len, struct map_entry *e)
{
	unsigned long long start, end, off, ino;
	unsigned int maj, min;
	char perms[5];
	int pos = 0;
	const char *path;
	size_t plen;

	if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu%n", &start, &end, perms, &off, &maj, &min,
		   &ino, &pos) != 7 || pos <= 0 || (size_t)pos > len || start > end ||
	    strlen(perms) != 4)
		return -EINVAL;
	memset(e, 0, sizeof(*e));
	e->start = start;
	e->end = end;
	e->offset = off;
	e->inode = ino;
	e->dev = makedev(maj, min);
	e->readable = perms[0] == 'r';
	e->writable = perms[1] == 'w';
	e->exec = perms[2] == 'x';
	e->shared = perms[3] == 's';

	path = line + pos;
	plen = len - pos;
	while (plen && *path == ' ') {
		path++;
		plen--;
	}
	if (!plen)
		return 0;
	if (plen > 10 && !memcmp(path + plen - 10, " (deleted)", 10)) {
		e->deleted = true;
		plen -= 10;
	}
	e->path = strndup(path, plen);
	return e->path ? 0 : -ENOMEM;
}

int procmaps__parse(const char *text, struct proc_maps *ret)
{
	struct proc_maps m = { 0 };
	size_t cap = 0;
	const char *p = text, *nl;
	int err = 0;

	while (*p) {
		size_t len;

		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if (len) {
			if (m.n == cap) {
				struct map_entry *nv;

				cap = cap ? cap * 2 : 64;
				nv = realloc(m.v, cap * sizeof(*nv));
				if (!nv) {
					err = -ENOMEM;
					goto fail;
				}
				m.v = nv;
			}
			err = parse_line(p, len, &m.v[m.n]);
			if (err)
				goto fail;
			m.n++;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	*ret = m;
	return 0;
fail:
	procmaps__destroy(&m);
	return err;
}

int procmaps__read(pid_t pid, struct proc_maps *ret)
{
	char path[64], *text;
	int err;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	err = read_file(path, &text, NULL);
	if (err)
		return err;
	err = procmaps__parse(text, ret);
	free(text);
	return err;
}

void procmaps__destroy(struct proc_maps *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

const struct map_entry *procmaps__find(const struct proc_maps *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < m->v[mid].start)
			hi = mid;
		else if (addr >= m->v[mid].end)
			lo = mid + 1;
		else
			return &m->v[mid];
	}
	return NULL;
}

bool map_entry__is_file(const struct map_entry *e)
{
	return e->path && e->inode && e->path[0] == '/';
}

int map_entry__gone(pid_t pid)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	return access(path, F_OK) ? -ESRCH : 0;
}

int map_entry__open_path(const struct map_entry *e, pid_t pid, char *buf, size_t size)
{
	int n;

	n = snprintf(buf, size, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid, e->start,
		     e->end);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
