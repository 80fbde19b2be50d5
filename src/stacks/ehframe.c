// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The unwind-table builder.  It decodes the CIEs and FDEs of .eh_frame (or .debug_frame),
 * runs each FDE's DW_CFA instructions after its CIE's initial ones, and turns the rules
 * for the CFA, RBP and the return address into struct leakd_unwind_row, one per change.
 *
 * Every byte read comes from a file that may be corrupt: reads go through a cursor
 * bounded by the end of the entry being decoded, every loop consumes input, and a bad
 * entry costs its own rows, not the table.
 */
#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include "stacks/ehframe.h"
#include "base/files.h"
#include "stacks/elfobj.h"
#include "stacks/elfseg.h"

/* DWARF register numbers of the x86-64 psABI. */
#define REG_RBP 6
#define REG_RSP 7

/* Deeper DW_CFA_remember_state nesting than compilers emit; bounds the stack. */
#define MAX_REMEMBERED 32
/* The most read of a segment holding a .eh_frame that no section header sizes. */
#define MAX_HDR_EH_FRAME (256u << 20)

/* A bounded reader: a read past the end yields 0, consumes nothing and sets bad. */
struct cursor {
	const uint8_t *p, *end;
	bool bad;
};

static uint64_t rd_le(struct cursor *c, size_t n)
{
	uint64_t v = 0;
	size_t i;

	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		return 0;
	}
	for (i = 0; i < n; i++)
		v |= (uint64_t)c->p[i] << (8 * i);
	c->p += n;
	return v;
}

static uint8_t rd_u8(struct cursor *c)
{
	return rd_le(c, 1);
}

static uint64_t rd_leb(struct cursor *c, bool sign)
{
	unsigned int shift = 0;
	uint64_t v = 0;
	uint8_t b;

	do {
		if (c->bad || c->p >= c->end) {
			c->bad = true;
			return 0;
		}
		b = *c->p++;
		if (shift < 64) {
			v |= (uint64_t)(b & 0x7f) << shift;
			shift += 7;
		}
	} while (b & 0x80);
	if (sign && shift < 64 && (b & 0x40))
		v |= ~(uint64_t)0 << shift;
	return v;
}

static uint64_t rd_uleb(struct cursor *c)
{
	return rd_leb(c, false);
}

static int64_t rd_sleb(struct cursor *c)
{
	return (int64_t)rd_leb(c, true);
}

static void skip(struct cursor *c, uint64_t n)
{
	if (c->bad || (uint64_t)(c->end - c->p) < n)
		c->bad = true;
	else
		c->p += n;
}

/* One section of call frame information. */
struct cfi_sec {
	const uint8_t *buf;
	size_t size;
	uint64_t vaddr;		/* of buf[0]: the base of pcrel pointers */
	uint64_t text, data;	/* bases of textrel and datarel pointers */
	bool eh;		/* .eh_frame rather than .debug_frame */
	bool stop_at_zero;	/* found through PT_GNU_EH_FRAME, so its size is unknown */
};

/* A DW_EH_PE encoded pointer; indirect ones are the caller's business. */
static int rd_encoded(struct cursor *c, uint8_t enc, const struct cfi_sec *s, uint64_t *ret)
{
	uint64_t field = s->vaddr + (uint64_t)(c->p - s->buf), v;

	switch (enc & 0x0f) {
	case DW_EH_PE_absptr:
	case DW_EH_PE_udata8:
	case DW_EH_PE_sdata8:
		v = rd_le(c, 8);
		break;
	case DW_EH_PE_udata2:
		v = rd_le(c, 2);
		break;
	case DW_EH_PE_udata4:
		v = rd_le(c, 4);
		break;
	case DW_EH_PE_sdata2:
		v = (uint64_t)(int64_t)(int16_t)rd_le(c, 2);
		break;
	case DW_EH_PE_sdata4:
		v = (uint64_t)(int64_t)(int32_t)rd_le(c, 4);
		break;
	case DW_EH_PE_uleb128:
		v = rd_uleb(c);
		break;
	case DW_EH_PE_sleb128:
		v = (uint64_t)rd_sleb(c);
		break;
	default:
		return -EBADMSG;
	}
	switch (enc & 0x70) {
	case DW_EH_PE_absptr:
		break;
	case DW_EH_PE_pcrel:
		v += field;
		break;
	case DW_EH_PE_textrel:
		v += s->text;
		break;
	case DW_EH_PE_datarel:
		v += s->data;
		break;
	default:
		/* funcrel only makes sense for an LSDA, aligned is not used on x86-64. */
		return -EBADMSG;
	}
	if (c->bad)
		return -EBADMSG;
	*ret = v;
	return 0;
}

/* Rules for one register column, as far as leakd tells them apart. */
enum rule {
	RULE_UNSET,		/* no instruction named the column */
	RULE_UNDEFINED,
	RULE_SAME,
	RULE_OFFSET,		/* saved at CFA + off */
	RULE_OTHER,		/* val_offset, register, expression, val_expression */
};

enum cfa_how {
	CFA_UNSET,
	CFA_REG,		/* cfa_reg + cfa_off */
	CFA_EXPR,		/* the DWARF expression at cfa_expr */
};

struct cfi_state {
	uint8_t cfa_how;
	uint8_t rbp, ra;	/* enum rule */
	uint64_t cfa_reg;
	int64_t cfa_off;
	int64_t rbp_off, ra_off;
	const uint8_t *cfa_expr;
	uint64_t cfa_expr_len;
};

