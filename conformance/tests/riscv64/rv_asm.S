/* SPDX-License-Identifier: MIT */
/*
 * rv_asm.S - rv__preserve_call (rv_preserve_call's assembly) and the
 * U-mode code (rv_asm.h). The floating-point instructions are assembled
 * with the D extension (.option arch, +d) although compiled code never
 * uses it: the runtime turns the FP unit on at boot (docs/riscv64.md).
 */
#include "hcabi_riscv64_defs.h"

/* struct rv_regs */
#define R_IN 0
#define R_OUT 256
#define R_FIN 512
#define R_FOUT 768
#define R_FCSR_IN 1024
#define R_FCSR_OUT 1032
#define R_SIE_IN 1040
#define R_SAVED 1056

	.option push
	.option arch, +d
	.text
	.balign 4
	.globl rv__preserve_call
	.type rv__preserve_call, %function
rv__preserve_call:
	mv sp, a0
	frcsr t0
	sd t0, R_SAVED + 8(sp)
	ld t0, R_FCSR_IN(sp)
	fscsr t0
	.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	fld f\n, R_FIN + 8 * \n(sp)
	.endr
	ld t0, R_SIE_IN(sp)
	csrs sstatus, t0
	.irp n, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	ld x\n, R_IN + 8 * \n(sp)
	.endr
	ecall
	sd x1, R_OUT + 8(sp)            /* RV64-010: this instruction ran */
	.irp n, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	sd x\n, R_OUT + 8 * \n(sp)
	.endr
	csrci sstatus, HCABI_SSTATUS_SIE
	frcsr t0
	sd t0, R_FCSR_OUT(sp)
	.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	fsd f\n, R_FOUT + 8 * \n(sp)
	.endr
	/* the caller's fcsr; its callee-saved registers and sp by
	 * hcabi_longjmp (entry.S) to the hcabi_setjmp of rv_preserve_call */
	ld t0, R_SAVED + 8(sp)
	fscsr t0
	ld a0, R_SAVED(sp)
	li a1, 1
	j hcabi_longjmp
	.size rv__preserve_call, . - rv__preserve_call
	.option pop

/* Runs in U-mode (hcabi_run_umode): the ECALL, then an EBREAK that brings
 * the vCPU back if the ECALL returned to U-mode. 32-bit encodings only, so
 * that the offsets are fixed. */
	.option push
	.option norvc
	.balign 4
	.globl rv_umode_code
rv_umode_code:
	ecall
	ebreak
	.option pop
