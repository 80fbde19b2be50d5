// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * ELF objects against readelf's reading of the same files: symbols (sizes,
 * bounds, alias preference) of elfobj_prog.c and of the machine's libc, segments,
 * build-ids, a separate debug file found through .gnu_debuglink, and files that
 * are not usable objects.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stacks/elfobj.h"
#include "testutil.h"

static char prog[PATH_MAX];

/* A symbol of a type (FUNC, OBJECT) as readelf -sW lists it (the first of that name). */
static bool readelf_typed(const char *path, const char *name, const char *want,
			  uint64_t *ret_addr, uint64_t *ret_size)
{
	char cmd[PATH_MAX + 32], line[1024], type[32], sym[512];
	bool found = false;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "readelf -sW '%s'", path);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		char size[32], *at;
		unsigned long long addr;

		if (sscanf(line, "%*u: %llx %31s %31s %*s %*s %*s %511s", &addr, size, type,
			   sym) != 4 || strcmp(type, want))
			continue;
		at = strchr(sym, '@');
		if (at)
			*at = 0;
		if (found || strcmp(sym, name))
			continue;
		*ret_addr = addr;
		*ret_size = strtoull(size, NULL, 0);
		found = true;
	}
	pclose(f);
	return found;
}

static bool readelf_sym(const char *path, const char *name, uint64_t *ret_addr,
			uint64_t *ret_size)
{
	return readelf_typed(path, name, "FUNC", ret_addr, ret_size);
}

static void readelf_build_id(const char *path, char *buf, size_t size)
{
	char cmd[PATH_MAX + 32], line[512];
	bool found = false;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "readelf -n '%s'", path);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "Build ID: ");

		if (!p || found)
			continue;
		ck_assert_int_eq(sscanf(p + 10, "%127s", buf), 1);
		ck_assert_uint_lt(strlen(buf), size);
		found = true;
	}
	pclose(f);
	ck_assert_msg(found, "%s: readelf shows no build-id", path);
}

struct load {
	uint64_t offset, vaddr, filesz, memsz;
	bool exec;
};

static size_t readelf_loads(const char *path, struct load *v, size_t max)
{
	char cmd[PATH_MAX + 32], line[512];
	size_t n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "readelf -lW '%s'", path);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long off, va, pa, fs, ms;
		int end = 0;

		if (sscanf(line, " LOAD %llx %llx %llx %llx %llx%n", &off, &va, &pa, &fs, &ms,
			   &end) != 5)
			continue;
		ck_assert_uint_lt(n, max);
		/* Flags come next: "R E", "RW ", "R  ". */
		v[n++] = (struct load){ off, va, fs, ms, strchr(line + end, 'E') != NULL };
	}
	pclose(f);
	return n;
}

static struct elf_obj *open_prog(void)
{
	struct elf_obj *o = elf_obj__open(prog, prog);

	ck_assert_msg(o, "%s: %s", prog, strerror(errno));
	return o;
}

#define ck_sym(s, a, sz, nm)                                                  \
	do {                                                                  \
		ck_assert_uint_eq((s).addr, (a));                             \
		ck_assert_uint_eq((s).size, (sz));                            \
		ck_assert_str_eq((s).name, (nm));                             \
	} while (0)

START_TEST(symbols_match_readelf)
{
	static const char *const names[] = {
		"sized_global", "sized_local", "impl_static", "public_alias", "__under_global",
		"under_weak", "weak_fn", "main",
	};
	struct elf_obj *o = open_prog();
	struct elf_sym s, g;
	uint64_t addr, size;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ck_assert_msg(readelf_sym(prog, names[i], &addr, &size), "readelf: no %s",
			      names[i]);
		ck_assert_msg(!elf_obj__find_sym(o, names[i], &s), "no %s", names[i]);
		ck_sym(s, addr, size, names[i]);
	}
	ck_assert_int_eq(elf_obj__find_sym(o, "sized_global", &g), 0);
	ck_assert_uint_eq(g.size, 64);
	ck_assert_int_eq(elf_obj__find_sym(o, "sized_local", &s), 0);
	ck_sym(s, g.addr + 112, 32, "sized_local");
	ck_assert_int_eq(elf_obj__find_sym(o, "no_such_function", &s), -ENOENT);
	/* Data is not a function. */
	ck_assert_int_eq(elf_obj__find_sym(o, "sink", &s), -ENOENT);
	ck_assert_uint_ge(elf_obj__nr_syms(o), 8);
	ck_assert(!elf_obj__has_debug_file(o));
	elf_obj__free(o);
	elf_obj__free(NULL);
}
END_TEST

