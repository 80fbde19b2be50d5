// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stacks/debuginfo.h"
#include "stacks/elfseg.h"
#include "stacks/elfobj.h"
#include "stacks/names.h"
#include "base/hashtab.h"

/*
 * The cache holds answers by file offset in two generations of
 * DEBUGINFO_CACHE_MAX / 2 offsets and up to four frames each on average: when
 * the young one is full the old one is dropped and the young one becomes old,
 * and an old answer asked for again moves to the young one.  So the offsets a
 * report keeps asking for stay, and memory stays under about 2.5 MiB per object.
 * A report symbolizes each distinct pc of each object (10,000 stacks of 20
 * frames rarely hold more than a few thousand distinct pcs in one object), and
 * an answer computed again costs microseconds: the bound need not be larger, and
 * it keeps a process mapping hundreds of objects from holding megabytes in each.
 */
#define GEN_MAX (DEBUGINFO_CACHE_MAX / 2)
#define POOL_MAX (GEN_MAX * 4)
/* Shown names are kept for the life of the object; past this they stay raw. */
#define NAMES_MAX_BYTES (16u << 20)
/*
 * Bounds on walking DWARF that may be corrupt: DIEs visited to index one unit,
 * nesting followed, ranges taken from one DIE, DIEs visited in one lookup,
 * function ranges indexed in all.
 */
#define INDEX_MAX_DIES (1u << 22)
#define MAX_DEPTH 64
#define MAX_RANGES 4096
#define LOOKUP_MAX_DIES (1u << 20)
#define INDEX_MAX_RANGES (1u << 22)
/* Function ranges that overlap (corrupt DWARF, nested functions) looked through. */
#define OVERLAP_SCAN 16
#define MAX_CUS_CHECKED 100000

/* One code range of a function (DW_TAG_subprogram) of a unit. */
struct fn_range {
	uint64_t lo, hi;	/* unit-relative addresses, [lo, hi) */
	Dwarf_Off die;
};

struct cu_slot {
	uint64_t key;		/* offset of the unit's DIE + 1 */
	struct fn_range *v;	/* sorted by lo */
	size_t n;
};

struct cache_slot {
	uint64_t key;		/* file offset + 1 */
	uint32_t first;		/* into the generation's pool */
	uint32_t n;
};

struct cache_gen {
	struct hashtab map;	/* struct cache_slot */
	struct src_frame *pool;
	size_t pool_n, pool_cap;
};

struct debuginfo {
	Dwfl *dwfl;
	Dwfl_Module *mod;
	Dwfl_Callbacks cb;	/* libdwfl keeps a pointer to it */
	char *search_path;	/* NULL: libdwfl's default */
	Dwarf *dw;
	Dwarf_Addr bias;	/* of the main file: module address - ELF address */
	bool has_dwarf;
	enum debuginfo_source source;
	char *debug_file;
	struct elf_segments segs;
	struct cache_gen gens[2];
	int young;		/* index into gens */
	struct hashtab cus;	/* struct cu_slot */
	size_t nr_ranges;
	struct name_cache names;	/* function names, by their raw names (libdw's) */
	struct name_cache files;	/* file names joined to their unit's directory */
	struct elf_sym *syms;	/* module addresses; names owned by libdwfl */
	size_t nsyms;
	bool syms_loaded;
	struct debuginfo_stats stats;
};

/* The object's build-id must be the one the caller knows it by, when it has one. */
static int check_build_id(Elf *elf, const char *hex)
{
	int err;

	if (!hex || !*hex)
		return 0;
	err = elf_build_id_check(elf, hex);
	return err == -ENOENT ? 0 : err;
}

/* Whether some unit has a line table; bounded for DWARF with absurd unit counts. */
static bool has_line_info(Dwarf *dw)
{
	Dwarf_Off off = 0, next;
	size_t hsize, n = 0;

	while (n++ < MAX_CUS_CHECKED &&
	       !dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL)) {
		Dwarf_Die cu;

		if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_hasattr(&cu, DW_AT_stmt_list))
			return true;
		off = next;
	}
	return false;
}

