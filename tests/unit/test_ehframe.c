// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The unwind-table builder against readelf's own reading of the same CFI (libc and
 * the programs in ehframe_prog.c), against hand-written CFI with known rows
 * (ehframe_cases.c), against corrupt objects, and the cache file.
 *
 * EHFRAME_TEST_OBJECTS, a colon-separated list of paths, adds a readelf comparison
 * of each (e.g. /usr/bin/node: slow, so not run by default).
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <gelf.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stacks/ehframe.h"
#include "stacks/elfobj.h"
#include "testelf.h"
#include "testutil.h"

static uint64_t file_offset(const struct elf_obj *o, uint64_t vaddr)
{
	uint64_t off;

	ck_assert_int_eq(elf_obj__vaddr_to_offset(o, vaddr, &off), 0);
	return off;
}

/* The table's invariants, whatever the input was. */
static void check_shape(const struct unwind_table *t)
{
	size_t i;

	ck_assert_uint_gt(t->nr, 0);
	ck_assert_uint_le(t->nr, UNWIND_TABLE_MAX_ROWS);
	for (i = 0; i < t->nr; i++) {
		const struct leakd_unwind_row *r = &t->rows[i];

		if (i)
			ck_assert_uint_gt(r->pc, t->rows[i - 1].pc);
		ck_assert_uint_le(LEAKD_ROW_CFA(r), LEAKD_CFA_UNSUPPORTED);
		ck_assert_uint_le(LEAKD_ROW_RBP(r), LEAKD_RBP_UNDEFINED);
		/* Merged: no two neighbours say the same. */
		if (i)
			ck_assert(r->kind != r[-1].kind || r->cfa_off != r[-1].cfa_off ||
				  r->rbp_off != r[-1].rbp_off);
	}
	ck_assert_uint_eq(LEAKD_ROW_CFA(&t->rows[t->nr - 1]), LEAKD_CFA_NONE);
}

/*
 * readelf --debug-dump=frames-interp, read back (-wN: not the separate debug file,
 * whose NOBITS .eh_frame makes readelf fail).  A row there gives each column's rule
 * as text: "rsp+16" for the CFA, "c-16" (saved at CFA - 16), "u" (undefined or not
 * saved), "s", "r3 (rbx)", "v-8", "exp", "vexp" for the registers.
 */
#define RE_TEXT 24

struct re_row {
	uint64_t loc;
	char cfa[RE_TEXT], rbp[RE_TEXT], ra[RE_TEXT];
};

struct re_cie {
	uint64_t off;
	bool signal;
	bool has_row;
	struct re_row row;	/* the rules after its initial instructions */
};

struct re_range {
	uint64_t start, end;	/* file offsets */
};

struct plt_fde {
	uint64_t off;
	int threshold;
};

struct compare {
	const char *path;
	const struct unwind_table *t;
	struct elf_obj *obj;
	bool debug_frame;
	/* from the raw dump */
	struct plt_fde plts[8];
	size_t nplts;
	unsigned int cie_versions;	/* bit n: a CIE of version n was seen */
	/* the entry being read */
	bool seen_section, in_section, in_entry, in_fde, signal;
	uint64_t entry_off, cie, start, end;
	int rbp_col, ra_col, ncols;
	struct re_row *rows;
	size_t nrows, rows_cap;
	struct re_cie *cies;
	size_t ncies;
	struct re_range *ranges;
	size_t nranges;
	/* what was checked */
	size_t fdes, empty_fdes, rows_checked, exp_rows, plt_rows, signal_rows, end_rows;
	size_t unsupported_rows, rbp_rows, gaps;
};

static void rule_text(char *dst, const char *src)
{
	int n = snprintf(dst, RE_TEXT, "%s", src);

	ck_assert(n >= 0 && n < RE_TEXT);
}

/* What include/leakd/unwind.h says a row with readelf's rules must hold. */
static struct leakd_unwind_row expect(const struct compare *c, const struct re_row *row,
				      int plt_threshold)
{
	struct leakd_unwind_row r = { 0 };
	const char *sign;
	long off;
	char *end;

	if (!strcmp(row->ra, "u")) {
		r.kind = LEAKD_ROW_KIND(LEAKD_CFA_END, 0);
		return r;
	}
	if (!strcmp(row->cfa, "exp")) {
		if (plt_threshold >= 0 && !strcmp(row->ra, "c-8")) {
			r.kind = LEAKD_ROW_KIND(LEAKD_CFA_PLT, 0);
			r.cfa_off = 8;
			r.rbp_off = plt_threshold;
		} else if (c->signal) {
			r.kind = LEAKD_ROW_KIND(LEAKD_CFA_SIGNAL, 0);
			r.cfa_off = 160;
		} else {
			r.kind = LEAKD_ROW_KIND(LEAKD_CFA_UNSUPPORTED, 0);
		}
		return r;
	}
	r.kind = LEAKD_ROW_KIND(LEAKD_CFA_UNSUPPORTED, 0);
	if (strcmp(row->ra, "c-8"))
		return r;
	sign = strpbrk(row->cfa, "+-");
	ck_assert_msg(sign, "%s: CFA rule %s", c->path, row->cfa);
	off = strtol(sign, &end, 10);
	ck_assert(!*end);
	if (off < 0 || off > UINT16_MAX)
		return r;
	if (!strncmp(row->cfa, "rsp", sign - row->cfa) && sign - row->cfa == 3)
		r.kind = LEAKD_ROW_KIND(LEAKD_CFA_RSP, LEAKD_RBP_SAME);
	else if (!strncmp(row->cfa, "rbp", sign - row->cfa) && sign - row->cfa == 3)
		r.kind = LEAKD_ROW_KIND(LEAKD_CFA_RBP, LEAKD_RBP_SAME);
	else
		return r;
	r.cfa_off = off;
	if (!strcmp(row->rbp, "u") || !strcmp(row->rbp, "s"))
		return r;
	r.kind = LEAKD_ROW_KIND(LEAKD_ROW_CFA(&r), LEAKD_RBP_UNDEFINED);
	if (row->rbp[0] == 'c') {
		off = strtol(row->rbp + 1, &end, 10);
		ck_assert(!*end);
		if (off % 8 == 0 && off / 8 >= INT8_MIN && off / 8 <= INT8_MAX) {
			r.kind = LEAKD_ROW_KIND(LEAKD_ROW_CFA(&r), LEAKD_RBP_AT_CFA);
			r.rbp_off = off / 8;
		}
	}
	return r;
}

static void check_row(struct compare *c, uint64_t vaddr, const struct re_row *row, int plt)
{
	struct leakd_unwind_row want = expect(c, row, plt);
	const struct leakd_unwind_row *got;
	uint64_t off = file_offset(c->obj, vaddr);
	unsigned int cfa = LEAKD_ROW_CFA(&want);

	got = unwind_table__find(c->t, off);
	ck_assert_msg(got, "%s: no row at %#lx", c->path, vaddr);
	ck_assert_msg(LEAKD_ROW_CFA(got) == cfa,
		      "%s: at %#lx (CFA %s rbp %s ra %s) kind %u, readelf says %u", c->path, vaddr,
		      row->cfa, row->rbp, row->ra, LEAKD_ROW_CFA(got), cfa);
	if (cfa == LEAKD_CFA_RSP || cfa == LEAKD_CFA_RBP || cfa == LEAKD_CFA_PLT ||
	    cfa == LEAKD_CFA_SIGNAL)
		ck_assert_msg(got->cfa_off == want.cfa_off, "%s: at %#lx CFA offset %u, not %u",
			      c->path, vaddr, got->cfa_off, want.cfa_off);
	if (cfa == LEAKD_CFA_RSP || cfa == LEAKD_CFA_RBP) {
		ck_assert_msg(LEAKD_ROW_RBP(got) == LEAKD_ROW_RBP(&want),
			      "%s: at %#lx (rbp %s) RBP rule %u, not %u", c->path, vaddr, row->rbp,
			      LEAKD_ROW_RBP(got), LEAKD_ROW_RBP(&want));
		if (LEAKD_ROW_RBP(&want) == LEAKD_RBP_AT_CFA) {
			ck_assert_int_eq(got->rbp_off, want.rbp_off);
			c->rbp_rows++;
		}
	}
	if (cfa == LEAKD_CFA_PLT)
		ck_assert_int_eq(got->rbp_off, want.rbp_off);
	c->rows_checked++;
	c->exp_rows += !strcmp(row->cfa, "exp");
	c->plt_rows += cfa == LEAKD_CFA_PLT;
	c->signal_rows += cfa == LEAKD_CFA_SIGNAL;
	c->end_rows += cfa == LEAKD_CFA_END;
	c->unsupported_rows += cfa == LEAKD_CFA_UNSUPPORTED;
}

