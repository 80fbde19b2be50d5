// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Source-level frames against binutils' addr2line -i for the same addresses: the
 * inline chains of debuginfo_prog.c built by gcc and by clang, the C++ names of
 * debuginfo_prog_cxx.cc, and libc (with its debug file when libc6-dbg is
 * installed).  Then debug files found where gdb finds them, debuginfod (on
 * loopback only), damaged DWARF, the cache and the speed of lookups.
 *
 * The debuginfod tests rely on check's fork mode: libdwfl reads DEBUGINFOD_URLS
 * once per process, at its first use.
 */
#include <arpa/inet.h>
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <gelf.h>
#include <limits.h>
#include <link.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stacks/debuginfo.h"
#include "stacks/elfobj.h"
#include "testelf.h"
#include "testutil.h"

static struct debuginfo *open_obj(const char *path, const char *real_path,
				  const char *search_path)
{
	struct debuginfo *d;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	d = debuginfo__open_search(fd, real_path, NULL, search_path);
	/* The object keeps its own descriptor. */
	close(fd);
	return d;
}

/* The file offset of every byte of function name, which must be there. */
static size_t function_bytes(const struct elf_obj *o, const char *name, uint64_t *vaddrs,
			     size_t max)
{
	struct elf_sym sym;
	size_t i;

	ck_assert_msg(!elf_obj__find_sym(o, name, &sym), "no function %s", name);
	ck_assert_uint_gt(sym.size, 0);
	ck_assert_uint_le(sym.size, max);
	for (i = 0; i < sym.size; i++)
		vaddrs[i] = sym.addr + i;
	return sym.size;
}

static uint64_t to_offset(const struct elf_obj *o, uint64_t vaddr)
{
	uint64_t off;

	ck_assert_int_eq(elf_obj__vaddr_to_offset(o, vaddr, &off), 0);
	return off;
}

/* addr2line's answer for one address: its frames, innermost first. */
struct a2l {
	int n;
	struct {
		char function[1024];
		char file[PATH_MAX];
		int line;
	} f[DEBUGINFO_MAX_CHAIN];
};

static void bounded_copy(char *dst, size_t size, const char *src)
{
	int n = snprintf(dst, size, "%s", src);

	ck_assert(n >= 0 && (size_t)n < size);
}

/* addr2line -i -f -C for vaddrs[0..n), in one run. */
static void addr2line(const char *obj, const uint64_t *vaddrs, size_t n, struct a2l *ret)
{
	char in[PATH_MAX], cmd[3 * PATH_MAX], line[8192];
	struct a2l *cur = NULL;
	bool want_loc = false;
	size_t i, idx = 0;
	FILE *f;
	int len;

	tmp_file(in, sizeof(in), "addresses");
	f = fopen(in, "w");
	ck_assert_ptr_nonnull(f);
	for (i = 0; i < n; i++)
		fprintf(f, "%#llx\n", (unsigned long long)vaddrs[i]);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_ptr_null(strchr(obj, '\''));
	len = snprintf(cmd, sizeof(cmd), "LC_ALL=C addr2line -i -f -C -a -e '%s' < '%s'", obj,
		       in);
	ck_assert(len > 0 && (size_t)len < sizeof(cmd));
	memset(ret, 0, n * sizeof(*ret));
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		char *colon, *p;

		line[strcspn(line, "\n")] = 0;
		if (!want_loc && !strncmp(line, "0x", 2)) {
			ck_assert_uint_lt(idx, n);
			ck_assert_uint_eq(strtoull(line, NULL, 16), vaddrs[idx]);
			cur = &ret[idx++];
			continue;
		}
		ck_assert_ptr_nonnull(cur);
		if (!want_loc) {
			ck_assert_int_lt(cur->n, DEBUGINFO_MAX_CHAIN);
			bounded_copy(cur->f[cur->n].function, sizeof(cur->f[0].function),
				     strcmp(line, "??") ? line : "");
			want_loc = true;
			continue;
		}
		p = strstr(line, " (discriminator ");
		if (p)
			*p = 0;
		colon = strrchr(line, ':');
		ck_assert_ptr_nonnull(colon);
		*colon = 0;
		bounded_copy(cur->f[cur->n].file, sizeof(cur->f[0].file),
			     strcmp(line, "??") ? line : "");
		cur->f[cur->n].line = atoi(colon + 1);
		cur->n++;
		want_loc = false;
	}
	ck_assert_int_eq(pclose(f), 0);
	ck_assert_uint_eq(idx, n);
	/* "??" at "??:0": nothing known, which leakd says with no frames. */
	for (i = 0; i < n; i++) {
		if (ret[i].n == 1 && !ret[i].f[0].function[0] && !ret[i].f[0].file[0])
			ret[i].n = 0;
	}
}

static bool same_file(const char *ours, const char *theirs)
{
	if (!ours || !*theirs)
		return !ours && !*theirs;
	return !strcmp(ours, theirs);
}

/* Two names of one function: aliases at one address of the symbol table. */
static bool aliases(const struct elf_obj *o, const char *a, const char *b)
{
	struct elf_sym sa, sb;

	return !elf_obj__find_sym(o, a, &sa) && !elf_obj__find_sym(o, b, &sb) &&
	       sa.addr == sb.addr;
}

struct compared {
	size_t pcs, frames, inlined, max_chain, with_lines;
};

enum { FILES_EXACT, FILES_IGNORED };

/*
 * Our frames at every vaddr against addr2line's.  The real function may be
 * named by another alias than addr2line chose when o is given; files are
 * compared unless told otherwise (binutils 2.40 names the unit's file instead of
 * the header a DWARF 5 line row points at; gdb agrees with libdw).
 */
static void compare(struct debuginfo *d, const char *path, const struct elf_obj *o,
		    const uint64_t *vaddrs, size_t n, int files, const struct elf_obj *alias_obj,
		    struct compared *c)
{
	struct a2l *want = calloc(n, sizeof(*want));
	struct src_frame got[DEBUGINFO_MAX_CHAIN];
	size_t i;
	int j, k;

