// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libleakd-sampler.so loaded into a running process (leakctl trace --inject): the
 * GOT patch (INJECT.md).
 *
 * Nobody's calls reach us until the GOT entries that lead to the allocator lead
 * here.  leakd, which stops the process's threads, calls leakd_sampler_prepare()
 * while they run (it walks the loaded objects under the loader's lock), then
 * leakd_sampler_patch() with every thread stopped: it waits for no lock (got_lock
 * is only tried) and allocates nothing, so that no stopped thread can hold what it
 * needs.  The entries patched and their old values stay here for
 * leakd_sampler_unpatch(), which puts them back.
 *
 * dlopen's entries are taken too: while injected, the objects a dlopen brings in
 * are patched when it returns, by the thread that called it, the others running
 * (follow_loaded()).  INJECT.md says why that is safe.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "leakd/sampler.h"
#include "sampler/sampler.h"

/* A loaded object whose GOT we change: known again by its base and dynamic section. */
struct got_obj {
	uintptr_t base, dyn;	/* dyn 0: unloaded and loaded again, a new object now */
	uint32_t first, n;	/* its slots, one after the other */
};

struct got_slot {
	uintptr_t addr;		/* the GOT entry */
	uintptr_t old;		/* what it held: the allocator, or its lazy PLT stub */
	uint32_t entry;		/* in entries */
	uint32_t obj;		/* in got.objs */
	bool relro;		/* in a page the loader made read-only */
	bool written;
};

/* Room for the objects dlopen'd while injected, beyond those prepare() found. */
#define LATE_OBJS 256

static struct {
	struct got_slot *slots;
	struct got_obj *objs;
	size_t nr_slots, nr_objs, cap_slots, cap_objs;
	size_t mapped;		/* bytes of the mapping both arrays live in */
	uint64_t foreign;	/* entries bound elsewhere (another allocator): left alone */
	uintptr_t self, ldso;	/* our load base and the loader's: never patched */
	int patched;		/* atomic: dlopen_follows() reads it without the lock */
	bool forks;		/* fork_prepare() and fork_done() registered */
} got;

/*
 * Held while the list above changes: by follow_loaded() (which may block on the
 * loader's lock meanwhile), tried by prepare, patch and unpatch, which leakd calls
 * on a thread it stopped somewhere: they answer -EAGAIN rather than wait for a
 * thread that may be stopped too.  Never an allocator's lock.
 */
static pthread_mutex_t got_lock = PTHREAD_MUTEX_INITIALIZER;

/* A fork waits for a patching under way: the child's list is never half-written. */
static void fork_prepare(void)
{
	pthread_mutex_lock(&got_lock);
}

static void fork_done(void)
{
	pthread_mutex_unlock(&got_lock);
}

struct scan {
	bool fill;		/* else count */
	bool late;		/* follow_loaded(): new objects only, patched at once */
	size_t slots, objs;
};

static int entry_of(const char *name)
{
	for (size_t i = 0; i < nr_entries; i++)
		if (!strcmp(entries[i].name, name))
			return (int)i;
	return -1;
}

/* A dynamic entry's address: relocated in place by the loader, except where it cannot be. */
static uintptr_t dyn_ptr(uintptr_t base, uintptr_t p)
{
	return p && p < base ? p + base : p;
}

/* A loaded object, as its program headers and dynamic section describe it. */
struct loaded_obj {
	uintptr_t base;
	const ElfW(Sym) *symtab;
	const char *strtab;
	size_t strsz;
	uintptr_t text_lo, text_hi;	/* its code: where unbound PLT stubs point */
	uintptr_t relro_lo, relro_hi;	/* what the loader made read-only */
};

static void scan_relocs(struct scan *sc, const struct loaded_obj *o, const ElfW(Rela) *r,
			size_t bytes)
{
	for (size_t i = 0; r && i < bytes / sizeof(*r); i++) {
		unsigned long type = ELF64_R_TYPE(r[i].r_info);
		const ElfW(Sym) *sym = &o->symtab[ELF64_R_SYM(r[i].r_info)];
		uintptr_t addr = o->base + r[i].r_offset, v;
		void *target;
		int k;

		if ((type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT) ||
		    !ELF64_R_SYM(r[i].r_info) || sym->st_name >= o->strsz)
			continue;
		k = entry_of(o->strtab + sym->st_name);
		if (k < 0 || !(target = target_of(&entries[k])))
			continue;
		v = __atomic_load_n((uintptr_t *)addr, __ATOMIC_RELAXED);
		if (v == (uintptr_t)entries[k].self)
			continue;
		/* Bound to the allocator, or not bound yet (lazy binding: its PLT stub). */
		if (v != (uintptr_t)target &&
		    !(type == R_X86_64_JUMP_SLOT && v >= o->text_lo && v < o->text_hi)) {
			if (sc->fill)
				got.foreign++;
			continue;
		}
		if (sc->fill && got.nr_slots < got.cap_slots)
			got.slots[got.nr_slots++] = (struct got_slot){
				.addr = addr, .old = v, .entry = (uint32_t)k,
				.obj = (uint32_t)got.nr_objs,
				.relro = addr >= o->relro_lo && addr < o->relro_hi };
		sc->slots++;
	}
}

/*
 * Whether the object is in the loader's first namespace (the program's).  One
 * that dlmopen put in another has a libc of its own, and an allocator we do not
 * forward to.  Under the loader's lock (dl_iterate_phdr) or with all stopped.
 */
static bool in_base_namespace(uintptr_t base, uintptr_t dyn)
{
	size_t n = 0;

	for (struct link_map *l = _r_debug.r_map; l && n < 65536; l = l->l_next, n++)
		if (l->l_addr == base && (uintptr_t)l->l_ld == dyn)
			return true;
	return false;
}

/*
 * Writes v into the entry.  An error after the store (the page not made read-only
 * again) still marks the entry written when v is ours: unpatch must find it.
 */
static int write_slot(struct got_slot *s, uintptr_t v)
{
	uintptr_t page = s->addr & ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1);
	size_t len = (size_t)sysconf(_SC_PAGESIZE);

	if (s->relro && mprotect((void *)page, len, PROT_READ | PROT_WRITE))
		return -errno;
	/* One aligned 8-byte store: a thread calling through it sees old or new. */
	__atomic_store_n((uintptr_t *)s->addr, v, __ATOMIC_RELEASE);
	s->written = v != s->old;
	if (s->relro && mprotect((void *)page, len, PROT_READ))
		return -errno;
	return 0;
}

