// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "stacks/elfobj.h"
#include "stacks/elfseg.h"

#define DEBUG_ROOT "/usr/lib/debug"

struct elf_obj {
	int fd;
	char build_id[2 * BUILD_ID_MAX + 1];	/* hex; "" when it has none */
	struct elf_segments segs;
	struct elf_sym *syms;	/* sorted by address, preferred alias first */
	size_t nsyms;
	char *names;
	bool has_debug;
};

/*
 * Symbols while loading: grown arrays, turned into elf_obj.syms at the end.  Names
 * are offsets into the pool until then, as the pool moves while it grows.
 */
struct sym_builder {
	struct elf_sym *v;
	size_t n, cap;
	char *pool;
	size_t pool_len, pool_cap;
};

static int builder_add(struct sym_builder *b, uint64_t addr, uint64_t size, const char *name,
		       unsigned char rank)
{
	size_t len = strlen(name) + 1;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		struct elf_sym *nv = realloc(b->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		b->v = nv;
		b->cap = cap;
	}
	if (b->pool_len + len > b->pool_cap) {
		size_t cap = b->pool_cap ? b->pool_cap * 2 : 16384;
		char *np;

		while (cap < b->pool_len + len)
			cap *= 2;
		np = realloc(b->pool, cap);
		if (!np)
			return -ENOMEM;
		b->pool = np;
		b->pool_cap = cap;
	}
	memcpy(b->pool + b->pool_len, name, len);
	b->v[b->n++] = (struct elf_sym){ addr, size, (const char *)(uintptr_t)b->pool_len, rank };
	b->pool_len += len;
	return 0;
}

unsigned char elf_sym_rank(unsigned char st_info, const char *name)
{
	unsigned char bind = GELF_ST_BIND(st_info);

	return 6 * (name[0] == '_') + 3 * !!strpbrk(name, ".@") +
	       (bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2);
}

static int load_symbols(Elf *elf, struct sym_builder *b)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	int err;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		n = data->d_size / sh.sh_entsize;
		for (i = 0; i < n; i++) {
			GElf_Sym s;
			const char *name;
			unsigned char type;

			if (!gelf_getsym(data, i, &s))
				break;
			type = GELF_ST_TYPE(s.st_info);
			if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s.st_shndx == SHN_UNDEF ||
			    !s.st_value)
				continue;
			name = elf_strptr(elf, sh.sh_link, s.st_name);
			if (!name || !*name)
				continue;
			err = builder_add(b, s.st_value, s.st_size, name, elf_sym_rank(s.st_info, name));
			if (err)
				return err;
		}
	}
	return 0;
}

static int cmp_sym(const void *pa, const void *pb)
{
	const struct elf_sym *a = pa, *b = pb;
	size_t la, lb;

	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	if (a->rank != b->rank)
		return a->rank - b->rank;
	/* Bigger size first so that a sized alias wins over a size-0 one. */
	if (a->size != b->size)
		return a->size > b->size ? -1 : 1;
	/* Then the shorter name: "free" rather than its old alias "cfree". */
	la = strlen(a->name);
	lb = strlen(b->name);
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a->name, b->name);
}

size_t elf_syms_sort(struct elf_sym *v, size_t n)
{
	size_t i, j = 0;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_sym);
	for (i = 0; i < n; i++) {
		if (j && v[j - 1].addr == v[i].addr && !strcmp(v[j - 1].name, v[i].name))
			continue;
		v[j++] = v[i];
	}
	return j;
}

const struct elf_sym *elf_syms_find(const struct elf_sym *v, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n, i;

	/* The last symbol starting at or below addr... */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	/* ...then the preferred alias at that address, which sorts first. */
	i = lo - 1;
	while (i && v[i - 1].addr == v[i].addr)
		i--;
	if (v[i].size && addr - v[i].addr >= v[i].size)
		return NULL;
	return &v[i];
}

