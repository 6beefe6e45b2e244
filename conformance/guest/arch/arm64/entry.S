/* SPDX-License-Identifier: MIT */
/*
 * entry.S - the EL1 exception vectors, the trap frame (struct hcabi_frame)
 * and setjmp/longjmp.
 *
 * Every entry saves x0..x30, the interrupted SP, ELR, SPSR, ESR and FAR on
 * the current stack and calls hcabi__trap(frame) (traps.c); the handler may
 * change the frame (pc, registers), which is then restored and returned to.
 * The runtime runs at EL1 on SP_EL1 only: the SP_EL0 and lower-EL entries
 * report themselves as HCABI__TRAP_BAD instead of being silent.
 */
#include "hcabi_arm64_defs.h"

.macro ventry kind
	.balign 0x80
	sub sp, sp, #HCABI__FRAME_SIZE
	stp x0, x1, [sp, #0]
	mov x0, #\kind
	b hcabi__trap_common
.endm

	.text
	.balign 2048
	.globl hcabi__vectors
hcabi__vectors:
	ventry HCABI__TRAP_BAD          /* current EL, SP_EL0 */
	ventry HCABI__TRAP_BAD
	ventry HCABI__TRAP_BAD
	ventry HCABI__TRAP_BAD
	ventry HCABI__TRAP_SYNC         /* current EL, SP_EL1 */
	ventry HCABI__TRAP_IRQ
	ventry HCABI__TRAP_FIQ
	ventry HCABI__TRAP_SERROR
	ventry HCABI__TRAP_BAD          /* lower EL, AArch64 */
	ventry HCABI__TRAP_BAD
	ventry HCABI__TRAP_BAD
	ventry HCABI__TRAP_BAD
	ventry HCABI__TRAP_BAD          /* lower EL, AArch32 */
	ventry HCABI__TRAP_BAD
	ventry HCABI__TRAP_BAD
	ventry HCABI__TRAP_BAD

hcabi__trap_common:
	stp x2, x3, [sp, #16]
	stp x4, x5, [sp, #32]
	stp x6, x7, [sp, #48]
	stp x8, x9, [sp, #64]
	stp x10, x11, [sp, #80]
	stp x12, x13, [sp, #96]
	stp x14, x15, [sp, #112]
	stp x16, x17, [sp, #128]
	stp x18, x19, [sp, #144]
	stp x20, x21, [sp, #160]
	stp x22, x23, [sp, #176]
	stp x24, x25, [sp, #192]
	stp x26, x27, [sp, #208]
	stp x28, x29, [sp, #224]
	str x30, [sp, #240]
	add x1, sp, #HCABI__FRAME_SIZE
	str x1, [sp, #HCABI__FRAME_SP]
	mrs x1, elr_el1
	mrs x2, spsr_el1
	stp x1, x2, [sp, #HCABI__FRAME_PC]
	mrs x1, esr_el1
	mrs x2, far_el1
	stp x1, x2, [sp, #HCABI__FRAME_ESR]
	str x0, [sp, #HCABI__FRAME_KIND]
	mov x0, sp
	mov x29, xzr                    /* a backtrace ends here */
	bl hcabi__trap
	ldp x1, x2, [sp, #HCABI__FRAME_PC]
	msr elr_el1, x1
	msr spsr_el1, x2
	ldp x0, x1, [sp, #0]
	ldp x2, x3, [sp, #16]
	ldp x4, x5, [sp, #32]
	ldp x6, x7, [sp, #48]
	ldp x8, x9, [sp, #64]
	ldp x10, x11, [sp, #80]
	ldp x12, x13, [sp, #96]
	ldp x14, x15, [sp, #112]
	ldp x16, x17, [sp, #128]
	ldp x18, x19, [sp, #144]
	ldp x20, x21, [sp, #160]
	ldp x22, x23, [sp, #176]
	ldp x24, x25, [sp, #192]
	ldp x26, x27, [sp, #208]
	ldp x28, x29, [sp, #224]
	ldr x30, [sp, #240]
	add sp, sp, #HCABI__FRAME_SIZE
	eret

/* struct hcabi_jmpbuf: x19..x28, x29, x30, sp */
	.globl hcabi_setjmp
	.type hcabi_setjmp, %function
hcabi_setjmp:
	stp x19, x20, [x0, #0]
	stp x21, x22, [x0, #16]
	stp x23, x24, [x0, #32]
	stp x25, x26, [x0, #48]
	stp x27, x28, [x0, #64]
	stp x29, x30, [x0, #80]
	mov x9, sp
	str x9, [x0, #96]
	mov x0, #0
	ret
	.size hcabi_setjmp, . - hcabi_setjmp

	.globl hcabi_longjmp
	.type hcabi_longjmp, %function
hcabi_longjmp:
	ldp x19, x20, [x0, #0]
	ldp x21, x22, [x0, #16]
	ldp x23, x24, [x0, #32]
	ldp x25, x26, [x0, #48]
	ldp x27, x28, [x0, #64]
	ldp x29, x30, [x0, #80]
	ldr x9, [x0, #96]
	mov sp, x9
	cmp w1, #0
	csinc w0, w1, wzr, ne           /* longjmp(.., 0) returns 1 */
	ret
	.size hcabi_longjmp, . - hcabi_longjmp