#ifdef __x86_64__
/* glibc 2.35 and later: whether an object is relocated and protected (lock-free). */
#pragma weak _dl_find_object

/*
 * Whether the loader is done with the object: relocated, its RELRO protected.
 * dlopen registers it for _dl_find_object only after that; one still being loaded
 * by another thread is not touched (its dlopen, if ours, patches it).
 */
static bool settled(uintptr_t base, uintptr_t dyn)
{
	struct dl_find_object f;

	return _dl_find_object && !_dl_find_object((void *)dyn, &f) && f.dlfo_link_map &&
	       f.dlfo_link_map->l_addr == base && (uintptr_t)f.dlfo_link_map->l_ld == dyn;
}

/* Whether addr lies in one of the object's loaded segments (readable, then). */
static bool in_object(const struct dl_phdr_info *info, uintptr_t addr)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && addr >= lo &&
		    addr + sizeof(void *) <= lo + ph->p_memsz)
			return true;
	}
	return false;
}

/*
 * Whether an object dlopen'd earlier is known, its entries patched.  One unloaded
 * and loaded again at the same place looks the same but holds the loader's values:
 * its old record is retired (nothing of it is written back).
 */
static bool known(const struct dl_phdr_info *info, uintptr_t dyn)
{
	uintptr_t base = info->dlpi_addr;

	for (size_t i = 0; i < got.nr_objs; i++) {
		struct got_obj *o = &got.objs[i];
		bool written = false;

		if (o->base != base || o->dyn != dyn)
			continue;
		for (uint32_t j = o->first; j < o->first + o->n; j++) {
			struct got_slot *s = &got.slots[j];

			if (!s->written || !in_object(info, s->addr))
				continue;
			written = true;
			if (__atomic_load_n((uintptr_t *)s->addr, __ATOMIC_RELAXED) ==
			    (uintptr_t)entries[s->entry].self)
				return true;
		}
		if (!written)
			return true;	/* nothing of it was ours: leave it be */
		for (uint32_t j = o->first; j < o->first + o->n; j++)
			got.slots[j].written = false;
		o->dyn = 0;
	}
	return false;
}

