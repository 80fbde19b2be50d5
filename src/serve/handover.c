// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "serve/handover.h"
#include "base/clock.h"
#include "base/fnv.h"
#include "base/wire.h"
#include "leakd/events.h"
#include "leakd/sampling.h"
#include "model/tables.h"
#include "present/render.h"
#include "present/stackload.h"
#include "stacks/symbolize.h"

static const char magic[8] = "LEAKDRST";

#define HEADER_BYTES 56
#define MAX_PATH_BYTES 4096
#define MAX_JIT_BYTES 4096
#define MAX_MODULES (1u << 20)
#define MAX_JITS (1u << 20)
#define MAX_SUMMARY_BYTES (16u << 20)	/* one exit summary's stacks, as JSON */

/* This boot, so that timestamps (CLOCK_MONOTONIC) and pins are not taken from another. */
static uint64_t boot_id(void)
{
	char buf[64] = "";
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	return fnv_str(FNV_OFFSET, buf);
}

void handover__destroy(struct handover *h)
{
	size_t i;

	for (i = 0; i < h->nr_procs; i++)
		free(h->procs[i].objs);
	free(h->procs);
	free(h->rules);
	for (i = 0; i < h->nr_exits; i++)
		exit_snap__free(&h->exits[i].s);
	free(h->exits);
	memset(h, 0, sizeof(*h));
}

static void encode_cred(struct wbuf *w, const struct procfs_cred *c)
{
	int i;

	for (i = 0; i < 3; i++)
		wbuf__u32(w, c->uid[i]);
	for (i = 0; i < 3; i++)
		wbuf__u32(w, c->gid[i]);
	wbuf__u8(w, c->dumpable);
	wbuf__u8(w, c->known);
}

static void decode_cred(struct rbuf *r, struct procfs_cred *c)
{
	int i;

	for (i = 0; i < 3; i++)
		c->uid[i] = rbuf__u32(r);
	for (i = 0; i < 3; i++)
		c->gid[i] = rbuf__u32(r);
	c->dumpable = rbuf__u8(r) != 0;
	c->known = rbuf__u8(r) != 0;
}

/* An exit summary's stacks as leakd's own JSON, read back as a saved snapshot is. */
static int encode_stacks(struct wbuf *w, const struct stack_list *l)
{
	struct top_snap top = { .stacks = *l };
	struct snapshot snap = { .kind = SNAP_TOP, .top = &top };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int err;

	if (!f)
		return -errno;
	err = render(f, OUTPUT_JSON, &snap);
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (!err && len > MAX_SUMMARY_BYTES)
		len = 0;	/* too large to keep its stacks: the figures stay */
	if (!err) {
		wbuf__u32(w, (uint32_t)len);
		wbuf__bytes(w, text, len);
	}
	free(text);
	return err;
}

static void encode_proc(struct wbuf *w, const struct handover_proc *hp, const struct proc_mem *p)
{
	uint32_t i;

	wbuf__u32(w, hp->uid);
	encode_cred(w, &hp->cred);
	wbuf__str(w, hp->cgroup, sizeof(hp->cgroup) - 1);
	wbuf__u32(w, hp->traced);
	wbuf__u64(w, hp->trace_until);
	wbuf__u64(w, hp->sample);
	wbuf__u32(w, hp->slot);
	wbuf__u64(w, hp->interval);
	wbuf__u8(w, hp->ever_traced);
	wbuf__u8(w, (hp->injected ? 1 : 0) | (hp->inert ? 2 : 0));
	wbuf__u32(w, hp->nr_objs);
	for (i = 0; i < hp->nr_objs; i++) {
		const struct tracer_pinned *o = &hp->objs[i];

		wbuf__u64(w, o->dev);
		wbuf__u64(w, o->inode);
		wbuf__str(w, o->info.path, sizeof(o->info.path) - 1);
		wbuf__u32(w, o->info.nr_sites);
		wbuf__u32(w, o->info.nr_emulated);
		wbuf__u8(w, o->info.usdt);
		wbuf__u32(w, o->nr_links);
	}
	proc_mem__encode(p, w);
}