	ck_assert_ptr_nonnull(want);
	addr2line(path, vaddrs, n, want);
	for (i = 0; i < n; i++) {
		k = debuginfo__lookup(d, to_offset(o, vaddrs[i]), got, DEBUGINFO_MAX_CHAIN);
		ck_assert_msg(k == want[i].n, "%s %#lx: %d frames, addr2line has %d", path,
			      vaddrs[i], k, want[i].n);
		for (j = 0; j < k; j++) {
			const char *fn = got[j].function ? got[j].function : "";

			ck_assert_msg(!strcmp(fn, want[i].f[j].function) ||
					      (j == k - 1 && alias_obj &&
					       aliases(alias_obj, fn, want[i].f[j].function)),
				      "%s %#lx frame %d: %s, addr2line says %s", path, vaddrs[i], j,
				      fn, want[i].f[j].function);
			ck_assert_msg(got[j].line == want[i].f[j].line,
				      "%s %#lx frame %d (%s): line %d, addr2line says %d", path,
				      vaddrs[i], j, fn, got[j].line, want[i].f[j].line);
			ck_assert_msg(files == FILES_IGNORED ||
					      same_file(got[j].file, want[i].f[j].file),
				      "%s %#lx frame %d: %s, addr2line says %s", path, vaddrs[i], j,
				      got[j].file, want[i].f[j].file);
			ck_assert(got[j].inlined == (j < k - 1));
			ck_assert_int_ge(got[j].column, 0);
			c->with_lines += got[j].line > 0;
		}
		c->pcs++;
		c->frames += k;
		c->inlined += k > 1 ? k - 1 : 0;
		if ((size_t)k > c->max_chain)
			c->max_chain = k;
	}
	free(want);
}

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

/* debuginfo_prog.c's functions, every byte, against addr2line; its known chain. */
static void check_prog(const char *name)
{
	static const char *const fns[] = { "outer", "plain", "main" };
	struct src_frame got[DEBUGINFO_MAX_CHAIN];
	uint64_t vaddrs[4096];
	struct compared c = { 0 };
	size_t i, n, chains = 0;
	char path[PATH_MAX];
	struct debuginfo *d;
	struct elf_obj *o;
	int k;

	data_file(path, sizeof(path), name);
	o = elf_obj__open(path, NULL);
	ck_assert_ptr_nonnull(o);
	d = open_obj(path, path, NULL);
	ck_assert_ptr_nonnull(d);
	ck_assert(debuginfo__has_dwarf(d));
	ck_assert_ptr_null(debuginfo__debug_file(d));
	ck_assert_int_eq(debuginfo__source(d), DEBUGINFO_EMBEDDED);
	for (i = 0; i < 3; i++) {
		n = function_bytes(o, fns[i], vaddrs, 4096);
		compare(d, path, o, vaddrs, n, FILES_EXACT, NULL, &c);
	}
	/* Two levels inlined, and the real function's name is the symbol table's. */
	ck_assert_uint_eq(c.max_chain, 3);
	ck_assert_uint_eq(c.with_lines, c.frames);
	n = function_bytes(o, "outer", vaddrs, 4096);
	for (i = 0; i < n; i++) {
		struct elf_sym sym;

		k = debuginfo__lookup(d, to_offset(o, vaddrs[i]), got, DEBUGINFO_MAX_CHAIN);
		ck_assert_int_ge(k, 1);
		ck_assert_int_eq(elf_obj__symbolize(o, vaddrs[i], &sym), 0);
		ck_assert_str_eq(got[k - 1].function, sym.name);
		ck_assert_str_eq(base_name(got[k - 1].file), "debuginfo_prog.c");
		if (k == 3) {
			ck_assert_str_eq(got[0].function, "leaf_mix");
			ck_assert_str_eq(base_name(got[0].file), "debuginfo_prog.h");
			ck_assert_str_eq(got[1].function, "middle");
			ck_assert_str_eq(base_name(got[1].file), "debuginfo_prog.c");
			/* Where leaf_mix is called in middle, where middle is in outer. */
			ck_assert(got[1].line == 16 || got[1].line == 18);
			ck_assert(got[2].line == 23 || got[2].line == 26);
			chains++;
		}
	}
	ck_assert_uint_gt(chains, 8);
	n = function_bytes(o, "plain", vaddrs, 4096);
	for (i = 0; i < n; i++) {
		k = debuginfo__lookup(d, to_offset(o, vaddrs[i]), got, DEBUGINFO_MAX_CHAIN);
		ck_assert_int_eq(k, 1);
		ck_assert_str_eq(got[0].function, "plain");
		ck_assert(!got[0].inlined);
		ck_assert(got[0].line >= 30 && got[0].line <= 34);
	}
	debuginfo__free(d);
	elf_obj__free(o);
}

START_TEST(gcc_chains_match_addr2line)
{
	check_prog("debuginfo_prog");
}
END_TEST

START_TEST(clang_chains_match_addr2line)
{
	check_prog("debuginfo_prog_clang");
}
END_TEST

#ifdef HAVE_CXX_PROG
START_TEST(cxx_names_match_addr2line)
{
	struct src_frame got[DEBUGINFO_MAX_CHAIN];
	struct compared c = { 0 };
	char path[PATH_MAX];
	uint64_t vaddrs[4096];
	struct debuginfo *d;
	struct elf_obj *o;
	size_t i, n, chains = 0;
	int k;

	data_file(path, sizeof(path), "debuginfo_prog_cxx");
	o = elf_obj__open(path, NULL);
	ck_assert_ptr_nonnull(o);
	d = open_obj(path, path, NULL);
	ck_assert_ptr_nonnull(d);
	ck_assert(debuginfo__has_dwarf(d));
	/* int shapes::area<int>(shapes::box<int> const&) */
	n = function_bytes(o, "_ZN6shapes4areaIiEET_RKNS_3boxIS1_EE", vaddrs, 4096);
	compare(d, path, o, vaddrs, n, FILES_EXACT, NULL, &c);
	n += function_bytes(o, "main", vaddrs + n, 4096 - n);
	compare(d, path, o, vaddrs, n, FILES_EXACT, NULL, &c);
	ck_assert_uint_eq(c.max_chain, 2);
	for (i = 0; i < n; i++) {
		k = debuginfo__lookup(d, to_offset(o, vaddrs[i]), got, DEBUGINFO_MAX_CHAIN);
		if (k != 2)
			continue;
		ck_assert_str_eq(got[0].function, "shapes::box<int>::twice() const");
		ck_assert(got[0].inlined);
		ck_assert_str_eq(got[1].function,
				 "int shapes::area<int>(shapes::box<int> const&)");
		ck_assert(!got[1].inlined);
		ck_assert(got[1].line == 23 || got[1].line == 26);
		chains++;
	}
	ck_assert_uint_gt(chains, 4);
	debuginfo__free(d);
	elf_obj__free(o);
}
END_TEST
#endif

