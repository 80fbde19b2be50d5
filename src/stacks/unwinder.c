// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <libelf.h>

#include "base/fnv.h"
#include "stacks/ehframe.h"
#include "stacks/elfobj.h"
#include "base/hashtab.h"
#include "leakd/unwind.h"
#include "base/procmaps.h"
#include "stacks/unwinder.h"
#include "base/clock.h"

/* Freed rows rest this long before reuse: a walk may still be reading them. */
#define QUARANTINE_NS NSEC_PER_SEC

enum ufile_state {
	UF_QUEUED,		/* waiting for or in the builder thread */
	UF_BUILT,		/* built, waiting to be installed */
	UF_READY,		/* in the kernel */
	UF_FAILED,		/* no table to be had */
	UF_NO_ROOM,		/* built, but the row budget was spent */
	UF_EVICTED,		/* its rows went to another table: rebuilt on demand */
};

struct ufile {
	uint32_t id;		/* index into the kernel's files array */
	dev_t dev;
	uint64_t ino;
	enum ufile_state state;	/* builder-owned while UF_QUEUED */
	int fd;			/* open while queued */
	bool from_cache;
	int cache_load_err;	/* why the cache's entry was not used (-ESTALE ...) */
	int cache_save_err;	/* why the table could not be saved */
	uint32_t build_us;
	struct unwind_table table;	/* built rows until installed */
	uint32_t row_start, row_nr;
	uint32_t users;		/* processes with an entry that map it */
	uint32_t users_traced;	/* ... of them traced: its rows are theirs first */
	char *path;		/* as the first process to map it saw it */
	struct ufile *next_queued;
};

struct file_slot {
	uint64_t key;
	struct ufile *f;
};

struct uproc {
	uint64_t pid;
	uint32_t *files;	/* ids of the files it maps, for the users counts */
	uint32_t nr_files;
	bool traced;		/* counted in users_traced */
};

struct extent {
	uint32_t start, len;
	uint64_t free_at;	/* quarantined until then; 0 once free */
};

struct unwinder {
	struct unwinder_maps maps;
	int rows_fd;			/* the kernel's array of rows */
	long page_size;
	char *cache_dir;
	bool cache_readonly;		/* tables are loaded from it, not saved */
	struct ufile **files;		/* by id */
	uint32_t nr_files;
	struct hashtab file_index;	/* struct file_slot */
	struct hashtab procs;		/* struct uproc */
	struct extent *free;		/* sorted by start, merged */
	size_t nr_free, cap_free;
	struct unwinder_stats stats;
	uint32_t gen;			/* of the last process entry written */

	/* The builder thread's side. */
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct ufile *queue_head, *queue_tail;
	bool stopping;
	int efd;			/* the builder says "done" here */
};

static uint64_t file_key(dev_t dev, uint64_t ino)
{
	return fnv_word(fnv_word(FNV_OFFSET, dev), ino) | 1;
}

/*
 * Builds one table: from the cache when it has an entry built from this very file.
 * Only files of root's that no one else may write are cached at all: a table built
 * from anyone's forged copy of a library never stands for the real one.
 */
static void build_table(struct unwinder *u, struct ufile *f)
{
	struct unwind_cache_key key;
	char path[4096];
	bool cached = false;
	int n, err;

	if (u->cache_dir && !unwind_cache_key__of_fd(f->fd, &key)) {
		n = snprintf(path, sizeof(path), "%s/%s.unw", u->cache_dir, key.build_id);
		cached = n > 0 && (size_t)n < sizeof(path);
	}
	if (cached) {
		err = unwind_table__load(path, &key, &f->table);
		if (!err) {
			f->from_cache = true;
			return;
		}
		f->cache_load_err = err == -ENOENT ? 0 : err;
	}
	if (ehframe__build_fd(f->fd, &f->table)) {
		memset(&f->table, 0, sizeof(f->table));
		return;
	}
	if (cached && !u->cache_readonly)
		f->cache_save_err = unwind_table__save(&f->table, path, &key);
}

static void build(struct unwinder *u, struct ufile *f)
{
	uint64_t start = now_ns();

	build_table(u, f);
	f->build_us = (uint32_t)((now_ns() - start) / 1000);
}