static int plt_threshold(const struct compare *c, uint64_t fde_off)
{
	size_t i;

	for (i = 0; i < c->nplts; i++) {
		if (c->plts[i].off == fde_off)
			return c->plts[i].threshold;
	}
	return -1;
}

static const struct re_cie *find_re_cie(const struct compare *c, uint64_t off)
{
	size_t i;

	for (i = 0; i < c->ncies; i++) {
		if (c->cies[i].off == off)
			return &c->cies[i];
	}
	return NULL;
}

/* Checks the entry just read, now that all its rows are known. */
static void finish_entry(struct compare *c)
{
	const struct re_cie *cie;
	uint64_t start, end;
	int plt;
	size_t i;

	if (!c->in_entry)
		return;
	c->in_entry = false;
	if (!c->in_fde) {
		struct re_cie *n;

		n = reallocarray(c->cies, c->ncies + 1, sizeof(*n));
		ck_assert_ptr_nonnull(n);
		c->cies = n;
		n[c->ncies].off = c->entry_off;
		n[c->ncies].signal = c->signal;
		n[c->ncies].has_row = c->nrows > 0;
		if (c->nrows)
			n[c->ncies].row = c->rows[c->nrows - 1];
		c->ncies++;
		return;
	}
	if (c->start == c->end) {
		c->empty_fdes++;
		return;
	}
	cie = find_re_cie(c, c->cie);
	ck_assert_msg(cie, "%s: FDE %#lx: no CIE %#lx", c->path, c->entry_off, c->cie);
	c->signal = cie->signal;
	if (!c->nrows) {
		/* readelf prints nothing for a FDE without instructions: its CIE's rules. */
		if (!cie->has_row)
			return;
		c->rows_cap = c->rows_cap ? c->rows_cap : 1;
		c->rows = c->rows ? c->rows : calloc(1, sizeof(*c->rows));
		ck_assert_ptr_nonnull(c->rows);
		c->rows[0] = cie->row;
		c->rows[0].loc = c->start;
		c->nrows = 1;
	}
	plt = plt_threshold(c, c->entry_off);
	for (i = 0; i < c->nrows; i++) {
		/* Rows at one location: the last counts.  Rows past the end apply to nothing. */
		if ((i + 1 < c->nrows && c->rows[i + 1].loc == c->rows[i].loc) ||
		    c->rows[i].loc >= c->end)
			continue;
		check_row(c, c->rows[i].loc, &c->rows[i], plt);
	}
	/* The last rules hold to the function's last byte... */
	for (i = c->nrows; i-- > 0;) {
		if (c->rows[i].loc < c->end) {
			check_row(c, c->end - 1, &c->rows[i], plt);
			break;
		}
	}
	start = file_offset(c->obj, c->start);
	end = file_offset(c->obj, c->end - 1) + 1;
	c->ranges = reallocarray(c->ranges, c->nranges + 1, sizeof(*c->ranges));
	ck_assert_ptr_nonnull(c->ranges);
	c->ranges[c->nranges++] = (struct re_range){ start, end };
	c->fdes++;
}

/* Splits a row into columns; "r3 (rbx)" is one. */
static int split(char *line, char **cols, int max)
{
	char *save = NULL, *tok;
	int n = 0;

	for (tok = strtok_r(line, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		if (tok[0] == '(' && n) {
			tok[-1] = ' ';
			continue;
		}
		ck_assert_int_lt(n, max);
		cols[n++] = tok;
	}
	return n;
}

static void read_interp_line(struct compare *c, char *line)
{
	const char *section = c->debug_frame ? ".debug_frame section" : ".eh_frame section";
	unsigned long off, len, id, cie, start, end;
	char *cols[64], *q;
	int n, i;

	if (strstr(line, "Contents of the ")) {
		finish_entry(c);
		c->in_section = strstr(line, section);
		c->seen_section |= c->in_section;
		c->nrows = 0;
		return;
	}
	if (!c->in_section)
		return;
	if (sscanf(line, "%lx %lx %lx FDE cie=%lx pc=%lx..%lx", &off, &len, &id, &cie, &start,
		   &end) == 6) {
		finish_entry(c);
		c->in_entry = c->in_fde = true;
		c->entry_off = off;
		c->cie = cie;
		c->start = start;
		c->end = end;
		c->nrows = 0;
		return;
	}
	if (sscanf(line, "%lx %lx %lx CIE", &off, &len, &id) == 3 && strstr(line, " CIE")) {
		finish_entry(c);
		c->in_entry = true;
		c->in_fde = false;
		c->entry_off = off;
		c->nrows = 0;
		q = strchr(line, '"');
		ck_assert_ptr_nonnull(q);
		c->signal = memchr(q + 1, 'S', strcspn(q + 1, "\""));
		return;
	}
	if (strstr(line, "   LOC ") == line) {
		n = split(line, cols, 64);
		c->ncols = n;
		c->rbp_col = c->ra_col = -1;
		for (i = 2; i < n; i++) {
			if (!strcmp(cols[i], "rbp"))
				c->rbp_col = i;
			else if (!strcmp(cols[i], "ra"))
				c->ra_col = i;
		}
		return;
	}
	if (strspn(line, "0123456789abcdef") == 16 && line[16] == ' ') {
		struct re_row *r;

		n = split(line, cols, 64);
		ck_assert_msg(n == c->ncols, "%s: %d columns, header has %d", c->path, n, c->ncols);
		if (c->nrows == c->rows_cap) {
			c->rows_cap = c->rows_cap ? c->rows_cap * 2 : 64;
			c->rows = reallocarray(c->rows, c->rows_cap, sizeof(*c->rows));
			ck_assert_ptr_nonnull(c->rows);
		}
		r = &c->rows[c->nrows++];
		r->loc = strtoull(cols[0], NULL, 16);
		rule_text(r->cfa, cols[1]);
		rule_text(r->rbp, c->rbp_col >= 0 ? cols[c->rbp_col] : "u");
		/* A column nobody named has DWARF's default rule, undefined. */
		rule_text(r->ra, c->ra_col >= 0 ? cols[c->ra_col] : "u");
	}
}

/* The raw dump: which FDEs hold ld's PLT expression (and its threshold), CIE versions. */
static void read_raw_dump(struct compare *c)
{
	static const char plt[] = "DW_CFA_def_cfa_expression (DW_OP_breg7 (rsp): 8; "
				  "DW_OP_breg16 (rip): 0; DW_OP_lit15; DW_OP_and; DW_OP_lit";
	unsigned long off, len, id, cie, start, end;
	char cmd[PATH_MAX + 64], line[4096], *p;
	bool in_section = false;
	uint64_t fde = 0;
	unsigned int v;
	int threshold, n;
	FILE *f;

	n = snprintf(cmd, sizeof(cmd), "LC_ALL=C readelf -wN --debug-dump=frames '%s' 2>&1",
		     c->path);
	ck_assert(n > 0 && (size_t)n < sizeof(cmd));
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "Contents of the ")) {
			in_section = strstr(line, c->debug_frame ? ".debug_frame section" :
								   ".eh_frame section");
			continue;
		}
		if (!in_section)
			continue;
		if (sscanf(line, "%lx %lx %lx FDE cie=%lx pc=%lx..%lx", &off, &len, &id, &cie,
			   &start, &end) == 6)
			fde = off;
		if (sscanf(line, " Version: %u", &v) == 1 && v < 32)
			c->cie_versions |= 1u << v;
		p = strstr(line, plt);
		if (p && sscanf(p + sizeof(plt) - 1, "%d; DW_OP_ge; DW_OP_lit3; DW_OP_shl; "
						     "DW_OP_plus)%n", &threshold, &n) == 1 &&
		    n > 0) {
			ck_assert_uint_lt(c->nplts, 8);
			c->plts[c->nplts++] = (struct plt_fde){ fde, threshold };
		}
	}
	ck_assert_int_eq(pclose(f), 0);
}

