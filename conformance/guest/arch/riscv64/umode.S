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
	.irp n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	ld x\n, C_IN + 8 * \n - 8(t6)
	.endr
	sret
	.size hcabi__umode_enter, . - hcabi__umode_enter

/* Every trap while the code runs comes here (direct mode: 4-byte aligned). */
	.balign 4
	.globl hcabi__umode_vector
hcabi__umode_vector:
	csrrw t6, sscratch, t6          /* t6 = ctx; sscratch = the code's t6 */
	.irp n, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30
	sd x\n, C_OUT + 8 * \n - 8(t6)
	.endr
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
