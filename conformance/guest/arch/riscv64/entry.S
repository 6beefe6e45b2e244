/* SPDX-License-Identifier: MIT */
/*
 * entry.S - the S-mode trap vector (stvec, direct mode), the trap frame
 * (struct hcabi_frame) and setjmp/longjmp.
 *
 * Every trap saves x1..x31, sepc, sstatus, scause and stval on the current
 * stack and calls hcabi__trap(frame) (traps.c); the handler may change the
 * frame (pc, sstatus, registers), which is then restored and returned to
 * with sret. Code runs in U-mode only inside hcabi_run_umode, whose own
 * vector (umode.S) takes its traps: one here would arrive on U-mode's stack
 * (traps.c reports it).
 */
#include "hcabi_riscv64_defs.h"

	.text
	.balign 4
	.globl hcabi__trap_entry
	.type hcabi__trap_entry, %function
hcabi__trap_entry:
	addi sp, sp, -HCABI__FRAME_SIZE
	sd x1, 0(sp)
	sd x3, 16(sp)
	sd x4, 24(sp)
	sd x5, 32(sp)
	sd x6, 40(sp)
	sd x7, 48(sp)
	sd x8, 56(sp)
	sd x9, 64(sp)
	sd x10, 72(sp)
	sd x11, 80(sp)
	sd x12, 88(sp)
	sd x13, 96(sp)
	sd x14, 104(sp)
	sd x15, 112(sp)
	sd x16, 120(sp)
	sd x17, 128(sp)
	sd x18, 136(sp)
	sd x19, 144(sp)
	sd x20, 152(sp)
	sd x21, 160(sp)
	sd x22, 168(sp)
	sd x23, 176(sp)
	sd x24, 184(sp)
	sd x25, 192(sp)
	sd x26, 200(sp)
	sd x27, 208(sp)
	sd x28, 216(sp)
	sd x29, 224(sp)
	sd x30, 232(sp)
	sd x31, 240(sp)
	addi t0, sp, HCABI__FRAME_SIZE
	sd t0, 8(sp)                    /* x2: the interrupted sp */
	csrr t0, sepc
	sd t0, HCABI__FRAME_PC(sp)
	csrr t0, sstatus
	sd t0, HCABI__FRAME_STATUS(sp)
	csrr t0, scause
	sd t0, HCABI__FRAME_CAUSE(sp)
	csrr t0, stval
	sd t0, HCABI__FRAME_TVAL(sp)
	mv a0, sp
	li s0, 0                        /* a backtrace ends here */
	call hcabi__trap
	ld t0, HCABI__FRAME_PC(sp)
	csrw sepc, t0
	ld t0, HCABI__FRAME_STATUS(sp)
	csrw sstatus, t0
	ld x1, 0(sp)
	ld x3, 16(sp)
	ld x4, 24(sp)
	ld x5, 32(sp)
	ld x6, 40(sp)
	ld x7, 48(sp)
	ld x8, 56(sp)
	ld x9, 64(sp)
	ld x10, 72(sp)
	ld x11, 80(sp)
	ld x12, 88(sp)
	ld x13, 96(sp)
	ld x14, 104(sp)
	ld x15, 112(sp)
	ld x16, 120(sp)
	ld x17, 128(sp)
	ld x18, 136(sp)
	ld x19, 144(sp)
	ld x20, 152(sp)
	ld x21, 160(sp)
	ld x22, 168(sp)
	ld x23, 176(sp)
	ld x24, 184(sp)
	ld x25, 192(sp)
	ld x26, 200(sp)
	ld x27, 208(sp)
	ld x28, 216(sp)
	ld x29, 224(sp)
	ld x30, 232(sp)
	ld x31, 240(sp)
	ld x2, 8(sp)
	sret
	.size hcabi__trap_entry, . - hcabi__trap_entry

/* struct hcabi_jmpbuf: ra, sp, s0..s11 */
	.globl hcabi_setjmp
	.type hcabi_setjmp, %function
hcabi_setjmp:
	sd ra, 0(a0)
	sd sp, 8(a0)
	sd s0, 16(a0)
	sd s1, 24(a0)
	sd s2, 32(a0)
	sd s3, 40(a0)
	sd s4, 48(a0)
	sd s5, 56(a0)
	sd s6, 64(a0)
	sd s7, 72(a0)
	sd s8, 80(a0)
	sd s9, 88(a0)
	sd s10, 96(a0)
	sd s11, 104(a0)
	li a0, 0
	ret
	.size hcabi_setjmp, . - hcabi_setjmp

	.globl hcabi_longjmp
	.type hcabi_longjmp, %function
hcabi_longjmp:
	ld ra, 0(a0)
	ld sp, 8(a0)
	ld s0, 16(a0)
	ld s1, 24(a0)
	ld s2, 32(a0)
	ld s3, 40(a0)
	ld s4, 48(a0)
	ld s5, 56(a0)
	ld s6, 64(a0)
	ld s7, 72(a0)
	ld s8, 80(a0)
	ld s9, 88(a0)
	ld s10, 96(a0)
	ld s11, 104(a0)
	mv a0, a1
	bnez a0, 1f
	li a0, 1                        /* longjmp(.., 0) returns 1 */
1:	ret
	.size hcabi_longjmp, . - hcabi_longjmp
