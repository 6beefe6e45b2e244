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
	fld f0, R_FIN + 0(sp)
	fld f1, R_FIN + 8(sp)
	fld f2, R_FIN + 16(sp)
	fld f3, R_FIN + 24(sp)
	fld f4, R_FIN + 32(sp)
	fld f5, R_FIN + 40(sp)
	fld f6, R_FIN + 48(sp)
	fld f7, R_FIN + 56(sp)
	fld f8, R_FIN + 64(sp)
	fld f9, R_FIN + 72(sp)
	fld f10, R_FIN + 80(sp)
	fld f11, R_FIN + 88(sp)
	fld f12, R_FIN + 96(sp)
	fld f13, R_FIN + 104(sp)
	fld f14, R_FIN + 112(sp)
	fld f15, R_FIN + 120(sp)
	fld f16, R_FIN + 128(sp)
	fld f17, R_FIN + 136(sp)
	fld f18, R_FIN + 144(sp)
	fld f19, R_FIN + 152(sp)
	fld f20, R_FIN + 160(sp)
	fld f21, R_FIN + 168(sp)
	fld f22, R_FIN + 176(sp)
	fld f23, R_FIN + 184(sp)
	fld f24, R_FIN + 192(sp)
	fld f25, R_FIN + 200(sp)
	fld f26, R_FIN + 208(sp)
	fld f27, R_FIN + 216(sp)
	fld f28, R_FIN + 224(sp)
	fld f29, R_FIN + 232(sp)
	fld f30, R_FIN + 240(sp)
	fld f31, R_FIN + 248(sp)
	ld t0, R_SIE_IN(sp)
	csrs sstatus, t0
	ld x1, R_IN + 8(sp)
	ld x3, R_IN + 24(sp)
	ld x4, R_IN + 32(sp)
	ld x5, R_IN + 40(sp)
	ld x6, R_IN + 48(sp)
	ld x7, R_IN + 56(sp)
	ld x8, R_IN + 64(sp)
	ld x9, R_IN + 72(sp)
	ld x10, R_IN + 80(sp)
	ld x11, R_IN + 88(sp)
	ld x12, R_IN + 96(sp)
	ld x13, R_IN + 104(sp)
	ld x14, R_IN + 112(sp)
	ld x15, R_IN + 120(sp)
	ld x16, R_IN + 128(sp)
	ld x17, R_IN + 136(sp)
	ld x18, R_IN + 144(sp)
	ld x19, R_IN + 152(sp)
	ld x20, R_IN + 160(sp)
	ld x21, R_IN + 168(sp)
	ld x22, R_IN + 176(sp)
	ld x23, R_IN + 184(sp)
	ld x24, R_IN + 192(sp)
	ld x25, R_IN + 200(sp)
	ld x26, R_IN + 208(sp)
	ld x27, R_IN + 216(sp)
	ld x28, R_IN + 224(sp)
	ld x29, R_IN + 232(sp)
	ld x30, R_IN + 240(sp)
	ld x31, R_IN + 248(sp)
	ecall
	sd x1, R_OUT + 8(sp)            /* RV64-010: this instruction ran */
	sd x2, R_OUT + 16(sp)
	sd x3, R_OUT + 24(sp)
	sd x4, R_OUT + 32(sp)
	sd x5, R_OUT + 40(sp)
	sd x6, R_OUT + 48(sp)
	sd x7, R_OUT + 56(sp)
	sd x8, R_OUT + 64(sp)
	sd x9, R_OUT + 72(sp)
	sd x10, R_OUT + 80(sp)
	sd x11, R_OUT + 88(sp)
	sd x12, R_OUT + 96(sp)
	sd x13, R_OUT + 104(sp)
	sd x14, R_OUT + 112(sp)
	sd x15, R_OUT + 120(sp)
	sd x16, R_OUT + 128(sp)
	sd x17, R_OUT + 136(sp)
	sd x18, R_OUT + 144(sp)
	sd x19, R_OUT + 152(sp)
	sd x20, R_OUT + 160(sp)
	sd x21, R_OUT + 168(sp)
	sd x22, R_OUT + 176(sp)
	sd x23, R_OUT + 184(sp)
	sd x24, R_OUT + 192(sp)
	sd x25, R_OUT + 200(sp)
	sd x26, R_OUT + 208(sp)
	sd x27, R_OUT + 216(sp)
	sd x28, R_OUT + 224(sp)
	sd x29, R_OUT + 232(sp)
	sd x30, R_OUT + 240(sp)
	sd x31, R_OUT + 248(sp)
	csrci sstatus, HCABI_SSTATUS_SIE
	frcsr t0
	sd t0, R_FCSR_OUT(sp)
	fsd f0, R_FOUT + 0(sp)
	fsd f1, R_FOUT + 8(sp)
	fsd f2, R_FOUT + 16(sp)
	fsd f3, R_FOUT + 24(sp)
	fsd f4, R_FOUT + 32(sp)
	fsd f5, R_FOUT + 40(sp)
	fsd f6, R_FOUT + 48(sp)
	fsd f7, R_FOUT + 56(sp)
	fsd f8, R_FOUT + 64(sp)
	fsd f9, R_FOUT + 72(sp)
	fsd f10, R_FOUT + 80(sp)
	fsd f11, R_FOUT + 88(sp)
	fsd f12, R_FOUT + 96(sp)
	fsd f13, R_FOUT + 104(sp)
	fsd f14, R_FOUT + 112(sp)
	fsd f15, R_FOUT + 120(sp)
	fsd f16, R_FOUT + 128(sp)
	fsd f17, R_FOUT + 136(sp)
	fsd f18, R_FOUT + 144(sp)
	fsd f19, R_FOUT + 152(sp)
	fsd f20, R_FOUT + 160(sp)
	fsd f21, R_FOUT + 168(sp)
	fsd f22, R_FOUT + 176(sp)
	fsd f23, R_FOUT + 184(sp)
	fsd f24, R_FOUT + 192(sp)
	fsd f25, R_FOUT + 200(sp)
	fsd f26, R_FOUT + 208(sp)
	fsd f27, R_FOUT + 216(sp)
	fsd f28, R_FOUT + 224(sp)
	fsd f29, R_FOUT + 232(sp)
	fsd f30, R_FOUT + 240(sp)
	fsd f31, R_FOUT + 248(sp)
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