START_TEST(without_dwarf_symbols_only)
{
	struct src_frame got[DEBUGINFO_MAX_CHAIN];
	struct compared c = { 0 };
	char path[PATH_MAX];
	uint64_t vaddrs[4096];
	struct debuginfo *d;
	struct elf_obj *o;
	size_t i, n;
	int k;

	data_file(path, sizeof(path), "debuginfo_prog_nodebug");
	ck_assert(!find_section(path, ".debug_info", &(struct section){ 0 }));
	o = elf_obj__open(path, NULL);
	ck_assert_ptr_nonnull(o);
	d = open_obj(path, path, NULL);
	ck_assert_ptr_nonnull(d);
	ck_assert(!debuginfo__has_dwarf(d));
	ck_assert_ptr_null(debuginfo__debug_file(d));
	ck_assert_int_eq(debuginfo__source(d), DEBUGINFO_NONE);
	n = function_bytes(o, "outer", vaddrs, 4096);
	compare(d, path, o, vaddrs, n, FILES_EXACT, NULL, &c);
	ck_assert_uint_eq(c.max_chain, 1);
	ck_assert_uint_eq(c.with_lines, 0);
	for (i = 0; i < n; i++) {
		k = debuginfo__lookup(d, to_offset(o, vaddrs[i]), got, DEBUGINFO_MAX_CHAIN);
		ck_assert_int_eq(k, 1);
		ck_assert_str_eq(got[0].function, "outer");
		ck_assert_ptr_null(got[0].file);
		ck_assert_int_eq(got[0].line, 0);
		ck_assert(!got[0].inlined);
	}
	/* The ELF header is in a segment but in no function; past the end, in none. */
	ck_assert_int_eq(debuginfo__lookup(d, 0, got, DEBUGINFO_MAX_CHAIN), 0);
	ck_assert_int_eq(debuginfo__lookup(d, 1ULL << 40, got, DEBUGINFO_MAX_CHAIN), 0);
	ck_assert_int_eq(debuginfo__lookup(d, UINT64_MAX, got, DEBUGINFO_MAX_CHAIN), 0);
	debuginfo__free(d);
	elf_obj__free(o);
}
END_TEST

/* dir/prog: debuginfo_prog without DWARF, linked to prog.debug, which is moved to debug_dir. */
static void make_stripped(const char *dir, const char *debug_dir, const char *from)
{
	char path[PATH_MAX];

	data_file(path, sizeof(path), from);
	run("mkdir -p '%s' '%s' && cp '%s' '%s/prog' && cd '%s' && "
	    "objcopy --only-keep-debug prog prog.debug && "
	    "objcopy --strip-debug --add-gnu-debuglink=prog.debug prog && "
	    "{ [ '%s' = . ] || mv prog.debug '%s/'; }",
	    dir, debug_dir, path, dir, dir, debug_dir, debug_dir);
	fmt_path(path, sizeof(path), "%s/prog", dir);
	ck_assert(!find_section(path, ".debug_info", &(struct section){ 0 }));
}

/* The frames of d and of the unstripped program agree at every byte of outer. */
static void same_as_unstripped(struct debuginfo *d)
{
	struct src_frame a[DEBUGINFO_MAX_CHAIN], b[DEBUGINFO_MAX_CHAIN];
	char path[PATH_MAX];
	uint64_t vaddrs[4096];
	struct debuginfo *ref;
	struct elf_obj *o;
	size_t i, n, inl = 0;
	int j, k;

	data_file(path, sizeof(path), "debuginfo_prog");
	o = elf_obj__open(path, NULL);
	ck_assert_ptr_nonnull(o);
	ref = open_obj(path, path, NULL);
	ck_assert_ptr_nonnull(ref);
	n = function_bytes(o, "outer", vaddrs, 4096);
	for (i = 0; i < n; i++) {
		uint64_t off = to_offset(o, vaddrs[i]);

		k = debuginfo__lookup(ref, off, a, DEBUGINFO_MAX_CHAIN);
		ck_assert_int_eq(debuginfo__lookup(d, off, b, DEBUGINFO_MAX_CHAIN), k);
		for (j = 0; j < k; j++) {
			ck_assert_str_eq(a[j].function, b[j].function);
			ck_assert_str_eq(a[j].file, b[j].file);
			ck_assert_int_eq(a[j].line, b[j].line);
			ck_assert_int_eq(a[j].column, b[j].column);
			ck_assert(a[j].inlined == b[j].inlined);
		}
		inl += k > 1;
	}
	ck_assert_uint_gt(inl, 0);
	debuginfo__free(ref);
	elf_obj__free(o);
}