static int cmp_range(const void *pa, const void *pb)
{
	const struct re_range *a = pa, *b = pb;

	return a->start < b->start ? -1 : a->start > b->start;
}

/* Every readelf row against the table, then the gaps between FDEs. */
static void compare_with_readelf(struct compare *c)
{
	char cmd[PATH_MAX + 64], line[4096];
	const struct leakd_unwind_row *r;
	size_t i;
	FILE *f;
	int n;

	ck_assert_ptr_null(strchr(c->path, '\''));
	c->obj = elf_obj__open(c->path, NULL);
	ck_assert_ptr_nonnull(c->obj);
	read_raw_dump(c);
	n = snprintf(cmd, sizeof(cmd), "LC_ALL=C readelf -wN --debug-dump=frames-interp '%s' 2>&1",
		     c->path);
	ck_assert(n > 0 && (size_t)n < sizeof(cmd));
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		read_interp_line(c, line);
	ck_assert_int_eq(pclose(f), 0);
	finish_entry(c);
	ck_assert(c->seen_section);

	ck_assert_uint_gt(c->fdes, 0);
	ck_assert_uint_eq(c->t->stats.fdes, c->fdes);
	ck_assert_uint_eq(c->t->stats.bad_range, c->empty_fdes);
	ck_assert_uint_eq(c->t->stats.overlapping, 0);
	ck_assert_uint_eq(c->t->stats.bad_cie, 0);
	ck_assert_uint_eq(c->t->stats.bad_cfi, 0);
	ck_assert(!c->t->stats.truncated);
	ck_assert_uint_eq(c->t->stats.debug_frame, c->debug_frame);

	/* Below the first FDE there is no row; between FDEs and past the last, NONE. */
	qsort(c->ranges, c->nranges, sizeof(*c->ranges), cmp_range);
	ck_assert_ptr_null(unwind_table__find(c->t, c->ranges[0].start - 1));
	for (i = 0; i < c->nranges; i++) {
		uint64_t end = c->ranges[i].end;

		ck_assert_uint_le(end, i + 1 < c->nranges ? c->ranges[i + 1].start : UINT32_MAX);
		if (i + 1 < c->nranges && end == c->ranges[i + 1].start)
			continue;
		r = unwind_table__find(c->t, end);
		ck_assert_ptr_nonnull(r);
		ck_assert_uint_eq(r->pc, end);
		ck_assert_uint_eq(LEAKD_ROW_CFA(r), LEAKD_CFA_NONE);
		if (i + 1 < c->nranges) {
			r = unwind_table__find(c->t, c->ranges[i + 1].start - 1);
			ck_assert_ptr_nonnull(r);
			ck_assert_uint_eq(LEAKD_ROW_CFA(r), LEAKD_CFA_NONE);
			c->gaps++;
		} else {
			ck_assert_ptr_eq(r, &c->t->rows[c->t->nr - 1]);
		}
	}
	ck_assert_uint_gt(c->gaps, 0);
	check_shape(c->t);
}

static void compare_free(struct compare *c)
{
	elf_obj__free(c->obj);
	free(c->rows);
	free(c->cies);
	free(c->ranges);
}

static void build(const char *path, struct unwind_table *t)
{
	int err = ehframe__build(path, t);

	ck_assert_msg(!err, "%s: %s", path, strerror(-err));
}

/* The rows of fn, by offset from its first byte: whether any satisfies the predicate. */
static bool any_row(const struct unwind_table *t, const struct elf_obj *o, const char *fn,
		    bool (*pred)(const struct leakd_unwind_row *r))
{
	struct elf_sym sym;
	uint64_t start, end;
	size_t i;

	ck_assert_int_eq(elf_obj__find_sym(o, fn, &sym), 0);
	ck_assert_uint_gt(sym.size, 0);
	start = file_offset(o, sym.addr);
	end = start + sym.size;
	for (i = 0; i < t->nr; i++) {
		if (t->rows[i].pc >= end)
			break;
		if ((t->rows[i].pc >= start ||
		     (i + 1 < t->nr && t->rows[i + 1].pc > start)) && pred(&t->rows[i]))
			return true;
	}
	return false;
}

static bool cfa_rbp(const struct leakd_unwind_row *r)
{
	return LEAKD_ROW_CFA(r) == LEAKD_CFA_RBP;
}

static bool frame_pointer_frame(const struct leakd_unwind_row *r)
{
	return LEAKD_ROW_CFA(r) == LEAKD_CFA_RBP && r->cfa_off == 16 &&
	       LEAKD_ROW_RBP(r) == LEAKD_RBP_AT_CFA && r->rbp_off == -2;
}

static bool unsupported(const struct leakd_unwind_row *r)
{
	return LEAKD_ROW_CFA(r) == LEAKD_CFA_UNSUPPORTED;
}

static bool rbp_saved(const struct leakd_unwind_row *r)
{
	return LEAKD_ROW_CFA(r) == LEAKD_CFA_RSP && LEAKD_ROW_RBP(r) == LEAKD_RBP_AT_CFA;
}

static bool big_rsp_frame(const struct leakd_unwind_row *r)
{
	return LEAKD_ROW_CFA(r) == LEAKD_CFA_RSP && r->cfa_off > 4000;
}

START_TEST(libc_matches_readelf)
{
	struct unwind_table t;
	struct compare c = { .path = libc_path(), .t = &t };

	build(c.path, &t);
	compare_with_readelf(&c);
	ck_assert_uint_gt(c.fdes, 1000);
	/* .plt, __restore_rt and the outermost frames (clone, clone3). */
	ck_assert_uint_eq(c.nplts, 1);
	ck_assert_uint_gt(c.plt_rows, 0);
	ck_assert_uint_gt(c.signal_rows, 0);
	ck_assert_uint_gt(c.end_rows, 0);
	ck_assert_uint_eq(c.exp_rows, c.plt_rows + c.signal_rows);
	ck_assert_uint_gt(c.rbp_rows, 1000);
	compare_free(&c);
	unwind_table__destroy(&t);
}
END_TEST

/* The call to a noreturn function ends dies(): its return address is not inside it. */
static void check_noreturn_end(const struct unwind_table *t, const struct elf_obj *o)
{
	const struct leakd_unwind_row *in, *after;
	struct elf_sym sym;
	unsigned char op;
	uint64_t end;

	ck_assert_int_eq(elf_obj__find_sym(o, "dies", &sym), 0);
	end = file_offset(o, sym.addr) + sym.size;
	ck_assert_int_eq(elf_obj__read(o, end - 5, &op, 1), 0);
	ck_assert_uint_eq(op, 0xe8);
	in = unwind_table__find(t, end - 1);
	after = unwind_table__find(t, end);
	ck_assert(in && after);
	ck_assert(LEAKD_ROW_CFA(in) == LEAKD_CFA_RSP || LEAKD_ROW_CFA(in) == LEAKD_CFA_RBP);
	ck_assert_uint_gt(in->cfa_off, 8);
	ck_assert_ptr_ne(in, after);
	ck_assert_uint_eq(after->pc, end);
}

