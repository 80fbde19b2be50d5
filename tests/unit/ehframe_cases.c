// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Hand-written call frame information for the rules compilers rarely or never emit.
 * test_ehframe.c knows every function's rows by heart; the functions never run.
 * Most instructions are one-byte nops so that a rule's address is its position.
 */

#define FUNC(name) ".globl " #name "\n.type " #name ", @function\n" #name ":\n"
#define END(name) ".size " #name ", .-" #name "\n.balign 16\n"

__asm__(".text\n"
	".balign 16\n"

	/* RBP rules, one per byte, under CFA = RSP + 16 from byte 1 on. */
	FUNC(case_rbp)
	".cfi_startproc\n"
	"nop\n"
	".cfi_def_cfa_offset 16\n"
	".cfi_offset rbp, -16\n"
	"nop\n"
	".cfi_undefined rbp\n"
	"nop\n"
	".cfi_same_value rbp\n"
	"nop\n"
	".cfi_offset rbp, -1024\n"
	"nop\n"
	".cfi_offset rbp, -1032\n"
	"nop\n"
	".cfi_offset rbp, 1016\n"
	"nop\n"
	".cfi_offset rbp, 1024\n"
	"nop\n"
	".cfi_restore rbp\n"
	"nop\n"
	".cfi_escape 0x14, 0x06, 0x02\n"		/* val_offset rbp, 2 * -8 */
	"nop\n"
	".cfi_offset rbp, -24\n"
	"nop\n"
	".cfi_register rbp, rbx\n"
	"nop\n"
	".cfi_escape 0x11, 0x06, 0x7e\n"		/* offset_extended_sf rbp, -2 * -8 */
	"nop\n"
	".cfi_escape 0x10, 0x06, 0x02, 0x77, 0x10\n"	/* expression rbp: breg7 16 */
	"nop\n"
	".cfi_escape 0x2f, 0x06, 0x03\n"		/* GNU_negative_offset_extended rbp, 3 */
	"nop\n"
	".cfi_escape 0x16, 0x06, 0x02, 0x77, 0x10\n"	/* val_expression rbp: breg7 16 */
	"nop\n"
	".cfi_escape 0x06, 0x06\n"			/* restore_extended rbp */
	"nop\n"
	".cfi_escape 0x05, 0x06, 0x04\n"		/* offset_extended rbp, 4 * -8 */
	"nop\n"
	".cfi_endproc\n"
	END(case_rbp)

	/* CFA rules; the advance_loc2 and advance_loc4 cases sit behind padding. */
	FUNC(case_cfa)
	".cfi_startproc\n"
	"nop\n"
	".cfi_def_cfa_offset 65535\n"
	"nop\n"
	".cfi_def_cfa_offset 65536\n"
	"nop\n"
	".cfi_def_cfa rbp, 16\n"
	"nop\n"
	".cfi_def_cfa_register rbx\n"
	"nop\n"
	".cfi_escape 0x12, 0x07, 0x7e\n"		/* def_cfa_sf rsp, -2 * -8 */
	"nop\n"
	".cfi_escape 0x13, 0x7d\n"			/* def_cfa_offset_sf -3 * -8 */
	"nop\n"
	".cfi_escape 0x13, 0x01\n"			/* def_cfa_offset_sf 1 * -8 */
	"nop\n"
	".cfi_escape 0x0f, 0x02, 0x77, 0x10\n"		/* def_cfa_expression breg7 16 */
	"nop\n"
	".cfi_def_cfa rsp, 8\n"
	"nop\n"
	".cfi_escape 0x2e, 0x10\n"			/* GNU_args_size 16 */
	".cfi_def_cfa_offset 40\n"
	"nop\n"
	".cfi_remember_state\n"
	".cfi_def_cfa_offset 32\n"
	".cfi_offset rbp, -24\n"
	"nop\n"
	".cfi_remember_state\n"
	".cfi_def_cfa rbp, 16\n"
	"nop\n"
	".cfi_restore_state\n"
	"nop\n"
	".cfi_restore_state\n"
	"nop\n"
	".skip 299, 0x90\n"
	".cfi_def_cfa_offset 48\n"
	"nop\n"
	".skip 69999, 0x90\n"
	".cfi_def_cfa_offset 56\n"
	"nop\n"
	".cfi_endproc\n"
	END(case_cfa)

	/* Return address rules. */
	FUNC(case_ra)
	".cfi_startproc\n"
	"nop\n"
	".cfi_register rip, rdx\n"
	"nop\n"
	".cfi_offset rip, -8\n"
	"nop\n"
	".cfi_offset rip, -16\n"
	"nop\n"
	".cfi_undefined rip\n"
	"nop\n"
	".cfi_same_value rip\n"
	"nop\n"
	".cfi_restore rip\n"
	"nop\n"
	".cfi_escape 0x14, 0x10, 0x01\n"		/* val_offset rip, 1 * -8 */
	"nop\n"
	".cfi_endproc\n"
	END(case_ra)

	/* Like _start: nothing called it. */
	FUNC(case_outermost)
	".cfi_startproc\n"
	".cfi_undefined rip\n"
	"xor %ebp, %ebp\n"
	"hlt\n"
	".cfi_endproc\n"
	END(case_outermost)

	/* PLT stub expressions: the threshold 10 of IBT PLTs, 11 of ld's plain .plt. */
	FUNC(case_plt)
	".cfi_startproc\n"
	"nop\n"
	".cfi_escape 0x0f, 0x0b, 0x77, 0x08, 0x80, 0x00, 0x3f, 0x1a, 0x3a, 0x2a, 0x33, 0x24, 0x22\n"
	"nop\n"
	".cfi_escape 0x0f, 0x0b, 0x77, 0x10, 0x80, 0x00, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22\n"
	"nop\n"
	/* The same shape shifting by 4, not 8: not a PLT leakd knows. */
	".cfi_escape 0x0f, 0x0b, 0x77, 0x08, 0x80, 0x00, 0x3f, 0x1a, 0x3b, 0x2a, 0x32, 0x24, 0x22\n"
	"nop\n"
	".cfi_def_cfa rsp, 8\n"
	"nop\n"
	".cfi_endproc\n"
	END(case_plt)

	/* glibc's __restore_rt, and its CFA expression without the 'S' augmentation. */
	FUNC(case_signal)
	".cfi_startproc\n"
	".cfi_signal_frame\n"
	"nop\n"
	".cfi_escape 0x0f, 0x04, 0x77, 0xa0, 0x01, 0x06\n"	/* breg7 160; deref */
	".cfi_escape 0x10, 0x10, 0x03, 0x77, 0xa8, 0x01\n"	/* rip: breg7 168 */
	"nop\n"
	".cfi_endproc\n"
	END(case_signal)

	FUNC(case_sigexpr)
	".cfi_startproc\n"
	"nop\n"
	".cfi_escape 0x0f, 0x04, 0x77, 0xa0, 0x01, 0x06\n"
	"nop\n"
	".cfi_endproc\n"
	END(case_sigexpr)

	/* Functions described by the hand-made entries below. */
	FUNC(case_raw1)
	".skip 8, 0x90\n"
	END(case_raw1)
	FUNC(case_raw2)
	".skip 8, 0x90\n"
	END(case_raw2)
	FUNC(case_raw3)
	".skip 8, 0x90\n"
	END(case_raw3)
	FUNC(case_raw4)
	".skip 8, 0x90\n"
	END(case_raw4)

	".section .eh_frame,\"a\",@progbits\n"
	".balign 8\n"
	/* CIE 1: "zPLR", code alignment 2, data alignment -4. */
	".Lcie1: .long .Lcie1_end - .Lcie1_id\n"
	".Lcie1_id: .long 0\n"
	".byte 1\n"
	".asciz \"zPLR\"\n"
	".uleb128 2\n"
	".sleb128 -4\n"
	".byte 16\n"
	".uleb128 .Lcie1_aug_end - .Lcie1_aug\n"
	".Lcie1_aug: .byte 0x9b\n"			/* personality: indirect pcrel sdata4 */
	".long .Lpers - .\n"
	".byte 0x1b\n"					/* LSDA: pcrel sdata4 */
	".byte 0x1b\n"					/* FDE: pcrel sdata4 */
	".Lcie1_aug_end:\n"
	".byte 0x0c, 7, 8\n"				/* def_cfa rsp, 8 */
	".byte 0x90, 2\n"				/* offset rip, 2 * -4 */
	".balign 8, 0\n"
	".Lcie1_end:\n"

	".Lfde1: .long .Lfde1_end - .Lfde1_id\n"
	".Lfde1_id: .long .Lfde1_id - .Lcie1\n"
	".long case_raw1 - .\n"
	".long 8\n"
	".uleb128 4\n"
	".long .Llsda - .\n"					/* LSDA */
	".byte 0x41\n"					/* advance_loc 1 * 2 */
	".byte 0x0e, 16\n"				/* def_cfa_offset 16 */
	".byte 0x86, 5\n"				/* offset rbp, 5 * -4 */
	".byte 0x41\n"
	".byte 0x86, 4\n"				/* offset rbp, 4 * -4 */
	".byte 0x02, 1\n"				/* advance_loc1 1 * 2 */
	".byte 0x13, 0x7a\n"				/* def_cfa_offset_sf -6 * -4 */
	".balign 8, 0\n"
	".Lfde1_end:\n"

	/* CIE 2: version 3, absolute FDE addresses (the object is not PIE). */
	".Lcie2: .long .Lcie2_end - .Lcie2_id\n"
	".Lcie2_id: .long 0\n"
	".byte 3\n"
	".asciz \"zR\"\n"
	".uleb128 1\n"
	".sleb128 -8\n"
	".uleb128 16\n"
	".uleb128 1\n"
	".byte 0x00\n"					/* FDE: absptr */
	".byte 0x0c, 7, 8\n"
	".byte 0x90, 1\n"
	".balign 8, 0\n"
	".Lcie2_end:\n"

	".Lfde2: .long .Lfde2_end - .Lfde2_id\n"
	".Lfde2_id: .long .Lfde2_id - .Lcie2\n"
	".quad case_raw2\n"
	".quad 8\n"
	".uleb128 0\n"
	".byte 0x01\n"					/* set_loc */
	".quad case_raw2 + 2\n"
	".byte 0x0e, 16\n"
	".byte 0x1d\n"					/* MIPS_advance_loc8 */
	".quad 2\n"
	".byte 0x0e, 24\n"
	".byte 0x03\n"					/* advance_loc2 */
	".short 1\n"
	".byte 0x0e, 32\n"
	".byte 0x04\n"					/* advance_loc4 */
	".long 1\n"
	".byte 0x0e, 8\n"
	".balign 8, 0\n"
	".Lfde2_end:\n"

	/* Undecodable from byte 2 on: restore_state with nothing remembered. */
	".Lfde3: .long .Lfde3_end - .Lfde3_id\n"
	".Lfde3_id: .long .Lfde3_id - .Lcie2\n"
	".quad case_raw3\n"
	".quad 8\n"
	".uleb128 0\n"
	".byte 0x41, 0x0e, 16, 0x41, 0x0b\n"
	".balign 8, 0\n"
	".Lfde3_end:\n"

	/* Undecodable from byte 3 on: set_loc backwards. */
	".Lfde4: .long .Lfde4_end - .Lfde4_id\n"
	".Lfde4_id: .long .Lfde4_id - .Lcie2\n"
	".quad case_raw4\n"
	".quad 8\n"
	".uleb128 0\n"
	".byte 0x41, 0x0e, 16, 0x42, 0x01\n"
	".quad case_raw4 + 1\n"
	".balign 8, 0\n"
	".Lfde4_end:\n"
	".section .gcc_except_table, \"a\"\n"
	".Llsda: .byte 0xff, 0xff, 0x01, 0x00\n"		/* an empty LSDA */
	".data\n"
	".balign 8\n"
	".Lpers: .quad case_raw1\n"			/* never called: nothing throws */
	".text\n");

int main(void)
{
	return 0;
}
