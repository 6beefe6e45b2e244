/* SPDX-License-Identifier: MIT */
/*
 * a64_asm.S - a64__preserve_call (a64_preserve_call's assembly) and the
 * EL0 code (a64_asm.h).
 */

/* struct a64_regs */
#define R_IN 0
#define R_OUT 256
#define R_SP_BEFORE 512
#define R_SP_AFTER 520
#define R_SPEL0_IN 528
#define R_SPEL0_OUT 536
#define R_DAIF_IN 544
#define R_DAIF_OUT 552
#define R_FPCR_IN 560
#define R_FPCR_OUT 568
#define R_FPSR_IN 576
#define R_FPSR_OUT 584
#define R_NZCV_IN 592
#define R_IMM 600
#define R_SAVED 608
#define R_VIN 736
#define R_VOUT 1248

#define NOT_RESUMED 0x5E5E5E5E5E5E5E5E

/* Every register from r->in (SP = r), then the HVC; the instruction right
 * after it moves x2 to TPIDR_EL0, which held NOT_RESUMED. */
.macro call imm
	ldr x9, [sp, #R_NZCV_IN]
	msr nzcv, x9
	ldp x0, x1, [sp, #R_IN]
	ldp x2, x3, [sp, #R_IN + 16]
	ldp x4, x5, [sp, #R_IN + 32]
	ldp x6, x7, [sp, #R_IN + 48]
	ldp x8, x9, [sp, #R_IN + 64]
	ldp x10, x11, [sp, #R_IN + 80]
	ldp x12, x13, [sp, #R_IN + 96]
	ldp x14, x15, [sp, #R_IN + 112]
	ldp x16, x17, [sp, #R_IN + 128]
	ldp x18, x19, [sp, #R_IN + 144]
	ldp x20, x21, [sp, #R_IN + 160]
	ldp x22, x23, [sp, #R_IN + 176]
	ldp x24, x25, [sp, #R_IN + 192]
	ldp x26, x27, [sp, #R_IN + 208]
	ldp x28, x29, [sp, #R_IN + 224]
	ldr x30, [sp, #R_IN + 240]
	hvc #\imm
	msr tpidr_el0, x2
	b 9f
.endm

	.text
	.globl a64__preserve_call
	.type a64__preserve_call, %function
a64__preserve_call:
	adrp x9, a64_cur
	str x0, [x9, :lo12:a64_cur]
	mrs x9, daif
	str x9, [x0, #R_SAVED + 8]
	mrs x9, fpcr
	str x9, [x0, #R_SAVED + 16]
	mrs x9, fpsr
	str x9, [x0, #R_SAVED + 24]

	ldr x9, [x0, #R_SPEL0_IN]
	msr sp_el0, x9
	ldr x9, =NOT_RESUMED
	msr tpidr_el0, x9
	ldr x9, [x0, #R_FPCR_IN]
	msr fpcr, x9
	ldr x9, [x0, #R_FPSR_IN]
	msr fpsr, x9
	add x9, x0, #R_VIN
	ldp q0, q1, [x9, #0]
	ldp q2, q3, [x9, #32]
	ldp q4, q5, [x9, #64]
	ldp q6, q7, [x9, #96]
	ldp q8, q9, [x9, #128]
	ldp q10, q11, [x9, #160]
	ldp q12, q13, [x9, #192]
	ldp q14, q15, [x9, #224]
	ldp q16, q17, [x9, #256]
	ldp q18, q19, [x9, #288]
	ldp q20, q21, [x9, #320]
	ldp q22, q23, [x9, #352]
	ldp q24, q25, [x9, #384]
	ldp q26, q27, [x9, #416]
	ldp q28, q29, [x9, #448]
	ldp q30, q31, [x9, #480]
	ldr x10, [x0, #R_IMM]
	mov sp, x0
	str x0, [sp, #R_SP_BEFORE]
	ldr x9, [sp, #R_DAIF_IN]
	msr daif, x9
	cbz x10, 0f
	cmp x10, #1
	b.eq 1f
	b 2f
0:	call 0
1:	call 1
2:	call 0xFFFF

	/* x2 is in TPIDR_EL0 (or NOT_RESUMED is, if the instruction after
	 * the HVC was skipped); SP is stored before it is relied on */
9:	adrp x2, a64_cur
	ldr x2, [x2, :lo12:a64_cur]
	stp x0, x1, [x2, #R_OUT]
	mrs x0, tpidr_el0
	str x0, [x2, #R_OUT + 16]
	mov x0, sp
	str x0, [x2, #R_SP_AFTER]
	mrs x0, daif
	str x0, [x2, #R_DAIF_OUT]
	mov sp, x2
	stp x3, x4, [sp, #R_OUT + 24]
	stp x5, x6, [sp, #R_OUT + 40]
	stp x7, x8, [sp, #R_OUT + 56]
	stp x9, x10, [sp, #R_OUT + 72]
	stp x11, x12, [sp, #R_OUT + 88]
	stp x13, x14, [sp, #R_OUT + 104]
	stp x15, x16, [sp, #R_OUT + 120]
	stp x17, x18, [sp, #R_OUT + 136]
	stp x19, x20, [sp, #R_OUT + 152]
	stp x21, x22, [sp, #R_OUT + 168]
	stp x23, x24, [sp, #R_OUT + 184]
	stp x25, x26, [sp, #R_OUT + 200]
	stp x27, x28, [sp, #R_OUT + 216]
	stp x29, x30, [sp, #R_OUT + 232]
	mrs x0, sp_el0
	str x0, [sp, #R_SPEL0_OUT]
	mrs x0, fpcr
	str x0, [sp, #R_FPCR_OUT]
	mrs x0, fpsr
	str x0, [sp, #R_FPSR_OUT]
	add x0, sp, #R_VOUT
	stp q0, q1, [x0, #0]
	stp q2, q3, [x0, #32]
	stp q4, q5, [x0, #64]
	stp q6, q7, [x0, #96]
	stp q8, q9, [x0, #128]
	stp q10, q11, [x0, #160]
	stp q12, q13, [x0, #192]
	stp q14, q15, [x0, #224]
	stp q16, q17, [x0, #256]
	stp q18, q19, [x0, #288]
	stp q20, q21, [x0, #320]
	stp q22, q23, [x0, #352]
	stp q24, q25, [x0, #384]
	stp q26, q27, [x0, #416]
	stp q28, q29, [x0, #448]
	stp q30, q31, [x0, #480]

	/* the caller's DAIF, FPCR, FPSR; its callee-saved registers and SP
	 * by hcabi_longjmp (entry.S) to the hcabi_setjmp of a64_preserve_call */
	ldr x9, [sp, #R_SAVED + 8]
	msr daif, x9
	ldr x9, [sp, #R_SAVED + 16]
	msr fpcr, x9
	ldr x9, [sp, #R_SAVED + 24]
	msr fpsr, x9
	ldr x0, [sp, #R_SAVED]
	mov w1, #1
	b hcabi_longjmp
	.ltorg
	.size a64__preserve_call, . - a64__preserve_call

/* Runs at EL0 (copied by hcabi_run_el0): the HVC, then an SVC that brings
 * the vCPU back if the HVC returned. */
	.section .rodata
	.balign 4
	.globl a64_el0_code, a64_el0_code_end
a64_el0_code:
	hvc #0
	svc #0
a64_el0_code_end:

	.bss
	.balign 8
a64_cur:
	.quad 0
