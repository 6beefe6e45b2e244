/* SPDX-License-Identifier: MIT */
/*
 * umode.S - the entry to U-mode and the way back (umode.c,
 * hcabi_riscv64_umode.h).
 *
 * hcabi__umode_enter(ctx) keeps gp, tp and sscratch (the per-vCPU block)
 * in ctx, points sscratch at ctx and stvec at hcabi__umode_vector, sets
 * sepc and sstatus.SPP = 0 (U-mode), SPIE = 0, loads x1..x31 from ctx and
 * executes sret. The vector swaps t6 with sscratch (t6 = ctx), stores
 * every register as the trap found it, puts sscratch, stvec, gp and tp
 * back and resumes the caller by hcabi_longjmp(ctx->jb, 1) (entry.S).
 */
#include "hcabi_riscv64_defs.h"

/* struct hcabi__umode_ctx (umode.c) */
#define C_IN 0          /* x1..x31 to enter with: xn at 8 * (n - 1) */
#define C_PC 248
#define C_OUT 256       /* x1..x31 when the trap came */
#define C_SEPC 504
#define C_SCAUSE 512
#define C_STVAL 520
#define C_SSTATUS 528
#define C_CPU 536       /* sscratch before: the per-vCPU block */
#define C_GP 544
#define C_TP 552
#define C_JB 560        /* struct hcabi_jmpbuf *: where to resume */

	.text
	.balign 4
	.globl hcabi__umode_enter
	.type hcabi__umode_enter, %function
hcabi__umode_enter:
	sd gp, C_GP(a0)
	sd tp, C_TP(a0)
	csrr t0, sscratch
	sd t0, C_CPU(a0)
	csrw sscratch, a0
	lla t0, hcabi__umode_vector
	csrw stvec, t0
	ld t0, C_PC(a0)
	csrw sepc, t0
	li t0, HCABI_SSTATUS_SPP | HCABI_SSTATUS_SPIE
	csrc sstatus, t0
	mv t6, a0
	ld x1, C_IN + 0(t6)
	ld x2, C_IN + 8(t6)
	ld x3, C_IN + 16(t6)
	ld x4, C_IN + 24(t6)
	ld x5, C_IN + 32(t6)
	ld x6, C_IN + 40(t6)
	ld x7, C_IN + 48(t6)
	ld x8, C_IN + 56(t6)
	ld x9, C_IN + 64(t6)
	ld x10, C_IN + 72(t6)
	ld x11, C_IN + 80(t6)
	ld x12, C_IN + 88(t6)
	ld x13, C_IN + 96(t6)
	ld x14, C_IN + 104(t6)
	ld x15, C_IN + 112(t6)
	ld x16, C_IN + 120(t6)
	ld x17, C_IN + 128(t6)
	ld x18, C_IN + 136(t6)
	ld x19, C_IN + 144(t6)
	ld x20, C_IN + 152(t6)
	ld x21, C_IN + 160(t6)
	ld x22, C_IN + 168(t6)
	ld x23, C_IN + 176(t6)
	ld x24, C_IN + 184(t6)
	ld x25, C_IN + 192(t6)
	ld x26, C_IN + 200(t6)
	ld x27, C_IN + 208(t6)
	ld x28, C_IN + 216(t6)
	ld x29, C_IN + 224(t6)
	ld x30, C_IN + 232(t6)
	ld x31, C_IN + 240(t6)
	sret
	.size hcabi__umode_enter, . - hcabi__umode_enter

/* Every trap while the code runs comes here (direct mode: 4-byte aligned). */
	.balign 4
	.globl hcabi__umode_vector
hcabi__umode_vector:
	csrrw t6, sscratch, t6          /* t6 = ctx; sscratch = the code's t6 */
	sd x1, C_OUT + 0(t6)
	sd x2, C_OUT + 8(t6)
	sd x3, C_OUT + 16(t6)
	sd x4, C_OUT + 24(t6)
	sd x5, C_OUT + 32(t6)
	sd x6, C_OUT + 40(t6)
	sd x7, C_OUT + 48(t6)
	sd x8, C_OUT + 56(t6)
	sd x9, C_OUT + 64(t6)
	sd x10, C_OUT + 72(t6)
	sd x11, C_OUT + 80(t6)
	sd x12, C_OUT + 88(t6)
	sd x13, C_OUT + 96(t6)
	sd x14, C_OUT + 104(t6)
	sd x15, C_OUT + 112(t6)
	sd x16, C_OUT + 120(t6)
	sd x17, C_OUT + 128(t6)
	sd x18, C_OUT + 136(t6)
	sd x19, C_OUT + 144(t6)
	sd x20, C_OUT + 152(t6)
	sd x21, C_OUT + 160(t6)
	sd x22, C_OUT + 168(t6)
	sd x23, C_OUT + 176(t6)
	sd x24, C_OUT + 184(t6)
	sd x25, C_OUT + 192(t6)
	sd x26, C_OUT + 200(t6)
	sd x27, C_OUT + 208(t6)
	sd x28, C_OUT + 216(t6)
	sd x29, C_OUT + 224(t6)
	sd x30, C_OUT + 232(t6)
	csrr t0, sscratch
	sd t0, C_OUT + 240(t6)          /* x31 */
	csrr t0, sepc
	sd t0, C_SEPC(t6)
	csrr t0, scause
	sd t0, C_SCAUSE(t6)
	csrr t0, stval
	sd t0, C_STVAL(t6)
	csrr t0, sstatus
	sd t0, C_SSTATUS(t6)
	ld t0, C_CPU(t6)
	csrw sscratch, t0
	lla t0, hcabi__trap_entry
	csrw stvec, t0
	ld gp, C_GP(t6)
	ld tp, C_TP(t6)
	ld a0, C_JB(t6)
	li a1, 1
	j hcabi_longjmp
	.size hcabi__umode_vector, . - hcabi__umode_vector