static int builder_finish(struct sym_builder *b, struct elf_obj *o)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		b->v[i].name = b->pool + (uintptr_t)b->v[i].name;
	o->nsyms = elf_syms_sort(b->v, b->n);
	o->syms = b->v;
	if (o->nsyms && o->nsyms < b->cap)
		o->syms = realloc(b->v, o->nsyms * sizeof(*o->syms)) ?: b->v;
	b->v = NULL;
	o->names = b->pool;
	b->pool = NULL;
	return 0;
}

static int hex_build_id(const unsigned char *id, size_t len, char *buf, size_t size)
{
	size_t i;

	if (!len)
		return -ENOENT;
	if (size < len * 2 + 1)
		return -ENOSPC;
	for (i = 0; i < len; i++)
		snprintf(buf + 2 * i, 3, "%02x", id[i]);
	return 0;
}

/* The build-id of elf as lowercase hex: 0, -ENOENT when it has none, -ENOSPC. */
static int read_build_id(Elf *elf, char *buf, size_t size)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		while ((off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp((char *)data->d_buf + name_off, "GNU", 4) && nh.n_descsz &&
			    nh.n_descsz <= BUILD_ID_MAX) {
				return hex_build_id((unsigned char *)data->d_buf + desc_off,
						    nh.n_descsz, buf, size);
			}
		}
	}
	return -ENOENT;
}


/* Whether the section headers lie within the file: a cut file is not the object. */
static bool whole(Elf *elf, int fd)
{
	GElf_Ehdr eh;
	struct stat st;

	if (!gelf_getehdr(elf, &eh))
		return false;
	if (fstat(fd, &st))
		return false;
	return !eh.e_shoff || eh.e_shoff + (uint64_t)eh.e_shnum * eh.e_shentsize <= (uint64_t)st.st_size;
}

static Elf *open_elf(const char *path, int *ret_fd)
{
	Elf *elf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !whole(elf, fd)) {
		elf_end(elf);
		close(fd);
		errno = ENOEXEC;
		return NULL;
	}
	*ret_fd = fd;
	return elf;
}

int elf_build_id_check(Elf *elf, const char *hex)
{
	char id[2 * BUILD_ID_MAX + 1];
	size_t len = strlen(hex), i;
	int err;

	if (!len || len % 2 || len > 2 * BUILD_ID_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)hex[i]))
			return -EINVAL;
	err = read_build_id(elf, id, sizeof(id));
	if (err)
		return err;
	return strcasecmp(id, hex) ? -ESTALE : 0;
}

static uint32_t file_crc(int fd)
{
	unsigned char buf[65536];
	uLong crc = crc32(0, NULL, 0);
	ssize_t n;
	off_t off = 0;

	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		crc = crc32(crc, buf, n);
		off += n;
	}
	return crc;
}

/* Loads the symbols of a debug file that belongs to o; 0 when one was found. */
static int try_debug_file(struct elf_obj *o, const char *path, bool by_build_id, uint32_t crc,
			  struct sym_builder *b)
{
	Elf *elf;
	int fd, err = -ENOENT;

	elf = open_elf(path, &fd);
	if (!elf)
		return -ENOENT;
	if (by_build_id ? !elf_build_id_check(elf, o->build_id) : file_crc(fd) == crc)
		err = load_symbols(elf, b);
	elf_end(elf);
	close(fd);
	return err;
}

static void load_debug_file(struct elf_obj *o, Elf *elf, const char *real_path,
			    struct sym_builder *b)
{
	char path[4096], dir[4096], *d;
	Elf_Scn *scn = NULL;
	size_t shstrndx, i;
	int n;