struct debuginfo *debuginfo__open_search(int fd, const char *real_path, const char *build_id,
					 const char *search_path)
{
	const char *debugfile = NULL, *mainfile, *name;
	char fd_path[64];
	struct debuginfo *d;
	Dwarf_Addr dwbias;
	GElf_Ehdr eh;
	Elf *elf;
	int dfd = -1, err;

	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	if (hashtab__init(&d->gens[0].map, sizeof(struct cache_slot), 256) ||
	    hashtab__init(&d->gens[1].map, sizeof(struct cache_slot), 256) ||
	    hashtab__init(&d->cus, sizeof(struct cu_slot), 16) ||
	    name_cache__init(&d->names, NAMES_MAX_BYTES) ||
	    name_cache__init(&d->files, NAMES_MAX_BYTES)) {
		err = -ENOMEM;
		goto fail;
	}
	if (search_path) {
		d->search_path = strdup(search_path);
		if (!d->search_path) {
			err = -ENOMEM;
			goto fail;
		}
	}
	d->cb.find_elf = dwfl_build_id_find_elf;
	d->cb.find_debuginfo = dwfl_standard_find_debuginfo;
	d->cb.section_address = dwfl_offline_section_address;
	d->cb.debuginfo_path = &d->search_path;
	d->dwfl = dwfl_begin(&d->cb);
	if (!d->dwfl) {
		err = -ENOMEM;
		goto fail;
	}
	dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0) {
		err = -errno;
		goto fail;
	}
	/*
	 * Without a path the debug link is looked for next to /proc/self/fd/N, which
	 * libdwfl also resolves to the path the kernel gives the file.
	 */
	if (!real_path) {
		snprintf(fd_path, sizeof(fd_path), "/proc/self/fd/%d", dfd);
		real_path = fd_path;
	}
	name = strrchr(real_path, '/');
	name = name ? name + 1 : real_path;
	dwfl_report_begin(d->dwfl);
	/* Based at its own addresses (bias 0), even if prelinked. */
	d->mod = dwfl_report_elf(d->dwfl, name, real_path, dfd, 0, true);
	if (!d->mod) {
		err = -ENOEXEC;
		goto fail;
	}
	dfd = -1;	/* libdwfl's now */
	if (dwfl_report_end(d->dwfl, NULL, NULL)) {
		err = -ENOMEM;
		goto fail;
	}
	elf = dwfl_module_getelf(d->mod, &d->bias);
	if (!elf || !gelf_getehdr(elf, &eh) || (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)) {
		err = -ENOEXEC;
		goto fail;
	}
	err = check_build_id(elf, build_id);
	if (err)
		goto fail;
	err = elf_segments__load(elf, &d->segs);
	if (err)
		goto fail;
	/* Finds the separate debug file now, so that lookups never wait for it. */
	d->dw = dwfl_module_getdwarf(d->mod, &dwbias);
	d->has_dwarf = d->dw && has_line_info(d->dw);
	dwfl_module_info(d->mod, NULL, NULL, NULL, NULL, NULL, &mainfile, &debugfile);
	if (!d->dw) {
		d->source = DEBUGINFO_NONE;
	} else if (dwarf_getelf(d->dw) == elf) {
		d->source = DEBUGINFO_EMBEDDED;
	} else if (debugfile) {
		d->source = DEBUGINFO_FILE;
		d->debug_file = strdup(debugfile);
		if (!d->debug_file) {
			err = -ENOMEM;
			goto fail;
		}
	} else {
		/* The one way libdwfl finds a debug file without naming it. */
		d->source = DEBUGINFO_DEBUGINFOD;
	}
	return d;
fail:
	if (dfd >= 0)
		close(dfd);
	debuginfo__free(d);
	errno = -err;
	return NULL;
}

struct debuginfo *debuginfo__open(int fd, const char *real_path, const char *build_id)
{
	return debuginfo__open_search(fd, real_path, build_id, NULL);
}

void debuginfo__free(struct debuginfo *d)
{
	struct cu_slot *cs;
	size_t i;

	if (!d)
		return;
	if (d->cus.slots)
		hashtab__for_each(&d->cus, i, cs)
			free(cs->v);
	name_cache__destroy(&d->names);
	name_cache__destroy(&d->files);
	hashtab__destroy(&d->cus);
	for (i = 0; i < 2; i++) {
		hashtab__destroy(&d->gens[i].map);
		free(d->gens[i].pool);
	}
	elf_segments__destroy(&d->segs);
	free(d->syms);
	free(d->debug_file);
	dwfl_end(d->dwfl);
	free(d->search_path);
	free(d);
}

bool debuginfo__has_dwarf(const struct debuginfo *d)
{
	return d->has_dwarf;
}