/*
 * Points the entries of the object just listed (slots first..) at us, the other
 * threads running; all of them or, when one cannot be written, none.
 */
static void patch_late(size_t first)
{
	size_t i;

	for (i = first; i < got.nr_slots; i++) {
		struct got_slot *s = &got.slots[i];
		uintptr_t self = (uintptr_t)entries[s->entry].self;

		if (write_slot(s, self))
			break;
		/*
		 * The lazy binder of a thread calling through a PLT entry for the first
		 * time may store the allocator over us, once: take it again.
		 */
		if (__atomic_load_n((uintptr_t *)s->addr, __ATOMIC_ACQUIRE) ==
		    (uintptr_t)target_of(&entries[s->entry]))
			write_slot(s, self);
	}
	if (i == got.nr_slots) {
		stats.late_objects++;
		stats.late_entries += got.nr_slots - first;
		return;
	}
	for (size_t j = first; j <= i; j++)
		if (got.slots[j].written)
			write_slot(&got.slots[j], got.slots[j].old);
	for (size_t j = first; j <= i; j++)
		if (got.slots[j].written)
			return;		/* cannot be taken back: kept for unpatch */
	stats.late_dropped += got.nr_slots - first;
	got.nr_slots = first;
	got.nr_objs--;
}
#endif

static int visit(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct scan *sc = ctx;
	uintptr_t base = info->dlpi_addr, dyn = 0, page = (uintptr_t)sysconf(_SC_PAGESIZE);
	struct loaded_obj o = { .base = base, .text_lo = UINTPTR_MAX };
	const ElfW(Rela) *rela = NULL, *jmprel = NULL;
	size_t relasz = 0, pltrelsz = 0, first = got.nr_slots;
	bool plt_rela = true;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_DYNAMIC) {
			dyn = base + ph->p_vaddr;
		} else if (ph->p_type == PT_GNU_RELRO) {
			/* What the loader protected: whole pages, the last partial one not. */
			o.relro_lo = (base + ph->p_vaddr) & ~(page - 1);
			o.relro_hi = (base + ph->p_vaddr + ph->p_memsz) & ~(page - 1);
		} else if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			if (base + ph->p_vaddr < o.text_lo)
				o.text_lo = base + ph->p_vaddr;
			if (base + ph->p_vaddr + ph->p_memsz > o.text_hi)
				o.text_hi = base + ph->p_vaddr + ph->p_memsz;
		}
	}
	if (!dyn || base == got.self || base == got.ldso || !in_base_namespace(base, dyn))
		return 0;
#ifdef __x86_64__
	if (sc->late && (known(info, dyn) || !settled(base, dyn)))
		return 0;
