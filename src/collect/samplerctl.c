// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>
#include <unistd.h>

#include "collect/samplerctl.h"
#include "base/procmaps.h"
#include "stacks/elfobj.h"

/*
 * Files looked at already: where each keeps the block (0: nowhere), so that the
 * libraries every process maps are opened once.  Replaced round-robin when full.
 */
#define KNOWN_FILES 128

static struct known_file {
	dev_t dev;
	uint64_t inode;
	uint64_t off;
	bool used;
} known[KNOWN_FILES];
static size_t known_next;

/* The file offset of the block in the mapped file, 0 when it has none; else -errno. */
static int block_offset(pid_t pid, const struct map_entry *e, uint64_t *ret_off)
{
	struct known_file *k;
	uint64_t off = 0, size = 0;
	char path[128];
	size_t i;
	int err;

	for (i = 0; i < KNOWN_FILES; i++)
		if (known[i].used && known[i].dev == e->dev && known[i].inode == e->inode) {
			*ret_off = known[i].off;
			return 0;
		}
	err = map_entry__open_path(e, pid, path, sizeof(path));
	if (err)
		return err;
	err = elf_dynsym_data(path, LEAKD_SAMPLER_CONTROL_SYMBOL, &off, &size);
	if (err == -ENOENT && access(path, F_OK))
		return -ESRCH;	/* the process, not the symbol, is gone */
	*ret_off = 0;
	if (err && err != -ENOENT && err != -ENOEXEC)
		return 0;	/* unreadable now: not remembered, looked at again next time */
	if (err || size != sizeof(struct leakd_sampler_control))
		off = 0;	/* none, another version's, or not an ELF file */
	k = &known[known_next++ % KNOWN_FILES];
	*k = (struct known_file){ .dev = e->dev, .inode = e->inode, .off = off, .used = true };
	*ret_off = off;
	return 0;
}

static int rw(pid_t pid, uint64_t at, void *buf, size_t len, bool write)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)at, .iov_len = len };
	ssize_t n = write ? process_vm_writev(pid, &local, 1, &remote, 1, 0) :
			    process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

int samplerctl__read(pid_t pid, uint64_t at, struct leakd_sampler_control *ret)
{
	int err = rw(pid, at, ret, sizeof(*ret), false);

	if (err)
		return err;
	return ret->version == LEAKD_SAMPLER_CONTROL_VERSION ? 0 : -EPROTO;
}

int samplerctl__set_factor(pid_t pid, uint64_t at, uint32_t factor)
{
	if (!factor || factor > LEAKD_SAMPLER_MAX_FACTOR)
		return -EINVAL;
	/* One aligned 4-byte field: the sampler reads it whole or, at worst, torn (safe). */
	return rw(pid, at + offsetof(struct leakd_sampler_control, factor), &factor,
		  sizeof(factor), true);
}

int samplerctl__find(pid_t pid, uint64_t *ret_at)
{
	struct leakd_sampler_control c;
	struct proc_maps maps;
	uint64_t off, at = 0;
	bool pending = false;
	size_t i, k;
	int err;

	*ret_at = 0;
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
			    off >= d->offset && off - d->offset + sizeof(c) <= d->end - d->start)
				at = d->start + (off - d->offset);
		}
		pending |= off && !at;
	}
	/* Its code mapped, its data not yet: the loader is still at work (held at exec). */
	err = !at && pending ? -EAGAIN : 0;
	if (at) {
		err = samplerctl__read(pid, at, &c);
		if (!err)
			*ret_at = at;
		else if (err == -EPROTO || err == -EFAULT)
			err = 0;	/* not a block of ours after all */
	}
out:
	procmaps__destroy(&maps);
	return err;
}