static void *builder(void *arg)
{
	struct unwinder *u = arg;
	struct ufile *f;
	uint64_t one = 1;
	sigset_t all;

	/* Signals are the main thread's business (signalfd, ptrace waits). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&u->lock);
	for (;;) {
		while (!u->queue_head && !u->stopping)
			pthread_cond_wait(&u->cond, &u->lock);
		if (u->stopping)
			break;
		f = u->queue_head;
		u->queue_head = f->next_queued;
		if (!u->queue_head)
			u->queue_tail = NULL;
		pthread_mutex_unlock(&u->lock);

		build(u, f);

		pthread_mutex_lock(&u->lock);
		close(f->fd);
		f->fd = -1;
		f->state = UF_BUILT;
		if (write(u->efd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow here; nothing to do */
		}
	}
	pthread_mutex_unlock(&u->lock);
	return NULL;
}

/*
 * Makes the cache directory if need be and checks it: root's (the daemon's) and
 * written by no one else, else -EPERM and it is not used at all; -EROFS or -EACCES
 * when tables cannot be saved there (*ret_readonly), -ENOSPC when it is full.
 */
static int check_cache_dir(const char *dir, bool *ret_readonly)
{
	struct statvfs vfs;
	struct stat st;

	*ret_readonly = false;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		*ret_readonly = true;
		return -errno;
	}
	if (lstat(dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return -EPERM;
	if (access(dir, W_OK)) {
		*ret_readonly = true;
		return -errno;
	}
	if (!statvfs(dir, &vfs) && (vfs.f_bavail == 0 || (vfs.f_files && vfs.f_favail == 0)))
		return -ENOSPC;
	return 0;
}

struct unwinder *unwinder__new(const struct unwinder_maps *maps, const char *cache_dir)
{
	struct unwinder *u = calloc(1, sizeof(*u));
	int err = -ENOMEM;

	if (!u)
		return NULL;
	u->maps = *maps;
	u->efd = -1;
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->cond, NULL);
	u->files = calloc(maps->max_files, sizeof(*u->files));
	u->free = calloc(1, sizeof(*u->free));
	if (!u->files || !u->free || hashtab__init(&u->file_index, sizeof(struct file_slot), 64) ||
	    hashtab__init(&u->procs, sizeof(struct uproc), 16))
		goto fail;
	if (cache_dir) {
		u->stats.cache_error = check_cache_dir(cache_dir, &u->cache_readonly);
		/* Read-only or full, it still serves what it holds; another's, nothing. */
		if (u->stats.cache_error != -EPERM) {
			u->cache_dir = strdup(cache_dir);
			if (!u->cache_dir)
				goto fail;
		}
	}
	u->free[0] = (struct extent){ 0, maps->max_rows, 0 };
	u->nr_free = u->cap_free = 1;
	u->stats.rows_max = maps->max_rows;
	u->rows_fd = maps->rows_fd;
	u->page_size = sysconf(_SC_PAGESIZE);
	u->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (u->efd < 0) {
		err = -errno;
		goto fail;
	}
	elf_version(EV_CURRENT);	/* libelf's one global init, before the thread */
	err = -pthread_create(&u->thread, NULL, builder, u);
	if (err)
		goto fail;
	u->thread_started = true;
	return u;
fail:
	unwinder__free(u);
	errno = -err;
	return NULL;
}

void unwinder__free(struct unwinder *u)
{
	struct uproc *p;
	size_t i;

	if (!u)
		return;
	if (u->thread_started) {
		pthread_mutex_lock(&u->lock);
		u->stopping = true;
		pthread_cond_signal(&u->cond);
		pthread_mutex_unlock(&u->lock);
		pthread_join(u->thread, NULL);
	}
	for (i = 0; i < u->nr_files; i++) {
		if (u->files[i]->fd >= 0)
			close(u->files[i]->fd);
		unwind_table__destroy(&u->files[i]->table);
		free(u->files[i]->path);
		free(u->files[i]);
	}
	if (u->procs.slots)
		hashtab__for_each(&u->procs, i, p)
			free(p->files);
	hashtab__destroy(&u->procs);
	hashtab__destroy(&u->file_index);
	if (u->efd >= 0)
		close(u->efd);
	pthread_mutex_destroy(&u->lock);
	pthread_cond_destroy(&u->cond);
	free(u->files);
	free(u->free);
	free(u->cache_dir);
	free(u);
}

static void set_file_entry(struct unwinder *u, uint32_t id, uint32_t start, uint32_t nr)
{
	struct leakd_unwind_file v = { start, 0 };

	/* Two steps, so that a walk never pairs a new start with an old count. */
	bpf_map_update_elem(u->maps.files_fd, &id, &v, BPF_ANY);
	if (nr) {
		v.row_nr = nr;
		bpf_map_update_elem(u->maps.files_fd, &id, &v, BPF_ANY);
	}
}