START_TEST(symbolize_bounds)
{
	struct elf_obj *o = open_prog();
	struct elf_sym g, s;

	ck_assert_int_eq(elf_obj__find_sym(o, "sized_global", &g), 0);
	ck_assert_int_eq(elf_obj__symbolize(o, g.addr, &s), 0);
	ck_sym(s, g.addr, 64, "sized_global");
	ck_assert_int_eq(elf_obj__symbolize(o, g.addr + 30, &s), 0);
	ck_sym(s, g.addr, 64, "sized_global");
	ck_assert_int_eq(elf_obj__symbolize(o, g.addr + 63, &s), 0);
	ck_sym(s, g.addr, 64, "sized_global");
	/* Past its end: the gap belongs to no function. */
	ck_assert_int_eq(elf_obj__symbolize(o, g.addr + 64, &s), -ENOENT);
	ck_assert_int_eq(elf_obj__symbolize(o, g.addr + 111, &s), -ENOENT);
	ck_assert_int_eq(elf_obj__symbolize(o, g.addr + 112, &s), 0);
	ck_sym(s, g.addr + 112, 32, "sized_local");
	ck_assert_int_eq(elf_obj__symbolize(o, g.addr + 143, &s), 0);
	ck_sym(s, g.addr + 112, 32, "sized_local");
	ck_assert_int_eq(elf_obj__symbolize(o, g.addr + 144, &s), -ENOENT);
	/* Below every function. */
	ck_assert_int_eq(elf_obj__symbolize(o, 0, &s), -ENOENT);
	ck_assert_int_eq(elf_obj__symbolize(o, 1, &s), -ENOENT);
	elf_obj__free(o);
}
END_TEST

START_TEST(alias_preference)
{
	struct elf_obj *o = open_prog();
	struct elf_sym a, b, s;

	/* The global name of a static function. */
	ck_assert_int_eq(elf_obj__find_sym(o, "impl_static", &a), 0);
	ck_assert_int_eq(elf_obj__find_sym(o, "public_alias", &b), 0);
	ck_assert_uint_eq(a.addr, b.addr);
	ck_assert_int_eq(elf_obj__symbolize(o, a.addr, &s), 0);
	ck_sym(s, a.addr, a.size, "public_alias");
	ck_assert_int_eq(elf_obj__symbolize(o, a.addr + a.size - 1, &s), 0);
	ck_assert_str_eq(s.name, "public_alias");
	/* A weak name without underscores over a global "__" one. */
	ck_assert_int_eq(elf_obj__find_sym(o, "__under_global", &a), 0);
	ck_assert_int_eq(elf_obj__find_sym(o, "under_weak", &b), 0);
	ck_assert_uint_eq(a.addr, b.addr);
	ck_assert_int_eq(elf_obj__symbolize(o, a.addr + 1, &s), 0);
	ck_sym(s, a.addr, a.size, "under_weak");
	ck_assert_int_eq(elf_obj__find_sym(o, "weak_fn", &a), 0);
	ck_assert_int_eq(elf_obj__symbolize(o, a.addr, &s), 0);
	ck_sym(s, a.addr, a.size, "weak_fn");
	elf_obj__free(o);
}
END_TEST

static void check_segments(const char *path)
{
	struct elf_obj *o = elf_obj__open(path, NULL);
	struct load v[16];
	uint64_t r;
	size_t n, i, j;

	ck_assert_ptr_nonnull(o);
	n = readelf_loads(path, v, 16);
	ck_assert_uint_ge(n, 2);
	for (i = 0; i < n; i++) {
		uint64_t probes[3] = { 0, v[i].filesz / 2, v[i].filesz - 1 };
		bool shared;

		if (!v[i].filesz)
			continue;
		for (j = 0; j < 3; j++) {
			uint64_t va = v[i].vaddr + probes[j];

			ck_assert_int_eq(elf_obj__vaddr_to_offset(o, va, &r), 0);
			ck_assert_uint_eq(r, v[i].offset + probes[j]);
		}
		/* Past the file's bytes (into .bss or beyond): no offset. */
		if (v[i].memsz > v[i].filesz)
			ck_assert_int_eq(elf_obj__vaddr_to_offset(o, v[i].vaddr + v[i].filesz, &r),
					 -ENOENT);
		/* Back again, when no other segment maps those file bytes (or it is code). */
		for (j = 0; j < 3; j++) {
			uint64_t off = v[i].offset + probes[j];
			size_t k;

			shared = false;
			for (k = 0; k < n; k++)
				if (k != i && off >= v[k].offset &&
				    off < v[k].offset + v[k].filesz && (v[k].exec || !v[i].exec))
					shared = true;
			if (shared)
				continue;
			ck_assert_int_eq(elf_obj__offset_to_vaddr(o, off, &r), 0);
			ck_assert_uint_eq(r, v[i].vaddr + probes[j]);
		}
	}
	ck_assert_int_eq(elf_obj__vaddr_to_offset(o, UINT64_MAX - 1, &r), -ENOENT);
	ck_assert_int_eq(elf_obj__offset_to_vaddr(o, UINT64_MAX - 1, &r), -ENOENT);
	elf_obj__free(o);
}