#endif
	for (const ElfW(Dyn) *d = (const ElfW(Dyn) *)dyn; d->d_tag != DT_NULL; d++) {
		switch (d->d_tag) {
		case DT_SYMTAB:
			o.symtab = (const ElfW(Sym) *)dyn_ptr(base, d->d_un.d_ptr);
			break;
		case DT_STRTAB:
			o.strtab = (const char *)dyn_ptr(base, d->d_un.d_ptr);
			break;
		case DT_STRSZ:
			o.strsz = d->d_un.d_val;
			break;
		case DT_RELA:
			rela = (const ElfW(Rela) *)dyn_ptr(base, d->d_un.d_ptr);
			break;
		case DT_RELASZ:
			relasz = d->d_un.d_val;
			break;
		case DT_JMPREL:
			jmprel = (const ElfW(Rela) *)dyn_ptr(base, d->d_un.d_ptr);
			break;
		case DT_PLTRELSZ:
			pltrelsz = d->d_un.d_val;
			break;
		case DT_PLTREL:
			plt_rela = d->d_un.d_val == DT_RELA;
			break;
		}
	}
	if (!o.symtab || !o.strtab)
		return 0;
	if (sc->late) {
		/* Counted first: an object goes into the list whole, or is dropped whole. */
		struct scan count = { 0 };

		scan_relocs(&count, &o, rela, relasz);
		if (plt_rela)
			scan_relocs(&count, &o, jmprel, pltrelsz);
		if (got.nr_slots + count.slots > got.cap_slots || got.nr_objs >= got.cap_objs) {
			stats.late_dropped += count.slots;
			return 0;
		}
	}
	scan_relocs(sc, &o, rela, relasz);
	if (plt_rela)
		scan_relocs(sc, &o, jmprel, pltrelsz);
	/* Listed even with no entry of ours: a later dlopen need not read it again. */
	if (sc->fill && got.nr_objs < got.cap_objs)
		got.objs[got.nr_objs++] = (struct got_obj){
			.base = base, .dyn = dyn, .first = (uint32_t)first,
			.n = (uint32_t)(got.nr_slots - first) };
	sc->objs++;
#ifdef __x86_64__
	if (sc->late && got.nr_slots > first)
		patch_late(first);
#endif
	return 0;
}

static uintptr_t self_l_addr(void)
{
	struct link_map *lm = NULL;
	Dl_info info;

	if (!dladdr1((void *)self_l_addr, &info, (void **)&lm, RTLD_DL_LINKMAP) || !lm)
		return 0;
	return lm->l_addr;
}

/*
 * Finds the GOT entries of every loaded object (but ours and the loader's) that
 * lead to the allocator's entry points we stand in front of.  Returns their
 * number, -EEXIST when we were preloaded (in front already), -EAGAIN while a
 * thread patches what its dlopen brought (leakd tries again), -ENOMEM.
 */
EXPORT int leakd_sampler_prepare(void)
{
	struct scan sc = { 0 };
	size_t bytes;
	int ret;
	void *m;

	if (ours(dlsym(RTLD_DEFAULT, "malloc")))
		return -EEXIST;
	if (pthread_mutex_trylock(&got_lock))
		return -EAGAIN;
	ret = -EALREADY;
	if (got.patched)
		goto out;
	ret = -ENOMEM;
	if (!got.forks && pthread_atfork(fork_prepare, fork_done, fork_done))
		goto out;
	got.forks = true;
	got.self = self_l_addr();
	got.ldso = _r_debug.r_ldbase;
	dl_iterate_phdr(visit, &sc);
	/* Room for objects loaded meanwhile (patch() says when they came anyway), and later. */
	sc.slots += 64 + late_slots;
	sc.objs += 16 + LATE_OBJS;
	bytes = sc.slots * sizeof(struct got_slot) + sc.objs * sizeof(struct got_obj);
	ret = -ENOMEM;
	m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (m == MAP_FAILED)
		goto out;
	if (got.slots)
		munmap(got.slots, got.mapped);
	got.slots = m;
	got.objs = (struct got_obj *)(got.slots + sc.slots);
	got.cap_slots = sc.slots;
	got.cap_objs = sc.objs;
	got.nr_slots = got.nr_objs = 0;
	got.foreign = 0;
	got.mapped = bytes;
	sc = (struct scan){ .fill = true };
	dl_iterate_phdr(visit, &sc);
	if (sc.slots + late_slots > got.cap_slots || sc.objs + LATE_OBJS > got.cap_objs) {
		ret = -EAGAIN;
		goto out;
	}
	/* What is left is for the objects dlopen'd while injected, and no more. */
	got.cap_slots = got.nr_slots + late_slots;
	got.cap_objs = got.nr_objs + LATE_OBJS;
	ret = (int)got.nr_slots;
out:
	pthread_mutex_unlock(&got_lock);
	return ret;
}