/* Opens the file now, while the process maps it; the thread builds it when it can. */
static void queue_build(struct unwinder *u, struct ufile *f, pid_t pid, const struct map_entry *e)
{
	char path[128];

	f->fd = -1;
	if (!map_entry__open_path(e, pid, path, sizeof(path)))
		f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0) {
		f->state = UF_FAILED;
		u->stats.tables_failed++;
		set_file_entry(u, f->id, LEAKD_UNWIND_NO_TABLE, 0);
		return;
	}
	set_file_entry(u, f->id, 0, 0);
	f->from_cache = false;
	f->next_queued = NULL;
	u->stats.tables_pending++;
	pthread_mutex_lock(&u->lock);
	f->state = UF_QUEUED;
	if (u->queue_tail)
		u->queue_tail->next_queued = f;
	else
		u->queue_head = f;
	u->queue_tail = f;
	pthread_cond_signal(&u->cond);
	pthread_mutex_unlock(&u->lock);
}

/*
 * The file of a mapping, registered (and queued for building) when new; built again
 * when its rows went to another table, or, for a traced process, when there was no
 * room for them (a traced process's tables take the rows of watched ones).
 */
static struct ufile *file_for(struct unwinder *u, pid_t pid, const struct map_entry *e,
			      bool traced)
{
	uint64_t key = file_key(e->dev, e->inode);
	struct file_slot *slot = hashtab__get(&u->file_index, key);
	struct ufile *f;

	if (slot) {
		f = slot->f;
		if (f->state == UF_EVICTED || (traced && f->state == UF_NO_ROOM)) {
			if (f->state == UF_NO_ROOM)
				u->stats.tables_no_room--;
			queue_build(u, f, pid, e);
		}
		return f;
	}
	if (u->nr_files >= u->maps.max_files) {
		u->stats.files_dropped++;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->id = u->nr_files;
	f->dev = e->dev;
	f->ino = e->inode;
	f->fd = -1;
	f->path = strdup(e->path);
	slot = hashtab__upsert(&u->file_index, key, NULL);
	if (!slot) {
		free(f);
		return NULL;
	}
	slot->f = f;
	u->files[u->nr_files++] = f;
	queue_build(u, f, pid, e);
	return f;
}

static void drop_users(struct unwinder *u, struct uproc *p)
{
	uint32_t i;

	for (i = 0; i < p->nr_files; i++) {
		struct ufile *f = p->files[i] < u->nr_files ? u->files[p->files[i]] : NULL;

		if (f && f->users)
			f->users--;
		if (f && p->traced && f->users_traced)
			f->users_traced--;
	}
	free(p->files);
	p->files = NULL;
	p->nr_files = 0;
}

int unwinder__update_proc(struct unwinder *u, pid_t pid, bool traced)
{
	struct leakd_unwind_proc *kp;
	struct proc_maps maps;
	struct uproc *p;
	uint32_t *ids;
	__u32 key = pid;
	size_t i;
	int err;

	err = procmaps__read(pid, &maps);
	if (err)
		return err;
	kp = calloc(1, sizeof(*kp));
	ids = calloc(maps.n ? maps.n : 1, sizeof(*ids));
	p = hashtab__upsert(&u->procs, (uint64_t)pid, NULL);
	if (!kp || !ids || !p) {
		err = -ENOMEM;
		goto out;
	}
	drop_users(u, p);
	p->traced = traced;
	for (i = 0; i < maps.n; i++) {
		const struct map_entry *e = &maps.v[i];
		struct ufile *f;

		if (!e->exec || !map_entry__is_file(e))
			continue;
		if (kp->nr >= LEAKD_UNWIND_MAX_MAPS) {
			u->stats.maps_dropped++;
			continue;
		}
		f = file_for(u, pid, e, traced);
		if (!f)
			continue;
		f->users++;
		f->users_traced += traced;
		ids[p->nr_files++] = f->id;
		kp->maps[kp->nr++] = (struct leakd_unwind_map){
			.start = e->start,
			.end = e->end,
			.off_base = (int64_t)(e->offset - e->start),
			.file = f->id,
		};
	}
	p->files = ids;
	ids = NULL;
	kp->gen = ++u->gen ? u->gen : ++u->gen;
	if (bpf_map_update_elem(u->maps.procs_fd, &key, kp, BPF_ANY)) {
		err = -errno;
		if (err == -E2BIG || err == -ENOMEM)
			u->stats.procs_dropped++;
	} else if (u->maps.procs_changed) {
		u->maps.procs_changed(u->maps.ctx);
	}
out:
	free(ids);
	free(kp);
	procmaps__destroy(&maps);
	return err;
}

void unwinder__forget_proc(struct unwinder *u, pid_t pid)
{
	struct uproc *p = hashtab__get(&u->procs, (uint64_t)pid);
	__u32 key = pid;

	if (!p)
		return;
	drop_users(u, p);
	hashtab__remove(&u->procs, (uint64_t)pid, NULL);
	if (!bpf_map_delete_elem(u->maps.procs_fd, &key) && u->maps.procs_changed)
		u->maps.procs_changed(u->maps.ctx);
}

int unwinder__fd(const struct unwinder *u)
{
	return u->efd;
}

/* Makes extents whose quarantine has passed free for use. */
static void release_quarantine(struct unwinder *u)
{
	uint64_t now = now_ns();
	size_t i;

	for (i = 0; i < u->nr_free; i++)
		if (u->free[i].free_at && u->free[i].free_at <= now)
			u->free[i].free_at = 0;
}

static bool alloc_rows(struct unwinder *u, uint32_t n, uint32_t *ret_start)
{
	size_t i;

	for (i = 0; i < u->nr_free; i++) {
		struct extent *x = &u->free[i];

		if (x->free_at || x->len < n)
			continue;
		*ret_start = x->start;
		x->start += n;
		x->len -= n;
		if (!x->len) {
			memmove(x, x + 1, (u->nr_free - i - 1) * sizeof(*x));
			u->nr_free--;
		}
		u->stats.rows_used += n;
		return true;
	}
	return false;
}

static int free_rows(struct unwinder *u, uint32_t start, uint32_t n)
{
	struct extent *nf;
	size_t i;

	if (u->nr_free == u->cap_free) {
		nf = realloc(u->free, (u->cap_free * 2 + 1) * sizeof(*nf));
		if (!nf)
			return -ENOMEM;	/* the rows are lost to the budget, not to safety */
		u->free = nf;
		u->cap_free = u->cap_free * 2 + 1;
	}
	for (i = 0; i < u->nr_free && u->free[i].start < start; i++)
		;
	memmove(&u->free[i + 1], &u->free[i], (u->nr_free - i) * sizeof(*u->free));
	u->free[i] = (struct extent){ start, n, now_ns() + QUARANTINE_NS };
	u->nr_free++;
	u->stats.rows_used -= n;
	return 0;
}

/* Merges adjacent free extents (outside quarantine) into one. */
static void merge_free(struct unwinder *u)
{
	size_t i = 0;

	while (i + 1 < u->nr_free) {
		struct extent *a = &u->free[i], *b = &u->free[i + 1];

		if (!a->free_at && !b->free_at && a->start + a->len == b->start) {
			a->len += b->len;
			memmove(b, b + 1, (u->nr_free - i - 2) * sizeof(*b));
			u->nr_free--;
		} else {
			i++;
		}
	}
}

/*
 * Takes the rows of a table no process maps any more; for a table a traced process
 * needs (for_traced), else of one that only watched processes map: their memory
 * syscalls' stacks fall back to frame pointers there until it is built again.
 */
static struct ufile *victim(struct unwinder *u, bool for_traced)
{
	uint32_t i;

	for (i = 0; i < u->nr_files; i++)
		if (u->files[i]->state == UF_READY && !u->files[i]->users)
			return u->files[i];
	for (i = 0; for_traced && i < u->nr_files; i++)
		if (u->files[i]->state == UF_READY && !u->files[i]->users_traced)
			return u->files[i];
	return NULL;
}

static bool evict_one(struct unwinder *u, bool for_traced)
{
	struct ufile *f = victim(u, for_traced);

	if (!f)
		return false;
	set_file_entry(u, f->id, 0, 0);
	free_rows(u, f->row_start, f->row_nr);
	f->row_nr = 0;
	f->state = UF_EVICTED;
	u->stats.tables_ready--;
	u->stats.tables_evicted++;
	return true;
}

/*
 * Copies rows into the kernel's array through a mapping of the pages they fall on,
 * unmapped at once: the whole array mapped for good would be resident in leakd as
 * well as held by the kernel.
 */
static int write_rows(struct unwinder *u, uint32_t start, uint32_t n,
		      const struct leakd_unwind_row *rows)
{
	size_t first = (size_t)start * sizeof(*rows), len = (size_t)n * sizeof(*rows);
	size_t base = first & ~((size_t)u->page_size - 1), span = first + len - base;
	char *map;

	map = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_SHARED, u->rows_fd, (off_t)base);
	if (map == MAP_FAILED)
		return -errno;
	memcpy(map + (first - base), rows, len);
	munmap(map, span);
	return 0;
}