static void expect_debug_file(struct debuginfo *d, const char *dir, const char *name)
{
	char want[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
	int n = snprintf(want, sizeof(want), "%s/%s", dir, name);

	ck_assert(n > 0 && (size_t)n < sizeof(want));
	ck_assert_int_eq(debuginfo__source(d), DEBUGINFO_FILE);
	ck_assert_ptr_nonnull(debuginfo__debug_file(d));
	ck_assert_ptr_nonnull(realpath(debuginfo__debug_file(d), a));
	ck_assert_ptr_nonnull(realpath(want, b));
	ck_assert_str_eq(a, b);
}

START_TEST(debuglink_next_to_object)
{
	char dir[PATH_MAX], prog[PATH_MAX];
	struct debuginfo *d;

	tmp_file(dir, sizeof(dir), "link-next");
	make_stripped(dir, ".", "debuginfo_prog");
	fmt_path(prog, sizeof(prog), "%s/prog", dir);
	d = open_obj(prog, prog, NULL);
	ck_assert_ptr_nonnull(d);
	ck_assert(debuginfo__has_dwarf(d));
	expect_debug_file(d, dir, "prog.debug");
	same_as_unstripped(d);
	debuginfo__free(d);

	/* Without its path: found next to the file /proc/self/fd/N leads to. */
	d = open_obj(prog, NULL, NULL);
	ck_assert_ptr_nonnull(d);
	ck_assert(debuginfo__has_dwarf(d));
	expect_debug_file(d, dir, "prog.debug");
	same_as_unstripped(d);
	debuginfo__free(d);
}
END_TEST

START_TEST(debuglink_in_dot_debug)
{
	char dir[PATH_MAX], sub[PATH_MAX], prog[PATH_MAX];
	struct debuginfo *d;

	tmp_file(dir, sizeof(dir), "link-sub");
	fmt_path(sub, sizeof(sub), "%s/.debug", dir);
	make_stripped(dir, sub, "debuginfo_prog");
	fmt_path(prog, sizeof(prog), "%s/prog", dir);
	d = open_obj(prog, prog, NULL);
	ck_assert_ptr_nonnull(d);
	ck_assert(debuginfo__has_dwarf(d));
	expect_debug_file(d, sub, "prog.debug");
	same_as_unstripped(d);
	debuginfo__free(d);
}
END_TEST

START_TEST(debuglink_under_debug_root)
{
	char dir[PATH_MAX], root[PATH_MAX], mirror[PATH_MAX], prog[PATH_MAX], search[PATH_MAX];
	struct debuginfo *d;

	/* root/<the object's directory>/prog.debug, as /usr/lib/debug/usr/bin/ls.debug. */
	tmp_file(dir, sizeof(dir), "link-root");
	tmp_file(root, sizeof(root), "debug-root");
	fmt_path(mirror, sizeof(mirror), "%s%s", root, dir);
	make_stripped(dir, mirror, "debuginfo_prog");
	fmt_path(prog, sizeof(prog), "%s/prog", dir);
	/* Not found where libdwfl looks by default... */
	d = open_obj(prog, prog, NULL);
	ck_assert_ptr_nonnull(d);
	ck_assert(!debuginfo__has_dwarf(d));
	debuginfo__free(d);
	/* ...but under a debug root given in its search path. */
	fmt_path(search, sizeof(search), ":.debug:%s", root);
	d = open_obj(prog, prog, search);
	ck_assert_ptr_nonnull(d);
	ck_assert(debuginfo__has_dwarf(d));
	expect_debug_file(d, mirror, "prog.debug");
	same_as_unstripped(d);
	debuginfo__free(d);
}
END_TEST

START_TEST(debug_file_by_build_id)
{
	char dir[PATH_MAX], root[PATH_MAX], prog[PATH_MAX], id[2 * BUILD_ID_MAX + 1];
	char sub[PATH_MAX], name[PATH_MAX];
	struct debuginfo *d;
	int fd;

	tmp_file(dir, sizeof(dir), "by-id");
	tmp_file(root, sizeof(root), "by-id-root");
	make_stripped(dir, ".", "debuginfo_prog");
	fmt_path(prog, sizeof(prog), "%s/prog", dir);
	fd = open(prog, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(elf_fd_build_id(fd, id, sizeof(id)), 0);
	close(fd);
	fmt_path(sub, sizeof(sub), "%s/.build-id/%.2s", root, id);
	fmt_path(name, sizeof(name), "%s.debug", id + 2);
	/* Renamed: the debug link no longer finds it. */
	run("mkdir -p '%s' && mv '%s/prog.debug' '%s/%s'", sub, dir, sub, name);
	d = open_obj(prog, prog, NULL);
	ck_assert_ptr_nonnull(d);
	ck_assert(!debuginfo__has_dwarf(d));
	debuginfo__free(d);
	d = open_obj(prog, prog, root);
	ck_assert_ptr_nonnull(d);
	ck_assert(debuginfo__has_dwarf(d));
	expect_debug_file(d, sub, name);
	same_as_unstripped(d);
	debuginfo__free(d);
}
END_TEST

START_TEST(foreign_debug_file_ignored)
{
	struct src_frame got[DEBUGINFO_MAX_CHAIN];
	char dir[PATH_MAX], other[PATH_MAX], prog[PATH_MAX];
	struct debuginfo *d;
	struct elf_obj *o;
	uint64_t vaddrs[4096];
	size_t i, n;

	/* prog.debug next to prog, but another program's (the clang build's). */
	tmp_file(dir, sizeof(dir), "foreign");
	tmp_file(other, sizeof(other), "foreign-other");
	make_stripped(dir, ".", "debuginfo_prog");
	make_stripped(other, ".", "debuginfo_prog_clang");
	run("mv '%s/prog.debug' '%s/prog.debug'", other, dir);
	fmt_path(prog, sizeof(prog), "%s/prog", dir);
	d = open_obj(prog, prog, NULL);
	ck_assert_ptr_nonnull(d);
	ck_assert(!debuginfo__has_dwarf(d));
	ck_assert_ptr_null(debuginfo__debug_file(d));
	o = elf_obj__open(prog, NULL);
	ck_assert_ptr_nonnull(o);
	n = function_bytes(o, "outer", vaddrs, 4096);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(debuginfo__lookup(d, to_offset(o, vaddrs[i]), got, 4), 1);
		ck_assert_str_eq(got[0].function, "outer");
		ck_assert_ptr_null(got[0].file);
	}
	elf_obj__free(o);
	debuginfo__free(d);
}
END_TEST

START_TEST(build_id_checked)
{
	char path[PATH_MAX], id[2 * BUILD_ID_MAX + 1], other[sizeof(id)];
	struct debuginfo *d;
	int fd;

	data_file(path, sizeof(path), "debuginfo_prog");
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(elf_fd_build_id(fd, id, sizeof(id)), 0);
	d = debuginfo__open(fd, path, id);
	ck_assert_ptr_nonnull(d);
	debuginfo__free(d);
	snprintf(other, sizeof(other), "%s", id);
	other[0] = other[0] == '0' ? '1' : '0';
	errno = 0;
	ck_assert_ptr_null(debuginfo__open(fd, path, other));
	ck_assert_int_eq(errno, ESTALE);
	errno = 0;
	ck_assert_ptr_null(debuginfo__open(fd, path, "12xz"));
	ck_assert_int_eq(errno, EINVAL);
	/* The caller's descriptor stays open and usable. */
	ck_assert_int_eq(elf_fd_build_id(fd, other, sizeof(other)), 0);
	ck_assert_str_eq(other, id);
	close(fd);
}
END_TEST

START_TEST(not_objects)
{
	char path[PATH_MAX];
	int fd;

	tmp_file(path, sizeof(path), "not-elf");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	errno = 0;
	ck_assert_ptr_null(debuginfo__open(fd, path, NULL));
	ck_assert_int_eq(errno, ENOEXEC);
	ck_assert_int_eq(write(fd, "#!/bin/sh\nexit 0\n", 17), 17);
	errno = 0;
	ck_assert_ptr_null(debuginfo__open(fd, path, NULL));
	ck_assert_int_eq(errno, ENOEXEC);
	close(fd);
	errno = 0;
	ck_assert_ptr_null(debuginfo__open(-1, NULL, NULL));
	ck_assert_int_eq(errno, EBADF);
	debuginfo__free(NULL);
}
END_TEST

struct damage {
	size_t opened, frames, pcs;
};

/* Whatever the damage: no crash, bounded and well-formed answers. */
static void lookup_damaged(const char *path, const uint64_t *offs, size_t n, struct damage *dm)
{
	struct src_frame got[DEBUGINFO_MAX_CHAIN];
	struct debuginfo *d;
	size_t i;
	int j, k;

	d = open_obj(path, path, NULL);
	if (!d)
		return;
	dm->opened++;
	for (i = 0; i < n; i++) {
		k = debuginfo__lookup(d, offs[i], got, DEBUGINFO_MAX_CHAIN);
		ck_assert(k >= 0 && k <= DEBUGINFO_MAX_CHAIN);
		for (j = 0; j < k; j++) {
			ck_assert(!got[j].function || strnlen(got[j].function, 65536) < 65536);
			ck_assert(!got[j].file || strnlen(got[j].file, 65536) < 65536);
			ck_assert(got[j].line >= 0 && got[j].column >= 0);
		}
		/* outer is in the symbol table, which no damage here reaches. */
		if (i < 64)
			ck_assert_int_ge(k, 1);
		dm->frames += k;
		dm->pcs++;
	}
	debuginfo__free(d);
}

START_TEST(damaged_dwarf)
{
	static const char *const sections[] = {
		".debug_info", ".debug_abbrev", ".debug_line", ".debug_str",
		".debug_line_str", ".debug_rnglists", ".debug_loclists", ".debug_aranges",
	};
	char path[PATH_MAX], copy[PATH_MAX];
	struct damage dm = { 0 };
	uint64_t vaddrs[4096], offs[4096 + 256];
	struct section sec;
	struct elf_obj *o;
	size_t i, n, s;
	unsigned int seed;

	data_file(path, sizeof(path), "debuginfo_prog");
	tmp_file(copy, sizeof(copy), "damaged");
	o = elf_obj__open(path, NULL);
	ck_assert_ptr_nonnull(o);
	n = function_bytes(o, "outer", vaddrs, 4096);
	ck_assert_uint_ge(n, 64);
	for (i = 0; i < n; i++)
		offs[i] = to_offset(o, vaddrs[i]);
	s = function_bytes(o, "main", vaddrs, 256);
	for (i = 0; i < s; i++)
		offs[n + i] = to_offset(o, vaddrs[i]);
	n += s;
	elf_obj__free(o);

	/* .debug_info zeroed: no unit is readable, names come from the symbol table. */
	ck_assert(find_section(path, ".debug_info", &sec));
	copy_file(path, copy);
	{
		char *zero = calloc(1, sec.size);

		ck_assert_ptr_nonnull(zero);
		patch(copy, sec.off, zero, sec.size);
		free(zero);
	}
	lookup_damaged(copy, offs, n, &dm);
	ck_assert_uint_eq(dm.opened, 1);

	/* Random bytes over part of each section, many times over. */
	for (s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
		if (!find_section(path, sections[s], &sec) || !sec.size)
			continue;
		for (seed = 1; seed <= 40; seed++) {
			unsigned char junk[64];
			size_t len, at, b;

			srand(seed * 977 + s);
			len = 1 + rand() % sizeof(junk);
			if (len > sec.size)
				len = sec.size;
			at = rand() % (sec.size - len + 1);
			for (b = 0; b < len; b++)
				junk[b] = seed % 3 ? rand() : 0xff;
			copy_file(path, copy);
			patch(copy, sec.off + at, junk, len);
			lookup_damaged(copy, offs, n, &dm);
		}
		/* The section cut short, mid-unit. */
		for (seed = 0; seed < 8; seed++) {
			uint64_t size = sec.size * seed / 8 + (seed & 1) * 3;

			copy_file(path, copy);
			patch(copy, sec.shdr_off + offsetof(Elf64_Shdr, sh_size), &size,
			      sizeof(size));
			lookup_damaged(copy, offs, n, &dm);
		}
	}
	ck_assert_uint_gt(dm.opened, 200);
	ck_assert_uint_ge(dm.frames, dm.opened * 64);
	unlink(copy);
}
END_TEST

START_TEST(truncated_file)
{
	char path[PATH_MAX], copy[PATH_MAX];
	struct src_frame got[DEBUGINFO_MAX_CHAIN];
	struct section info;
	struct stat st;
	size_t opened = 0, refused = 0;
	off_t size;
	uint64_t off;

	data_file(path, sizeof(path), "debuginfo_prog");
	tmp_file(copy, sizeof(copy), "truncated");
	ck_assert(find_section(path, ".debug_info", &info));
	ck_assert_int_eq(stat(path, &st), 0);
	for (size = 0; size < st.st_size; size += size < (off_t)(info.off + info.size) ? 61 : 257) {
		struct debuginfo *d;

		copy_file(path, copy);
		ck_assert_int_eq(truncate(copy, size), 0);
		d = open_obj(copy, copy, NULL);
		if (!d) {
			refused++;
			continue;
		}
		opened++;
		for (off = 0; off < 0x3000; off += 3)
			ck_assert_int_le(debuginfo__lookup(d, off, got, DEBUGINFO_MAX_CHAIN),
					 DEBUGINFO_MAX_CHAIN);
		debuginfo__free(d);
	}
	/* Past its program headers a cut object opens (without sections); before, not. */
	ck_assert_uint_gt(opened, 100);
	ck_assert_uint_gt(refused, 0);
	unlink(copy);
}
END_TEST

START_TEST(cache_hits_and_bounds)
{
	struct src_frame a[DEBUGINFO_MAX_CHAIN], b[DEBUGINFO_MAX_CHAIN];
	struct debuginfo_stats st;
	char path[PATH_MAX];
	uint64_t vaddrs[4096], off = 0;
	struct debuginfo *d;
	struct elf_obj *o;
	size_t i, n;
	int k = 0, j;

	data_file(path, sizeof(path), "debuginfo_prog");
	o = elf_obj__open(path, NULL);
	ck_assert_ptr_nonnull(o);
	d = open_obj(path, path, NULL);
	ck_assert_ptr_nonnull(d);
	n = function_bytes(o, "outer", vaddrs, 4096);
	for (i = 0; i < n && k != 3; i++) {
		off = to_offset(o, vaddrs[i]);
		k = debuginfo__lookup(d, off, a, DEBUGINFO_MAX_CHAIN);
	}
	ck_assert_int_eq(k, 3);
	debuginfo__stats(d, &st);
	ck_assert_uint_eq(st.lookups, i);
	ck_assert_uint_eq(st.cache_hits, 0);
	/* Again: from the cache, the same strings. */
	ck_assert_int_eq(debuginfo__lookup(d, off, b, DEBUGINFO_MAX_CHAIN), 3);
	debuginfo__stats(d, &st);
	ck_assert_uint_eq(st.cache_hits, 1);
	ck_assert_uint_eq(st.cus_indexed, 1);
	for (j = 0; j < 3; j++) {
		ck_assert_ptr_eq(a[j].function, b[j].function);
		ck_assert_ptr_eq(a[j].file, b[j].file);
		ck_assert_int_eq(a[j].line, b[j].line);
	}
	/* Fewer wanted: the innermost first. */
	ck_assert_int_eq(debuginfo__lookup(d, off, b, 1), 1);
	ck_assert_str_eq(b[0].function, "leaf_mix");
	ck_assert_int_eq(debuginfo__lookup(d, off, b, 0), 0);
	debuginfo__free(d);
	elf_obj__free(o);
}
END_TEST

/* n distinct vaddrs inside sized functions of o, from its first executable segment. */
static size_t sample_functions(const struct elf_obj *o, const char *path, uint64_t *vaddrs,
			       size_t n, unsigned int seed)
{
	uint64_t lo = UINT64_MAX, hi = 0, v;
	struct elf_sym sym;
	size_t got = 0, tries = 0;
	Elf *elf;
	size_t i, nph;
	int fd;

	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	ck_assert_ptr_nonnull(elf);
	ck_assert_int_eq(elf_getphdrnum(elf, &nph), 0);
	for (i = 0; i < nph; i++) {
		GElf_Phdr ph;

		ck_assert_ptr_nonnull(gelf_getphdr(elf, i, &ph));
		if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X) && lo == UINT64_MAX) {
			lo = ph.p_vaddr;
			hi = ph.p_vaddr + ph.p_filesz;
		}
	}
	elf_end(elf);
	close(fd);
	ck_assert_uint_lt(lo, hi);
	srand(seed);
	while (got < n && tries++ < n * 100) {
		v = lo + (((uint64_t)rand() << 31) | (uint64_t)rand()) % (hi - lo);
		if (elf_obj__symbolize(o, v, &sym) || !sym.size || v - sym.addr >= sym.size)
			continue;
		for (i = 0; i < got && vaddrs[i] != v; i++)
			;
		if (i == got)
			vaddrs[got++] = v;
	}
	return got;
}