struct cie {
	uint64_t off;		/* of its length field in the section */
	const uint8_t *insns, *end;
	uint64_t code_align;
	int64_t data_align;
	uint64_t ra;		/* return address column */
	uint8_t fde_enc;	/* .eh_frame: encoding of FDE addresses */
	uint8_t addr_size;	/* .debug_frame: size of FDE addresses */
	uint8_t seg_size;
	bool aug_z;		/* FDEs carry augmentation data */
	bool signal;		/* 'S': FDEs describe signal trampolines */
	bool bad;
	struct cfi_state init;	/* after the initial instructions */
};

struct fde {
	uint64_t start, end;	/* virtual addresses */
	uint64_t delta;		/* file offset - virtual address, modulo 2^64 */
	const uint8_t *insns, *insns_end;
	size_t cie;		/* index in the CIE array */
	size_t seq;		/* order in the section: sorting ties keep it */
};

struct builder {
	struct leakd_unwind_row *rows;
	size_t nr, cap;
	struct unwind_stats *stats;
};

/* Where a FDE's instructions are being run. */
struct fde_run {
	struct builder *b;
	const struct cfi_sec *s;
	const struct fde *f;
	uint64_t loc;		/* the address the current rules apply from */
};

static bool same_rule(const struct leakd_unwind_row *a, const struct leakd_unwind_row *b)
{
	return a->kind == b->kind && a->cfa_off == b->cfa_off && a->rbp_off == b->rbp_off;
}

/*
 * Rules r from pc on.  pc never decreases; a row already at pc is replaced, since the
 * rules it held applied to no byte, and a row equal to the one before it is not kept.
 * The last slot is reserved for the NONE row that has to end the table.
 */