enum debuginfo_source debuginfo__source(const struct debuginfo *d)
{
	return d->source;
}

const char *debuginfo__debug_file(const struct debuginfo *d)
{
	return d->debug_file;
}

/*
 * The name to show for a raw one from DWARF or the symbol table: demangled, and
 * without the version a .symtab name can carry.  Kept for the life of d.
 */
static const char *display_name(struct debuginfo *d, const char *raw)
{
	return name_cache__display(&d->names, raw);
}

/*
 * A relative file name joined to its unit's directory when that is absolute, as
 * addr2line and gdb show it: "../src/x.c" alone does not say where the build
 * was.  A relative directory (a prefix-mapped distribution build) adds nothing.
 */
static const char *full_path(struct debuginfo *d, const char *file, const char *comp_dir)
{
	const char *kept;
	size_t dlen, flen;
	char *path;

	if (!file || file[0] == '/' || !comp_dir || comp_dir[0] != '/')
		return file;
	kept = name_cache__get(&d->files, file);
	if (kept)
		return kept;
	dlen = strnlen(comp_dir, NAME_SHOWN_MAX);
	flen = strnlen(file, NAME_SHOWN_MAX);
	path = malloc(dlen + flen + 2);
	if (!path)
		return file;
	memcpy(path, comp_dir, dlen);
	path[dlen] = '/';
	memcpy(path + dlen + 1, file, flen);
	path[dlen + flen + 1] = 0;
	kept = name_cache__keep(&d->files, file, path);
	return kept ? kept : file;
}

static const char *linkage_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;

	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &a) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a))
		return dwarf_formstring(&a);
	return NULL;
}

/* A function's name: its linkage name demangled, else its plain name. */
static const char *die_name(struct debuginfo *d, Dwarf_Die *die, bool *ret_linkage)
{
	const char *s = linkage_name(die);
	Dwarf_Attribute a;

	*ret_linkage = s != NULL;
	if (s)
		return display_name(d, s);
	if (dwarf_attr_integrate(die, DW_AT_name, &a))
		return dwarf_formstring(&a);
	return NULL;
}

/*
 * The functions of the symbol table libdwfl chose (the debug file's, the
 * object's, or .dynsym with .gnu_debugdata), sorted once: dwfl_module_addrinfo
 * scans the whole table on every call.
 */
static void load_syms(struct debuginfo *d)
{
	int i, n = dwfl_module_getsymtab(d->mod);
	size_t cnt = 0;

	d->syms_loaded = true;
	if (n <= 0)
		return;
	d->syms = calloc(n, sizeof(*d->syms));
	if (!d->syms)
		return;
	for (i = 1; i < n; i++) {
		unsigned char type;
		const char *name;
		GElf_Word shndx;
		GElf_Addr addr;
		GElf_Sym sym;

		name = dwfl_module_getsym_info(d->mod, i, &sym, &addr, &shndx, NULL, NULL);
		if (!name || !*name)
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || shndx == SHN_UNDEF || !addr)
			continue;
		d->syms[cnt++] = (struct elf_sym){ addr, sym.st_size, name,
						   elf_sym_rank(sym.st_info, name) };
	}
	d->nsyms = elf_syms_sort(d->syms, cnt);
}

/* The symbol table's (preferred) name for the function holding addr, or NULL. */
static const char *symtab_name(struct debuginfo *d, Dwarf_Addr addr, bool *ret_mangled)
{
	const struct elf_sym *sym;

	if (!d->syms_loaded)
		load_syms(d);
	sym = elf_syms_find(d->syms, d->nsyms, addr);
	if (!sym)
		return NULL;
	*ret_mangled = name_is_mangled(sym->name);
	return display_name(d, sym->name);
}

static int cmp_range(const void *pa, const void *pb)
{
	const struct fn_range *a = pa, *b = pb;

	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	/* The smaller range first among those starting together: the inner one. */
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	return a->die < b->die ? -1 : a->die > b->die;
}