/* Whether obj is still loaded: the loader's list, read without its lock (all stopped). */
static bool loaded(const struct got_obj *o)
{
	return o->dyn && in_base_namespace(o->base, o->dyn);
}

static void undo(size_t upto)
{
	for (size_t i = 0; i < upto; i++)
		if (got.slots[i].written)
			write_slot(&got.slots[i], got.slots[i].old);
}

/*
 * With every other thread stopped: points the entries found by prepare() at us,
 * all or none.  every: the mean bytes between samples from now on (0: as it is).
 * Returns the entries patched, -EAGAIN when objects came or went since prepare()
 * (or the loader is busy, or a thread was stopped while it patched what its dlopen
 * brought), -errno when one could not be written (none is then).
 */
EXPORT int leakd_sampler_patch(uint64_t every)
{
	int n = 0, err = 0;

	if (!got.slots)
		return -ENOENT;
	if (pthread_mutex_trylock(&got_lock))
		return -EAGAIN;
	if (got.patched)
		err = -EALREADY;
	else if (_r_debug.r_state != RT_CONSISTENT)
		err = -EAGAIN;
	for (size_t i = 0; !err && i < got.nr_objs; i++)
		if (!loaded(&got.objs[i]))
			err = -EAGAIN;
	if (err)
		goto out;
	if (every)
		__atomic_store_n(&leakd_sampler_control.interval, every, __ATOMIC_RELAXED);
	for (size_t i = 0; i < got.nr_slots; i++) {
		struct got_slot *s = &got.slots[i];
		const struct entry *e = &entries[s->entry];
		uintptr_t v = __atomic_load_n((uintptr_t *)s->addr, __ATOMIC_RELAXED);

		s->written = false;
		if (v != s->old) {
			/* Bound since prepare(), by the loader, to the same allocator: fine. */
			if (v != (uintptr_t)target_of(e))
				continue;
			s->old = v;
		}
		err = write_slot(s, (uintptr_t)e->self);
		if (err) {
			undo(i + 1);
			goto out;
		}
		n++;
	}
	__atomic_store_n(&got.patched, 1, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&got_lock);
	return err ? err : n;
}

/*
 * With every other thread stopped: puts back the old value of each entry patched
 * (at injection or after a dlopen since) that still leads to us, of objects still
 * loaded.  Returns their number, or -EAGAIN while the loader is busy or a thread
 * was stopped while it patched what its dlopen brought.  We stay loaded, and
 * inert: code may be on a stack, and the set of sampled blocks is still asked by
 * frees through pointers taken meanwhile.
 */
EXPORT int leakd_sampler_unpatch(void)
{
	int n = 0;

	if (!got.patched)
		return 0;
	if (pthread_mutex_trylock(&got_lock))
		return -EAGAIN;
	if (_r_debug.r_state != RT_CONSISTENT) {
		pthread_mutex_unlock(&got_lock);
		return -EAGAIN;
	}
	for (size_t i = 0; i < got.nr_slots; i++) {
		struct got_slot *s = &got.slots[i];

		if (!s->written || !loaded(&got.objs[s->obj]) ||
		    __atomic_load_n((uintptr_t *)s->addr, __ATOMIC_RELAXED) !=
			    (uintptr_t)entries[s->entry].self)
			continue;
		if (!write_slot(s, s->old))
			n++;
	}
	__atomic_store_n(&got.patched, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&got_lock);
	return n;
}

#ifdef __x86_64__
void *real_dlopen;

/*
 * Patches the objects loaded since the injection (or since the last dlopen we
 * followed), while injected.  The other threads run: see INJECT.md.
 */
static void follow_loaded(void)
{
	struct scan sc = { .fill = true, .late = true };

	pthread_mutex_lock(&got_lock);
	if (__atomic_load_n(&got.patched, __ATOMIC_ACQUIRE) && got.slots)
		dl_iterate_phdr(visit, &sc);
	pthread_mutex_unlock(&got_lock);
}