static int push(struct builder *b, uint32_t pc, struct leakd_unwind_row r, bool last)
{
	r.pc = pc;
	if (b->nr && b->rows[b->nr - 1].pc == pc)
		b->nr--;
	if (b->nr && same_rule(&b->rows[b->nr - 1], &r))
		return 0;
	if (b->nr >= UNWIND_TABLE_MAX_ROWS - !last)
		return -E2BIG;
	if (b->nr == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		struct leakd_unwind_row *n;

		if (cap > UNWIND_TABLE_MAX_ROWS)
			cap = UNWIND_TABLE_MAX_ROWS;
		n = realloc(b->rows, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		b->rows = n;
		b->cap = cap;
	}
	b->rows[b->nr++] = r;
	return 0;
}

static struct leakd_unwind_row kind_row(enum leakd_cfa_kind cfa)
{
	return (struct leakd_unwind_row){ .kind = LEAKD_ROW_KIND(cfa, LEAKD_RBP_SAME) };
}

/*
 * The CFA expression of a PLT stub, as ld writes it for .plt: CFA = RSP + off, plus 8
 * once the pc is past the stub's push (pc & 15 >= threshold).
 */
static bool is_plt_expr(const struct cfi_state *st, uint16_t *ret_off, int8_t *ret_threshold)
{
	static const uint8_t tail[] = { DW_OP_breg16, 0, DW_OP_lit15, DW_OP_and };
	struct cursor c = { .p = st->cfa_expr, .end = st->cfa_expr + st->cfa_expr_len };
	int64_t off;
	uint8_t lit;

	if (rd_u8(&c) != DW_OP_breg7)
		return false;
	off = rd_sleb(&c);
	if (c.bad || off < 0 || off > UINT16_MAX || (size_t)(c.end - c.p) != sizeof(tail) + 5 ||
	    memcmp(c.p, tail, sizeof(tail)))
		return false;
	c.p += sizeof(tail);
	lit = rd_u8(&c);
	if (lit < DW_OP_lit0 || lit > DW_OP_lit15 || rd_u8(&c) != DW_OP_ge ||
	    rd_u8(&c) != DW_OP_lit3 || rd_u8(&c) != DW_OP_shl || rd_u8(&c) != DW_OP_plus)
		return false;
	*ret_off = off;
	*ret_threshold = lit - DW_OP_lit0;
	return true;
}

/* glibc's __restore_rt: the CFA is the RSP saved in the ucontext at RSP + off. */
static bool is_sigreturn_expr(const struct cfi_state *st, uint16_t *ret_off)
{
	struct cursor c = { .p = st->cfa_expr, .end = st->cfa_expr + st->cfa_expr_len };
	int64_t off;

	if (rd_u8(&c) != DW_OP_breg7)
		return false;
	off = rd_sleb(&c);
	if (rd_u8(&c) != DW_OP_deref || c.bad || c.p != c.end || off < 0 || off > UINT16_MAX)
		return false;
	*ret_off = off;
	return true;
}

static struct leakd_unwind_row state_row(const struct cie *cie, const struct cfi_state *st)
{
	struct leakd_unwind_row r = kind_row(LEAKD_CFA_UNSUPPORTED);
	enum leakd_rbp_rule rbp = LEAKD_RBP_UNDEFINED;
	bool ra_ok = st->ra == RULE_OFFSET && st->ra_off == -8;
	uint16_t off;
	int8_t threshold;

	/* An unnamed column has DWARF's default rule, undefined; for RBP see below. */
	if (st->ra == RULE_UNSET || st->ra == RULE_UNDEFINED)
		return kind_row(LEAKD_CFA_END);
	if (st->cfa_how == CFA_EXPR) {
		if (ra_ok && is_plt_expr(st, &off, &threshold)) {
			r = kind_row(LEAKD_CFA_PLT);
			r.cfa_off = off;
			r.rbp_off = threshold;
		} else if (cie->signal && is_sigreturn_expr(st, &off)) {
			/* The return address and RBP come from the ucontext too. */
			r = kind_row(LEAKD_CFA_SIGNAL);
			r.cfa_off = off;
		}
		return r;
	}
	if (!ra_ok || st->cfa_how != CFA_REG || (st->cfa_reg != REG_RSP && st->cfa_reg != REG_RBP) ||
	    st->cfa_off < 0 || st->cfa_off > UINT16_MAX)
		return r;
	switch (st->rbp) {
	case RULE_UNSET:
		/* Compilers name callee-saved registers only once they save them. */
	case RULE_SAME:
		rbp = LEAKD_RBP_SAME;
		break;
	case RULE_OFFSET:
		if (st->rbp_off % 8 == 0 && st->rbp_off / 8 >= INT8_MIN && st->rbp_off / 8 <= INT8_MAX) {
			rbp = LEAKD_RBP_AT_CFA;
			r.rbp_off = st->rbp_off / 8;
		}
		break;
	default:
		break;
	}
	r.kind = LEAKD_ROW_KIND(st->cfa_reg == REG_RSP ? LEAKD_CFA_RSP : LEAKD_CFA_RBP, rbp);
	r.cfa_off = st->cfa_off;
	return r;
}

/* Moves the current location to loc, recording the rules that held up to there. */
static int move_to(struct fde_run *run, const struct cie *cie, const struct cfi_state *st,
		   uint64_t loc)
{
	int err;

	if (loc < run->loc)
		return -EBADMSG;
	if (run->loc < run->f->end && loc > run->loc) {
		err = push(run->b, run->loc + run->f->delta, state_row(cie, st), false);
		if (err)
			return err;
	}
	/* Past the end the rules apply to nothing; the next FDE may start there. */
	run->loc = loc < run->f->end ? loc : run->f->end;
	return 0;
}

static int advance(struct fde_run *run, const struct cie *cie, const struct cfi_state *st,
		   uint64_t delta)
{
	uint64_t d;

	if (!run)
		return 0;
	if (__builtin_mul_overflow(delta, cie->code_align, &d) || d > UINT64_MAX - run->loc)
		d = run->f->end - run->loc;
	return move_to(run, cie, st, run->loc + d);
}

static int factored(const struct cie *cie, uint64_t u, int64_t *ret)
{
	if (u > INT64_MAX || __builtin_mul_overflow((int64_t)u, cie->data_align, ret))
		return -EBADMSG;
	return 0;
}

static int factored_s(const struct cie *cie, int64_t s, int64_t *ret)
{
	return __builtin_mul_overflow(s, cie->data_align, ret) ? -EBADMSG : 0;
}

static void set_rule(struct cfi_state *st, const struct cie *cie, uint64_t reg, enum rule how,
		     int64_t off)
{
	if (reg == cie->ra) {
		st->ra = how;
		st->ra_off = off;
	} else if (reg == REG_RBP) {
		st->rbp = how;
		st->rbp_off = off;
	}
}

/* DW_CFA_restore: the rule the CIE gave reg (none inside the CIE itself). */
static void restore_rule(struct cfi_state *st, const struct cie *cie, uint64_t reg, bool in_cie)
{
	if (in_cie)
		set_rule(st, cie, reg, RULE_UNSET, 0);
	else if (reg == cie->ra)
		set_rule(st, cie, reg, cie->init.ra, cie->init.ra_off);
	else if (reg == REG_RBP)
		set_rule(st, cie, reg, cie->init.rbp, cie->init.rbp_off);
}

/*
 * Runs DW_CFA instructions on st: a CIE's initial ones (run NULL) or a FDE's, which
 * record rows as the location advances.  -EBADMSG for what cannot be decoded; st then
 * holds the rules up to there.
 */
static int cfi_run(const struct cie *cie, struct cfi_state *st, const uint8_t *insns,
		   const uint8_t *end, struct fde_run *run)
{
	struct cfi_state stack[MAX_REMEMBERED];
	struct cursor c = { .p = insns, .end = end };
	unsigned int depth = 0;
	int err = 0;

	while (!err && !c.bad && c.p < c.end) {
		uint8_t op = rd_u8(&c);
		uint64_t reg, u = 0;
		int64_t s = 0;

		switch (op & 0xc0) {
		case DW_CFA_advance_loc:
			err = advance(run, cie, st, op & 0x3f);
			continue;
		case DW_CFA_offset:
			err = factored(cie, rd_uleb(&c), &s);
			set_rule(st, cie, op & 0x3f, RULE_OFFSET, s);
			continue;
		case DW_CFA_restore:
			restore_rule(st, cie, op & 0x3f, !run);
			continue;
		}
		switch (op) {
		case DW_CFA_nop:
			break;
		case DW_CFA_set_loc:
			if (!run) {
				err = -EBADMSG;
			} else if (run->s->eh) {
				if (cie->fde_enc & DW_EH_PE_indirect)
					err = -EBADMSG;
				else
					err = rd_encoded(&c, cie->fde_enc, run->s, &u);
				if (!err)
					err = move_to(run, cie, st, u);
			} else {
				u = rd_le(&c, cie->addr_size);
				if (!c.bad)
					err = move_to(run, cie, st, u);
			}
			break;
		case DW_CFA_advance_loc1:
			u = rd_le(&c, 1);
			if (!c.bad)
				err = advance(run, cie, st, u);
			break;
		case DW_CFA_advance_loc2:
			u = rd_le(&c, 2);
			if (!c.bad)
				err = advance(run, cie, st, u);
			break;
		case DW_CFA_advance_loc4:
			u = rd_le(&c, 4);
			if (!c.bad)
				err = advance(run, cie, st, u);
			break;
		case DW_CFA_MIPS_advance_loc8:
			u = rd_le(&c, 8);
			if (!c.bad)
				err = advance(run, cie, st, u);
			break;
		case DW_CFA_offset_extended:
			reg = rd_uleb(&c);
			err = factored(cie, rd_uleb(&c), &s);
			set_rule(st, cie, reg, RULE_OFFSET, s);
			break;
		case DW_CFA_offset_extended_sf:
			reg = rd_uleb(&c);
			err = factored_s(cie, rd_sleb(&c), &s);
			set_rule(st, cie, reg, RULE_OFFSET, s);
			break;
		case DW_CFA_GNU_negative_offset_extended:
			reg = rd_uleb(&c);
			err = factored(cie, rd_uleb(&c), &s);
			set_rule(st, cie, reg, RULE_OFFSET, -s);
			break;
		case DW_CFA_restore_extended:
			restore_rule(st, cie, rd_uleb(&c), !run);
			break;
		case DW_CFA_undefined:
			set_rule(st, cie, rd_uleb(&c), RULE_UNDEFINED, 0);
			break;
		case DW_CFA_same_value:
			set_rule(st, cie, rd_uleb(&c), RULE_SAME, 0);
			break;
		case DW_CFA_register:
			reg = rd_uleb(&c);
			rd_uleb(&c);
			set_rule(st, cie, reg, RULE_OTHER, 0);
			break;
		case DW_CFA_val_offset:
		case DW_CFA_val_offset_sf:
			reg = rd_uleb(&c);
			rd_uleb(&c);
			set_rule(st, cie, reg, RULE_OTHER, 0);
			break;
		case DW_CFA_expression:
		case DW_CFA_val_expression:
			reg = rd_uleb(&c);
			skip(&c, rd_uleb(&c));
			set_rule(st, cie, reg, RULE_OTHER, 0);
			break;
		case DW_CFA_remember_state:
			if (depth == MAX_REMEMBERED)
				err = -EBADMSG;
			else
				stack[depth++] = *st;
			break;
		case DW_CFA_restore_state:
			/* The CFA rule comes back too, as GCC's unwinder and gas expect. */
			if (!depth)
				err = -EBADMSG;
			else
				*st = stack[--depth];
			break;
		case DW_CFA_def_cfa:
			st->cfa_reg = rd_uleb(&c);
			u = rd_uleb(&c);
			st->cfa_off = (int64_t)u;
			st->cfa_how = CFA_REG;
			if (u > INT64_MAX)
				err = -EBADMSG;
			break;
		case DW_CFA_def_cfa_sf:
			st->cfa_reg = rd_uleb(&c);
			err = factored_s(cie, rd_sleb(&c), &st->cfa_off);
			st->cfa_how = CFA_REG;
			break;
		case DW_CFA_def_cfa_register:
			/* Keeps the offset, even one set before an expression (as readelf does). */
			st->cfa_reg = rd_uleb(&c);
			st->cfa_how = CFA_REG;
			break;
		case DW_CFA_def_cfa_offset:
			/* Only meaningful for a register rule; an expression stays one. */
			u = rd_uleb(&c);
			st->cfa_off = (int64_t)u;
			if (u > INT64_MAX)
				err = -EBADMSG;
			break;
		case DW_CFA_def_cfa_offset_sf:
			err = factored_s(cie, rd_sleb(&c), &st->cfa_off);
			break;
		case DW_CFA_def_cfa_expression:
			u = rd_uleb(&c);
			st->cfa_expr = c.p;
			st->cfa_expr_len = u;
			st->cfa_how = CFA_EXPR;
			skip(&c, u);
			break;
		case DW_CFA_GNU_args_size:
			rd_uleb(&c);
			break;
		default:
			err = -EBADMSG;
			break;
		}
	}
	if (!err && c.bad)
		err = -EBADMSG;
	return err;
}

/* One entry of the section: a CIE, a FDE or padding (a zero length). */
struct entry {
	uint64_t off;		/* of its length field */
	const uint8_t *id_field, *body, *end;
	uint64_t id;
	bool cie, pad;
};

/* The entry at *off, which moves past it: 1, 0 at the end, or -EBADMSG when truncated. */
static int next_entry(const struct cfi_sec *s, uint64_t *off, struct entry *e)
{
	struct cursor c = { .p = s->buf + *off, .end = s->buf + s->size };
	size_t id_size = 4;
	uint64_t len;

	if (*off >= s->size)
		return 0;
	memset(e, 0, sizeof(*e));
	e->off = *off;
	len = rd_le(&c, 4);
	if (len == 0xffffffff) {
		len = rd_le(&c, 8);
		id_size = 8;
	}
	if (c.bad)
		return -EBADMSG;
	if (!len) {
		/* The terminator; linkers may leave more entries behind one, so go on. */
		if (s->stop_at_zero)
			return 0;
		e->pad = true;
		*off = c.p - s->buf;
		return 1;
	}
	if (len > (uint64_t)(c.end - c.p))
		return -EBADMSG;
	e->end = c.p + len;
	c.end = e->end;
	e->id_field = c.p;
	e->id = rd_le(&c, id_size);
	if (c.bad)
		return -EBADMSG;
	e->body = c.p;
	if (s->eh)
		e->cie = !e->id;
	else
		e->cie = e->id == (id_size == 4 ? DW_CIE_ID_32 : DW_CIE_ID_64);
	*off = e->end - s->buf;
	return 1;
}

static int parse_cie(const struct cfi_sec *s, const struct entry *e, struct cie *cie)
{
	struct cursor c = { .p = e->body, .end = e->end };
	const char *aug;
	size_t aug_len, i;
	uint8_t version;

	memset(cie, 0, sizeof(*cie));
	cie->off = e->off;
	cie->bad = true;
	cie->fde_enc = DW_EH_PE_absptr;
	cie->addr_size = 8;
	version = rd_u8(&c);
	if (c.bad || (version != 1 && version != 3 && (s->eh || version != 4)))
		return -EBADMSG;
	aug = (const char *)c.p;
	aug_len = strnlen(aug, c.end - c.p);
	skip(&c, aug_len + 1);
	if (version == 4) {
		cie->addr_size = rd_u8(&c);
		cie->seg_size = rd_u8(&c);
		if (cie->addr_size != 4 && cie->addr_size != 8)
			return -EBADMSG;
	}
	cie->code_align = rd_uleb(&c);
	cie->data_align = rd_sleb(&c);
	cie->ra = version == 1 ? rd_u8(&c) : rd_uleb(&c);
	if (c.bad || !cie->code_align)
		return -EBADMSG;
	if (aug_len && aug[0] == 'z') {
		uint64_t n = rd_uleb(&c), v;
		struct cursor a = { .p = c.p, .end = c.p };

		skip(&c, n);
		if (c.bad)
			return -EBADMSG;
		a.end = c.p;
		for (i = 1; i < aug_len; i++) {
			uint8_t enc;

			switch (aug[i]) {
			case 'R':
				cie->fde_enc = rd_u8(&a);
				break;
			case 'L':
				/* The LSDA pointer itself sits in each FDE's augmentation data. */
				rd_u8(&a);
				break;
			case 'P':
				enc = rd_u8(&a);
				if (rd_encoded(&a, enc & ~DW_EH_PE_indirect, s, &v))
					return -EBADMSG;
				break;
			case 'S':
				cie->signal = true;
				break;
			default:
				/* Could hide an 'R' behind it: FDE addresses would be misread. */
				return -EBADMSG;
			}
		}
		if (a.bad)
			return -EBADMSG;
		cie->aug_z = true;
	} else if (aug_len) {
		/* Without 'z' the size of unknown augmentation data is unknown. */
		return -EBADMSG;
	}
	cie->insns = c.p;
	cie->end = e->end;
	if (cfi_run(cie, &cie->init, cie->insns, cie->end, NULL))
		return -EBADMSG;
	cie->bad = false;
	return 0;
}

/* Everything one build needs: the object's segments, then what the sections hold. */
struct object {
	struct elf_segments segs;
	uint8_t *owned;		/* .eh_frame read by eh_frame_from_phdr() */
	struct cie *cies;
	size_t ncies, cies_cap;
	struct fde *fdes;
	size_t nfdes, fdes_cap;
};

static const struct cie *find_cie(const struct object *o, uint64_t off)
{
	size_t lo = 0, hi = o->ncies;

	/* CIEs are recorded in section order, hence sorted by offset. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (o->cies[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < o->ncies && o->cies[lo].off == off ? &o->cies[lo] : NULL;
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 256;
	nv = reallocarray(*v, ncap, size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

/* The executable segment holding [start, end) whole, or NULL. */
static const struct elf_segment *exec_segment(const struct object *o, uint64_t start,
					       uint64_t end)
{
	size_t i;

	for (i = 0; i < o->segs.n; i++) {
		const struct elf_segment *sg = &o->segs.v[i];

		if (sg->exec && start >= sg->vaddr && end <= sg->vaddr + sg->filesz)
			return sg;
	}
	return NULL;
}

/* Reads a FDE's header into o->fdes, unless its CIE or its range is unusable. */
static int add_fde(struct object *o, const struct cfi_sec *s, const struct entry *e,
		   struct unwind_stats *stats)
{
	struct cursor c = { .p = e->body, .end = e->end };
	const struct elf_segment *sg;
	const struct cie *cie;
	uint64_t cie_off, start, len;
	struct fde *f;
	int err;

	if (s->eh) {
		/* Relative to the CIE pointer itself, backwards. */
		cie_off = (uint64_t)(e->id_field - s->buf);
		cie = e->id <= cie_off ? find_cie(o, cie_off - e->id) : NULL;
	} else {
		cie = find_cie(o, e->id);
	}
	if (!cie || cie->bad)
		goto bad_cie;
	if (s->eh) {
		if ((cie->fde_enc & DW_EH_PE_indirect) || rd_encoded(&c, cie->fde_enc, s, &start) ||
		    rd_encoded(&c, cie->fde_enc & 0x0f, s, &len))
			goto bad_cie;
	} else {
		skip(&c, cie->seg_size);
		start = rd_le(&c, cie->addr_size);
		len = rd_le(&c, cie->addr_size);
	}
	if (cie->aug_z)
		skip(&c, rd_uleb(&c));
	if (c.bad)
		goto bad_cie;
	sg = len && len <= UINT64_MAX - start ? exec_segment(o, start, start + len) : NULL;
	/* Rows hold 32-bit file offsets. */
	if (!sg || start + len - sg->vaddr + sg->offset > UINT32_MAX) {
		stats->bad_range++;
		return 0;
	}
	err = grow((void **)&o->fdes, &o->fdes_cap, o->nfdes, sizeof(*o->fdes));
	if (err)
		return err;
	f = &o->fdes[o->nfdes];
	f->start = start;
	f->end = start + len;
	f->delta = sg->offset - sg->vaddr;
	f->insns = c.p;
	f->insns_end = e->end;
	f->cie = cie - o->cies;
	f->seq = o->nfdes++;
	return 0;
bad_cie:
	stats->bad_cie++;
	return 0;
}

static int cmp_fde(const void *pa, const void *pb)
{
	const struct fde *a = pa, *b = pb;
	uint64_t oa = a->start + a->delta, ob = b->start + b->delta;

	if (oa != ob)
		return oa < ob ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Decodes every entry of s into o; FDEs come second since they may point forward. */
static int scan_section(struct object *o, const struct cfi_sec *s, struct unwind_stats *stats)
{
	uint64_t off = 0;
	struct entry e;
	size_t nfde_entries = 0;
	int r, err;

	while ((r = next_entry(s, &off, &e)) > 0) {
		if (e.pad)
			continue;
		if (!e.cie) {
			nfde_entries++;
			continue;
		}
		err = grow((void **)&o->cies, &o->cies_cap, o->ncies, sizeof(*o->cies));
		if (err)
			return err;
		/* A bad CIE is kept, marked, so that its FDEs are counted as such. */
		parse_cie(s, &e, &o->cies[o->ncies++]);
	}
	if (r < 0)
		stats->truncated = true;
	if (!nfde_entries)
		return stats->truncated ? -EBADMSG : -ENOENT;
	off = 0;
	while (next_entry(s, &off, &e) > 0) {
		if (e.pad || e.cie)
			continue;
		err = add_fde(o, s, &e, stats);
		if (err)
			return err;
	}
	return 0;
}

static int run_fde(struct builder *b, const struct cfi_sec *s, const struct cie *cie,
		   const struct fde *f)
{
	struct fde_run run = { b, s, f, f->start };
	struct cfi_state st = cie->init;
	int err;

	err = cfi_run(cie, &st, f->insns, f->insns_end, &run);
	if (err == -EBADMSG) {
		/* The rules decoded so far stand; what follows is unknown. */
		b->stats->bad_cfi++;
		if (run.loc < f->end)
			err = push(b, run.loc + f->delta, kind_row(LEAKD_CFA_UNSUPPORTED), false);
		else
			err = 0;
	} else if (!err && run.loc < f->end) {
		err = push(b, run.loc + f->delta, state_row(cie, &st), false);
	}
	if (err == -E2BIG) {
		/* Full: the table ends at the first address this FDE could not describe. */
		push(b, run.loc + f->delta, kind_row(LEAKD_CFA_NONE), true);
		return err;
	}
	if (err)
		return err;
	/* A function's rules stop at its end, even when nothing follows it. */
	return push(b, f->end + f->delta, kind_row(LEAKD_CFA_NONE), true);
}

static int build_rows(struct object *o, const struct cfi_sec *s, struct unwind_table *t)
{
	struct builder b = { .stats = &t->stats };
	uint64_t prev_end = 0;
	size_t i;
	int err;

	err = scan_section(o, s, &t->stats);
	if (err)
		return err;
	if (o->nfdes)
		qsort(o->fdes, o->nfdes, sizeof(*o->fdes), cmp_fde);
	for (i = 0; i < o->nfdes; i++) {
		const struct fde *f = &o->fdes[i];

		/* Sorted by file offset; one starting inside the one before is bogus. */
		if (f->start + f->delta < prev_end) {
			t->stats.overlapping++;
			continue;
		}
		err = run_fde(&b, s, &o->cies[f->cie], f);
		if (err == -E2BIG) {
			t->stats.dropped = o->nfdes - i;
			break;
		}
		if (err)
			goto fail;
		t->stats.fdes++;
		prev_end = f->end + f->delta;
	}
	if (!b.nr) {
		err = -EBADMSG;
		goto fail;
	}
	t->rows = b.rows;
	t->nr = b.nr;
	return 0;
fail:
	free(b.rows);
	return err;
}

static int section_bytes(Elf_Scn *scn, const GElf_Shdr *sh, struct cfi_sec *s)
{
	Elf_Data *d;

	if (sh->sh_type == SHT_NOBITS)
		return -ENOENT;
	/* .debug_frame may be compressed; libelf inflates it in place. */
	if ((sh->sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0)
		return -EBADMSG;
	d = elf_getdata(scn, NULL);
	if (!d || !d->d_buf || !d->d_size)
		return -ENOENT;
	s->buf = d->d_buf;
	s->size = d->d_size;
	s->vaddr = sh->sh_addr;
	return 0;
}

/* .eh_frame found through .eh_frame_hdr, for objects without section headers. */
static int eh_frame_from_phdr(Elf *elf, int fd, struct object *o, struct cfi_sec *s)
{
	struct cfi_sec hdr = { 0 };
	uint8_t head[16];
	uint64_t ptr, off;
	struct cursor c;
	size_t i, n, len;
	GElf_Phdr ph;
	ssize_t got;
	uint8_t enc;

	if (elf_getphdrnum(elf, &n))
		return -ENOENT;
	for (i = 0; i < n; i++) {
		if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_GNU_EH_FRAME)
			break;
	}
	if (i == n)
		return -ENOENT;
	/* version, eh_frame_ptr_enc, fde_count_enc, table_enc, then eh_frame_ptr */
	got = pread(fd, head, ph.p_filesz < sizeof(head) ? ph.p_filesz : sizeof(head),
		    ph.p_offset);
	if (got < 0)
		return -errno;
	hdr.buf = head;
	hdr.size = got;
	hdr.vaddr = hdr.data = ph.p_vaddr;
	c = (struct cursor){ .p = hdr.buf, .end = hdr.buf + hdr.size };
	if (rd_u8(&c) != 1)
		return -EBADMSG;
	enc = rd_u8(&c);
	skip(&c, 2);
	if ((enc & DW_EH_PE_indirect) || rd_encoded(&c, enc, &hdr, &ptr))
		return -EBADMSG;
	for (i = 0; i < o->segs.n; i++) {
		const struct elf_segment *sg = &o->segs.v[i];

		if (ptr < sg->vaddr || ptr - sg->vaddr >= sg->filesz)
			continue;
		/* Its size is unknown: up to its segment's end, or its terminator. */
		off = sg->offset + (ptr - sg->vaddr);
		len = sg->filesz - (ptr - sg->vaddr);
		if (len > MAX_HDR_EH_FRAME)
			len = MAX_HDR_EH_FRAME;
		o->owned = malloc(len);
		if (!o->owned)
			return -ENOMEM;
		got = pread(fd, o->owned, len, off);
		if (got <= 0)
			return got < 0 ? -errno : -EBADMSG;
		s->buf = o->owned;
		s->size = got;
		s->vaddr = ptr;
		s->stop_at_zero = true;
		return 0;
	}
	return -EBADMSG;
}

static int find_sections(Elf *elf, int fd, struct object *o, struct cfi_sec *eh,
			 struct cfi_sec *dbg)
{
	uint64_t text = 0, got = 0, gotplt = 0;
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (!elf_getshdrstrndx(elf, &shstrndx)) {
		while ((scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			const char *name;

			if (!gelf_getshdr(scn, &sh))
				continue;
			name = elf_strptr(elf, shstrndx, sh.sh_name);
			if (!name)
				continue;
			if (!strcmp(name, ".eh_frame") && !eh->buf)
				section_bytes(scn, &sh, eh);
			else if (!strcmp(name, ".debug_frame") && !dbg->buf)
				section_bytes(scn, &sh, dbg);
			else if (!strcmp(name, ".text"))
				text = sh.sh_addr;
			else if (!strcmp(name, ".got"))
				got = sh.sh_addr;
			else if (!strcmp(name, ".got.plt"))
				gotplt = sh.sh_addr;
		}
	}
	if (!eh->buf)
		eh_frame_from_phdr(elf, fd, o, eh);
	eh->eh = true;
	/* No x86-64 compiler writes datarel FDE addresses; libgcc's i386 base is the GOT. */
	eh->text = text;
	eh->data = gotplt ? gotplt : got;
	return eh->buf || dbg->buf ? 0 : -ENOENT;
}

static void object_reset_cfi(struct object *o)
{
	free(o->cies);
	free(o->fdes);
	o->cies = NULL;
	o->fdes = NULL;
	o->ncies = o->cies_cap = o->nfdes = o->fdes_cap = 0;
}

int ehframe__build_fd(int fd, struct unwind_table *ret)
{
	struct cfi_sec eh = { 0 }, dbg = { 0 };
	struct object o = { 0 };
	Elf *elf = NULL;
	GElf_Ehdr eh_hdr;
	struct stat st;
	int err;

	memset(ret, 0, sizeof(*ret));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	if (fstat(fd, &st))
		return -errno;
	/* Not mapped: a shared object truncated in place would raise SIGBUS. */
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh_hdr)) {
		err = -ENOEXEC;
		goto out;
	}
	if (eh_hdr.e_ident[EI_CLASS] != ELFCLASS64 || eh_hdr.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh_hdr.e_machine != EM_X86_64) {
		err = -EPROTONOSUPPORT;
		goto out;
	}
	err = elf_segments__load(elf, &o.segs);
	if (!err) {
		/* Nothing can be mapped past the end of a truncated file. */
		elf_segments__clip(&o.segs, st.st_size);
		if (!o.segs.n)
			err = -ENOEXEC;
	}
	if (err)
		goto out;
	err = find_sections(elf, fd, &o, &eh, &dbg);
	if (err)
		goto out;
	err = -ENOENT;
	if (eh.buf)
		err = build_rows(&o, &eh, ret);
	/* Some objects carry an empty .eh_frame next to their real .debug_frame. */
	if (err == -ENOENT && dbg.buf) {
		memset(&ret->stats, 0, sizeof(ret->stats));
		object_reset_cfi(&o);
		err = build_rows(&o, &dbg, ret);
		ret->stats.debug_frame = true;
	}
out:
	object_reset_cfi(&o);
	elf_segments__destroy(&o.segs);
	free(o.owned);
	elf_end(elf);
	if (err)
		memset(ret, 0, sizeof(*ret));
	return err;
}

int ehframe__build(const char *path, struct unwind_table *ret)
{
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		memset(ret, 0, sizeof(*ret));
		return -errno;
	}
	err = ehframe__build_fd(fd, ret);
	close(fd);
	return err;
}

void unwind_table__destroy(struct unwind_table *t)
{
	if (!t)
		return;
	free(t->rows);
	t->rows = NULL;
	t->nr = 0;
}

const struct leakd_unwind_row *unwind_table__find(const struct unwind_table *t, uint32_t off)
{
	size_t lo = 0, hi = t->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->rows[mid].pc <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &t->rows[lo - 1] : NULL;
}

/* The cache file's header; the rows follow it. */
struct cache_header {
	char magic[8];
	uint32_t version;
	uint32_t row_size;
	uint64_t nr_rows;
	uint32_t rows_crc;		/* zlib's CRC-32 of the rows */
	uint32_t build_id_len;
	char build_id[UNWIND_CACHE_BUILD_ID_MAX];	/* hex, not terminated when full */
	/* The file the rows were built from (version 2). */
	uint64_t src_dev, src_ino, src_size;
	int64_t src_mtime_ns, src_ctime_ns;
};

_Static_assert(sizeof(struct cache_header) == 136, "unwind cache header layout");

static const char cache_magic[8] = "LEAKDUWT";
#define CACHE_VERSION 2

static int check_build_id(const char *build_id, size_t *ret_len)
{
	size_t len = strnlen(build_id, UNWIND_CACHE_BUILD_ID_MAX + 1), i;

	if (!len || len > UNWIND_CACHE_BUILD_ID_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (!strchr("0123456789abcdefABCDEF", build_id[i]))
			return -EINVAL;
	}
	*ret_len = len;
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -EBADMSG;
		p += n;
		len -= n;
	}
	return 0;
}