	if (strlen(o->build_id) > 2) {
		n = snprintf(path, sizeof(path), DEBUG_ROOT "/.build-id/%.2s/%s.debug", o->build_id,
			     o->build_id + 2);
		if (n > 0 && (size_t)n < sizeof(path) && !try_debug_file(o, path, true, 0, b)) {
			o->has_debug = true;
			return;
		}
	}
	if (!real_path || elf_getshdrstrndx(elf, &shstrndx))
		return;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		const char *name, *link;
		uint32_t crc;
		size_t len;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".gnu_debuglink"))
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || data->d_size < 8)
			return;
		link = data->d_buf;
		len = strnlen(link, data->d_size);
		if (len + 4 > data->d_size || strchr(link, '/'))
			return;
		memcpy(&crc, (char *)data->d_buf + ((len + 4) & ~3UL), 4);
		snprintf(dir, sizeof(dir), "%s", real_path);
		d = dirname(dir);
		/* Where gdb looks: next to the object, in .debug/, under the debug root. */
		for (i = 0; i < 3; i++) {
			if (i == 0)
				n = snprintf(path, sizeof(path), "%s/%s", d, link);
			else if (i == 1)
				n = snprintf(path, sizeof(path), "%s/.debug/%s", d, link);
			else
				n = snprintf(path, sizeof(path), DEBUG_ROOT "%s/%s", d, link);
			if (n < 0 || (size_t)n >= sizeof(path) || !strcmp(path, real_path))
				continue;
			if (!try_debug_file(o, path, false, crc, b)) {
				o->has_debug = true;
				return;
			}
		}
		return;
	}
}

struct elf_obj *elf_obj__open(const char *path, const char *real_path)
{
	struct sym_builder b = { 0 };
	struct elf_obj *o;
	struct stat st;
	Elf *elf;
	int err;

	elf_version(EV_CURRENT);
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->fd = -1;
	elf = open_elf(path, &o->fd);
	if (!elf) {
		err = -errno;
		goto fail;
	}
	if (fstat(o->fd, &st)) {
		err = -errno;
		goto fail;
	}
	err = elf_segments__load(elf, &o->segs);
	/* A file cut short (or rewritten under us) is not that object. */
	if (!err && !elf_segments__within(&o->segs, st.st_size))
		err = -ENOEXEC;
	if (err)
		goto fail;
	read_build_id(elf, o->build_id, sizeof(o->build_id));
	err = load_symbols(elf, &b);
	if (err)
		goto fail;
	load_debug_file(o, elf, real_path, &b);
	err = builder_finish(&b, o);
	if (err)
		goto fail;
	free(b.v);
	elf_end(elf);
	return o;
fail:
	free(b.v);
	free(b.pool);
	elf_end(elf);
	elf_obj__free(o);
	errno = -err;
	return NULL;
}

void elf_obj__close_file(struct elf_obj *o)
{
	if (o && o->fd >= 0) {
		close(o->fd);
		o->fd = -1;
	}
}

void elf_obj__free(struct elf_obj *o)
{
	if (!o)
		return;
	elf_obj__close_file(o);
	elf_segments__destroy(&o->segs);
	free(o->syms);
	free(o->names);
	free(o);
}

int elf_fd_build_id(int fd, char *buf, size_t size)
{
	Elf *elf;
	int err;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		return -ENOEXEC;
	}
	err = read_build_id(elf, buf, size);
	elf_end(elf);
	return err;
}