START_TEST(libc_matches_addr2line)
{
	const char *path = libc_path();
	struct compared c = { 0 };
	uint64_t *vaddrs;
	struct debuginfo *d;
	struct elf_obj *o;
	size_t n;

	/* The debug file's symbols too, for aliases only it names (__GI_*). */
	o = elf_obj__open(path, path);
	ck_assert_ptr_nonnull(o);
	d = open_obj(path, path, NULL);
	ck_assert_ptr_nonnull(d);
	vaddrs = calloc(1500, sizeof(*vaddrs));
	ck_assert_ptr_nonnull(vaddrs);
	n = sample_functions(o, path, vaddrs, 1500, 7);
	ck_assert_uint_eq(n, 1500);
	compare(d, path, o, vaddrs, n, FILES_IGNORED, o, &c);
	ck_assert_uint_eq(c.pcs, 1500);
	if (debuginfo__has_dwarf(d)) {
		/* libc6-dbg: lines, and functions inlined all over. */
		ck_assert_ptr_nonnull(debuginfo__debug_file(d));
		ck_assert_uint_gt(c.with_lines, c.frames * 9 / 10);
		ck_assert_uint_gt(c.inlined, 100);
	} else {
		fprintf(stderr, "test_debuginfo: no debug file for %s (libc6-dbg), "
				"symbols only\n", path);
		ck_assert_uint_eq(c.with_lines, 0);
		ck_assert_uint_eq(c.max_chain, 1);
	}
	free(vaddrs);
	debuginfo__free(d);
	elf_obj__free(o);
}
END_TEST

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 10,000 stacks of 20 frames over offs[0..n), skewed to the first ones. */
static void report(struct debuginfo *d, const uint64_t *offs, size_t n, unsigned char *seen,
		   size_t *distinct)
{
	struct src_frame got[DEBUGINFO_MAX_CHAIN];
	size_t i;

	srand(5);
	for (i = 0; i < 10000 * 20; i++) {
		double r = (double)rand() / RAND_MAX;
		size_t k = r * r * r * (n - 1);

		ck_assert_int_ge(debuginfo__lookup(d, offs[k], got, DEBUGINFO_MAX_CHAIN), 1);
		*distinct += !seen[k];
		seen[k] = 1;
	}
}