int handover__encode(const struct handover *h, const struct tables *t,
		     const struct symbolizer *sym, struct wbuf *w)
{
	uint32_t i, nr = symbolizer__nr_modules(sym);
	size_t k, start, payload;
	uint64_t dev, inode, sum;
	const char *path;
	int err;

	wbuf__bytes(w, magic, sizeof(magic));
	wbuf__u32(w, HANDOVER_VERSION);
	wbuf__u32(w, LEAKD_HANDOVER_ABI);
	wbuf__u64(w, boot_id());
	wbuf__u64(w, h->saved_ns);
	wbuf__u64(w, h->deadline_ns);
	wbuf__u64(w, 0);		/* payload bytes, filled in below */
	wbuf__u64(w, 0);		/* its checksum */
	start = w->n;

	wbuf__u64(w, h->drops);
	wbuf__u64(w, h->exit_seq);
	wbuf__u32(w, nr);
	for (i = 1; i <= nr; i++) {
		if (symbolizer__module(sym, i, &dev, &inode, &path))
			dev = inode = 0, path = NULL;
		wbuf__u64(w, dev);
		wbuf__u64(w, inode);
		wbuf__str(w, path, MAX_PATH_BYTES - 1);
	}
	nr = symbolizer__nr_jit_names(sym);
	wbuf__u32(w, nr);
	for (i = 1; i <= nr; i++)
		wbuf__str(w, symbolizer__jit_name(sym, i), MAX_JIT_BYTES - 1);

	/* Only processes still in the tables: one that left meanwhile has its summary. */
	for (k = 0, nr = 0; k < h->nr_procs; k++)
		nr += tables__proc(t, (pid_t)h->procs[k].pid) != NULL;
	wbuf__u32(w, nr);
	for (k = 0; k < h->nr_procs; k++) {
		const struct proc_mem *p = tables__proc(t, (pid_t)h->procs[k].pid);

		if (p)
			encode_proc(w, &h->procs[k], p);
	}
	wbuf__u32(w, (uint32_t)h->nr_rules);
	for (k = 0; k < h->nr_rules; k++) {
		const struct handover_rule *r = &h->rules[k];

		wbuf__str(w, r->comm, sizeof(r->comm) - 1);
		wbuf__str(w, r->unit, sizeof(r->unit) - 1);
		wbuf__u32(w, r->owner);
		wbuf__u32(w, r->owner_gid);
		wbuf__u64(w, r->until);
		wbuf__u64(w, r->sample);
	}
	wbuf__u32(w, (uint32_t)h->nr_exits);
	for (k = 0; k < h->nr_exits; k++) {
		const struct handover_exit *e = &h->exits[k];

		wbuf__u64(w, e->s.pid);
		wbuf__bytes(w, e->s.comm, sizeof(e->s.comm));
		wbuf__u32(w, e->s.uid);
		wbuf__u64(w, (uint64_t)e->s.exited);
		wbuf__u8(w, e->s.traced);
		wbuf__u64(w, e->s.heap_bytes);
		wbuf__u64(w, e->s.heap_allocs);
		wbuf__u64(w, e->s.map_bytes);
		encode_cred(w, &e->cred);
		wbuf__u32(w, e->rank);
		wbuf__u64(w, e->seq);
		err = encode_stacks(w, &e->s.stacks);
		if (err && !w->err)
			w->err = err;
	}
	if (w->err)
		return w->err;
	payload = w->n - start;
	sum = fnv_bytes(FNV_OFFSET, w->p + start, payload);
	memcpy(w->p + start - 16, &(uint64_t){ payload }, 8);
	memcpy(w->p + start - 8, &sum, 8);
	return 0;
}