static int add_ranges(struct debuginfo *d, Dwarf_Die *die, struct fn_range **v, size_t *n,
		      size_t *cap)
{
	Dwarf_Addr base, lo, hi;
	ptrdiff_t off = 0;
	int nr = 0;

	while (nr++ < MAX_RANGES && (off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0) {
		if (lo >= hi)
			continue;
		if (d->nr_ranges >= INDEX_MAX_RANGES)
			return -E2BIG;
		if (*n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 64;
			struct fn_range *nv = reallocarray(*v, ncap, sizeof(*nv));

			if (!nv)
				return -ENOMEM;
			*v = nv;
			*cap = ncap;
		}
		(*v)[(*n)++] = (struct fn_range){ lo, hi, dwarf_dieoffset(die) };
		d->nr_ranges++;
	}
	return 0;
}

/*
 * The code ranges of every function of a unit, sorted, so that finding the
 * function of a pc does not walk the unit's DIEs each time (dwarf_getscopes does,
 * which costs milliseconds in a large C++ unit).  Functions are found wherever
 * they are defined (namespaces, classes) but not inside other functions: inlined
 * instances are found by descending from the function afterwards.
 */
static struct cu_slot *cu_index(struct debuginfo *d, Dwarf_Die *cudie)
{
	uint64_t key = dwarf_dieoffset(cudie) + 1;
	struct cu_slot *cs = hashtab__get(&d->cus, key);
	Dwarf_Die stack[MAX_DEPTH], die, next;
	struct fn_range *v = NULL;
	size_t n = 0, cap = 0, visited = 0;
	bool truncated = false;
	int depth = 0;

	if (cs)
		return cs;
	if (dwarf_child(cudie, &die))
		goto done;
	for (;;) {
		int tag = dwarf_tag(&die);

		if (++visited > INDEX_MAX_DIES) {
			truncated = true;
			break;
		}
		if (tag == DW_TAG_subprogram) {
			if (add_ranges(d, &die, &v, &n, &cap)) {
				truncated = true;
				break;
			}
		} else if (dwarf_haschildren(&die) && !dwarf_child(&die, &next)) {
			if (depth < MAX_DEPTH) {
				stack[depth++] = die;
				die = next;
				continue;
			}
			truncated = true;
		}
		/* The next sibling, climbing back up as subtrees end. */
		while (dwarf_siblingof(&die, &next)) {
			if (!depth)
				goto done;
			die = stack[--depth];
		}
		die = next;
	}
done:
	if (n)
		qsort(v, n, sizeof(*v), cmp_range);
	cs = hashtab__upsert(&d->cus, key, NULL);
	if (!cs) {
		d->nr_ranges -= n;
		free(v);
		return NULL;
	}
	cs->v = v;
	cs->n = n;
	d->stats.cus_indexed++;
	d->stats.cus_truncated += truncated;
	return cs;
}

static bool find_function(struct debuginfo *d, Dwarf_Die *cudie, Dwarf_Addr pc, Dwarf_Die *ret)
{
	struct cu_slot *cs = cu_index(d, cudie);
	size_t lo = 0, hi, i, scanned;

	if (!cs || !cs->n)
		return false;
	/* The last range starting at or below pc... */
	hi = cs->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cs->v[mid].lo <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* ...or one a little before it, if ranges overlap. */
	for (i = lo, scanned = 0; i-- > 0 && scanned < OVERLAP_SCAN; scanned++) {
		if (pc < cs->v[i].hi)
			return dwarf_offdie(dwarf_cu_getdwarf(cudie->cu), cs->v[i].die, ret) != NULL;
	}
	return false;
}

struct descent {
	Dwarf_Addr pc;
	Dwarf_Die *inl;		/* inlined instances holding pc, outermost first */
	int n, max;
	Dwarf_Die deeper;	/* the next one down, when there were more than max */
	bool has_deeper;
	size_t visited;
};

static bool has_pc_attrs(Dwarf_Die *die)
{
	return dwarf_hasattr(die, DW_AT_low_pc) || dwarf_hasattr(die, DW_AT_ranges);
}

/*
 * Descends from parent through the blocks and inlined instances that hold the
 * pc.  A block without addresses of its own is looked into too, in case an
 * inlined instance within it has them.  True when something under parent held it.
 */
static bool descend(struct descent *w, Dwarf_Die *parent, int depth)
{
	Dwarf_Die child, next;

	if (depth >= MAX_DEPTH || dwarf_child(parent, &child))
		return false;
	for (;;) {
		int tag = dwarf_tag(&child);

		if (++w->visited > LOOKUP_MAX_DIES)
			return false;
		if (tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block ||
		    tag == DW_TAG_try_block || tag == DW_TAG_catch_block) {
			if (dwarf_haspc(&child, w->pc) == 1) {
				if (tag == DW_TAG_inlined_subroutine) {
					if (w->n == w->max) {
						w->deeper = child;
						w->has_deeper = true;
						return true;
					}
					w->inl[w->n++] = child;
				}
				descend(w, &child, depth + 1);
				return true;
			}
			if (tag == DW_TAG_lexical_block && !has_pc_attrs(&child) &&
			    descend(w, &child, depth + 1))
				return true;
		}
		if (dwarf_siblingof(&child, &next))
			return false;
		child = next;
	}
}

/* Where an inlined instance was called from, replacing *file, *line and *col. */
static void call_site(struct debuginfo *d, Dwarf_Die *inl, const char **file, int *line,
		      int *col)
{
	Dwarf_Word idx = 0, l = 0, c = 0;
	Dwarf_Files *files;
	Dwarf_Attribute a;
	Dwarf_Die cu;
	size_t nfiles;
	const char *f = NULL;

	if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_file, &a), &idx) == 0 &&
	    dwarf_diecu(inl, &cu, NULL, NULL) && !dwarf_getsrcfiles(&cu, &files, &nfiles) &&
	    idx < nfiles)
		f = dwarf_filesrc(files, idx, NULL, NULL);
	/* DWARF before 5 has no file 0; libdw names it "???". */
	if (f && !strcmp(f, "???"))
		f = NULL;
	if (f)
		f = full_path(d, f, dwarf_formstring(dwarf_attr(&cu, DW_AT_comp_dir, &a)));
	if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_line, &a), &l))
		l = 0;
	if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_column, &a), &c))
		c = 0;
	*file = f;
	*line = l > INT32_MAX ? 0 : (int)l;
	*col = c > INT32_MAX ? 0 : (int)c;
}