/*
 * First every pc once (all misses), then a report's worth: 10,000 stacks of 20
 * frames, their pcs drawn with a skew to a few hot ones as real stacks share
 * their callers.
 */
START_TEST(lookups_hit_the_cache)
{
	const char *path = libc_path();
	struct src_frame got[DEBUGINFO_MAX_CHAIN];
	struct debuginfo_stats st;
	double t0, t1, t2, t3;
	size_t i, n, frames = 0, distinct = 0;
	unsigned char *seen;
	uint64_t *offs;
	struct debuginfo *d;
	struct elf_obj *o;

	o = elf_obj__open(path, path);
	ck_assert_ptr_nonnull(o);
	offs = calloc(20000, sizeof(*offs));
	ck_assert_ptr_nonnull(offs);
	n = sample_functions(o, path, offs, 20000, 11);
	ck_assert_uint_eq(n, 20000);
	for (i = 0; i < n; i++)
		offs[i] = to_offset(o, offs[i]);
	t0 = now();
	d = open_obj(path, path, NULL);
	ck_assert_ptr_nonnull(d);
	t1 = now();
	for (i = 0; i < n; i++)
		frames += debuginfo__lookup(d, offs[i], got, DEBUGINFO_MAX_CHAIN);
	t2 = now();
	debuginfo__stats(d, &st);
	ck_assert_uint_eq(st.cache_hits, 0);
	/* 20,000 answers: the older generation went twice. */
	ck_assert_uint_eq(st.cache_flushes, 2);
	ck_assert_uint_ge(frames, n);
	fprintf(stderr, "test_debuginfo: libc (%s): open %.1f ms; %zu distinct pcs "
			"(%zu frames) %.0f lookups/s uncached\n",
		debuginfo__has_dwarf(d) ? "DWARF" : "symbols", (t1 - t0) * 1e3, n, frames,
		n / (t2 - t1));
	debuginfo__free(d);

	/* A report's pcs fit in the young generation: every repeat hits. */
	d = open_obj(path, path, NULL);
	ck_assert_ptr_nonnull(d);
	seen = calloc(n, 1);
	ck_assert_ptr_nonnull(seen);
	t2 = now();
	report(d, offs, 8000, seen, &distinct);
	t3 = now();
	debuginfo__stats(d, &st);
	fprintf(stderr, "test_debuginfo: libc: 10,000 stacks of 20 frames (%zu distinct pcs) "
			"in %.3f s (%.0f lookups/s); %zu KiB\n",
		distinct, t3 - t2, 200000 / (t3 - t2), debuginfo__memory(d) / 1024);
	ck_assert_uint_eq(st.lookups, 200000);
	ck_assert_uint_gt(distinct, 7000);
	ck_assert_uint_eq(st.cache_hits, 200000 - distinct);
	ck_assert_uint_eq(st.cache_flushes, 0);
	debuginfo__free(d);

	/* More distinct pcs than the cache holds: the hot ones still hit. */
	d = open_obj(path, path, NULL);
	ck_assert_ptr_nonnull(d);
	memset(seen, 0, n);
	distinct = 0;
	t2 = now();
	report(d, offs, n, seen, &distinct);
	t3 = now();
	debuginfo__stats(d, &st);
	fprintf(stderr, "test_debuginfo: libc: the same over %zu distinct pcs in %.3f s "
			"(%.0f lookups/s, %lu hits of %zu possible, %lu generations dropped); "
			"%zu KiB\n",
		distinct, t3 - t2, 200000 / (t3 - t2), st.cache_hits, 200000 - distinct,
		st.cache_flushes, debuginfo__memory(d) / 1024);
	ck_assert_uint_gt(distinct, DEBUGINFO_CACHE_MAX);
	ck_assert_uint_gt(st.cache_flushes, 2);
	ck_assert_uint_ge(st.cache_hits, (200000 - distinct) * 7 / 10);
	/* Bounded: two generations, the unit indexes and names of libc. */
	ck_assert_uint_lt(debuginfo__memory(d), 8u << 20);
	free(seen);
	free(offs);
	debuginfo__free(d);
	elf_obj__free(o);
}
END_TEST