int unwind_cache_key__of_fd(int fd, struct unwind_cache_key *ret)
{
	struct stat st;
	int err;

	memset(ret, 0, sizeof(*ret));
	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return -EPERM;
	err = elf_fd_build_id(fd, ret->build_id, sizeof(ret->build_id));
	if (err)
		return err;
	ret->dev = st.st_dev;
	ret->ino = st.st_ino;
	ret->size = st.st_size;
	ret->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	ret->ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
	return 0;
}

int unwind_table__save(const struct unwind_table *t, const char *path,
		       const struct unwind_cache_key *key)
{
	const char *build_id = key->build_id;
	struct cache_header h = { 0 };
	struct iovec v[2];
	size_t len;
	int err;

	err = check_build_id(build_id, &len);
	if (err)
		return err;
	if (!t->nr || t->nr > UNWIND_TABLE_MAX_ROWS)
		return -EINVAL;
	memcpy(h.magic, cache_magic, sizeof(h.magic));
	h.version = CACHE_VERSION;
	h.row_size = sizeof(*t->rows);
	h.nr_rows = t->nr;
	h.rows_crc = crc32_z(0, (const Bytef *)t->rows, t->nr * sizeof(*t->rows));
	h.build_id_len = len;
	memcpy(h.build_id, build_id, len);
	h.src_dev = key->dev;
	h.src_ino = key->ino;
	h.src_size = key->size;
	h.src_mtime_ns = key->mtime_ns;
	h.src_ctime_ns = key->ctime_ns;
	v[0] = (struct iovec){ &h, sizeof(h) };
	v[1] = (struct iovec){ t->rows, t->nr * sizeof(*t->rows) };
	return write_file_atomic(path, v, 2, 0644);
}