static void decode_proc(struct rbuf *r, struct handover_proc *hp)
{
	uint32_t i;
	uint8_t flags, usdt;

	hp->uid = rbuf__u32(r);
	decode_cred(r, &hp->cred);
	rbuf__str(r, hp->cgroup, sizeof(hp->cgroup));
	hp->traced = rbuf__u32(r);
	hp->trace_until = rbuf__u64(r);
	hp->sample = rbuf__u64(r);
	hp->slot = rbuf__u32(r);
	hp->interval = rbuf__u64(r);
	hp->ever_traced = rbuf__u8(r) != 0;
	flags = rbuf__u8(r);
	hp->injected = flags & 1;
	hp->inert = flags & 2;
	if (!r->bad && (flags & ~3u))
		rbuf__fail(r, "a process's flags are out of range");
	if (!r->bad && hp->sample && (hp->sample < LEAKD_SAMPLE_MIN || hp->sample > LEAKD_SAMPLE_MAX))
		rbuf__fail(r, "a process's sampling interval is out of range");
	if (!r->bad && (hp->traced == TRACE_KIND_NONE || hp->traced >= TRACE_KIND__COUNT))
		rbuf__fail(r, "a process's kind of trace is out of range");
	hp->nr_objs = rbuf__count(r, 8 + 8 + 4 + 13, TRACER_MAX_PINNED);
	if (r->bad)
		return;
	hp->objs = calloc(hp->nr_objs ? hp->nr_objs : 1, sizeof(*hp->objs));
	if (!hp->objs) {
		rbuf__fail(r, "out of memory");
		return;
	}
	for (i = 0; i < hp->nr_objs && !r->bad; i++) {
		struct tracer_pinned *o = &hp->objs[i];

		o->dev = rbuf__u64(r);
		o->inode = rbuf__u64(r);
		rbuf__str(r, o->info.path, sizeof(o->info.path));
		o->info.nr_sites = rbuf__u32(r);
		o->info.nr_emulated = rbuf__u32(r);
		usdt = rbuf__u8(r);
		o->info.usdt = usdt != 0;
		o->nr_links = rbuf__u32(r);
		if (usdt > 1)
			rbuf__fail(r, "an object's kind is out of range");
		/* Three programs per object at most, one link per site at most each. */
		if (o->info.nr_emulated > o->info.nr_sites || !o->nr_links ||
		    o->nr_links > 3 * (o->info.nr_sites + 1))
			rbuf__fail(r, "an object's links are out of range");
	}
}

static void decode_exit(struct rbuf *r, struct handover_exit *e, const char **ret_why)
{
	uint32_t len;
	char *text;
	int err;

	e->s.pid = rbuf__u64(r);
	rbuf__bytes(r, e->s.comm, sizeof(e->s.comm));
	e->s.comm[sizeof(e->s.comm) - 1] = '\0';
	e->s.uid = rbuf__u32(r);
	e->s.exited = (time_t)rbuf__u64(r);
	e->s.traced = rbuf__u8(r) != 0;
	e->s.heap_bytes = rbuf__u64(r);
	e->s.heap_allocs = rbuf__u64(r);
	e->s.map_bytes = rbuf__u64(r);
	decode_cred(r, &e->cred);
	e->rank = rbuf__u32(r);
	e->seq = rbuf__u64(r);
	len = rbuf__count(r, 1, MAX_SUMMARY_BYTES);
	if (!r->bad && e->rank > 3)
		rbuf__fail(r, "an exit summary's rank is out of range");
	if (r->bad || !len)
		return;
	text = malloc(len + 1);
	if (!text) {
		rbuf__fail(r, "out of memory");
		return;
	}
	rbuf__bytes(r, text, len);
	text[len] = '\0';
	if (!r->bad) {
		err = stack_list__load_json(text, len, &e->s.stacks, ret_why);
		if (err)
			rbuf__fail(r, "an exit summary's stacks do not parse");
	}
	free(text);
}