int elf_obj__build_id(const struct elf_obj *o, char *buf, size_t size)
{
	int n;

	if (!o->build_id[0])
		return -ENOENT;
	n = snprintf(buf, size, "%s", o->build_id);
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

bool elf_obj__has_debug_file(const struct elf_obj *o)
{
	return o->has_debug;
}

size_t elf_obj__nr_syms(const struct elf_obj *o)
{
	return o->nsyms;
}

int elf_obj__find_sym(const struct elf_obj *o, const char *name, struct elf_sym *ret)
{
	size_t i;

	for (i = 0; i < o->nsyms; i++) {
		if (!strcmp(o->syms[i].name, name)) {
			*ret = o->syms[i];
			return 0;
		}
	}
	return -ENOENT;
}

int elf_obj__symbolize(const struct elf_obj *o, uint64_t vaddr, struct elf_sym *ret)
{
	const struct elf_sym *sym = elf_syms_find(o->syms, o->nsyms, vaddr);

	if (!sym)
		return -ENOENT;
	*ret = *sym;
	return 0;
}

/* The 16 bytes of code at vaddr. */
static int read_code(const struct elf_obj *o, uint64_t vaddr, uint8_t *code)
{
	uint64_t off;

	if (elf_obj__vaddr_to_offset(o, vaddr, &off))
		return -ENOENT;
	return elf_obj__read(o, off, code, 16);
}

/*
 * Decodes "[endbr64] [bnd] jmp" at vaddr: *ret_target is where a direct jump
 * goes, or *ret_slot the GOT slot an indirect "jmp *disp(%rip)" reads.
 */
static int decode_jump(const uint8_t *c, uint64_t vaddr, uint64_t *ret_target, uint64_t *ret_slot)
{
	static const uint8_t endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };
	size_t p = 0;
	int32_t rel;

	*ret_target = *ret_slot = 0;
	if (!memcmp(c, endbr64, 4))
		p = 4;
	if (c[p] == 0xf2)	/* bnd */
		p++;
	if (c[p] == 0xe9) {
		memcpy(&rel, c + p + 1, 4);
		*ret_target = vaddr + p + 5 + (int64_t)rel;
	} else if (c[p] == 0xeb) {
		*ret_target = vaddr + p + 2 + (int8_t)c[p + 1];
	} else if (c[p] == 0xff && c[p + 1] == 0x25) {
		memcpy(&rel, c + p + 2, 4);
		*ret_slot = vaddr + p + 6 + (int64_t)rel;
	} else {
		return -ENOENT;
	}
	return 0;
}

/* The name of the symbol a relocation of the GOT slot at vaddr binds to. */
static int slot_symbol(const struct elf_obj *o, uint64_t slot, char *buf, size_t size)
{
	Elf_Scn *scn = NULL;
	int err = -ENOENT;
	GElf_Shdr sh;
	Elf *elf;

	elf = elf_begin(o->fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return -ENOEXEC;
	while (err == -ENOENT && (scn = elf_nextscn(elf, scn))) {
		Elf_Scn *symscn;
		Elf_Data *data, *syms;
		GElf_Shdr symsh;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize)
			continue;
		symscn = elf_getscn(elf, sh.sh_link);
		data = elf_getdata(scn, NULL);
		if (!symscn || !gelf_getshdr(symscn, &symsh) || !data)
			continue;
		syms = elf_getdata(symscn, NULL);
		n = data->d_size / sh.sh_entsize;
		for (i = 0; i < n && syms; i++) {
			const char *name;
			GElf_Rela r;
			GElf_Sym sym;

			if (!gelf_getrela(data, i, &r) || r.r_offset != slot)
				continue;
			if (!gelf_getsym(syms, GELF_R_SYM(r.r_info), &sym))
				break;
			name = elf_strptr(elf, symsh.sh_link, sym.st_name);
			if (name && *name) {
				int len = snprintf(buf, size, "%s", name);

				err = len < 0 || (size_t)len >= size ? -ENOSPC : 0;
			}
			break;
		}
	}
	elf_end(elf);
	return err;
}

int elf_obj__forwards_to(const struct elf_obj *o, uint64_t vaddr, char *buf, size_t size)
{
	uint64_t target, slot;
	struct elf_sym sym;
	uint8_t code[16];
	int err, n;

	if (o->fd < 0)
		return -EBADF;
	err = read_code(o, vaddr, code);
	if (!err)
		err = decode_jump(code, vaddr, &target, &slot);
	if (err)
		return -ENOENT;
	if (slot)
		return slot_symbol(o, slot, buf, size);
	/* A function of this object, or a PLT stub that reads a GOT slot. */
	if (!elf_obj__symbolize(o, target, &sym) && sym.addr == target) {
		n = snprintf(buf, size, "%s", sym.name);
		return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
	}
	if (read_code(o, target, code) || decode_jump(code, target, &target, &slot) || !slot)
		return -ENOENT;
	return slot_symbol(o, slot, buf, size);
}