START_TEST(segments_match_readelf)
{
	check_segments(prog);
	check_segments(libc_path());
}
END_TEST

START_TEST(build_id_matches_readelf)
{
	char want[128], got[2 * BUILD_ID_MAX + 1], small[8], path[PATH_MAX];
	struct elf_obj *o = open_prog();
	int fd;

	readelf_build_id(prog, want, sizeof(want));
	ck_assert_int_eq(elf_obj__build_id(o, got, sizeof(got)), 0);
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(elf_obj__build_id(o, small, sizeof(small)), -ENOSPC);
	elf_obj__free(o);
	fd = open(prog, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	memset(got, 0, sizeof(got));
	ck_assert_int_eq(elf_fd_build_id(fd, got, sizeof(got)), 0);
	ck_assert_str_eq(got, want);
	close(fd);

	readelf_build_id(libc_path(), want, sizeof(want));
	o = elf_obj__open(libc_path(), NULL);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(elf_obj__build_id(o, got, sizeof(got)), 0);
	ck_assert_str_eq(got, want);
	elf_obj__free(o);

	/* Without one. */
	tmp_file(path, sizeof(path), "no_build_id");
	run("objcopy --remove-section .note.gnu.build-id '%s' '%s'", prog, path);
	o = elf_obj__open(path, NULL);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(elf_obj__build_id(o, got, sizeof(got)), -ENOENT);
	elf_obj__free(o);
	fd = open(path, O_RDONLY);
	ck_assert_int_eq(elf_fd_build_id(fd, got, sizeof(got)), -ENOENT);
	close(fd);
}
END_TEST

START_TEST(libc_has_the_allocator)
{
	static const char *const names[] = { "malloc", "free", "calloc", "realloc" };
	const char *libc = libc_path();
	struct elf_obj *o = elf_obj__open(libc, libc);
	struct elf_sym s, at;
	uint64_t addr, size;
	size_t i;

	ck_assert_ptr_nonnull(o);
	ck_assert_uint_gt(elf_obj__nr_syms(o), 1000);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ck_assert_int_eq(elf_obj__find_sym(o, names[i], &s), 0);
		ck_assert(readelf_sym(libc, names[i], &addr, &size));
		ck_sym(s, addr, size, names[i]);
		ck_assert_uint_gt(s.size, 0);
		/* glibc's own "__libc_malloc" and the like lose to the public name. */
		ck_assert_int_eq(elf_obj__symbolize(o, s.addr + 4, &at), 0);
		ck_sym(at, s.addr, s.size, names[i]);
	}
	elf_obj__free(o);
}
END_TEST

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void truncated_copy(const char *to, off_t len)
{
	run("head -c %lld '%s' > '%s'", (long long)len, prog, to);
}

/*
 * An exported data object by name: its bytes' file offset, which the segments
 * map to the address readelf lists; functions, objects in .bss (no bytes in the
 * file) and names not there are not found; a file that is not ELF is refused.
 */
START_TEST(exported_data_object)
{
	const char *libc = libc_path();
	struct elf_obj *o = elf_obj__open(libc, libc);
	uint64_t off, size, addr, want_size, vaddr;
	char path[PATH_MAX];

	ck_assert_ptr_nonnull(o);
	ck_assert(readelf_typed(libc, "_IO_2_1_stdout_", "OBJECT", &addr, &want_size));
	ck_assert_int_eq(elf_dynsym_data(libc, "_IO_2_1_stdout_", &off, &size), 0);
	ck_assert_uint_eq(size, want_size);
	ck_assert_int_eq(elf_obj__offset_to_vaddr(o, off, &vaddr), 0);
	ck_assert_uint_eq(vaddr, addr);
	ck_assert_int_eq(elf_dynsym_data(libc, "malloc", &off, &size), -ENOENT);
	ck_assert(readelf_typed(libc, "environ", "OBJECT", &addr, &want_size));
	ck_assert_int_eq(elf_dynsym_data(libc, "environ", &off, &size), -ENOENT);
	ck_assert_int_eq(elf_dynsym_data(libc, "no_such_object_here", &off, &size), -ENOENT);
	tmp_file(path, sizeof(path), "not_elf");
	write_file(path, "not an object\n", 14);
	ck_assert_int_eq(elf_dynsym_data(path, "_IO_2_1_stdout_", &off, &size), -ENOEXEC);
	ck_assert_int_eq(elf_dynsym_data("/nonexistent/file", "x", &off, &size), -ENOENT);
	elf_obj__free(o);
}
END_TEST