static bool is_cxx(Dwarf_Die *cudie)
{
	int lang = dwarf_srclang(cudie);

	return lang == DW_LANG_C_plus_plus || lang == DW_LANG_C_plus_plus_03 ||
	       lang == DW_LANG_C_plus_plus_11 || lang == DW_LANG_C_plus_plus_14;
}

/*
 * The frames at module address addr from DWARF; 0 when its units know nothing of
 * it.  *ret_ask_symtab: the real function's name is missing, or is a C++ plain
 * name ("get") where the symbol table may have the qualified one.
 */
static int resolve_dwarf(struct debuginfo *d, Dwarf_Addr addr, struct src_frame *chain,
			 bool *ret_ask_symtab)
{
	Dwarf_Die inl[DEBUGINFO_MAX_CHAIN - 1], fn, *cudie;
	struct descent w = { .inl = inl, .max = DEBUGINFO_MAX_CHAIN - 1 };
	bool have_fn, linkage = false;
	const char *file = NULL;
	int line = 0, col = 0, n = 0, i;
	Dwarf_Addr cubias;
	Dwfl_Line *l;

	*ret_ask_symtab = true;
	cudie = dwfl_module_addrdie(d->mod, addr, &cubias);
	if (!cudie)
		return 0;
	w.pc = addr - cubias;
	l = dwfl_module_getsrc(d->mod, addr);
	if (l) {
		file = full_path(d, dwfl_lineinfo(l, NULL, &line, &col, NULL, NULL),
				 dwfl_line_comp_dir(l));
		if (line < 0)
			line = 0;
		if (col < 0)
			col = 0;
	}
	have_fn = find_function(d, cudie, w.pc, &fn);
	if (have_fn)
		descend(&w, &fn, 0);
	/* Too deep: the innermost levels go, the line is where the next one was called. */
	if (w.has_deeper)
		call_site(d, &w.deeper, &file, &line, &col);
	for (i = w.n; i-- > 0;) {
		chain[n++] = (struct src_frame){ die_name(d, &inl[i], &linkage), file, line, col,
						 true };
		call_site(d, &inl[i], &file, &line, &col);
	}
	chain[n] = (struct src_frame){ NULL, file, line, col, false };
	if (have_fn) {
		chain[n].function = die_name(d, &fn, &linkage);
		*ret_ask_symtab = !chain[n].function || (!linkage && is_cxx(cudie));
	}
	return n + 1;
}

