// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "stacks/perfmap.h"
#include "base/heap.h"

/*
 * Bounds.  A long-running JIT writes a line for every compilation, millions of
 * them, but most end up wholly covered by later ones (code moved, memory reused)
 * and are forgotten; what stays is at most one entry per live code object.  A
 * large Node.js or .NET service has some 10^5 of those (a code space of 100 MiB
 * or so, objects of a KiB or two), so 256 Ki entries and 32 MiB of names hold
 * one, in about 40 MiB at worst (entry 24 bytes, its ranges 24-48, its name).
 * When even the entries still owning a range fill the bounds, the oldest go
 * (an eighth of the bounds at a time, counted): a tracer attaching to a process
 * that has run for days must name the code it runs now, not the code of its
 * first hours, and the oldest lines are the likeliest to name code since moved.
 *
 * Lines arrive in small batches between refreshes, so they go into a small
 * "recent" index looked at first; it is merged into the base index (and covered
 * entries are forgotten) once it holds RECENT_MAX entries or the bounds are
 * reached, so that a refresh does not sort a quarter million ranges for ten new
 * lines.
 */
#define RECENT_MAX 65536
#define CHUNK 65536

/* One line kept: a code object and its name. */
struct entry {
	uint64_t start, end;	/* [start, end) */
	uint32_t name;		/* offset into names */
	uint32_t live;		/* scratch: kept when merging */
};

/* A range owned by one entry, in an index of ranges that do not overlap. */
struct seg {
	uint64_t start, end;
	uint32_t entry;
};

struct index {
	struct seg *v;		/* sorted by start */
	size_t n;
};

struct perfmap {
	int root_fd;		/* O_PATH: the process's root, or -1 for a plain path */
	char rel[64];		/* the file below root_fd */
	char *path;
	uid_t uids[4];		/* owners accepted besides root */
	int nuids;		/* 0: no owner check */
	dev_t dev;
	ino_t ino;
	bool seen;		/* dev and ino are those of the file being read */
	off_t done;		/* bytes read up to the end of the last whole line */
	bool skipping;		/* in a line too long, until its end */
	struct entry *entries;	/* in the order of their lines: later wins */
	size_t nentries, entries_cap;
	size_t base_entries;	/* entries [0, base_entries) are in base */
	char *names;
	size_t names_len, names_cap;
	struct index base, recent;
	size_t max_entries, max_bytes;
	struct perfmap_stats stats;
};

static struct perfmap *perfmap_alloc(void)
{
	struct perfmap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->root_fd = -1;
	m->max_entries = PERFMAP_MAX_ENTRIES;
	m->max_bytes = PERFMAP_MAX_BYTES;
	return m;
}

struct perfmap *perfmap__open(const char *path)
{
	struct perfmap *m = perfmap_alloc();

	if (!m)
		return NULL;
	m->path = strdup(path);
	if (!m->path) {
		perfmap__free(m);
		errno = ENOMEM;
		return NULL;
	}
	return m;
}

/* NSpid (the last: the pid in the process's own namespace) and Uid from status. */
static int parse_status(const char *text, pid_t pid, pid_t *ret_nspid, uid_t *uids,
			int *ret_nuids)
{
	const char *line;
	int n = 0;

	*ret_nspid = pid;	/* kernels before 4.1 have no NSpid: no namespaces either */
	line = strstr(text, "\nNSpid:");
	if (line) {
		const char *p = line + 7;
		long v = -1;
		char *end;

		for (;;) {
			long x;

			while (*p == ' ' || *p == '\t')
				p++;
			if (*p < '0' || *p > '9')
				break;
			x = strtol(p, &end, 10);
			if (end == p)
				break;
			v = x;
			p = end;
		}
		if (v <= 0 || v > INT_MAX)
			return -EINVAL;
		*ret_nspid = v;
	}
	line = strstr(text, "\nUid:");
	if (!line)
		return -EINVAL;
	line += 5;
	while (n < 4) {
		unsigned long u;
		char *end;

		while (*line == ' ' || *line == '\t')
			line++;
		if (*line < '0' || *line > '9')
			break;
		u = strtoul(line, &end, 10);
		uids[n++] = u;
		line = end;
	}
	if (!n)
		return -EINVAL;
	*ret_nuids = n;
	return 0;
}