static int check_rows(const struct leakd_unwind_row *rows, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		if ((i && rows[i].pc <= rows[i - 1].pc) ||
		    LEAKD_ROW_CFA(&rows[i]) > LEAKD_CFA_UNSUPPORTED ||
		    LEAKD_ROW_RBP(&rows[i]) > LEAKD_RBP_UNDEFINED)
			return -EBADMSG;
	}
	return LEAKD_ROW_CFA(&rows[nr - 1]) == LEAKD_CFA_NONE ? 0 : -EBADMSG;
}

int unwind_table__load(const char *path, const struct unwind_cache_key *key,
		       struct unwind_table *ret)
{
	const char *build_id = key->build_id;
	struct leakd_unwind_row *rows = NULL;
	struct cache_header h;
	struct stat st;
	size_t len;
	int fd, err;

	memset(ret, 0, sizeof(*ret));
	err = check_build_id(build_id, &len);
	if (err)
		return err;
	/* A link could lead anywhere; anyone's file could say anything. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return errno == ELOOP ? -EPERM : -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	err = -EPERM;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
		goto out;
	err = -EBADMSG;
	if ((uint64_t)st.st_size < sizeof(h))
		goto out;
	err = read_all(fd, &h, sizeof(h));
	if (err)
		goto out;
	err = -EBADMSG;
	if (memcmp(h.magic, cache_magic, sizeof(h.magic)))
		goto out;
	err = -EPROTONOSUPPORT;
	if (h.version != CACHE_VERSION || h.row_size != sizeof(*rows))
		goto out;
	err = -ESTALE;
	if (h.build_id_len != len || strncasecmp(h.build_id, build_id, len) ||
	    h.src_dev != key->dev || h.src_ino != key->ino || h.src_size != key->size ||
	    h.src_mtime_ns != key->mtime_ns || h.src_ctime_ns != key->ctime_ns)
		goto out;
	err = -EBADMSG;
	if (!h.nr_rows || h.nr_rows > UNWIND_TABLE_MAX_ROWS ||
	    (uint64_t)st.st_size != sizeof(h) + h.nr_rows * sizeof(*rows))
		goto out;
	rows = malloc(h.nr_rows * sizeof(*rows));
	if (!rows) {
		err = -ENOMEM;
		goto out;
	}
	err = read_all(fd, rows, h.nr_rows * sizeof(*rows));
	if (err)
		goto out;
	err = -EBADMSG;
	if (crc32_z(0, (const Bytef *)rows, h.nr_rows * sizeof(*rows)) != h.rows_crc)
		goto out;
	err = check_rows(rows, h.nr_rows);
	if (err)
		goto out;
	ret->rows = rows;
	ret->nr = h.nr_rows;
	rows = NULL;
out:
	free(rows);
	close(fd);
	return err;
}