/* Computes the frames at file offset off. */
static int resolve(struct debuginfo *d, uint64_t off, struct src_frame *chain)
{
	bool ask_symtab = true, mangled = false;
	const char *sym;
	uint64_t vaddr;
	Dwarf_Addr addr;
	int n = 0;

	if (elf_segments__to_vaddr(&d->segs, off, &vaddr))
		return 0;
	addr = vaddr + d->bias;
	if (d->dw)
		n = resolve_dwarf(d, addr, chain, &ask_symtab);
	if (!n) {
		chain[0] = (struct src_frame){ 0 };
		n = 1;
	}
	/*
	 * DWARF's name for the real function is kept when it has one: the one gdb and
	 * addr2line print, and "f" rather than the symbol "f.constprop.0".  The symbol
	 * table's stands in when DWARF has none, or only a plain C++ name where the
	 * symbol says more ("ns::f(int)" for "f").
	 */
	if (ask_symtab) {
		sym = symtab_name(d, addr, &mangled);
		if (sym && (!chain[n - 1].function || mangled))
			chain[n - 1].function = sym;
	}
	if (n == 1 && !chain[0].function && !chain[0].file)
		return 0;
	return n;
}

static void cache_store(struct debuginfo *d, uint64_t key, const struct src_frame *chain, int n)
{
	struct cache_gen *g = &d->gens[d->young];
	struct cache_slot *slot;

	if (g->map.count >= GEN_MAX || g->pool_n + n > POOL_MAX) {
		d->young = !d->young;
		g = &d->gens[d->young];
		hashtab__clear(&g->map);
		g->pool_n = 0;
		d->stats.cache_flushes++;
	}
	if (g->pool_n + n > g->pool_cap) {
		size_t cap = g->pool_cap ? g->pool_cap * 2 : 256;
		struct src_frame *np;

		while (cap < g->pool_n + n)
			cap *= 2;
		if (cap > POOL_MAX)
			cap = POOL_MAX;
		np = reallocarray(g->pool, cap, sizeof(*np));
		if (!np)
			return;
		g->pool = np;
		g->pool_cap = cap;
	}
	slot = hashtab__upsert(&g->map, key, NULL);
	if (!slot)
		return;
	if (n)		/* the pool may not exist yet: no memcpy() from NULL */
		memcpy(g->pool + g->pool_n, chain, n * sizeof(*chain));
	slot->first = g->pool_n;
	slot->n = n;
	g->pool_n += n;
}

int debuginfo__lookup(struct debuginfo *d, uint64_t off, struct src_frame *ret, int max)
{
	struct src_frame chain[DEBUGINFO_MAX_CHAIN];
	const struct cache_gen *young = &d->gens[d->young], *old = &d->gens[!d->young];
	const struct cache_slot *slot;
	int n;

	d->stats.lookups++;
	if (max <= 0 || off == UINT64_MAX)
		return 0;
	slot = hashtab__get(&young->map, off + 1);
	if (slot) {
		d->stats.cache_hits++;
		n = slot->n;
		/* An empty answer has no pool behind it: nothing to copy (and NULL). */
		if (n)
			memcpy(chain, young->pool + slot->first, n * sizeof(*chain));
	} else if ((slot = hashtab__get(&old->map, off + 1))) {
		/* Still wanted: into the young generation, before the old one goes. */
		d->stats.cache_hits++;
		n = slot->n;
		if (n)
			memcpy(chain, old->pool + slot->first, n * sizeof(*chain));
		cache_store(d, off + 1, chain, n);
	} else {
		n = resolve(d, off, chain);
		/* Without memory for the cache the answer still stands. */
		cache_store(d, off + 1, chain, n);
	}
	if (n > max)
		n = max;
	memcpy(ret, chain, n * sizeof(*ret));
	return n;
}

void debuginfo__stats(const struct debuginfo *d, struct debuginfo_stats *ret)
{
	*ret = d->stats;
	ret->names_dropped = d->names.dropped + d->files.dropped;
}

size_t debuginfo__memory(const struct debuginfo *d)
{
	return sizeof(*d) + hashtab__memory(&d->gens[0].map) + hashtab__memory(&d->gens[1].map) +
	       (d->gens[0].pool_cap + d->gens[1].pool_cap) * sizeof(struct src_frame) +
	       hashtab__memory(&d->cus) + d->nr_ranges * sizeof(struct fn_range) +
	       name_cache__memory(&d->names) + name_cache__memory(&d->files) +
	       d->segs.n * sizeof(*d->segs.v) +
	       d->nsyms * sizeof(*d->syms);
}