START_TEST(omitfp_matches_readelf)
{
	char path[PATH_MAX];
	struct unwind_table t;
	struct compare c = { .path = path, .t = &t };

	data_file(path, sizeof(path), "ehframe_prog_omitfp");
	build(path, &t);
	compare_with_readelf(&c);
	ck_assert_uint_ge(c.fdes, 10);
	ck_assert_uint_eq(c.nplts, 1);
	ck_assert_uint_gt(c.plt_rows, 0);
	/* _start */
	ck_assert_uint_gt(c.end_rows, 0);
	ck_assert(any_row(&t, c.obj, "uses_vla", cfa_rbp));
	ck_assert(any_row(&t, c.obj, "uses_alloca", cfa_rbp));
	ck_assert(!any_row(&t, c.obj, "small_frame", cfa_rbp));
	ck_assert(any_row(&t, c.obj, "saves_registers", rbp_saved));
	ck_assert(any_row(&t, c.obj, "medium_frame", big_rsp_frame));
	ck_assert(any_row(&t, c.obj, "huge_frame", unsupported));
	ck_assert(!any_row(&t, c.obj, "medium_frame", unsupported));
	check_noreturn_end(&t, c.obj);
	compare_free(&c);
	unwind_table__destroy(&t);
}
END_TEST

START_TEST(fp_matches_readelf)
{
	static const char *const fns[] = { "small_frame", "saves_registers", "medium_frame",
					   "huge_frame", "uses_vla", "uses_alloca", "dies" };
	char path[PATH_MAX];
	struct unwind_table t;
	struct compare c = { .path = path, .t = &t };
	struct section text;
	size_t i;

	data_file(path, sizeof(path), "ehframe_prog_fp");
	build(path, &t);
	compare_with_readelf(&c);
	/* Not PIE: file offsets and addresses differ, as they must be told apart. */
	ck_assert(find_section(path, ".text", &text));
	ck_assert_uint_ne(text.off, text.addr);
	ck_assert_uint_ge(c.fdes, 10);
	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		ck_assert_msg(any_row(&t, c.obj, fns[i], frame_pointer_frame), "%s", fns[i]);
	/* The frame pointer holds the CFA: a 100 kB frame is no problem any more. */
	ck_assert(!any_row(&t, c.obj, "huge_frame", unsupported));
	check_noreturn_end(&t, c.obj);
	compare_free(&c);
	unwind_table__destroy(&t);
}
END_TEST

START_TEST(debug_frame_matches_readelf)
{
	char path[PATH_MAX];
	struct unwind_table t;
	struct compare c = { .path = path, .t = &t, .debug_frame = true };
	struct section eh;

	data_file(path, sizeof(path), "ehframe_prog_debugframe.so");
	/* An empty .eh_frame next to the real .debug_frame. */
	ck_assert(find_section(path, ".eh_frame", &eh));
	ck_assert_uint_eq(eh.size, 0);
	build(path, &t);
	ck_assert(t.stats.debug_frame);
	compare_with_readelf(&c);
	ck_assert_uint_eq(c.cie_versions, 1u << 4);
	ck_assert_uint_ge(c.fdes, 9);
	ck_assert(any_row(&t, c.obj, "uses_vla", cfa_rbp));
	compare_free(&c);
	unwind_table__destroy(&t);
}
END_TEST

START_TEST(extra_objects_match_readelf)
{
	char *list = strdup(getenv("EHFRAME_TEST_OBJECTS")), *save = NULL, *path;

	ck_assert_ptr_nonnull(list);
	for (path = strtok_r(list, ":", &save); path; path = strtok_r(NULL, ":", &save)) {
		struct unwind_table t;
		struct compare c = { .path = path, .t = &t };

		build(path, &t);
		c.debug_frame = t.stats.debug_frame;
		compare_with_readelf(&c);
		printf("%s: %zu FDEs, %zu rows checked, %zu rows in table\n", path, c.fdes,
		       c.rows_checked, t.nr);
		compare_free(&c);
		unwind_table__destroy(&t);
	}
	free(list);
}
END_TEST

/* Expected rows of a function of ehframe_cases.c, by offset from its first byte. */
struct want {
	uint32_t at;
	enum leakd_cfa_kind cfa;
	uint16_t cfa_off;
	enum leakd_rbp_rule rbp;
	int8_t rbp_off;
};

static void check_function(const struct unwind_table *t, const struct elf_obj *o,
			   const char *fn, const struct want *w, size_t n)
{
	struct elf_sym sym;
	uint64_t start;
	size_t i;

	ck_assert_int_eq(elf_obj__find_sym(o, fn, &sym), 0);
	start = file_offset(o, sym.addr);
	for (i = 0; i < n; i++) {
		const struct leakd_unwind_row *r = unwind_table__find(t, start + w[i].at);

		ck_assert_ptr_nonnull(r);
		ck_assert_msg(r->kind == LEAKD_ROW_KIND(w[i].cfa, w[i].rbp) &&
				      r->cfa_off == w[i].cfa_off && r->rbp_off == w[i].rbp_off,
			      "%s+%u: kind %u/%u cfa_off %u rbp_off %d, want %u/%u %u %d", fn,
			      w[i].at, LEAKD_ROW_CFA(r), LEAKD_ROW_RBP(r), r->cfa_off, r->rbp_off,
			      w[i].cfa, w[i].rbp, w[i].cfa_off, w[i].rbp_off);
	}
	/* Functions there end where their FDE does, before alignment padding. */
	ck_assert_ptr_nonnull(unwind_table__find(t, start + sym.size));
	ck_assert_uint_eq(LEAKD_ROW_CFA(unwind_table__find(t, start + sym.size)), LEAKD_CFA_NONE);
}

#define CHECK_FUNCTION(t, o, fn, ...)                                                      \
	do {                                                                               \
		static const struct want w_[] = { __VA_ARGS__ };                           \
		check_function(t, o, fn, w_, sizeof(w_) / sizeof(w_[0]));                  \
	} while (0)

#define RSP(off, rbp, rbp_off) LEAKD_CFA_RSP, off, LEAKD_RBP_##rbp, rbp_off
#define KIND(cfa) LEAKD_CFA_##cfa, 0, LEAKD_RBP_SAME, 0

static void open_cases(struct unwind_table *t, struct elf_obj **ret_obj)
{
	char path[PATH_MAX];

	data_file(path, sizeof(path), "ehframe_cases");
	build(path, t);
	*ret_obj = elf_obj__open(path, NULL);
	ck_assert_ptr_nonnull(*ret_obj);
	check_shape(t);
}

START_TEST(rbp_rules)
{
	struct unwind_table t;
	struct elf_obj *o;

	open_cases(&t, &o);
	CHECK_FUNCTION(&t, o, "case_rbp",
		       { 0, RSP(8, SAME, 0) },
		       { 1, RSP(16, AT_CFA, -2) },
		       { 2, RSP(16, UNDEFINED, 0) },	/* undefined */
		       { 3, RSP(16, SAME, 0) },		/* same_value */
		       { 4, RSP(16, AT_CFA, -128) },
		       { 5, RSP(16, UNDEFINED, 0) },	/* -1032: beyond __s8 */
		       { 6, RSP(16, AT_CFA, 127) },
		       { 7, RSP(16, UNDEFINED, 0) },	/* +1024 */
		       { 8, RSP(16, SAME, 0) },		/* restore: the CIE names no RBP */
		       { 9, RSP(16, UNDEFINED, 0) },	/* val_offset */
		       { 10, RSP(16, AT_CFA, -3) },
		       { 11, RSP(16, UNDEFINED, 0) },	/* register */
		       { 12, RSP(16, AT_CFA, 2) },	/* offset_extended_sf */
		       { 13, RSP(16, UNDEFINED, 0) },	/* expression */
		       { 14, RSP(16, AT_CFA, 3) },	/* GNU_negative_offset_extended */
		       { 15, RSP(16, UNDEFINED, 0) },	/* val_expression */
		       { 16, RSP(16, SAME, 0) },	/* restore_extended */
		       { 17, RSP(16, AT_CFA, -4) });	/* offset_extended */
	elf_obj__free(o);
	unwind_table__destroy(&t);
}
END_TEST

