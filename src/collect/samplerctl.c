// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "collect/samplerctl.h"
#include "base/procfs.h"
#include "base/procmaps.h"
#include "stacks/elfobj.h"

/*
 * Files looked at already: where each keeps the block (0: nowhere), so that the
 * libraries every process maps are opened once.  Known by device, inode, size and
 * modification time (an inode is reused once its file is gone).  Replaced
 * round-robin when full.
 */
#define KNOWN_FILES 128

static struct known_file {
	dev_t dev;
	ino_t inode;
	off_t size;
	struct timespec mtime;
	uint64_t off;
	bool used;
} known[KNOWN_FILES];
static size_t known_next;

static bool same_file(const struct known_file *k, const struct stat *st)
{
	return k->used && k->dev == st->st_dev && k->inode == st->st_ino &&
	       k->size == st->st_size && k->mtime.tv_sec == st->st_mtim.tv_sec &&
	       k->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* The file offset of the block in the mapped file, 0 when it has none; else -errno. */
static int block_offset(pid_t pid, const struct map_entry *e, uint64_t *ret_off)
{
	struct known_file *k;
	uint64_t off = 0, size = 0;
	char path[128];
	struct stat st;
	size_t i;
	int err;

	*ret_off = 0;
	err = map_entry__open_path(e, pid, path, sizeof(path));
	if (err)
		return err;
	if (stat(path, &st))
		return errno == ENOENT ? map_entry__gone(pid) : -errno;
	for (i = 0; i < KNOWN_FILES; i++)
		if (same_file(&known[i], &st)) {
			*ret_off = known[i].off;
			return 0;
		}
	err = elf_dynsym_data(path, LEAKD_SAMPLER_CONTROL_SYMBOL, &off, &size);
	if (err == -ENOENT && access(path, F_OK))
		return map_entry__gone(pid);	/* the file, not the symbol, is gone */
	if (err && err != -ENOENT && err != -ENOEXEC)
		return 0;	/* unreadable now: not remembered, looked at again next time */
	if (err || size != sizeof(struct leakd_sampler_control))
		off = 0;	/* none, another version's, or not an ELF file */
	k = &known[known_next++ % KNOWN_FILES];
	*k = (struct known_file){ .dev = st.st_dev, .inode = st.st_ino, .size = st.st_size,
				  .mtime = st.st_mtim, .off = off, .used = true };
	*ret_off = off;
	return 0;
}

/* At at in the memory the block was found in: all of it, or -ESRCH when that is gone. */
static int rw(int mem, uint64_t at, void *buf, size_t len, bool write)
{
	ssize_t n = write ? pwrite(mem, buf, len, (off_t)at) : pread(mem, buf, len, (off_t)at);

	/* The process's image ended (exec, exit): its memory reads and writes nothing. */
	if (n == 0 || (n < 0 && errno == EIO))
		return -ESRCH;
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

int samplerctl__read(const struct samplerctl *c, struct leakd_sampler_control *ret)
{
	int err = rw(c->mem, c->at, ret, sizeof(*ret), false);

	if (err)
		return err;
	return ret->version == LEAKD_SAMPLER_CONTROL_VERSION ? 0 : -EPROTO;
}

static uint64_t slot_at(const struct samplerctl *c, uint32_t slot)
{
	return c->at + offsetof(struct leakd_sampler_control, slots) +
	       slot * sizeof(struct leakd_sampler_slot);
}

int samplerctl__set_factor(struct samplerctl *c, uint32_t factor)
{
	int err;

	if (!factor || factor > LEAKD_SAMPLER_MAX_FACTOR)
		return -EINVAL;
	/* One aligned 4-byte field: the sampler reads it whole or, at worst, torn (safe). */
	err = rw(c->mem, slot_at(c, c->slot) + offsetof(struct leakd_sampler_slot, factor),
		 &factor, sizeof(factor), true);
	if (!err)
		c->factor = factor;
	return err;
}

void samplerctl__close(struct samplerctl *c)
{
	if (c->at)
		close(c->mem);
	c->mem = -1;
	c->at = 0;
	c->factor = 0;
}

void samplerctl__release(struct samplerctl *c)
{
	struct leakd_sampler_slot none = { 0, 0 };

	if (c->at)
		rw(c->mem, slot_at(c, c->slot), &none, sizeof(none), true);
	samplerctl__close(c);
}

/* A slot's daemon still runs: its pid is a leakd's (a dead one's slot is free to take). */
static bool daemon_alive(uint32_t pid)
{
	char comm[16];

	return pid && procfs_comm((pid_t)pid, comm, sizeof(comm)) == 0 && !strcmp(comm, "leakd");
}

/*
 * This daemon's slot in the block read: its own (a fork's copy), else a dead
 * daemon's (its widening taken over), else a free one; taken by writing this pid
 * there and reading it back (another daemon may take the same one at once).  The
 * slots of other dead daemons are freed: nobody would ever narrow them.  1 when
 * taken, 0 when every slot is a live daemon's, -EAGAIN when another took it
 * first, -errno.
 */
static int take_slot(struct samplerctl *c, const struct leakd_sampler_control *b)
{
	struct leakd_sampler_slot none = { 0, 0 };
	uint32_t self = (uint32_t)getpid(), i, own = LEAKD_SAMPLER_SLOTS;
	uint32_t dead = LEAKD_SAMPLER_SLOTS, empty = LEAKD_SAMPLER_SLOTS, pick, pid;
	bool gone[LEAKD_SAMPLER_SLOTS] = { false };
	int err;

	for (i = 0; i < LEAKD_SAMPLER_SLOTS; i++) {
		pid = b->slots[i].pid;
		if (pid == self && own == LEAKD_SAMPLER_SLOTS)
			own = i;
		else if (!pid && empty == LEAKD_SAMPLER_SLOTS)
			empty = i;
		else if (pid && pid != self && (gone[i] = !daemon_alive(pid)) &&
			 dead == LEAKD_SAMPLER_SLOTS)
			dead = i;
	}
	pick = own < LEAKD_SAMPLER_SLOTS ? own : dead < LEAKD_SAMPLER_SLOTS ? dead : empty;
	if (pick == LEAKD_SAMPLER_SLOTS)
		return 0;
	for (i = 0; i < LEAKD_SAMPLER_SLOTS; i++)
		if (gone[i] && i != pick)
			rw(c->mem, slot_at(c, i), &none, sizeof(none), true);
	c->slot = pick;
	c->factor = b->slots[pick].factor;
	if (pick == own)
		return 1;
	err = rw(c->mem, slot_at(c, pick), &self, sizeof(self), true);
	if (!err)
		err = rw(c->mem, slot_at(c, pick), &pid, sizeof(pid), false);
	if (err)
		return err;
	return pid == self ? 1 : -EAGAIN;
}

/* Where the block lies in pid as its maps say now: 0 when nowhere, -EAGAIN, -errno. */
static int find(pid_t pid, uint64_t *ret_at)
{
	struct proc_maps maps;
	uint64_t off, at = 0;
	bool pending = false;
	size_t i, k;
	int err;

	err = procmaps__read(pid, &maps);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	/* The library's code is mapped executable; its block lies in a writable mapping. */
	for (i = 0; i < maps.n && !at; i++) {
		const struct map_entry *e = &maps.v[i];

		if (!e->exec || !map_entry__is_file(e))
			continue;
		err = block_offset(pid, e, &off);
		if (err)
			goto out;
		for (k = 0; off && k < maps.n && !at; k++) {
			const struct map_entry *d = &maps.v[k];

			if (d->dev == e->dev && d->inode == e->inode && d->writable &&
			    off >= d->offset &&
			    off - d->offset + sizeof(struct leakd_sampler_control) <= d->end - d->start)
				at = d->start + (off - d->offset);
		}
		pending |= off && !at;
	}
	/* Its code mapped, its data not yet: the loader is still at work (held at exec). */
	err = !at && pending ? -EAGAIN : 0;
	*ret_at = at;
out:
	procmaps__destroy(&maps);
	return err;
}

int samplerctl__open(pid_t pid, struct samplerctl *ret)
{
	struct leakd_sampler_control block;
	char path[64];
	int err;

	ret->at = 0;
	ret->factor = 0;
	/* Opened first: bound to the image the maps are read of next, or to an older one. */
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	ret->mem = open(path, O_RDWR | O_CLOEXEC);
	if (ret->mem < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	err = find(pid, &ret->at);
	if (!err && ret->at) {
		/* Not there through what was opened (an exec came between): none. */
		err = samplerctl__read(ret, &block);
		if (!err)
			err = take_slot(ret, &block);
		if (err > 0)
			return 1;
		if (err == -EPROTO || err == -EFAULT || err == -ESRCH)
			err = 0;
	}
	close(ret->mem);
	ret->mem = -1;
	ret->at = 0;
	return err;
}