/* A port on loopback that nothing listens on. */
static int closed_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static bool have_libdebuginfod(void)
{
	void *h = dlopen("libdebuginfod.so.1", RTLD_LAZY);

	if (h)
		dlclose(h);
	return h != NULL;
}

static void debuginfod_env(int port, const char *cache)
{
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	ck_assert_int_eq(setenv("DEBUGINFOD_URLS", url, 1), 0);
	ck_assert_int_eq(setenv("DEBUGINFOD_CACHE_PATH", cache, 1), 0);
	ck_assert_int_eq(setenv("DEBUGINFOD_TIMEOUT", "10", 1), 0);
	unsetenv("DEBUGINFOD_PROGRESS");
	unsetenv("DEBUGINFOD_VERBOSE");
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
}

START_TEST(debuginfod_unreachable_fails_fast)
{
	char dir[PATH_MAX], prog[PATH_MAX], cache[PATH_MAX], empty[PATH_MAX];
	struct src_frame got[DEBUGINFO_MAX_CHAIN];
	struct debuginfo *d;
	struct elf_obj *o;
	uint64_t vaddrs[4096];
	struct stat st;
	double t0, t1;

	tmp_file(dir, sizeof(dir), "dfd-closed");
	tmp_file(cache, sizeof(cache), "dfd-closed-cache");
	tmp_file(empty, sizeof(empty), "dfd-closed-empty");
	make_stripped(dir, empty, "debuginfo_prog");
	run("rm -f '%s/prog.debug'", empty);
	fmt_path(prog, sizeof(prog), "%s/prog", dir);
	debuginfod_env(closed_port(), cache);
	t0 = now();
	d = open_obj(prog, prog, empty);
	t1 = now();
	ck_assert_ptr_nonnull(d);
	ck_assert(!debuginfo__has_dwarf(d));
	ck_assert_msg(t1 - t0 < 3.0 * time_scale(), "open took %.1f s", t1 - t0);
	o = elf_obj__open(prog, NULL);
	ck_assert_ptr_nonnull(o);
	function_bytes(o, "outer", vaddrs, 4096);
	ck_assert_int_eq(debuginfo__lookup(d, to_offset(o, vaddrs[0]), got, 4), 1);
	ck_assert_str_eq(got[0].function, "outer");
	/* The client did run (it made its cache) when libdebuginfod is installed. */
	ck_assert_int_eq(stat(cache, &st) == 0, have_libdebuginfod());
	elf_obj__free(o);
	debuginfo__free(d);
}
END_TEST

/* Accepts connections and says nothing: a server that hangs. */
static void *hold(void *arg)
{
	int fd = *(int *)arg;

	for (;;) {
		if (accept(fd, NULL, NULL) < 0)
			return NULL;
	}
}

START_TEST(debuginfod_silent_server_times_out)
{
	char dir[PATH_MAX], prog[PATH_MAX], cache[PATH_MAX], empty[PATH_MAX];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	static int fd;
	struct debuginfo *d;
	pthread_t thread;
	double t0, t1;

	tmp_file(dir, sizeof(dir), "dfd-silent");
	tmp_file(cache, sizeof(cache), "dfd-silent-cache");
	tmp_file(empty, sizeof(empty), "dfd-silent-empty");
	make_stripped(dir, empty, "debuginfo_prog");
	run("rm -f '%s/prog.debug'", empty);
	fmt_path(prog, sizeof(prog), "%s/prog", dir);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	ck_assert_int_eq(pthread_create(&thread, NULL, hold, &fd), 0);
	pthread_detach(thread);
	debuginfod_env(ntohs(sa.sin_port), cache);
	/* What leakd's unit should set: the client's default is 90 s. */
	ck_assert_int_eq(setenv("DEBUGINFOD_TIMEOUT", "1", 1), 0);
	t0 = now();
	d = open_obj(prog, prog, empty);
	t1 = now();
	ck_assert_ptr_nonnull(d);
	ck_assert(!debuginfo__has_dwarf(d));
	ck_assert_msg(t1 - t0 < 5.0 * time_scale(), "open took %.1f s", t1 - t0);
	/* It did wait for the server, when libdebuginfod is there to ask it. */
	if (have_libdebuginfod())
		ck_assert_msg(t1 - t0 > 0.9, "open took %.3f s", t1 - t0);
	debuginfo__free(d);
}
END_TEST