START_TEST(cfa_rules)
{
	struct unwind_table t;
	struct elf_obj *o;

	open_cases(&t, &o);
	CHECK_FUNCTION(&t, o, "case_cfa",
		       { 0, RSP(8, SAME, 0) },
		       { 1, RSP(65535, SAME, 0) },
		       { 2, KIND(UNSUPPORTED) },		/* 65536 */
		       { 3, LEAKD_CFA_RBP, 16, LEAKD_RBP_SAME, 0 },
		       { 4, KIND(UNSUPPORTED) },		/* RBX */
		       { 5, RSP(16, SAME, 0) },			/* def_cfa_sf */
		       { 6, RSP(24, SAME, 0) },			/* def_cfa_offset_sf */
		       { 7, KIND(UNSUPPORTED) },		/* RSP - 8 */
		       { 8, KIND(UNSUPPORTED) },		/* another expression */
		       { 9, RSP(8, SAME, 0) },
		       { 10, RSP(40, SAME, 0) },		/* GNU_args_size changes nothing */
		       { 11, RSP(32, AT_CFA, -3) },		/* remember_state */
		       { 12, LEAKD_CFA_RBP, 16, LEAKD_RBP_AT_CFA, -3 },
		       { 13, RSP(32, AT_CFA, -3) },		/* restore_state: CFA too */
		       { 14, RSP(40, SAME, 0) },
		       { 313, RSP(40, SAME, 0) },
		       { 314, RSP(48, SAME, 0) },		/* advance_loc2 */
		       { 70313, RSP(48, SAME, 0) },
		       { 70314, RSP(56, SAME, 0) });		/* advance_loc4 */
	elf_obj__free(o);
	unwind_table__destroy(&t);
}
END_TEST

START_TEST(return_address_rules)
{
	struct unwind_table t;
	struct elf_obj *o;

	open_cases(&t, &o);
	CHECK_FUNCTION(&t, o, "case_ra",
		       { 0, RSP(8, SAME, 0) },
		       { 1, KIND(UNSUPPORTED) },		/* in RDX */
		       { 2, RSP(8, SAME, 0) },
		       { 3, KIND(UNSUPPORTED) },		/* at CFA - 16 */
		       { 4, KIND(END) },			/* undefined */
		       { 5, KIND(UNSUPPORTED) },		/* same_value */
		       { 6, RSP(8, SAME, 0) },			/* restore */
		       { 7, KIND(UNSUPPORTED) });		/* val_offset */
	CHECK_FUNCTION(&t, o, "case_outermost", { 0, KIND(END) }, { 2, KIND(END) });
	elf_obj__free(o);
	unwind_table__destroy(&t);
}
END_TEST

START_TEST(expressions)
{
	struct unwind_table t;
	struct elf_obj *o;

	open_cases(&t, &o);
	CHECK_FUNCTION(&t, o, "case_plt",
		       { 0, RSP(8, SAME, 0) },
		       { 1, LEAKD_CFA_PLT, 8, LEAKD_RBP_SAME, 10 },
		       { 2, LEAKD_CFA_PLT, 16, LEAKD_RBP_SAME, 11 },
		       { 3, KIND(UNSUPPORTED) },
		       { 4, RSP(8, SAME, 0) });
	CHECK_FUNCTION(&t, o, "case_signal",
		       { 0, RSP(8, SAME, 0) },
		       { 1, LEAKD_CFA_SIGNAL, 160, LEAKD_RBP_SAME, 0 });
	CHECK_FUNCTION(&t, o, "case_sigexpr", { 0, RSP(8, SAME, 0) }, { 1, KIND(UNSUPPORTED) });
	elf_obj__free(o);
	unwind_table__destroy(&t);
}
END_TEST

START_TEST(hand_made_entries)
{
	struct unwind_table t;
	struct elf_obj *o;

	open_cases(&t, &o);
	/* "zPLR" with an indirect personality, code alignment 2, data alignment -4. */
	CHECK_FUNCTION(&t, o, "case_raw1",
		       { 0, RSP(8, SAME, 0) },
		       { 1, RSP(8, SAME, 0) },
		       { 2, RSP(16, UNDEFINED, 0) },		/* CFA - 20 */
		       { 4, RSP(16, AT_CFA, -2) },
		       { 6, RSP(24, AT_CFA, -2) },
		       { 7, RSP(24, AT_CFA, -2) });
	/* Version 3 CIE, absolute addresses, set_loc, advance_loc2/4, MIPS_advance_loc8. */
	CHECK_FUNCTION(&t, o, "case_raw2",
		       { 0, RSP(8, SAME, 0) },
		       { 2, RSP(16, SAME, 0) },
		       { 4, RSP(24, SAME, 0) },
		       { 5, RSP(32, SAME, 0) },
		       { 6, RSP(8, SAME, 0) });
	/* Undecodable instructions: the rules before them stand, then UNSUPPORTED. */
	CHECK_FUNCTION(&t, o, "case_raw3",
		       { 0, RSP(8, SAME, 0) },
		       { 1, RSP(16, SAME, 0) },
		       { 2, KIND(UNSUPPORTED) },
		       { 7, KIND(UNSUPPORTED) });
	CHECK_FUNCTION(&t, o, "case_raw4",
		       { 0, RSP(8, SAME, 0) },
		       { 1, RSP(16, SAME, 0) },
		       { 2, RSP(16, SAME, 0) },
		       { 3, KIND(UNSUPPORTED) });
	ck_assert_uint_eq(t.stats.bad_cfi, 2);
	ck_assert_uint_eq(t.stats.bad_range, 0);
	ck_assert_uint_eq(t.stats.bad_cie, 0);
	ck_assert_uint_eq(t.stats.overlapping, 0);
	elf_obj__free(o);
	unwind_table__destroy(&t);
}
END_TEST

START_TEST(gaps_and_bounds)
{
	const struct leakd_unwind_row *r;
	struct elf_sym rbp, cfa;
	struct unwind_table t;
	struct elf_obj *o;
	uint64_t end, next;

	open_cases(&t, &o);
	ck_assert_int_eq(elf_obj__find_sym(o, "case_rbp", &rbp), 0);
	ck_assert_int_eq(elf_obj__find_sym(o, "case_cfa", &cfa), 0);
	end = file_offset(o, rbp.addr) + rbp.size;
	next = file_offset(o, cfa.addr);
	ck_assert_uint_gt(next, end);
	r = unwind_table__find(&t, end);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(LEAKD_ROW_CFA(r), LEAKD_CFA_NONE);
	ck_assert_uint_eq(r->pc, end);
	ck_assert_ptr_eq(unwind_table__find(&t, next - 1), r);
	ck_assert_ptr_nonnull(unwind_table__find(&t, next));
	ck_assert_uint_eq(LEAKD_ROW_CFA(unwind_table__find(&t, next)), LEAKD_CFA_RSP);
	/* Below the first row nothing; far above, the final NONE row. */
	ck_assert_ptr_null(unwind_table__find(&t, 0));
	ck_assert_ptr_null(unwind_table__find(&t, t.rows[0].pc - 1));
	ck_assert_ptr_eq(unwind_table__find(&t, UINT32_MAX), &t.rows[t.nr - 1]);
	elf_obj__free(o);
	unwind_table__destroy(&t);
}
END_TEST

/* A cache key for build-id id, of a made-up file. */
static const struct unwind_cache_key *key(const char *id)
{
	static struct unwind_cache_key k;

	memset(&k, 0, sizeof(k));
	snprintf(k.build_id, sizeof(k.build_id), "%s", id);
	k.dev = 1;
	k.ino = 2;
	k.size = 3;
	k.mtime_ns = 4;
	k.ctime_ns = 5;
	return &k;
}

