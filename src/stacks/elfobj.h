/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * One ELF object on disk: its build-id, loadable segments, function symbols
 * (from .symtab, .dynsym and a separate debug file) and, while open, its bytes.
 */
#ifndef LEAKD_ELFOBJ_H
#define LEAKD_ELFOBJ_H

#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUILD_ID_MAX 20

struct elf_obj;

struct elf_sym {
	uint64_t addr;		/* st_value: a virtual address of the object */
	uint64_t size;
	const char *name;
	unsigned char rank;	/* elf_sym_rank(): lower is preferred among aliases */
};

/*
 * Sorts function symbols by address, the preferred alias of an address first (by
 * rank, then a sized one before a size-0 one), and drops exact duplicates (one
 * symbol in both .symtab and .dynsym).  Returns the number left.
 */
size_t elf_syms_sort(struct elf_sym *v, size_t n);
/* In v sorted so: the preferred symbol of the function holding addr, or NULL. */
const struct elf_sym *elf_syms_find(const struct elf_sym *v, size_t n, uint64_t addr);

/*
 * Whether the object elf is the one known by build-id hex (any case): 0 when it
 * is, -ESTALE when its build-id differs, -ENOENT when it has none, -EINVAL when
 * hex is not a build-id.
 */
int elf_build_id_check(Elf *elf, const char *hex);

/*
 * Opens the object at path.  real_path is where the object lives in its own file
 * system, used to find a .gnu_debuglink file next to it; it may equal path or be
 * NULL.  NULL with errno: ENOEXEC when the file is not a usable ELF object.
 */
struct elf_obj *elf_obj__open(const char *path, const char *real_path);
void elf_obj__free(struct elf_obj *o);
/* Drops the file handle; symbols and segments stay.  Reads fail afterwards. */
void elf_obj__close_file(struct elf_obj *o);

/* The build-id of the ELF file open as fd, as lowercase hex, without reading symbols. */
int elf_fd_build_id(int fd, char *buf, size_t size);
/* The build-id as lowercase hex into buf, or -ENOENT. */
int elf_obj__build_id(const struct elf_obj *o, char *buf, size_t size);
bool elf_obj__has_debug_file(const struct elf_obj *o);
size_t elf_obj__nr_syms(const struct elf_obj *o);

/* Lower is preferred among aliases of one address: "strdup" reads better than
 * "__strdup", "f" than "f.localalias" or a versioned "f@VERS", global than local. */
unsigned char elf_sym_rank(unsigned char st_info, const char *name);

/* A function this object defines, by name.  -ENOENT when absent. */
int elf_obj__find_sym(const struct elf_obj *o, const char *name, struct elf_sym *ret);
/* The function containing vaddr; -ENOENT when none does. */
int elf_obj__symbolize(const struct elf_obj *o, uint64_t vaddr, struct elf_sym *ret);

/*
 * When the function at vaddr does nothing but jump to another function, directly
 * or through the PLT (a forwarder: "operator delete" jumping to free), that
 * function's name into buf.  -ENOENT when it is no such forwarder or the target
 * has no name; -EBADF once the file is closed.
 */
int elf_obj__forwards_to(const struct elf_obj *o, uint64_t vaddr, char *buf, size_t size);

int elf_obj__vaddr_to_offset(const struct elf_obj *o, uint64_t vaddr, uint64_t *ret_off);
int elf_obj__offset_to_vaddr(const struct elf_obj *o, uint64_t off, uint64_t *ret_vaddr);
/* Reads len bytes of the file at off into buf.  -EIO when short. */
int elf_obj__read(const struct elf_obj *o, uint64_t off, void *buf, size_t len);

/*
 * The number of USDT probes (SystemTap notes in .note.stapsdt) of provider in the
 * file at path: 0 when none, -errno when it cannot be read.
 */
int elf_usdt_count(const char *path, const char *provider);

/*
 * Where the file at path keeps the initialized data object name that it exports
 * (defined in .dynsym): its file offset and size.  -ENOENT when it has none (or
 * the object is not in the file: .bss), -ENOEXEC when not ELF, -errno when it
 * cannot be read.
 */
int elf_dynsym_data(const char *path, const char *name, uint64_t *ret_off, uint64_t *ret_size);

#endif