/* The old ids of modules and JIT names, registered again in sym. */
static void decode_ids(struct rbuf *r, struct symbolizer *sym, uint32_t **mods, uint32_t *nr_mods,
		       uint32_t **jits, uint32_t *nr_jits)
{
	char *path = malloc(MAX_PATH_BYTES);
	uint64_t dev, inode;
	uint32_t i, n;

	if (!path) {
		rbuf__fail(r, "out of memory");
		return;
	}
	n = rbuf__count(r, 8 + 8 + 4, MAX_MODULES);
	*mods = calloc(n ? n : 1, sizeof(**mods));
	if (!*mods)
		rbuf__fail(r, "out of memory");
	for (i = 0; i < n && !r->bad; i++) {
		dev = rbuf__u64(r);
		inode = rbuf__u64(r);
		rbuf__str(r, path, MAX_PATH_BYTES);
		if (!r->bad)
			(*mods)[i] = symbolizer__restore_module(sym, dev, inode, path);
	}
	*nr_mods = n;
	n = rbuf__count(r, 4, MAX_JITS);
	*jits = calloc(n ? n : 1, sizeof(**jits));
	if (!*jits)
		rbuf__fail(r, "out of memory");
	for (i = 0; i < n && !r->bad; i++)
		if (rbuf__str(r, path, MAX_JIT_BYTES))
			(*jits)[i] = symbolizer__restore_jit_name(sym, path);
	*nr_jits = n;
	free(path);
}

/* The header's checks, in order; fills h's header fields.  0, -EINVAL, -ESTALE. */
static int check_header(struct rbuf *r, size_t n, struct handover *h, const char **ret_why)
{
	uint32_t version, abi;
	uint64_t boot, payload, sum;
	char m[sizeof(magic)];

	rbuf__bytes(r, m, sizeof(m));
	version = rbuf__u32(r);
	abi = rbuf__u32(r);
	boot = rbuf__u64(r);
	h->saved_ns = rbuf__u64(r);
	h->deadline_ns = rbuf__u64(r);
	payload = rbuf__u64(r);
	sum = rbuf__u64(r);
	if (r->bad || memcmp(m, magic, sizeof(m))) {
		*ret_why = "not a leakd state file";
		return -EINVAL;
	}
	if (version != HANDOVER_VERSION) {
		*ret_why = "a state file of another version";
		return -ESTALE;
	}
	if (abi != LEAKD_HANDOVER_ABI) {
		*ret_why = "a state file of another BPF side";
		return -ESTALE;
	}
	if (boot != boot_id()) {
		*ret_why = "a state file of another boot";
		return -ESTALE;
	}
	if (payload != n - HEADER_BYTES) {
		*ret_why = "truncated, or with bytes past its end";
		return -EINVAL;
	}
	if (sum != fnv_bytes(FNV_OFFSET, r->p + HEADER_BYTES, payload)) {
		*ret_why = "its checksum does not match";
		return -EINVAL;
	}
	return 0;
}

int handover_check(const void *buf, size_t n, const char **ret_why)
{
	struct handover h;
	struct rbuf r;

	rbuf__init(&r, buf, n);
	return check_header(&r, n, &h, ret_why);
}

int handover__decode(const void *buf, size_t n, struct tables *t, struct symbolizer *sym,
		     struct handover *h, const char **ret_why)
{
	struct tables_ids ids = { 0 };
	uint32_t *mods = NULL, *jits = NULL, count, i;
	struct rbuf r;
	size_t k;
	int err = 0;

	memset(h, 0, sizeof(*h));
	*ret_why = NULL;
	rbuf__init(&r, buf, n);
	err = check_header(&r, n, h, ret_why);
	if (err)
		return err;
	h->drops = rbuf__u64(&r);
	h->exit_seq = rbuf__u64(&r);
	decode_ids(&r, sym, &mods, &ids.nr_modules, &jits, &ids.nr_jits);
	ids.modules = mods;
	ids.jits = jits;