static const ElfW(Dyn) *dyn_entry(const ElfW(Dyn) *d, long tag)
{
	for (; d && d->d_tag != DT_NULL; d++)
		if (d->d_tag == tag)
			return d;
	return NULL;
}

/* Whether an object other than the program has a DT_RPATH (ctx: the program's dyn). */
static int other_rpath(struct dl_phdr_info *info, size_t size, void *ctx)
{
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t dyn = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_DYNAMIC && dyn != (uintptr_t)ctx &&
		    dyn_entry((const ElfW(Dyn) *)dyn, DT_RPATH))
			return 1;
	}
	return 0;
}

/*
 * Whether a dlopen is followed (we call it and patch what it brought), or
 * forwarded untouched.  Called from us, dlopen takes us for its caller, which
 * matters for a file name with '$' (expanded by the caller's $ORIGIN) or without
 * '/' (searched along the caller's DT_RUNPATH, or the DT_RPATH of it and the
 * objects that loaded it): such calls are followed only where our own search
 * would be the same (we have neither, and were loaded by the program, whose
 * DT_RPATH is searched either way).  The namespace is the program's either way:
 * we patch no object of another.
 */
__attribute__((used)) int dlopen_follows(const char *file, int mode, const void *caller)
{
	const ElfW(Dyn) *dyn, *flags;
	struct dl_find_object f;
	struct link_map *prog = _r_debug.r_map;

	(void)mode;
	if (!__atomic_load_n(&got.patched, __ATOMIC_ACQUIRE) || !file || !real_dlopen)
		return 0;
	if (strchr(file, '/') && !strchr(file, '$'))
		return 1;
	if (strchr(file, '$') || !_dl_find_object || _dl_find_object((void *)caller, &f) ||
	    !f.dlfo_link_map || !prog)
		goto forwarded;
	dyn = f.dlfo_link_map->l_ld;
	flags = dyn_entry(dyn, DT_FLAGS_1);
	if (dyn_entry(dyn, DT_RUNPATH) || (flags && (flags->d_un.d_val & DF_1_NODEFLIB)) ||
	    dl_iterate_phdr(other_rpath, prog->l_ld))
		goto forwarded;
	return 1;
forwarded:
	__atomic_add_fetch(&stats.dlopen_unfollowed, 1, __ATOMIC_RELAXED);
	return 0;
}

__attribute__((used)) void *dlopen_followed(const char *file, int mode)
{
	void *h = ((void *(*)(const char *, int))real_dlopen)(file, mode);
	int saved = errno;

	if (h)
		follow_loaded();
	errno = saved;
	return h;
}

/*
 * The GOT entries of dlopen lead here: asks dlopen_follows() with the caller's
 * return address, then either calls dlopen_followed() or jumps to dlopen with the
 * stack as it came (the caller still the caller).
 */
__asm__(".text\n"
	".p2align 4\n"
	".globl leakd_dlopen_entry\n"
	".hidden leakd_dlopen_entry\n"
	".type leakd_dlopen_entry, @function\n"
	"leakd_dlopen_entry:\n"
	".cfi_startproc\n"
	"endbr64\n"
	"push %rdi\n"
	".cfi_adjust_cfa_offset 8\n"
	"push %rsi\n"
	".cfi_adjust_cfa_offset 8\n"
	"sub $8, %rsp\n"
	".cfi_adjust_cfa_offset 8\n"
	"mov 24(%rsp), %rdx\n"
	"call dlopen_follows\n"
	"add $8, %rsp\n"
	".cfi_adjust_cfa_offset -8\n"
	"pop %rsi\n"
	".cfi_adjust_cfa_offset -8\n"
	"pop %rdi\n"
	".cfi_adjust_cfa_offset -8\n"
	"test %eax, %eax\n"
	"jnz dlopen_followed\n"
	"jmp *real_dlopen(%rip)\n"
	".cfi_endproc\n"
	".size leakd_dlopen_entry, .-leakd_dlopen_entry\n");
#endif