int elf_obj__vaddr_to_offset(const struct elf_obj *o, uint64_t vaddr, uint64_t *ret_off)
{
	return elf_segments__to_offset(&o->segs, vaddr, ret_off);
}

int elf_obj__offset_to_vaddr(const struct elf_obj *o, uint64_t off, uint64_t *ret_vaddr)
{
	return elf_segments__to_vaddr(&o->segs, off, ret_vaddr);
}

int elf_obj__read(const struct elf_obj *o, uint64_t off, void *buf, size_t len)
{
	ssize_t n;

	if (o->fd < 0)
		return -EBADF;
	n = pread(o->fd, buf, len, off);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* An SDT note's descriptor: pc, base, semaphore, then provider, name, args as strings. */
#define NT_STAPSDT 3

int elf_usdt_count(const char *path, const char *provider)
{
	size_t plen = strlen(provider) + 1;
	Elf_Scn *scn = NULL;
	int fd, n = 0;
	Elf *elf;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	elf = open_elf(path, &fd);
	if (!elf)
		return -errno;
	while ((scn = elf_nextscn(elf, scn))) {
		size_t shstrndx, off = 0, name_off, desc_off;
		Elf_Data *data;
		GElf_Shdr sh;
		GElf_Nhdr nh;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE ||
		    elf_getshdrstrndx(elf, &shstrndx))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".note.stapsdt"))
			continue;
		data = elf_getdata(scn, NULL);
		while (data && (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
			const char *desc = (const char *)data->d_buf + desc_off;
			size_t addrs = 3 * (gelf_getclass(elf) == ELFCLASS32 ? 4 : 8);

			if (nh.n_type != NT_STAPSDT || nh.n_namesz != 8 ||
			    memcmp((const char *)data->d_buf + name_off, "stapsdt", 8) ||
			    nh.n_descsz < addrs + plen)
				continue;
			if (!memcmp(desc + addrs, provider, plen))
				n++;
		}
	}
	elf_end(elf);
	close(fd);
	return n;
}

/* The data object name that the dynamic symbol table defines, into *ret. */
static int find_dynsym(Elf *elf, const char *name, GElf_Sym *ret)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Shdr sh;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		n = sh.sh_size / sh.sh_entsize;
		for (i = 1; data && i < n; i++) {
			const char *s;

			if (!gelf_getsym(data, (int)i, ret) || GELF_ST_TYPE(ret->st_info) != STT_OBJECT ||
			    ret->st_shndx == SHN_UNDEF || ret->st_shndx >= SHN_LORESERVE)
				continue;
			s = elf_strptr(elf, sh.sh_link, ret->st_name);
			if (s && !strcmp(s, name))
				return 0;
		}
	}
	return -ENOENT;
}

int elf_dynsym_data(const char *path, const char *name, uint64_t *ret_off, uint64_t *ret_size)
{
	GElf_Shdr sh;
	GElf_Sym sym;
	int fd, err;
	Elf *elf;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	elf = open_elf(path, &fd);
	if (!elf)
		return -errno;
	err = find_dynsym(elf, name, &sym);
	if (err)
		goto out;
	/* Its bytes in the file: in a section with contents, which holds it whole. */
	if (!gelf_getshdr(elf_getscn(elf, sym.st_shndx), &sh) || sh.sh_type == SHT_NOBITS ||
	    sym.st_value < sh.sh_addr || sym.st_value - sh.sh_addr > sh.sh_size ||
	    sym.st_size > sh.sh_size - (sym.st_value - sh.sh_addr)) {
		err = -ENOENT;
		goto out;
	}
	*ret_off = sh.sh_offset + (sym.st_value - sh.sh_addr);
	*ret_size = sym.st_size;
out:
	elf_end(elf);
	close(fd);
	return err;
}
