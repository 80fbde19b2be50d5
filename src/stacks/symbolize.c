// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <fcntl.h>
#include <unistd.h>

#include "base/fnv.h"
#include "stacks/debuginfo.h"
#include "stacks/elfobj.h"
#include "stacks/names.h"
#include "leakd/events.h"
#include "base/hashtab.h"
#include "stacks/perfmap.h"
#include "base/procmaps.h"
#include "stacks/symbolize.h"

struct module {
	dev_t dev;
	uint64_t inode;		/* 0 for named non-file mappings such as [vdso] */
	char *path;
	const char *name;	/* base name, inside path */
	char build_id[2 * BUILD_ID_MAX + 1];
	char anon_name[64];	/* the name while the path is unknown */
	struct elf_obj *obj;	/* symbols only; NULL when unreadable or not a file */
	bool retried;		/* opened through its path in leakd's own namespace */
	struct debuginfo *di;	/* source lines and inlined functions, opened on demand */
	bool di_tried;
	bool di_reopenable;	/* its path in leakd's namespace is the same file */
	uint64_t di_used;	/* for closing the least recently used */
	uint64_t used_ns;	/* last named (at the clock of the last trim) */
};

struct module_slot {
	uint64_t key;
	uint32_t id;
};

struct sym_proc {
	uint64_t pid;		/* hashtab key */
	struct proc_maps maps;
	uint32_t *module_of;	/* per map entry: module id, 0 = not resolved yet */
	struct perfmap *jit;	/* its perf map, when it has JIT code */
	bool jit_tried;
};

struct jit_slot {
	uint64_t hash;		/* of the name */
	uint32_t id;
};

struct proc_slot {
	uint64_t pid;
	struct sym_proc *sp;
};

struct symbolizer {
	struct module **mods;	/* id - 1 */
	uint32_t nr_mods, max_mods;
	struct hashtab mod_index;	/* struct module_slot */
	struct hashtab procs;		/* struct proc_slot */
	struct name_cache names;	/* by the raw names, which the elf_objs own */
	char **jit_names;		/* id - 1 */
	struct hashtab jit_index;	/* struct jit_slot */
	uint64_t tick;
	uint64_t now_ns;	/* as the last trim saw the clock */
	struct symbolizer_stats stats;
};

/* DWARF kept open at once: each holds a descriptor and its parsed units. */
#define MAX_DEBUGINFO 256
#define MAX_JIT_NAMES 65536
/* Shown names of symbols: about 64 bytes each, for ~500,000 of them. */
#define MAX_NAME_BYTES (32u << 20)

static uint64_t module_key(dev_t dev, uint64_t inode, const char *name)
{
	if (!inode)
		return fnv_str(FNV_OFFSET, name) | 1;
	return fnv_word(fnv_word(FNV_OFFSET, dev), inode) | 1;
}

struct symbolizer *symbolizer__new(uint32_t max_modules)
{
	struct symbolizer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->max_mods = max_modules;
	if (hashtab__init(&s->mod_index, sizeof(struct module_slot), 64) ||
	    hashtab__init(&s->procs, sizeof(struct proc_slot), 16) ||
	    name_cache__init(&s->names, MAX_NAME_BYTES) ||
	    hashtab__init(&s->jit_index, sizeof(struct jit_slot), 64) ||
	    !(s->jit_names = calloc(MAX_JIT_NAMES, sizeof(*s->jit_names)))) {
		symbolizer__free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

static void sym_proc_free(struct sym_proc *sp)
{
	if (!sp)
		return;
	procmaps__destroy(&sp->maps);
	free(sp->module_of);
	perfmap__free(sp->jit);
	free(sp);
}

void symbolizer__free(struct symbolizer *s)
{
	struct proc_slot *ps;
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nr_mods; i++) {
		elf_obj__free(s->mods[i]->obj);
		debuginfo__free(s->mods[i]->di);
		free(s->mods[i]->path);
		free(s->mods[i]);
	}
	free(s->mods);
	for (i = 0; s->jit_names && i < s->stats.jit_names; i++)
		free(s->jit_names[i]);
	free(s->jit_names);
	hashtab__destroy(&s->jit_index);
	if (s->procs.slots)
		hashtab__for_each(&s->procs, i, ps)
			sym_proc_free(ps->sp);
	name_cache__destroy(&s->names);
	hashtab__destroy(&s->mod_index);
	hashtab__destroy(&s->procs);
	free(s);
}

static int read_maps(struct symbolizer *s, struct sym_proc *sp)
{
	struct proc_maps maps;
	uint32_t *module_of;
	int err;

	err = procmaps__read(sp->pid, &maps);
	if (err)
		return err;
	s->stats.maps_reads++;
	module_of = calloc(maps.n ? maps.n : 1, sizeof(*module_of));
	if (!module_of) {
		procmaps__destroy(&maps);
		return -ENOMEM;
	}
	procmaps__destroy(&sp->maps);
	free(sp->module_of);
	sp->maps = maps;
	sp->module_of = module_of;
	return 0;
}

static struct sym_proc *get_proc(struct symbolizer *s, pid_t pid)
{
	struct proc_slot *slot = hashtab__get(&s->procs, (uint64_t)pid);
	struct sym_proc *sp;