	count = rbuf__count(&r, 64, HANDOVER_MAX_PROCS);
	h->procs = calloc(count ? count : 1, sizeof(*h->procs));
	if (!h->procs)
		rbuf__fail(&r, "out of memory");
	for (i = 0; i < count && !r.bad; i++) {
		struct handover_proc *hp = &h->procs[i];
		struct proc_mem *p;

		h->nr_procs++;
		decode_proc(&r, hp);
		if (r.bad)
			break;
		p = tables__decode_proc(t, &r, &ids);
		if (p) {
			p->born_ns = boot_ticks_to_ns(p->start_time);
			hp->pid = p->pid;
			hp->start_time = p->start_time;
		}
	}
	count = rbuf__count(&r, 4 + 4 + 4 + 4 + 8 + 8, HANDOVER_MAX_RULES);
	if (!r.bad && !(h->rules = calloc(count ? count : 1, sizeof(*h->rules))))
		rbuf__fail(&r, "out of memory");
	for (i = 0; i < count && !r.bad; i++, h->nr_rules++) {
		struct handover_rule *rl = &h->rules[i];

		rbuf__str(&r, rl->comm, sizeof(rl->comm));
		rbuf__str(&r, rl->unit, sizeof(rl->unit));
		rl->owner = rbuf__u32(&r);
		rl->owner_gid = rbuf__u32(&r);
		rl->until = rbuf__u64(&r);
		rl->sample = rbuf__u64(&r);
		if (!r.bad && !rl->comm[0] == !rl->unit[0])
			rbuf__fail(&r, "a rule names both or neither of a name and a unit");
		if (!r.bad && rl->sample &&
		    (rl->sample < LEAKD_SAMPLE_MIN || rl->sample > LEAKD_SAMPLE_MAX))
			rbuf__fail(&r, "a rule's sampling interval is out of range");
	}
	count = rbuf__count(&r, 8 + 16 + 4 + 8 + 1 + 24 + 26 + 4 + 8 + 4, HANDOVER_MAX_EXITS);
	if (!r.bad && !(h->exits = calloc(count ? count : 1, sizeof(*h->exits))))
		rbuf__fail(&r, "out of memory");
	for (i = 0; i < count && !r.bad; i++, h->nr_exits++)
		decode_exit(&r, &h->exits[i], ret_why);
	if (!r.bad && r.off != r.n)
		rbuf__fail(&r, "bytes past the last record");
	if (r.bad) {
		if (!*ret_why || strcmp(r.why, "an exit summary's stacks do not parse"))
			*ret_why = r.why;
		err = strcmp(r.why, "out of memory") ? -EINVAL : -ENOMEM;
		for (k = 0; k < h->nr_procs; k++)
			if (h->procs[k].pid)
				tables__remove_proc(t, (pid_t)h->procs[k].pid);
		handover__destroy(h);
	}
	free(mods);
	free(jits);
	return err;
}

int handover_path(const char *state_dir, const char *socket, const char *suffix, char *ret,
		  size_t size)
{
	return snprintf(ret, size, "%s/restart-%016llx.%s", state_dir,
			(unsigned long long)fnv_str(FNV_OFFSET, socket), suffix) >= (int)size ?
	       -ENAMETOOLONG : 0;
}

int handover_read(const char *path, void **ret, size_t *ret_n, const char **ret_why)
{
	struct stat st;
	size_t off = 0;
	ssize_t got;
	char *buf;
	int fd, err = 0;

	*ret = NULL;
	*ret_n = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		*ret_why = strerror(errno);
		return -errno;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		*ret_why = strerror(errno);
	} else if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		*ret_why = "not a regular file";
	} else if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		/* Another user's file, or one others may write: not to be believed. */
		err = -EPERM;
		*ret_why = "not owned by leakd's user, or writable by others";
	} else if ((uint64_t)st.st_size > HANDOVER_MAX_BYTES) {
		err = -E2BIG;
		*ret_why = "larger than a state file may be";
	}
	if (err) {
		close(fd);
		return err;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf) {
		close(fd);
		*ret_why = "out of memory";
		return -ENOMEM;
	}
	while (off < (size_t)st.st_size) {
		got = read(fd, buf + off, st.st_size - off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;	/* shorter than it said: the checks below find it out */
		off += got;
	}
	close(fd);
	*ret = buf;
	*ret_n = off;
	return 0;
}