static void install(struct unwinder *u, struct ufile *f)
{
	uint32_t n = f->table.nr, start;

	u->stats.tables_pending--;
	u->stats.cache_mismatches += f->cache_load_err == -ESTALE;
	u->stats.cache_refused += f->cache_load_err == -EPERM;
	if (f->cache_save_err) {
		u->stats.cache_save_failed++;
		u->stats.cache_error = f->cache_save_err;
	}
	f->cache_load_err = f->cache_save_err = 0;
	if (!n) {
		f->state = UF_FAILED;
		u->stats.tables_failed++;
		set_file_entry(u, f->id, LEAKD_UNWIND_NO_TABLE, 0);
		return;
	}
	release_quarantine(u);
	merge_free(u);
	while (!alloc_rows(u, n, &start)) {
		if (!evict_one(u, f->users_traced > 0)) {
			f->state = UF_NO_ROOM;
			u->stats.tables_no_room++;
			set_file_entry(u, f->id, LEAKD_UNWIND_NO_TABLE, 0);
			unwind_table__destroy(&f->table);
			return;
		}
		merge_free(u);
	}
	if (write_rows(u, start, n, f->table.rows)) {
		free_rows(u, start, n);
		f->state = UF_FAILED;
		u->stats.tables_failed++;
		set_file_entry(u, f->id, LEAKD_UNWIND_NO_TABLE, 0);
		unwind_table__destroy(&f->table);
		return;
	}
	f->row_start = start;
	f->row_nr = n;
	f->state = UF_READY;
	u->stats.tables_ready++;
	u->stats.tables_from_cache += f->from_cache;
	unwind_table__destroy(&f->table);
	set_file_entry(u, f->id, start, n);
}