START_TEST(unusable_files)
{
	char path[PATH_MAX], id[64];
	struct stat st;
	int fd;

	tmp_file(path, sizeof(path), "text");
	write_file(path, "#!/bin/sh\necho not an object\n", 29);
	errno = 0;
	ck_assert_ptr_null(elf_obj__open(path, path));
	ck_assert_int_eq(errno, ENOEXEC);
	fd = open(path, O_RDONLY);
	ck_assert_int_eq(elf_fd_build_id(fd, id, sizeof(id)), -ENOEXEC);
	close(fd);

	tmp_file(path, sizeof(path), "empty");
	write_file(path, "", 0);
	errno = 0;
	ck_assert_ptr_null(elf_obj__open(path, NULL));
	ck_assert_int_eq(errno, ENOEXEC);

	/* Only the ELF header: no segments. */
	tmp_file(path, sizeof(path), "header_only");
	truncated_copy(path, 64);
	errno = 0;
	ck_assert_ptr_null(elf_obj__open(path, NULL));
	ck_assert_int_eq(errno, ENOEXEC);

	tmp_file(path, sizeof(path), "ten_bytes");
	truncated_copy(path, 10);
	errno = 0;
	ck_assert_ptr_null(elf_obj__open(path, NULL));
	ck_assert_int_eq(errno, ENOEXEC);

	tmp_file(path, sizeof(path), "missing");
	errno = 0;
	ck_assert_ptr_null(elf_obj__open(path, NULL));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(stat(prog, &st), 0);
}
END_TEST

/*
 * Once a bug, kept as a test: an object cut short after its program headers opens as usable, with segments
 * past the end of the file and none of its symbols.
 */
START_TEST(truncated_object_refused)
{
	char path[PATH_MAX];
	struct stat st;
	off_t len;

	ck_assert_int_eq(stat(prog, &st), 0);
	for (len = 4096; len < st.st_size; len += st.st_size / 4) {
		struct elf_obj *o;

		tmp_file(path, sizeof(path), "truncated");
		truncated_copy(path, len);
		errno = 0;
		o = elf_obj__open(path, NULL);
		if (o) {
			struct elf_sym s;
			int found = elf_obj__find_sym(o, "sized_global", &s);

			elf_obj__free(o);
			ck_assert_msg(false, "cut at %lld of %lld: opened, sized_global %s",
				      (long long)len, (long long)st.st_size,
				      found ? "absent" : "present");
		}
		ck_assert_int_eq(errno, ENOEXEC);
	}
}
END_TEST