START_TEST(cache_round_trip)
{
	static const char id[] = "0123456789abcdef0123456789abcdef01234567";
	struct unwind_table t, fp, loaded;
	char path[PATH_MAX], cache[PATH_MAX];
	struct dirent *de;
	struct stat st;
	size_t files = 0;
	DIR *d;

	data_file(path, sizeof(path), "ehframe_prog_omitfp");
	build(path, &t);
	data_file(path, sizeof(path), "ehframe_prog_fp");
	build(path, &fp);
	tmp_file(cache, sizeof(cache), "roundtrip.cache");
	ck_assert_int_eq(unwind_table__save(&fp, cache, key(id)), 0);
	/* Saving again replaces the file whole. */
	ck_assert_int_eq(unwind_table__save(&t, cache, key(id)), 0);
	ck_assert_int_eq(stat(cache, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0644);
	ck_assert_uint_eq(st.st_size, 136 + t.nr * sizeof(*t.rows));
	ck_assert_int_eq(unwind_table__load(cache, key(id), &loaded), 0);
	ck_assert_uint_eq(loaded.nr, t.nr);
	ck_assert_mem_eq(loaded.rows, t.rows, t.nr * sizeof(*t.rows));
	/* Build-ids compare as numbers, whatever the case of their digits. */
	unwind_table__destroy(&loaded);
	ck_assert_int_eq(unwind_table__load(cache, key("0123456789ABCDEF0123456789ABCDEF01234567"),
					    &loaded), 0);
	ck_assert_uint_eq(loaded.nr, t.nr);
	/* No temporary file left behind. */
	d = opendir(tmp_dir);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		if (de->d_name[0] != '.') {
			ck_assert_str_eq(de->d_name, "roundtrip.cache");
			files++;
		}
	}
	closedir(d);
	ck_assert_uint_eq(files, 1);
	unlink(cache);
	unwind_table__destroy(&loaded);
	unwind_table__destroy(&fp);
	unwind_table__destroy(&t);
}
END_TEST

static int load_variant(const char *good, const char *name, uint64_t off, const void *bytes,
			size_t len, off_t size, const char *id)
{
	struct unwind_table t = { .nr = 1 };
	char path[PATH_MAX];
	int err;

	tmp_file(path, sizeof(path), name);
	copy_file(good, path);
	if (bytes)
		patch(path, off, bytes, len);
	if (size >= 0)
		ck_assert_int_eq(truncate(path, size), 0);
	err = unwind_table__load(path, key(id), &t);
	if (err) {
		ck_assert_ptr_null(t.rows);
		ck_assert_uint_eq(t.nr, 0);
	}
	unwind_table__destroy(&t);
	unlink(path);
	return err;
}

START_TEST(cache_rejects_bad_files)
{
	static const char id[] = "5eed";
	uint32_t u32;
	uint64_t u64;
	struct unwind_table t, none = { 0 };
	char path[PATH_MAX], good[PATH_MAX], long_id[UNWIND_CACHE_BUILD_ID_MAX + 2];
	off_t size;
	char c;

	data_file(path, sizeof(path), "ehframe_prog_omitfp");
	build(path, &t);
	tmp_file(good, sizeof(good), "good.cache");
	ck_assert_int_eq(unwind_table__save(&t, good, key(id)), 0);
	size = 136 + t.nr * sizeof(*t.rows);

	ck_assert_int_eq(load_variant(good, "same", 0, NULL, 0, -1, id), 0);
	ck_assert_int_eq(load_variant(good, "other-id", 0, NULL, 0, -1, "5eee"), -ESTALE);
	ck_assert_int_eq(load_variant(good, "longer-id", 0, NULL, 0, -1, "5eed00"), -ESTALE);
	ck_assert_int_eq(load_variant(good, "magic", 0, "X", 1, -1, id), -EBADMSG);
	u32 = 1;	/* the format before the source file's identity */
	ck_assert_int_eq(load_variant(good, "version", 8, &u32, 4, -1, id), -EPROTONOSUPPORT);
	u32 = 3;
	ck_assert_int_eq(load_variant(good, "version", 8, &u32, 4, -1, id), -EPROTONOSUPPORT);
	u32 = 16;
	ck_assert_int_eq(load_variant(good, "row-size", 12, &u32, 4, -1, id), -EPROTONOSUPPORT);
	u64 = t.nr + 1;
	ck_assert_int_eq(load_variant(good, "count", 16, &u64, 8, -1, id), -EBADMSG);
	u64 = 0;
	ck_assert_int_eq(load_variant(good, "no-rows", 16, &u64, 8, -1, id), -EBADMSG);
	c = 0x5a;
	ck_assert_int_eq(load_variant(good, "crc", size - 3, &c, 1, -1, id), -EBADMSG);
	ck_assert_int_eq(load_variant(good, "short", 0, NULL, 0, size - 1, id), -EBADMSG);
	ck_assert_int_eq(load_variant(good, "header", 0, NULL, 0, 136, id), -EBADMSG);
	ck_assert_int_eq(load_variant(good, "half-header", 0, NULL, 0, 40, id), -EBADMSG);
	ck_assert_int_eq(load_variant(good, "empty", 0, NULL, 0, 0, id), -EBADMSG);

	tmp_file(path, sizeof(path), "missing.cache");
	ck_assert_int_eq(unwind_table__load(path, key(id), &none), -ENOENT);
	{
		/* A build-id that fills the key's field: no terminator, too long. */
		struct unwind_cache_key k = *key(id);

		memset(long_id, 'a', sizeof(long_id) - 1);
		long_id[sizeof(long_id) - 1] = 0;
		memcpy(k.build_id, long_id, sizeof(k.build_id));
		ck_assert_int_eq(unwind_table__save(&t, path, &k), -EINVAL);
		ck_assert_int_eq(unwind_table__load(good, &k, &none), -EINVAL);
	}
	ck_assert_int_eq(unwind_table__save(&t, path, key("")), -EINVAL);
	ck_assert_int_eq(unwind_table__save(&t, path, key("not-hex")), -EINVAL);
	ck_assert_int_eq(unwind_table__save(&none, path, key(id)), -EINVAL);
	ck_assert_int_eq(access(path, F_OK), -1);
	unlink(good);
	unwind_table__destroy(&t);
}
END_TEST

static int key_of(const char *path, struct unwind_cache_key *k)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	ck_assert_int_ge(fd, 0);
	err = unwind_cache_key__of_fd(fd, k);
	close(fd);
	return err;
}

/*
 * A forged object carrying another's build-id: its table is never used for the
 * real one, whoever owns it; an object others may write is never cached at all;
 * cache files that are not the daemon's alone are not trusted.
 */