static int read_status(int dir_fd, char *buf, size_t size)
{
	ssize_t n, len = 0;
	int fd = openat(dir_fd, "status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	close(fd);
	if (!len)
		return -ESRCH;
	buf[len] = 0;
	return 0;
}

struct perfmap *perfmap__new_at(const char *proc_root, pid_t pid)
{
	char dir[PATH_MAX], status[8192];
	struct perfmap *m = NULL;
	int dir_fd = -1, err, n;
	pid_t nspid;

	n = snprintf(dir, sizeof(dir), "%s/%d", proc_root, (int)pid);
	if (n < 0 || (size_t)n >= sizeof(dir)) {
		err = -ENAMETOOLONG;
		goto fail;
	}
	m = perfmap_alloc();
	if (!m) {
		err = -ENOMEM;
		goto fail;
	}
	/* status and root through one handle: both of this process, not a successor's. */
	dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {
		err = errno == ENOENT ? -ESRCH : -errno;
		goto fail;
	}
	/* Every line starts after a '\n' for the search (Name: comes first anyway). */
	status[0] = '\n';
	err = read_status(dir_fd, status + 1, sizeof(status) - 1);
	if (err)
		goto fail;
	err = parse_status(status, pid, &nspid, m->uids, &m->nuids);
	if (err)
		goto fail;
	m->root_fd = openat(dir_fd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (m->root_fd < 0) {
		err = -errno;
		goto fail;
	}
	snprintf(m->rel, sizeof(m->rel), "tmp/perf-%d.map", (int)nspid);
	if (asprintf(&m->path, "%s/root/%s", dir, m->rel) < 0) {
		m->path = NULL;
		err = -ENOMEM;
		goto fail;
	}
	close(dir_fd);
	return m;
fail:
	if (dir_fd >= 0)
		close(dir_fd);
	perfmap__free(m);
	errno = -err;
	return NULL;
}

struct perfmap *perfmap__new(pid_t pid)
{
	return perfmap__new_at("/proc", pid);
}

void perfmap__free(struct perfmap *m)
{
	if (!m)
		return;
	if (m->root_fd >= 0)
		close(m->root_fd);
	free(m->path);
	free(m->entries);
	free(m->names);
	free(m->base.v);
	free(m->recent.v);
	free(m);
}

const char *perfmap__path(const struct perfmap *m)
{
	return m->path;
}

int perfmap__set_limits(struct perfmap *m, size_t max_entries, size_t max_bytes)
{
	if (!max_entries || !max_bytes || max_entries > UINT32_MAX || max_bytes > UINT32_MAX)
		return -EINVAL;
	m->max_entries = max_entries;
	m->max_bytes = max_bytes;
	return 0;
}

static void forget_all(struct perfmap *m)
{
	m->nentries = m->base_entries = 0;
	m->names_len = 0;
	m->base.n = m->recent.n = 0;
	m->done = 0;
	m->skipping = false;
}

/*
 * The ranges of items (each owned by entry it.entry; a higher entry is a later
 * line and wins) as an index of ranges that do not overlap: a sweep over their
 * starts with a heap of the items covering the current address, best on top.
 */
/* The item of the later entry goes on top. */
static bool seg_before(const void *a, const void *b, void *ctx)
{
	const struct seg *items = ctx;

	return items[*(const uint32_t *)a].entry > items[*(const uint32_t *)b].entry;
}

static void heap_push(const struct seg *items, uint32_t *heap, size_t *n, uint32_t item)
{
	heap[*n] = item;
	heap_sift_up(heap, sizeof(*heap), (*n)++, seg_before, (void *)items);
}

static void heap_pop(const struct seg *items, uint32_t *heap, size_t *n)
{
	heap[0] = heap[--(*n)];
	heap_sift_down(heap, *n, sizeof(*heap), 0, seg_before, (void *)items);
}

static int cmp_seg(const void *pa, const void *pb)
{
	const struct seg *a = pa, *b = pb;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->entry < b->entry ? -1 : a->entry > b->entry;
}

/* Replaces *out with the ranges items[0..n) (sorted) cover, each to its latest. */
static int sweep(const struct seg *items, size_t n, struct index *out)
{
	struct seg *v = NULL;
	uint32_t *heap = NULL;
	size_t i = 0, hn = 0, nv = 0;
	uint64_t x = 0;

	if (n) {
		/* At most 2n - 1 ranges come out of n: each start and end cuts once. */
		v = calloc(2 * n, sizeof(*v));
		heap = calloc(n, sizeof(*heap));
		if (!v || !heap) {
			free(v);
			free(heap);
			return -ENOMEM;
		}
	}
	while (i < n || hn) {
		const struct seg *top;
		uint64_t next;

		if (!hn)
			x = items[i].start;
		while (i < n && items[i].start <= x)
			heap_push(items, heap, &hn, i++);
		while (hn && items[heap[0]].end <= x)
			heap_pop(items, heap, &hn);
		if (!hn)
			continue;
		top = &items[heap[0]];
		next = top->end;
		if (i < n && items[i].start < next)
			next = items[i].start;
		if (nv && v[nv - 1].entry == top->entry && v[nv - 1].end == x)
			v[nv - 1].end = next;
		else
			v[nv++] = (struct seg){ x, next, top->entry };
		x = next;
	}
	free(heap);
	if (nv && nv < 2 * n) {
		struct seg *nvv = reallocarray(v, nv, sizeof(*v));

		if (nvv)
			v = nvv;
	}
	free(out->v);
	out->v = v;
	out->n = nv;
	return 0;
}

/* The recent entries' own index, from their ranges alone. */
static int index_recent(struct perfmap *m)
{
	size_t n = m->nentries - m->base_entries, i;
	struct seg *items = calloc(n ? n : 1, sizeof(*items));
	int err;

	if (!items)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct entry *e = &m->entries[m->base_entries + i];

		items[i] = (struct seg){ e->start, e->end, m->base_entries + i };
	}
	qsort(items, n, sizeof(*items), cmp_seg);
	err = sweep(items, n, &m->recent);
	free(items);
	return err;
}

/* Gives memory back when at most a quarter of an array is in use. */
static void shrink(void **v, size_t *cap, size_t used, size_t elem)
{
	size_t ncap = used * 2;
	void *nv;

	if (*cap < 1024 || used > *cap / 4)
		return;
	if (ncap < 64)
		ncap = 64;
	nv = reallocarray(*v, ncap, elem);
	if (nv) {
		*v = nv;
		*cap = ncap;
	}
}

/*
 * Everything into the base index, recent entries over older ones; then the
 * entries no range names any more, and their names, are forgotten.
 */
static int merge(struct perfmap *m)
{
	size_t nr = m->nentries - m->base_entries, n = m->base.n + nr, i, j, k, len;
	struct seg *items, *recent;
	uint32_t *map;
	int err;

	items = calloc(n ? n : 1, sizeof(*items));
	recent = calloc(nr ? nr : 1, sizeof(*recent));
	if (!items || !recent) {
		free(items);
		free(recent);
		return -ENOMEM;
	}
	/* The recent entries themselves: lines read in this refresh are in no index yet. */
	for (i = 0; i < nr; i++) {
		const struct entry *e = &m->entries[m->base_entries + i];

		recent[i] = (struct seg){ e->start, e->end, m->base_entries + i };
	}
	qsort(recent, nr, sizeof(*recent), cmp_seg);
	/* The base is sorted already: two sorted runs merge in one pass. */
	for (i = j = k = 0; k < n; k++) {
		if (j == nr || (i < m->base.n && cmp_seg(&m->base.v[i], &recent[j]) <= 0))
			items[k] = m->base.v[i++];
		else
			items[k] = recent[j++];
	}
	free(recent);
	err = sweep(items, n, &m->base);
	free(items);
	if (err)
		return err;
	m->recent.n = 0;
	m->base_entries = m->nentries;
	for (i = 0; i < m->nentries; i++)
		m->entries[i].live = 0;
	for (i = 0; i < m->base.n; i++)
		m->entries[m->base.v[i].entry].live = 1;
	/* Compacted in place, in order: names only move down. */
	map = calloc(m->nentries ? m->nentries : 1, sizeof(*map));
	if (!map)
		return -ENOMEM;
	for (i = j = 0, len = 0; i < m->nentries; i++) {
		struct entry e = m->entries[i];
		size_t nlen;

		if (!e.live)
			continue;
		nlen = strlen(m->names + e.name) + 1;
		memmove(m->names + len, m->names + e.name, nlen);
		e.name = len;
		len += nlen;
		map[i] = j;
		m->entries[j++] = e;
	}
	for (i = 0; i < m->base.n; i++)
		m->base.v[i].entry = map[m->base.v[i].entry];
	free(map);
	m->nentries = m->base_entries = j;
	m->names_len = len;
	shrink((void **)&m->entries, &m->entries_cap, m->nentries, sizeof(*m->entries));
	shrink((void **)&m->names, &m->names_cap, m->names_len, 1);
	return 0;
}

static bool parse_hex(const char **p, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;
	int digits = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (;; s++, digits++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (digits == 16)
			return false;
		v = v << 4 | d;
	}
	if (!digits)
		return false;
	*p = s;
	*ret = v;
	return true;
}

static bool skip_blanks(const char **p)
{
	const char *s = *p;

	while (*s == ' ' || *s == '\t')
		s++;
	if (s == *p)
		return false;
	*p = s;
	return true;
}

static int grow(void **v, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 64;
	void *nv;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	nv = reallocarray(*v, ncap, elem);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

static bool fits(const struct perfmap *m, size_t len)
{
	return m->nentries < m->max_entries && m->names_len + len + 1 <= m->max_bytes;
}

/*
 * Forgets the oldest entries until an eighth of the bounds is free and a name of
 * len bytes fits.  Only right after merge(): every entry is in the base index,
 * and names lie in the order of their entries, so the oldest names come first.
 */
static void evict_oldest(struct perfmap *m, size_t len)
{
	size_t want_entries = m->max_entries - m->max_entries / 8;
	size_t want_bytes = m->max_bytes - m->max_bytes / 8;
	size_t k = 0, bytes = 0, i, j;

	while (k < m->nentries &&
	       (m->nentries - k > want_entries || m->names_len - bytes + len + 1 > want_bytes))
		bytes += strlen(m->names + m->entries[k++].name) + 1;
	memmove(m->names, m->names + bytes, m->names_len - bytes);
	m->names_len -= bytes;
	for (i = k; i < m->nentries; i++) {
		m->entries[i - k] = m->entries[i];
		m->entries[i - k].name -= bytes;
	}
	m->nentries -= k;
	m->base_entries = m->nentries;
	for (i = j = 0; i < m->base.n; i++) {
		if (m->base.v[i].entry < k)
			continue;
		m->base.v[j] = m->base.v[i];
		m->base.v[j++].entry -= k;
	}
	m->base.n = j;
	m->stats.dropped += k;
}

/* Whether an entry named len bytes fits in the bounds, making room if need be. */
static bool room_for(struct perfmap *m, size_t len)
{
	if (len + 1 > m->max_bytes)
		return false;
	if (fits(m, len))
		return true;
	/* Covered entries may be taking the room: forget them first. */
	if (merge(m))
		return false;
	if (!fits(m, len))
		evict_oldest(m, len);
	return fits(m, len);
}

/* One line without its '\n'. */
static void add_line(struct perfmap *m, const char *line, size_t len)
{
	char text[PERFMAP_LINE_MAX + 1];
	uint64_t start, size;
	const char *p = text, *name;
	size_t nlen;

	m->stats.lines++;
	if (len > PERFMAP_LINE_MAX || memchr(line, 0, len))
		goto garbage;
	memcpy(text, line, len);
	text[len] = 0;
	if (len && text[len - 1] == '\r')
		text[--len] = 0;
	if (!parse_hex(&p, &start) || !skip_blanks(&p) || !parse_hex(&p, &size) ||
	    !skip_blanks(&p))
		goto garbage;
	name = p;
	nlen = text + len - name;
	if (!nlen || !size || start + size < start)
		goto garbage;
	if (!room_for(m, nlen) ||
	    grow((void **)&m->entries, &m->entries_cap, m->nentries + 1, sizeof(*m->entries)) ||
	    grow((void **)&m->names, &m->names_cap, m->names_len + nlen + 1, 1)) {
		m->stats.dropped++;
		return;
	}
	memcpy(m->names + m->names_len, name, nlen + 1);
	m->entries[m->nentries++] = (struct entry){ start, start + size, m->names_len, 0 };
	m->names_len += nlen + 1;
	return;
garbage:
	m->stats.garbage++;
}

/*
 * Without openat2() (before Linux 5.6, or filtered by seccomp): each component
 * opened below the last without following any link, so a link anywhere is
 * refused (-ELOOP) rather than resolved, where openat2() would resolve it inside.
 */
static int open_without_links(int dir_fd, const char *rel, int flags)
{
	char buf[sizeof(((struct perfmap *)0)->rel)], *comp, *slash;
	int fd = dir_fd, next;

	snprintf(buf, sizeof(buf), "%s", rel);
	for (comp = buf; (slash = strchr(comp, '/')); comp = slash + 1) {
		*slash = 0;
		next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd != dir_fd)
			close(fd);
		if (next < 0)
			return errno == ENOTDIR ? -ELOOP : -errno;
		fd = next;
	}
	next = openat(fd, comp, flags);
	if (next < 0)
		next = -errno;
	if (fd != dir_fd)
		close(fd);
	return next;
}

static int open_map(struct perfmap *m)
{
	struct open_how how = {
		.flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
		/* The process's root is the root: its symbolic links cannot lead out. */
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	if (m->root_fd < 0) {
		fd = open(m->path, how.flags);
		return fd < 0 ? -errno : fd;
	}
	fd = syscall(SYS_openat2, m->root_fd, m->rel, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		return open_without_links(m->root_fd, m->rel, how.flags);
	return fd < 0 ? -errno : fd;
}

static bool owner_ok(const struct perfmap *m, uid_t uid)
{
	int i;

	if (!m->nuids || !uid)
		return true;
	for (i = 0; i < m->nuids; i++) {
		if (m->uids[i] == uid)
			return true;
	}
	return false;
}

/* Reads [m->done, limit) line by line; a partial line at the end waits. */
static int read_lines(struct perfmap *m, int fd, off_t limit)
{
	size_t have = 0, start;
	off_t pos = m->done;
	char *buf, *nl;
	ssize_t n;
	int err = 0;

	buf = malloc(PERFMAP_LINE_MAX + CHUNK);
	if (!buf)
		return -ENOMEM;
	while (pos < limit) {
		size_t want = CHUNK;

		if ((off_t)want > limit - pos)
			want = limit - pos;
		n = pread(fd, buf + have, want, pos);
		if (n < 0) {
			err = -errno;
			break;
		}
		if (!n)
			break;
		pos += n;
		have += n;
		start = 0;
		while ((nl = memchr(buf + start, '\n', have - start))) {
			size_t len = nl - (buf + start);

			if (m->skipping)
				m->skipping = false;	/* the end of a line already counted */
			else
				add_line(m, buf + start, len);
			start += len + 1;
		}
		memmove(buf, buf + start, have - start);
		have -= start;
		if (have > PERFMAP_LINE_MAX) {
			/* No end in sight: garbage, skipped to its end. */
			if (!m->skipping) {
				m->stats.lines++;
				m->stats.garbage++;
			}
			m->skipping = true;
			have = 0;
		}
		m->done = pos - have;
	}
	free(buf);
	return err;
}

int perfmap__refresh(struct perfmap *m)
{
	uint64_t lines = m->stats.lines;
	struct stat st;
	off_t limit;
	int fd, err;

	fd = open_map(m);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto out;
	}
	if (!owner_ok(m, st.st_uid)) {
		err = -EPERM;
		goto out;
	}
	if (m->seen && (st.st_dev != m->dev || st.st_ino != m->ino || st.st_size < m->done)) {
		/* Another file (a new process in the same namespace), or rewritten. */
		forget_all(m);
		m->stats.resets++;
	}
	m->seen = true;
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	err = 0;
	if (st.st_size <= m->done)
		goto out;
	limit = st.st_size - m->done > PERFMAP_READ_MAX ? m->done + PERFMAP_READ_MAX : st.st_size;
	err = read_lines(m, fd, limit);
	if (!err)
		err = m->nentries - m->base_entries > RECENT_MAX ? merge(m) : index_recent(m);
	if (!err)
		err = m->stats.lines - lines > INT_MAX ? INT_MAX : (int)(m->stats.lines - lines);
out:
	close(fd);
	return err;
}

static const struct seg *find(const struct index *x, uint64_t addr)
{
	size_t lo = 0, hi = x->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (x->v[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && addr < x->v[lo - 1].end ? &x->v[lo - 1] : NULL;
}

const char *perfmap__lookup(const struct perfmap *m, uint64_t addr, uint64_t *ret_off)
{
	const struct seg *s = find(&m->recent, addr);
	const struct entry *e;

	/* Recent lines are later than any in the base: they win. */
	if (!s)
		s = find(&m->base, addr);
	if (!s)
		return NULL;
	e = &m->entries[s->entry];
	if (ret_off)
		*ret_off = addr - e->start;
	return m->names + e->name;
}

void perfmap__stats(const struct perfmap *m, struct perfmap_stats *ret)
{
	*ret = m->stats;
	ret->entries = m->nentries;
	ret->bytes = m->names_len;
}

size_t perfmap__memory(const struct perfmap *m)
{
	return sizeof(*m) + m->entries_cap * sizeof(*m->entries) + m->names_cap +
	       (m->base.n + m->recent.n) * 2 * sizeof(struct seg);
}