int unwinder__poll(struct unwinder *u, unwinder_cb cb, void *ctx)
{
	uint64_t cnt;
	uint32_t i;
	int n = 0;

	if (read(u->efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		return -errno;
	for (i = 0; i < u->nr_files; i++) {
		struct ufile *f = u->files[i];
		bool built;

		pthread_mutex_lock(&u->lock);
		built = f->state == UF_BUILT;
		pthread_mutex_unlock(&u->lock);
		if (!built)
			continue;
		install(u, f);
		if (cb) {
			struct unwind_table_note note = {
				.path = f->path ? f->path : "?",
				.rows = f->row_nr,
				.from_cache = f->from_cache,
				.build_us = f->build_us,
			};
			cb(ctx, &note);
		}
		n++;
	}
	/*
	 * A table is built in the builder's arena, megabytes for a large object, and
	 * freed once installed: glibc keeps such pages unless asked to give them back.
	 */
	if (n && !u->stats.tables_pending)
		malloc_trim(0);
	return n;
}

static bool proc_pending(struct unwinder *u, pid_t pid)
{
	struct uproc *p = hashtab__get(&u->procs, (uint64_t)pid);
	bool pending = false;
	uint32_t i;

	pthread_mutex_lock(&u->lock);
	for (i = 0; p && i < p->nr_files && !pending; i++)
		pending = u->files[p->files[i]]->state == UF_QUEUED;
	pthread_mutex_unlock(&u->lock);
	return pending;
}

int unwinder__proc_ready(struct unwinder *u, pid_t pid)
{
	struct uproc *p = hashtab__get(&u->procs, (uint64_t)pid);
	uint32_t i;

	if (!p)
		return -ENOENT;
	for (i = 0; i < p->nr_files; i++) {
		enum ufile_state st = u->files[p->files[i]]->state;

		if (st == UF_QUEUED || st == UF_BUILT)
			return 0;
	}
	return 1;
}

int unwinder__wait(struct unwinder *u, pid_t pid, int timeout_ms, unwinder_cb cb, void *ctx)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * NSEC_PER_MSEC;
	struct pollfd pfd = { .fd = u->efd, .events = POLLIN };

	for (;;) {
		uint64_t now;

		unwinder__poll(u, cb, ctx);
		if (!proc_pending(u, pid))
			return 0;
		now = now_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		poll(&pfd, 1, (deadline - now) / NSEC_PER_MSEC + 1);
	}
}

void unwinder__stats(const struct unwinder *u, struct unwinder_stats *ret)
{
	*ret = u->stats;
}

const char *unwinder__cache_state(const struct unwinder *u)
{
	switch (u->stats.cache_error) {
	case 0:
		return u->cache_dir ? "ok" : "off";
	case -EPERM:
		return "not used: the directory must be root's and written by no one else";
	case -ENOSPC:
		return "full: tables not saved";
	case -EROFS:
	case -EACCES:
		return "read-only: tables not saved";
	default:
		return u->cache_readonly ? "unusable: tables not saved" : "tables not saved";
	}
}