START_TEST(cache_forged_build_id)
{
	struct unwind_cache_key real_key, forged_key, k;
	struct unwind_table real, forged, loaded;
	char real_path[PATH_MAX], forged_path[PATH_MAX], cache[PATH_MAX], link[PATH_MAX];
	char path[PATH_MAX], id[UNWIND_CACHE_BUILD_ID_MAX + 8];
	struct section real_note, forged_note;
	unsigned char desc[20];
	struct timespec later[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	int fd;

	if (geteuid()) {
		fputs("cache_forged_build_id: needs root (root-owned files); not run\n", stderr);
		return;
	}
	data_file(path, sizeof(path), "ehframe_prog_fp");
	tmp_file(real_path, sizeof(real_path), "libreal.so");
	copy_file(path, real_path);
	data_file(path, sizeof(path), "ehframe_prog_omitfp");
	tmp_file(forged_path, sizeof(forged_path), "libforged.so");
	copy_file(path, forged_path);
	ck_assert_int_eq(chmod(real_path, 0644), 0);
	ck_assert_int_eq(chmod(forged_path, 0644), 0);
	/* The forgery: the real object's build-id note in another object. */
	ck_assert(find_section(real_path, ".note.gnu.build-id", &real_note));
	ck_assert(find_section(forged_path, ".note.gnu.build-id", &forged_note));
	ck_assert_uint_eq(real_note.size, 16 + sizeof(desc));
	ck_assert_uint_eq(forged_note.size, real_note.size);
	fd = open(real_path, O_RDONLY);
	ck_assert_int_eq(pread(fd, desc, sizeof(desc), real_note.off + 16), sizeof(desc));
	close(fd);
	patch(forged_path, forged_note.off + 16, desc, sizeof(desc));

	ck_assert_int_eq(key_of(real_path, &real_key), 0);
	ck_assert_int_eq(key_of(forged_path, &forged_key), 0);
	ck_assert_str_eq(forged_key.build_id, real_key.build_id);
	ck_assert_uint_ne(forged_key.ino, real_key.ino);
	build(real_path, &real);
	build(forged_path, &forged);
	ck_assert(real.nr != forged.nr ||
		  memcmp(real.rows, forged.rows, real.nr * sizeof(*real.rows)));

	/* The forged object's table, saved under the shared build-id ... */
	snprintf(id, sizeof(id), "%s.unw", real_key.build_id);
	tmp_file(cache, sizeof(cache), id);
	ck_assert_int_eq(unwind_table__save(&forged, cache, &forged_key), 0);
	ck_assert_int_eq(unwind_table__load(cache, &forged_key, &loaded), 0);
	unwind_table__destroy(&loaded);
	/* ... is no entry for the real one: rebuilt, and then the real table is used. */
	ck_assert_int_eq(unwind_table__load(cache, &real_key, &loaded), -ESTALE);
	ck_assert_ptr_null(loaded.rows);
	ck_assert_int_eq(unwind_table__save(&real, cache, &real_key), 0);
	ck_assert_int_eq(unwind_table__load(cache, &real_key, &loaded), 0);
	ck_assert_uint_eq(loaded.nr, real.nr);
	ck_assert_mem_eq(loaded.rows, real.rows, real.nr * sizeof(*real.rows));
	unwind_table__destroy(&loaded);
	ck_assert_int_eq(unwind_table__load(cache, &forged_key, &loaded), -ESTALE);
	/* The same file changed in place (new times): its entry is stale. */
	ck_assert_int_eq(utimensat(AT_FDCWD, real_path, later, 0), 0);
	ck_assert_int_eq(key_of(real_path, &k), 0);
	ck_assert_int_eq(unwind_table__load(cache, &k, &loaded), -ESTALE);

	/* Objects others own or may write are never cached. */
	ck_assert_int_eq(chown(forged_path, 65534, 65534), 0);
	ck_assert_int_eq(key_of(forged_path, &k), -EPERM);
	ck_assert_int_eq(chown(forged_path, 0, 0), 0);
	ck_assert_int_eq(chmod(forged_path, 0664), 0);
	ck_assert_int_eq(key_of(forged_path, &k), -EPERM);
	ck_assert_int_eq(chmod(forged_path, 0646), 0);
	ck_assert_int_eq(key_of(forged_path, &k), -EPERM);

	/* Cache files not the daemon's alone are not read. */
	ck_assert_int_eq(key_of(real_path, &real_key), 0);
	ck_assert_int_eq(unwind_table__save(&real, cache, &real_key), 0);
	ck_assert_int_eq(unwind_table__load(cache, &real_key, &loaded), 0);
	unwind_table__destroy(&loaded);
	ck_assert_int_eq(chmod(cache, 0666), 0);
	ck_assert_int_eq(unwind_table__load(cache, &real_key, &loaded), -EPERM);
	ck_assert_int_eq(chmod(cache, 0644), 0);
	ck_assert_int_eq(chown(cache, 65534, 65534), 0);
	ck_assert_int_eq(unwind_table__load(cache, &real_key, &loaded), -EPERM);
	ck_assert_int_eq(chown(cache, 0, 0), 0);
	tmp_file(link, sizeof(link), "link.unw");
	ck_assert_int_eq(symlink(cache, link), 0);
	ck_assert_int_eq(unwind_table__load(link, &real_key, &loaded), -EPERM);
	ck_assert_ptr_null(loaded.rows);

	unlink(link);
	unlink(cache);
	unlink(real_path);
	unlink(forged_path);
	unwind_table__destroy(&real);
	unwind_table__destroy(&forged);
}
END_TEST

START_TEST(not_usable_objects)
{
	char path[PATH_MAX], copy[PATH_MAX];
	struct unwind_table t;
	struct section eh, dbg;
	uint16_t machine = 183;	/* EM_AARCH64 */
	uint32_t null_type = PT_NULL;
	Elf64_Ehdr eh_hdr;
	Elf64_Phdr ph;
	size_t i;
	int fd;

	tmp_file(copy, sizeof(copy), "missing");
	ck_assert_int_eq(ehframe__build(copy, &t), -ENOENT);
	ck_assert_ptr_null(t.rows);

	tmp_file(copy, sizeof(copy), "text");
	fd = open(copy, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_eq(write(fd, "not an ELF object\n", 18), 18);
	close(fd);
	ck_assert_int_eq(ehframe__build(copy, &t), -ENOEXEC);
	unlink(copy);

	data_file(path, sizeof(path), "ehframe_cases");
	tmp_file(copy, sizeof(copy), "aarch64");
	copy_file(path, copy);
	patch(copy, offsetof(Elf64_Ehdr, e_machine), &machine, sizeof(machine));
	ck_assert_int_eq(ehframe__build(copy, &t), -EPROTONOSUPPORT);
	unlink(copy);

	/* Neither .eh_frame (renamed), nor PT_GNU_EH_FRAME, nor .debug_frame. */
	tmp_file(copy, sizeof(copy), "no-cfi");
	copy_file(path, copy);
	ck_assert(find_section(copy, ".eh_frame", &eh));
	ck_assert(!find_section(copy, ".debug_frame", &dbg));
	patch(copy, eh.name_off + 1, "X", 1);
	fd = open(copy, O_RDONLY);
	ck_assert_int_eq(pread(fd, &eh_hdr, sizeof(eh_hdr), 0), sizeof(eh_hdr));
	for (i = 0; i < eh_hdr.e_phnum; i++) {
		uint64_t off = eh_hdr.e_phoff + i * sizeof(ph);

		ck_assert_int_eq(pread(fd, &ph, sizeof(ph), off), sizeof(ph));
		if (ph.p_type == PT_GNU_EH_FRAME)
			patch(copy, off, &null_type, sizeof(null_type));
	}
	close(fd);
	ck_assert_int_eq(ehframe__build(copy, &t), -ENOENT);
	unlink(copy);
}
END_TEST

START_TEST(no_section_headers)
{
	char path[PATH_MAX], copy[PATH_MAX];
	struct unwind_table t, stripped;
	uint64_t zero64 = 0;
	uint16_t zero16 = 0;
	int fd;

	data_file(path, sizeof(path), "ehframe_prog_omitfp");
	build(path, &t);
	tmp_file(copy, sizeof(copy), "no-shdrs");
	copy_file(path, copy);
	patch(copy, offsetof(Elf64_Ehdr, e_shoff), &zero64, sizeof(zero64));
	patch(copy, offsetof(Elf64_Ehdr, e_shnum), &zero16, sizeof(zero16));
	patch(copy, offsetof(Elf64_Ehdr, e_shstrndx), &zero16, sizeof(zero16));
	/* .eh_frame found through PT_GNU_EH_FRAME gives the same table. */
	fd = open(copy, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ehframe__build_fd(fd, &stripped), 0);
	close(fd);
	ck_assert_uint_eq(stripped.nr, t.nr);
	ck_assert_mem_eq(stripped.rows, t.rows, t.nr * sizeof(*t.rows));
	ck_assert_uint_eq(stripped.stats.fdes, t.stats.fdes);
	unlink(copy);
	unwind_table__destroy(&stripped);
	unwind_table__destroy(&t);
}
END_TEST

/* The FDEs of a .eh_frame whose CIEs all use pcrel sdata4 addresses, as gcc's do. */
struct raw_fde {
	uint64_t off;		/* of its length field, in the file */
	uint64_t start, len;	/* virtual addresses */
};

static size_t raw_fdes(const char *path, const struct section *eh, struct raw_fde *v, size_t max)
{
	unsigned char *buf = malloc(eh->size);
	size_t off = 0, n = 0;
	int fd = open(path, O_RDONLY);

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pread(fd, buf, eh->size, eh->off), (ssize_t)eh->size);
	close(fd);
	while (off + 8 <= eh->size && n < max) {
		uint32_t len, id;
		int32_t start;

		memcpy(&len, buf + off, 4);
		if (!len)
			break;
		memcpy(&id, buf + off + 4, 4);
		if (id) {
			memcpy(&start, buf + off + 8, 4);
			v[n].off = eh->off + off;
			v[n].start = eh->addr + off + 8 + start;
			memcpy(&len, buf + off + 12, 4);
			v[n].len = len;
			memcpy(&len, buf + off, 4);
			n++;
		}
		off += 4 + len;
	}
	free(buf);
	return n;
}

/* The rows covering [start, end) equal in both tables. */
static void same_rows(const struct unwind_table *a, const struct unwind_table *b,
		      uint32_t start, uint32_t end)
{
	uint32_t pc;

	for (pc = start; pc < end; pc++) {
		const struct leakd_unwind_row *ra = unwind_table__find(a, pc);
		const struct leakd_unwind_row *rb = unwind_table__find(b, pc);

		ck_assert(ra && rb);
		ck_assert(ra->kind == rb->kind && ra->cfa_off == rb->cfa_off &&
			  ra->rbp_off == rb->rbp_off);
	}
}

START_TEST(bogus_ranges_skipped)
{
	char path[PATH_MAX], copy[PATH_MAX];
	struct unwind_table t, bad;
	struct raw_fde f[64];
	struct elf_obj *o;
	struct section eh;
	size_t n, i, a = 0, b, z, w;
	int32_t rel;
	uint32_t zero = 0;

	data_file(path, sizeof(path), "ehframe_prog_omitfp");
	build(path, &t);
	ck_assert(find_section(path, ".eh_frame", &eh));
	n = raw_fdes(path, &eh, f, 64);
	ck_assert_uint_eq(n, t.stats.fdes);
	ck_assert_uint_ge(n, 4);
	for (i = 0; i < n; i++) {
		if (f[i].len > f[a].len)
			a = i;
	}
	b = a == 0 ? 1 : 0;
	for (z = 0; z == a || z == b; z++)
		;
	for (w = 0; w == a || w == b || w == z; w++)
		;
	tmp_file(copy, sizeof(copy), "bogus");
	copy_file(path, copy);
	/* b now starts inside a, z loses its length, w points nowhere. */
	rel = f[a].start + 1 - (f[b].off - eh.off + eh.addr + 8);
	patch(copy, f[b].off + 8, &rel, 4);
	patch(copy, f[z].off + 12, &zero, 4);
	rel = 0x40000000;
	patch(copy, f[w].off + 8, &rel, 4);
	build(copy, &bad);
	ck_assert_uint_eq(bad.stats.overlapping, 1);
	ck_assert_uint_eq(bad.stats.bad_range, 2);
	ck_assert_uint_eq(bad.stats.fdes, t.stats.fdes - 3);
	check_shape(&bad);
	o = elf_obj__open(path, NULL);
	ck_assert_ptr_nonnull(o);
	same_rows(&t, &bad, file_offset(o, f[a].start), file_offset(o, f[a].start + f[a].len));
	elf_obj__free(o);
	unlink(copy);
	unwind_table__destroy(&bad);
	unwind_table__destroy(&t);
}
END_TEST

/* Whatever the damage, an error or a table of the right shape, and in bounded time. */
static int build_damaged(const char *copy, struct stat *st, int *ret_partial)
{
	struct unwind_table t;
	int err;

	err = ehframe__build(copy, &t);
	if (err) {
		ck_assert_int_lt(err, 0);
		ck_assert_ptr_null(t.rows);
		return err;
	}
	check_shape(&t);
	ck_assert_uint_le(t.rows[t.nr - 1].pc, st->st_size);
	if (t.stats.bad_cie || t.stats.bad_cfi || t.stats.bad_range || t.stats.overlapping ||
	    t.stats.truncated)
		(*ret_partial)++;
	unwind_table__destroy(&t);
	return 0;
}

START_TEST(corrupt_eh_frame)
{
	char path[PATH_MAX], copy[PATH_MAX];
	unsigned char *orig, *buf;
	int errors = 0, partial = 0, fine = 0;
	struct section eh;
	struct stat st;
	int round, fd;

	data_file(path, sizeof(path), "ehframe_prog_omitfp");
	ck_assert(find_section(path, ".eh_frame", &eh));
	ck_assert_int_eq(stat(path, &st), 0);
	tmp_file(copy, sizeof(copy), "corrupt");
	copy_file(path, copy);
	orig = malloc(eh.size);
	buf = malloc(eh.size);
	ck_assert(orig && buf);
	fd = open(path, O_RDONLY);
	ck_assert_int_eq(pread(fd, orig, eh.size, eh.off), (ssize_t)eh.size);
	close(fd);
	srand(1);
	for (round = 0; round < 3000; round++) {
		size_t i, at, len;

		memcpy(buf, orig, eh.size);
		switch (round % 3) {
		case 0:	/* a few bytes flipped */
			for (i = 0; i < 1 + (size_t)rand() % 4; i++)
				buf[rand() % eh.size] ^= 1 << (rand() % 8);
			break;
		case 1:	/* a window of noise */
			at = rand() % eh.size;
			len = 1 + rand() % 32;
			for (i = at; i < at + len && i < eh.size; i++)
				buf[i] = rand();
			break;
		default: /* noise from some point to the end */
			for (i = rand() % eh.size; i < eh.size; i++)
				buf[i] = rand();
			break;
		}
		patch(copy, eh.off, buf, eh.size);
		if (build_damaged(copy, &st, &partial))
			errors++;
		else
			fine++;
	}
	/* Damage shows: some builds fail, some tables say what they skipped. */
	ck_assert_int_gt(errors, 0);
	ck_assert_int_gt(partial, 100);
	ck_assert_int_eq(errors + fine, 3000);
	unlink(copy);
	free(orig);
	free(buf);
}
END_TEST

START_TEST(truncated_object)
{
	char path[PATH_MAX], copy[PATH_MAX];
	int errors = 0, partial = 0;
	struct section eh;
	struct stat st;
	off_t size;

	data_file(path, sizeof(path), "ehframe_prog_omitfp");
	ck_assert(find_section(path, ".eh_frame", &eh));
	ck_assert_int_eq(stat(path, &st), 0);
	tmp_file(copy, sizeof(copy), "truncated");
	for (size = 0; size < st.st_size; size += size < (off_t)(eh.off + eh.size) ? 7 : 509) {
		struct stat cst;

		copy_file(path, copy);
		ck_assert_int_eq(truncate(copy, size), 0);
		ck_assert_int_eq(stat(copy, &cst), 0);
		if (build_damaged(copy, &cst, &partial))
			errors++;
	}
	copy_file(path, copy);
	ck_assert_int_eq(truncate(copy, 0), 0);
	ck_assert_int_eq(ehframe__build(copy, &(struct unwind_table){ 0 }), -ENOEXEC);
	ck_assert_int_gt(errors, 0);
	unlink(copy);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ehframe");
	TCase *readelf = tcase_create("readelf");
	TCase *rules = tcase_create("rules");
	TCase *cache = tcase_create("cache");
	TCase *damage = tcase_create("damage");

	if (test_dirs("ehframe"))
		return EXIT_FAILURE;

	tcase_set_timeout(readelf, 120);
	tcase_add_test(readelf, libc_matches_readelf);
	tcase_add_test(readelf, omitfp_matches_readelf);
	tcase_add_test(readelf, fp_matches_readelf);
	tcase_add_test(readelf, debug_frame_matches_readelf);
	if (getenv("EHFRAME_TEST_OBJECTS"))
		tcase_add_test(readelf, extra_objects_match_readelf);
	suite_add_tcase(s, readelf);
	tcase_add_test(rules, rbp_rules);
	tcase_add_test(rules, cfa_rules);
	tcase_add_test(rules, return_address_rules);
	tcase_add_test(rules, expressions);
	tcase_add_test(rules, hand_made_entries);
	tcase_add_test(rules, gaps_and_bounds);
	suite_add_tcase(s, rules);
	tcase_add_test(cache, cache_round_trip);
	tcase_add_test(cache, cache_rejects_bad_files);
	tcase_add_test(cache, cache_forged_build_id);
	suite_add_tcase(s, cache);
	tcase_set_timeout(damage, 120);
	tcase_add_test(damage, not_usable_objects);
	tcase_add_test(damage, no_section_headers);
	tcase_add_test(damage, bogus_ranges_skipped);
	tcase_add_test(damage, corrupt_eh_frame);
	tcase_add_test(damage, truncated_object);
	suite_add_tcase(s, damage);

	return run_suite(s);
}