	if (slot)
		return slot->sp;
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return NULL;
	sp->pid = pid;
	slot = hashtab__upsert(&s->procs, (uint64_t)pid, NULL);
	if (!slot) {
		free(sp);
		return NULL;
	}
	slot->sp = sp;
	read_maps(s, sp);	/* a process already gone leaves the frames unmapped */
	return sp;
}

void symbolizer__forget_proc(struct symbolizer *s, pid_t pid)
{
	struct proc_slot slot;

	if (!hashtab__remove(&s->procs, (uint64_t)pid, &slot))
		sym_proc_free(slot.sp);
}

static struct elf_obj *open_module(pid_t pid, const struct map_entry *e)
{
	struct elf_obj *o;
	char path[4200];

	if (!map_entry__open_path(e, pid, path, sizeof(path))) {
		o = elf_obj__open(path, e->path);
		if (o)
			return o;
	}
	/* map_files needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE; the root link does not. */
	if (e->deleted || snprintf(path, sizeof(path), "/proc/%d/root%s", (int)pid, e->path) >=
			      (int)sizeof(path))
		return NULL;
	return elf_obj__open(path, e->path);
}

static bool same_file(const char *path, dev_t dev, uint64_t inode)
{
	struct stat st;

	return !stat(path, &st) && st.st_dev == dev && st.st_ino == inode;
}

/* Closes the DWARF used longest ago that can be opened again later. */
static void close_lru_debuginfo(struct symbolizer *s)
{
	struct module *victim = NULL;
	uint32_t i;

	for (i = 0; i < s->nr_mods; i++) {
		struct module *m = s->mods[i];

		if (m->di && m->di_reopenable && (!victim || m->di_used < victim->di_used))
			victim = m;
	}
	if (!victim)
		return;
	debuginfo__free(victim->di);
	victim->di = NULL;
	victim->di_tried = false;
	s->stats.debuginfo_open--;
	s->stats.debuginfo_closed++;
}

/*
 * Source lines and inlined functions of m: its DWARF, in the object or in a
 * debug file found by build-id, debuglink or debuginfod.  Through the process
 * when it is given (e non-NULL), else through the path in leakd's own namespace.
 */
static void open_debuginfo(struct symbolizer *s, struct module *m, pid_t pid,
			   const struct map_entry *e)
{
	char path[4200], root[4200];
	int fd = -1;

	m->di_tried = true;
	if (s->stats.debuginfo_open >= MAX_DEBUGINFO)
		close_lru_debuginfo(s);
	if (e && !map_entry__open_path(e, pid, path, sizeof(path))) {
		/* Its debug link is looked for in its own file system. */
		snprintf(root, sizeof(root), "/proc/%d/root%s", (int)pid, e->path);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	} else if (!e && m->path && same_file(m->path, m->dev, m->inode)) {
		snprintf(root, sizeof(root), "%s", m->path);
		fd = open(m->path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return;
	m->di = debuginfo__open(fd, root, m->build_id[0] ? m->build_id : NULL);
	close(fd);
	if (m->di)
		s->stats.debuginfo_open++;
}

/* Takes the path of a mapping for m and reads the symbols through it. */
static void learn_path(struct symbolizer *s, struct module *m, pid_t pid,
		       const struct map_entry *e)
{
	const char *slash;

	m->path = strdup(e->path);
	if (!m->path)
		return;
	slash = strrchr(m->path, '/');
	m->name = slash ? slash + 1 : m->path;
	m->di_reopenable = same_file(m->path, m->dev, m->inode);
	/*
	 * A file leakd can open again by its path is read when a frame in it is first
	 * named: most modules of the processes watched never are, and their symbols
	 * would be most of leakd's memory.  Another namespace's file, or one deleted
	 * since, is read now or never.
	 */
	if (m->di_reopenable)
		return;
	m->retried = true;
	m->obj = open_module(pid, e);
	if (m->obj) {
		elf_obj__build_id(m->obj, m->build_id, sizeof(m->build_id));
		elf_obj__close_file(m->obj);
		s->stats.modules_symbols++;
	} else {
		s->stats.modules_unreadable++;
	}
	open_debuginfo(s, m, pid, e);
}

static uint32_t add_module(struct symbolizer *s, struct module *m, uint64_t key)
{
	struct module_slot *slot;
	struct module **nm;

	nm = realloc(s->mods, (s->nr_mods + 1) * sizeof(*nm));
	if (nm)
		s->mods = nm;
	slot = nm ? hashtab__upsert(&s->mod_index, key, NULL) : NULL;
	if (!slot) {
		elf_obj__free(m->obj);
		free(m->path);
		free(m);
		return 0;
	}
	s->mods[s->nr_mods++] = m;
	slot->id = s->nr_mods;
	s->stats.modules = s->nr_mods;
	return slot->id;
}

/* A module not registered yet, within the bound on their number; NULL past it. */
static struct module *new_module(struct symbolizer *s, dev_t dev, uint64_t inode)
{
	struct module *m;

	if (s->nr_mods >= s->max_mods) {
		s->stats.modules_dropped++;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->dev = dev;
	m->inode = inode;
	return m;
}

/* The module id for a mapping, registering (and reading) the module when new. */
static uint32_t module_for(struct symbolizer *s, pid_t pid, const struct map_entry *e)
{
	bool is_file = map_entry__is_file(e);
	uint64_t key = module_key(e->dev, is_file ? e->inode : 0, e->path);
	struct module_slot *slot = hashtab__get(&s->mod_index, key);
	struct module *m;

	if (slot) {
		m = s->mods[slot->id - 1];
		if (!m->path && is_file)
			learn_path(s, m, pid, e);
		return slot->id;
	}
	m = new_module(s, e->dev, is_file ? e->inode : 0);
	if (!m)
		return 0;
	if (is_file) {
		learn_path(s, m, pid, e);
	} else {
		m->path = strdup(e->path);
		m->name = m->path;
	}
	return add_module(s, m, key);
}

/* A file seen in a frame before any maps read named it: known by inode only. */
static uint32_t pathless_module(struct symbolizer *s, dev_t dev, uint64_t inode)
{
	uint64_t key = module_key(dev, inode, NULL);
	struct module_slot *slot = hashtab__get(&s->mod_index, key);
	struct module *m;

	if (slot)
		return slot->id;
	m = new_module(s, dev, inode);
	if (!m)
		return 0;
	snprintf(m->anon_name, sizeof(m->anon_name), "[inode %llu on %u:%u]",
		 (unsigned long long)inode, major(dev), minor(dev));
	m->name = m->anon_name;
	return add_module(s, m, key);
}

static uint32_t module_by_file(struct symbolizer *s, dev_t dev, uint64_t inode)
{
	struct module_slot *slot = hashtab__get(&s->mod_index, module_key(dev, inode, NULL));

	return slot ? slot->id : 0;
}

int symbolizer__refresh_proc(struct symbolizer *s, pid_t pid)
{
	struct sym_proc *sp = get_proc(s, pid);
	size_t i;
	int err;

	if (!sp)
		return -ENOMEM;
	err = read_maps(s, sp);
	if (err)
		return err;
	for (i = 0; i < sp->maps.n; i++)
		if (sp->maps.v[i].exec && sp->maps.v[i].path)
			sp->module_of[i] = module_for(s, pid, &sp->maps.v[i]);
	return 0;
}

/* The id of a JIT function's name, interned; 0 when the table of them is full. */
static uint32_t intern_jit(struct symbolizer *s, const char *name)
{
	uint64_t h = fnv_str(FNV_OFFSET, name) | 1;
	struct jit_slot *slot;

	slot = hashtab__get(&s->jit_index, h);
	if (slot)
		return slot->id;
	if (s->stats.jit_names >= MAX_JIT_NAMES) {
		s->stats.jit_names_dropped++;
		return 0;
	}
	slot = hashtab__upsert(&s->jit_index, h, NULL);
	if (!slot)
		return 0;
	s->jit_names[s->stats.jit_names] = strdup(name);
	if (!s->jit_names[s->stats.jit_names]) {
		hashtab__remove(&s->jit_index, h, NULL);
		return 0;
	}
	slot->id = ++s->stats.jit_names;
	return slot->id;
}

/*
 * Names a frame in JIT code from the process's perf map (Node.js --perf-basic-prof,
 * .NET's DOTNET_PerfMapEnabled), read again when the pc is not in it yet: JITs
 * append as they compile.  The name is kept now: the code may move later.
 */
static bool jit_name(struct symbolizer *s, struct sym_proc *sp, struct stack_frame *f)
{
	const char *name;
	uint64_t off;

	if (!sp->jit && !sp->jit_tried) {
		sp->jit_tried = true;
		sp->jit = perfmap__new(sp->pid);
	}
	if (!sp->jit)
		return false;
	name = perfmap__lookup(sp->jit, f->pc, &off);
	if (!name && perfmap__refresh(sp->jit) >= 0)
		name = perfmap__lookup(sp->jit, f->pc, &off);
	if (!name)
		return false;
	f->jit = intern_jit(s, name);
	f->offset = off;
	return f->jit != 0;
}

struct stack_frame *symbolizer__normalize(struct symbolizer *s, pid_t pid,
				    const struct leakd_frame *kf, uint32_t n)
{
	struct stack_frame *frames = calloc(n ? n : 1, sizeof(*frames));
	struct sym_proc *sp = NULL;
	bool reread = false;
	uint32_t i;

	if (!frames)
		return NULL;
	for (i = 0; i < n; i++) {
		const struct map_entry *e;
		dev_t dev = makedev(kf[i].dev >> 20, kf[i].dev & 0xfffff);
		/* The kernel found the mapping, and no file behind it. */
		bool anon = !kf[i].ino && !(kf[i].flags & LEAKD_FRAME_NO_VMA);
		size_t idx;

		frames[i].pc = kf[i].pc;
		frames[i].flags = kf[i].flags;
		if (kf[i].ino) {
			frames[i].offset = kf[i].offset;
			frames[i].module = module_by_file(s, dev, kf[i].ino);
			if (!frames[i].module && !reread) {
				/* A file not seen before (dlopen, exec): learn its path. */
				reread = true;
				symbolizer__refresh_proc(s, pid);
				frames[i].module = module_by_file(s, dev, kf[i].ino);
			}
			if (!frames[i].module)
				frames[i].module = pathless_module(s, dev, kf[i].ino);
			continue;
		}
		/*
		 * No file from the kernel: anonymous memory (maybe a named mapping such
		 * as [vdso], maybe JIT code), or a mapping it could not look up then;
		 * ask the maps.
		 */
		if (!sp)
			sp = get_proc(s, pid);
		e = sp ? procmaps__find(&sp->maps, kf[i].pc) : NULL;
		if (e && anon && map_entry__is_file(e) && !reread) {
			/* A file there in maps read before: gone since (the kernel reuses ranges). */
			reread = true;
			symbolizer__refresh_proc(s, pid);
			e = procmaps__find(&sp->maps, kf[i].pc);
		}
		if (e && anon && map_entry__is_file(e))
			e = NULL;	/* the kernel's word: it saw the mapping at the walk */
		if ((!e || !e->path) && sp && jit_name(s, sp, &frames[i]))
			continue;
		if (!e || !e->path) {
			if (e || anon)
				frames[i].flags |= FRAME_ANON_CODE;
			continue;
		}
		idx = e - sp->maps.v;
		if (!sp->module_of[idx])
			sp->module_of[idx] = module_for(s, pid, e);
		frames[i].module = sp->module_of[idx];
		frames[i].offset = kf[i].pc - e->start + (map_entry__is_file(e) ? e->offset : 0);
	}
	return frames;
}

/*
 * A module's symbols, read when a frame in it is first named: through its path in
 * leakd's own file system, if that is the same file (device and inode) the
 * process mapped.
 */
static void open_by_path(struct symbolizer *s, struct module *m)
{
	m->retried = true;
	if (same_file(m->path, m->dev, m->inode))
		m->obj = elf_obj__open(m->path, m->path);
	if (!m->obj) {
		s->stats.modules_unreadable++;
		return;
	}
	elf_obj__close_file(m->obj);
	elf_obj__build_id(m->obj, m->build_id, sizeof(m->build_id));
	s->stats.modules_symbols++;
}

/*
 * The module of f and its symbol from the symbol table, into *ret; the module, or
 * NULL for JIT code and frames in no module.
 */
static struct module *describe_symbol(struct symbolizer *s, const struct stack_frame *f,
				      struct frame_desc *ret)
{
	struct module *m;
	struct elf_sym sym;
	uint64_t vaddr, off;

	memset(ret, 0, sizeof(*ret));
	if (f->jit && f->jit <= s->stats.jit_names) {
		ret->function = s->jit_names[f->jit - 1];
		ret->function_offset = f->offset;
		ret->jit = true;
		ret->module = "[jit]";
		return NULL;
	}
	if (!f->module || f->module > s->nr_mods)
		return NULL;
	m = s->mods[f->module - 1];
	m->used_ns = s->now_ns;
	if (!m->obj && m->inode && m->path && !m->retried)
		open_by_path(s, m);
	ret->module = m->name;
	ret->module_path = m->path;
	ret->build_id = m->build_id;
	/* Return addresses point after the call: the call is the byte before. */
	off = f->flags & LEAKD_FRAME_EXACT ? f->offset : f->offset - 1;
	if (m->obj && !elf_obj__offset_to_vaddr(m->obj, off, &vaddr) &&
	    !elf_obj__symbolize(m->obj, vaddr, &sym)) {
		ret->function = name_cache__display(&s->names, sym.name);
		ret->function_offset = vaddr + !(f->flags & LEAKD_FRAME_EXACT) - sym.addr;
	}
	return m;
}

void symbolizer__symbol(struct symbolizer *s, const struct stack_frame *f, struct frame_desc *ret)
{
	describe_symbol(s, f, ret);
}

int symbolizer__describe(struct symbolizer *s, const struct stack_frame *f, struct frame_desc *ret,
			 int max)
{
	struct src_frame chain[SYMBOLIZE_MAX_CHAIN];
	struct frame_desc sym;
	struct module *m;
	bool have_sym;
	uint64_t off;
	int n = 0, i;

	if (max < 1)
		return 0;
	m = describe_symbol(s, f, ret);
	if (!m)
		return 1;
	sym = *ret;
	have_sym = sym.function != NULL;
	off = f->flags & LEAKD_FRAME_EXACT ? f->offset : f->offset - 1;
	if (m->inode && !m->di && !m->di_tried)
		open_debuginfo(s, m, 0, NULL);
	if (m->di) {
		m->di_used = ++s->tick;
		n = debuginfo__lookup(m->di, off, chain,
				      max < SYMBOLIZE_MAX_CHAIN ? max : SYMBOLIZE_MAX_CHAIN);
	}
	if (n <= 0)
		return 1;
	/* Inlined functions first, each with its own place in the source. */
	for (i = 0; i < n; i++) {
		struct frame_desc *d = &ret[i];

		if (i)
			*d = ret[0];
		d->file = chain[i].file;
		d->line = chain[i].line;
		d->column = chain[i].column;
		d->inlined = chain[i].inlined;
		if (chain[i].inlined || !have_sym) {
			/* The symbol table names the real function better ("malloc"). */
			d->function = chain[i].function;
			d->function_offset = 0;
		}
	}
	if (have_sym) {
		ret[n - 1].function = sym.function;
		ret[n - 1].function_offset = sym.function_offset;
	}
	return n;
}

int symbolizer__trim(struct symbolizer *s, uint64_t now_ns, uint64_t idle_ns)
{
	bool names_stale = false;
	int n = 0;
	uint32_t i;

	s->now_ns = now_ns;
	for (i = 0; i < s->nr_mods; i++) {
		struct module *m = s->mods[i];

		if (!m->used_ns)
			m->used_ns = now_ns;	/* named before the clock was known */
		/* Only what can be read again the same way: the same file by its path. */
		if (!m->di_reopenable || m->used_ns + idle_ns > now_ns)
			continue;
		if (m->di) {
			debuginfo__free(m->di);
			m->di = NULL;
			s->stats.debuginfo_open--;
			s->stats.debuginfo_closed++;
			n++;
		}
		m->di_tried = false;
		if (m->obj) {
			elf_obj__free(m->obj);
			m->obj = NULL;
			s->stats.modules_symbols--;
			names_stale = true;
			n++;
		} else if (m->retried && m->path && m->inode) {
			s->stats.modules_unreadable--;	/* tried again when next named */
		}
		m->retried = false;
	}
	/* Shown names are kept by the address of the raw ones, which went with the objects. */
	if (names_stale) {
		name_cache__destroy(&s->names);
		if (name_cache__init(&s->names, MAX_NAME_BYTES))
			return -ENOMEM;
	}
	return n;
}

void symbolizer__stats(const struct symbolizer *s, struct symbolizer_stats *ret)
{
	struct debuginfo_stats ds;
	uint32_t i;

	*ret = s->stats;
	ret->names_dropped = s->names.dropped;
	for (i = 0; i < s->nr_mods; i++) {
		if (!s->mods[i]->di)
			continue;
		debuginfo__stats(s->mods[i]->di, &ds);
		ret->names_dropped += ds.names_dropped;
	}
}


size_t symbolizer__memory(const struct symbolizer *s)
{
	size_t total = hashtab__memory(&s->mod_index) + hashtab__memory(&s->procs) +
		       name_cache__memory(&s->names);
	uint32_t i;

	for (i = 0; i < s->nr_mods; i++)
		total += sizeof(struct module) +
			 (s->mods[i]->obj ? elf_obj__nr_syms(s->mods[i]->obj) * 32 : 0) +
			 (s->mods[i]->di ? debuginfo__memory(s->mods[i]->di) : 0);
	for (i = 0; i < s->stats.jit_names; i++)
		total += strlen(s->jit_names[i]) + 1;
	return total + hashtab__memory(&s->jit_index);
}

/* ---- ids across a restart ---- */

uint32_t symbolizer__nr_modules(const struct symbolizer *s)
{
	return s->nr_mods;
}

int symbolizer__module(const struct symbolizer *s, uint32_t id, uint64_t *ret_dev,
		       uint64_t *ret_inode, const char **ret_path)
{
	const struct module *m;

	if (!id || id > s->nr_mods)
		return -ENOENT;
	m = s->mods[id - 1];
	*ret_dev = m->dev;
	*ret_inode = m->inode;
	*ret_path = m->path;
	return 0;
}

uint32_t symbolizer__restore_module(struct symbolizer *s, uint64_t dev, uint64_t inode,
				    const char *path)
{
	const char *slash;
	struct module_slot *slot;
	struct module *m;
	uint64_t key;

	if (!inode && (!path || !path[0]))
		return 0;
	key = module_key((dev_t)dev, inode, path);
	slot = hashtab__get(&s->mod_index, key);
	if (slot)
		return slot->id;
	if (!path || !path[0])
		return pathless_module(s, (dev_t)dev, inode);
	m = new_module(s, (dev_t)dev, inode);
	if (!m)
		return 0;
	m->path = strdup(path);
	if (!m->path) {
		free(m);
		return 0;
	}
	slash = strrchr(m->path, '/');
	m->name = inode && slash ? slash + 1 : m->path;
	/* Its symbols are read when a frame in it is first named, as for any module. */
	if (inode)
		m->di_reopenable = same_file(m->path, m->dev, m->inode);
	return add_module(s, m, key);
}

uint32_t symbolizer__nr_jit_names(const struct symbolizer *s)
{
	return (uint32_t)s->stats.jit_names;
}

const char *symbolizer__jit_name(const struct symbolizer *s, uint32_t id)
{
	return id && id <= s->stats.jit_names ? s->jit_names[id - 1] : NULL;
}

uint32_t symbolizer__restore_jit_name(struct symbolizer *s, const char *name)
{
	return name && name[0] ? intern_jit(s, name) : 0;
}