/* Just enough of a debuginfod server: one file, by build-id, on loopback. */
struct server {
	int fd;
	char path[128];		/* /buildid/<id>/debuginfo */
	char file[PATH_MAX];
	int requests, served;
};

static void send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			return;
		p += n;
		len -= n;
	}
}

static void *serve(void *arg)
{
	struct server *s = arg;
	char req[8192], head[256];

	for (;;) {
		size_t len = 0;
		ssize_t n;
		int c = accept(s->fd, NULL, NULL);

		if (c < 0)
			return NULL;
		while (len < sizeof(req) - 1 && (n = read(c, req + len, sizeof(req) - 1 - len)) > 0) {
			len += n;
			req[len] = 0;
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		req[len] = 0;
		__atomic_fetch_add(&s->requests, 1, __ATOMIC_SEQ_CST);
		if (!strncmp(req, "GET ", 4) && !strncmp(req + 4, s->path, strlen(s->path)) &&
		    req[4 + strlen(s->path)] == ' ') {
			char buf[65536];
			struct stat st;
			int fd = open(s->file, O_RDONLY);

			if (fd >= 0 && !fstat(fd, &st)) {
				/* Counted before the answer: the client may go on at its last byte. */
				__atomic_fetch_add(&s->served, 1, __ATOMIC_SEQ_CST);
				snprintf(head, sizeof(head),
					 "HTTP/1.1 200 OK\r\nContent-Length: %lld\r\n"
					 "Connection: close\r\n\r\n",
					 (long long)st.st_size);
				send_all(c, head, strlen(head));
				while ((n = read(fd, buf, sizeof(buf))) > 0)
					send_all(c, buf, n);
			}
			if (fd >= 0)
				close(fd);
		} else {
			snprintf(head, sizeof(head), "HTTP/1.1 404 Not Found\r\n"
						     "Content-Length: 0\r\nConnection: close\r\n\r\n");
			send_all(c, head, strlen(head));
		}
		close(c);
	}
}

START_TEST(debuginfod_fetches_by_build_id)
{
	char dir[PATH_MAX], prog[PATH_MAX], cache[PATH_MAX], store[PATH_MAX];
	char id[2 * BUILD_ID_MAX + 1];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	static struct server s;
	struct debuginfo *d;
	pthread_t thread;
	int fd;

	tmp_file(dir, sizeof(dir), "dfd");
	tmp_file(store, sizeof(store), "dfd-store");
	tmp_file(cache, sizeof(cache), "dfd-cache");
	make_stripped(dir, store, "debuginfo_prog");
	fmt_path(prog, sizeof(prog), "%s/prog", dir);
	fd = open(prog, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(elf_fd_build_id(fd, id, sizeof(id)), 0);
	close(fd);
	fmt_path(s.path, sizeof(s.path), "/buildid/%s/debuginfo", id);
	fmt_path(s.file, sizeof(s.file), "%s/prog.debug", store);

	s.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(s.fd, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(s.fd, (struct sockaddr *)&sa, &len), 0);
	ck_assert_int_eq(listen(s.fd, 8), 0);
	ck_assert_int_eq(pthread_create(&thread, NULL, serve, &s), 0);
	pthread_detach(thread);
	debuginfod_env(ntohs(sa.sin_port), cache);

	/* Nowhere on disk (the search path holds nothing): only the server has it. */
	d = open_obj(prog, prog, dir);
	ck_assert_ptr_nonnull(d);
	if (!have_libdebuginfod()) {
		fprintf(stderr, "test_debuginfod: libdebuginfod.so.1 missing: no debuginfod\n");
		ck_assert(!debuginfo__has_dwarf(d));
		ck_assert_int_eq(s.requests, 0);
		debuginfo__free(d);
		return;
	}
	ck_assert(debuginfo__has_dwarf(d));
	ck_assert_int_eq(s.served, 1);
	/* libdwfl does not say where the client cached it. */
	ck_assert_int_eq(debuginfo__source(d), DEBUGINFO_DEBUGINFOD);
	ck_assert_ptr_null(debuginfo__debug_file(d));
	same_as_unstripped(d);
	debuginfo__free(d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("debuginfo");
	TCase *addr2line_tc = tcase_create("addr2line");
	TCase *files = tcase_create("debug_files");
	TCase *damage = tcase_create("damage");
	TCase *cache = tcase_create("cache");

	if (test_dirs("debuginfo"))
		return EXIT_FAILURE;
	/* No test but the loopback ones may reach a debuginfod server. */
	unsetenv("DEBUGINFOD_URLS");

	tcase_set_timeout(addr2line_tc, 120);
	tcase_add_test(addr2line_tc, gcc_chains_match_addr2line);
	tcase_add_test(addr2line_tc, clang_chains_match_addr2line);
#ifdef HAVE_CXX_PROG
	tcase_add_test(addr2line_tc, cxx_names_match_addr2line);
#endif
	tcase_add_test(addr2line_tc, without_dwarf_symbols_only);
	tcase_add_test(addr2line_tc, libc_matches_addr2line);
	suite_add_tcase(s, addr2line_tc);
	tcase_set_timeout(files, 60);
	tcase_add_test(files, debuglink_next_to_object);
	tcase_add_test(files, debuglink_in_dot_debug);
	tcase_add_test(files, debuglink_under_debug_root);
	tcase_add_test(files, debug_file_by_build_id);
	tcase_add_test(files, foreign_debug_file_ignored);
	tcase_add_test(files, build_id_checked);
	tcase_add_test(files, not_objects);
	tcase_add_test(files, debuginfod_unreachable_fails_fast);
	tcase_add_test(files, debuginfod_silent_server_times_out);
	tcase_add_test(files, debuginfod_fetches_by_build_id);
	suite_add_tcase(s, files);
	tcase_set_timeout(damage, 120);
	tcase_add_test(damage, damaged_dwarf);
	tcase_add_test(damage, truncated_file);
	suite_add_tcase(s, damage);
	tcase_set_timeout(cache, 60);
	tcase_add_test(cache, cache_hits_and_bounds);
	tcase_add_test(cache, lookups_hit_the_cache);
	suite_add_tcase(s, cache);

	return run_suite(s);
}