START_TEST(debuglink_found_next_to_real_path)
{
	char dir[PATH_MAX], bin[PATH_MAX], dbg[PATH_MAX], link[PATH_MAX], hidden[PATH_MAX];
	struct elf_obj *o;
	struct elf_sym g, s;
	uint64_t addr, size;

	o = open_prog();
	ck_assert_int_eq(elf_obj__find_sym(o, "sized_global", &g), 0);
	elf_obj__free(o);
	tmp_file(dir, sizeof(dir), "real");
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	fmt_path(bin, sizeof(bin), "%s/prog", dir);
	fmt_path(dbg, sizeof(dbg), "%s/prog.debug", dir);
	tmp_file(link, sizeof(link), "elsewhere");
	run("cp '%s' '%s' && objcopy --only-keep-debug '%s' '%s' && strip --strip-all '%s' && "
	    "cd '%s' && objcopy --add-gnu-debuglink=prog.debug prog",
	    prog, bin, bin, dbg, bin, dir);
	ck_assert_int_eq(symlink(bin, link), 0);
	/* Stripped: readelf itself finds no local function in it. */
	ck_assert(!readelf_sym(bin, "sized_local", &addr, &size));

	/* Opened by another name, found by its real one. */
	o = elf_obj__open(link, bin);
	ck_assert_ptr_nonnull(o);
	ck_assert(elf_obj__has_debug_file(o));
	ck_assert_int_eq(elf_obj__symbolize(o, g.addr + 120, &s), 0);
	ck_sym(s, g.addr + 112, 32, "sized_local");
	ck_assert_int_eq(elf_obj__find_sym(o, "impl_static", &s), 0);
	ck_assert_int_eq(elf_obj__symbolize(o, s.addr, &s), 0);
	ck_assert_str_eq(s.name, "public_alias");
	elf_obj__free(o);

	/* Without the real path, or with one in the wrong directory: no debug file. */
	o = elf_obj__open(link, NULL);
	ck_assert_ptr_nonnull(o);
	ck_assert(!elf_obj__has_debug_file(o));
	ck_assert_int_eq(elf_obj__find_sym(o, "sized_local", &s), -ENOENT);
	ck_assert_int_eq(elf_obj__symbolize(o, g.addr + 120, &s), -ENOENT);
	elf_obj__free(o);
	o = elf_obj__open(link, link);
	ck_assert_ptr_nonnull(o);
	ck_assert(!elf_obj__has_debug_file(o));
	elf_obj__free(o);

	/* In .debug/ next to it, as gdb looks. */
	fmt_path(hidden, sizeof(hidden), "%s/.debug", dir);
	ck_assert_int_eq(mkdir(hidden, 0755), 0);
	fmt_path(hidden, sizeof(hidden), "%s/.debug/prog.debug", dir);
	ck_assert_int_eq(rename(dbg, hidden), 0);
	o = elf_obj__open(bin, bin);
	ck_assert_ptr_nonnull(o);
	ck_assert(elf_obj__has_debug_file(o));
	ck_assert_int_eq(elf_obj__find_sym(o, "sized_local", &s), 0);
	elf_obj__free(o);

	/* A debug file whose CRC does not match is someone else's. */
	ck_assert_int_eq(unlink(hidden), 0);
	run("cp '%s' '%s' && printf x >> '%s'", prog, dbg, dbg);
	o = elf_obj__open(bin, bin);
	ck_assert_ptr_nonnull(o);
	ck_assert(!elf_obj__has_debug_file(o));
	ck_assert_int_eq(elf_obj__find_sym(o, "sized_local", &s), -ENOENT);
	elf_obj__free(o);
}
END_TEST

START_TEST(read_bytes)
{
	struct elf_obj *o = open_prog();
	unsigned char code[64], want[64];
	struct elf_sym g;
	uint64_t off;
	struct stat st;

	ck_assert_int_eq(elf_obj__find_sym(o, "sized_global", &g), 0);
	ck_assert_int_eq(elf_obj__vaddr_to_offset(o, g.addr, &off), 0);
	ck_assert_int_eq(elf_obj__read(o, off, code, sizeof(code)), 0);
	memset(want, 0x90, sizeof(want));
	want[63] = 0xc3;
	ck_assert_mem_eq(code, want, sizeof(want));
	ck_assert_int_eq(stat(prog, &st), 0);
	ck_assert_int_eq(elf_obj__read(o, st.st_size - 8, code, 16), -EIO);
	ck_assert_int_eq(elf_obj__read(o, st.st_size - 8, code, 8), 0);
	elf_obj__close_file(o);
	elf_obj__close_file(o);
	ck_assert_int_eq(elf_obj__read(o, off, code, 4), -EBADF);
	/* Symbols and segments outlive the file. */
	ck_assert_int_eq(elf_obj__find_sym(o, "sized_local", &g), 0);
	ck_assert_int_eq(elf_obj__vaddr_to_offset(o, g.addr, &off), 0);
	elf_obj__free(o);
	elf_obj__close_file(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("elfobj");
	TCase *tc = tcase_create("elfobj");

	if (test_dirs("elfobj"))
		return EXIT_FAILURE;
	if (snprintf(prog, sizeof(prog), "%s/elfobj_prog", data_dir) >= (int)sizeof(prog))
		return EXIT_FAILURE;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, symbols_match_readelf);
	tcase_add_test(tc, symbolize_bounds);
	tcase_add_test(tc, alias_preference);
	tcase_add_test(tc, segments_match_readelf);
	tcase_add_test(tc, build_id_matches_readelf);
	tcase_add_test(tc, libc_has_the_allocator);
	tcase_add_test(tc, exported_data_object);
	tcase_add_test(tc, unusable_files);
	tcase_add_test(tc, truncated_object_refused);
	tcase_add_test(tc, debuglink_found_next_to_real_path);
	tcase_add_test(tc, read_bytes);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
