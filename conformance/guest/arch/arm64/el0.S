/* SPDX-License-Identifier: MIT */
/*
 * el0.S - the entry to EL0 and the way back (el0.c, hcabi_arm64_el0.h).
 *
 * hcabi__el0_enter(ctx) loads SP_EL0, ELR_EL1 (the EL0 code), SPSR_EL1
 * (EL0t, DAIF masked) and x0..x30 from ctx, and ERETs. While it runs,
 * VBAR_EL1 points at hcabi__el0_vectors (el0.c installs it): the current-EL
 * entries branch to the runtime's own vectors unchanged, and every lower-EL
 * entry stores the registers as the exception found them, SP_EL0, ELR,
 * ESR, FAR, SPSR and which entry it was in ctx, then resumes the caller by
 * hcabi_longjmp(ctx->jb, 1) (entry.S), on SP_EL1, which at EL0 is still
 * the stack hcabi__el0_enter was called on.
 */
#include "hcabi_arm64_defs.h"

/* struct hcabi__el0_ctx (el0.c) */
#define C_IN 0          /* x0..x30 to enter with */
#define C_SP_EL0 248
#define C_PC 256
#define C_OUT 264       /* x0..x30 when the exception came */
#define C_OUT_SP_EL0 512
#define C_ELR 520
#define C_ESR 528
#define C_FAR 536
#define C_SPSR 544
#define C_KIND 552
#define C_JB 560        /* struct hcabi_jmpbuf *: where to resume */

#define SPSR_EL0T_MASKED 0x3c0

	.text
	.globl hcabi__el0_enter
	.type hcabi__el0_enter, %function
hcabi__el0_enter:
	adrp x9, hcabi__el0_cur
	str x0, [x9, :lo12:hcabi__el0_cur]
	ldr x9, [x0, #C_SP_EL0]
	msr sp_el0, x9
	ldr x9, [x0, #C_PC]
	msr elr_el1, x9
	mov x9, #SPSR_EL0T_MASKED
	msr spsr_el1, x9
	mov x30, x0
	ldp x0, x1, [x30, #C_IN]
	ldp x2, x3, [x30, #C_IN + 16]
	ldp x4, x5, [x30, #C_IN + 32]
	ldp x6, x7, [x30, #C_IN + 48]
	ldp x8, x9, [x30, #C_IN + 64]
	ldp x10, x11, [x30, #C_IN + 80]
	ldp x12, x13, [x30, #C_IN + 96]
	ldp x14, x15, [x30, #C_IN + 112]
	ldp x16, x17, [x30, #C_IN + 128]
	ldp x18, x19, [x30, #C_IN + 144]
	ldp x20, x21, [x30, #C_IN + 160]
	ldp x22, x23, [x30, #C_IN + 176]
	ldp x24, x25, [x30, #C_IN + 192]
	ldp x26, x27, [x30, #C_IN + 208]
	ldp x28, x29, [x30, #C_IN + 224]
	ldr x30, [x30, #C_IN + 240]
	eret
	.size hcabi__el0_enter, . - hcabi__el0_enter

/* A current-EL entry: the runtime's own, unchanged. */
.macro vfwd off
	.balign 0x80
	b hcabi__vectors + \off
.endm

/* A lower-EL entry: back to hcabi__el0_enter's caller. */
.macro vback kind
	.balign 0x80
	stp x0, x1, [sp, #-16]!
	mov x0, #\kind
	b hcabi__el0_back
.endm

	.balign 2048
	.globl hcabi__el0_vectors
hcabi__el0_vectors:
	vfwd 0x000
	vfwd 0x080
	vfwd 0x100
	vfwd 0x180
	vfwd 0x200
	vfwd 0x280
	vfwd 0x300
	vfwd 0x380
	vback HCABI__TRAP_SYNC          /* lower EL, AArch64 */
	vback HCABI__TRAP_IRQ
	vback HCABI__TRAP_FIQ
	vback HCABI__TRAP_SERROR
	vback HCABI__TRAP_BAD           /* lower EL, AArch32: never entered */
	vback HCABI__TRAP_BAD
	vback HCABI__TRAP_BAD
	vback HCABI__TRAP_BAD

hcabi__el0_back:
	adrp x1, hcabi__el0_cur
	ldr x1, [x1, :lo12:hcabi__el0_cur]
	str x0, [x1, #C_KIND]
	stp x2, x3, [x1, #C_OUT + 16]
	stp x4, x5, [x1, #C_OUT + 32]
	stp x6, x7, [x1, #C_OUT + 48]
	stp x8, x9, [x1, #C_OUT + 64]
	stp x10, x11, [x1, #C_OUT + 80]
	stp x12, x13, [x1, #C_OUT + 96]
	stp x14, x15, [x1, #C_OUT + 112]
	stp x16, x17, [x1, #C_OUT + 128]
	stp x18, x19, [x1, #C_OUT + 144]
	stp x20, x21, [x1, #C_OUT + 160]
	stp x22, x23, [x1, #C_OUT + 176]
	stp x24, x25, [x1, #C_OUT + 192]
	stp x26, x27, [x1, #C_OUT + 208]
	stp x28, x29, [x1, #C_OUT + 224]
	str x30, [x1, #C_OUT + 240]
	ldp x2, x3, [sp], #16           /* x0 and x1 as EL0 had them */
	stp x2, x3, [x1, #C_OUT]
	mrs x2, sp_el0
	str x2, [x1, #C_OUT_SP_EL0]
	mrs x2, elr_el1
	str x2, [x1, #C_ELR]
	mrs x2, esr_el1
	str x2, [x1, #C_ESR]
	mrs x2, far_el1
	str x2, [x1, #C_FAR]
	mrs x2, spsr_el1
	str x2, [x1, #C_SPSR]
	ldr x0, [x1, #C_JB]
	mov w1, #1
	b hcabi_longjmp

	.bss
	.balign 8
	.globl hcabi__el0_cur
hcabi__el0_cur:
	.quad 0
