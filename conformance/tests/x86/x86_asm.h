/* SPDX-License-Identifier: MIT */
/*
 * x86_asm.h - the assembly helpers of the binding tests (x86_asm.S): a call
 * made with every register, RFLAGS and the x87/SSE/AVX state chosen and
 * everything captured after it; and CPL 3 functions that execute a
 * hypercall instruction with known registers.
 */
#ifndef X86_ASM_H
#define X86_ASM_H

#include "hcabi_test.h"

/* Register slots of x86_pctx.in/out */
enum {
	R_RAX,
	R_RBX,
	R_RCX,
	R_RDX,
	R_RSI,
	R_RDI,
	R_RBP,
	R_R8,
	R_R9,
	R_R10,
	R_R11,
	R_R12,
	R_R13,
	R_R14,
	R_R15,
	R_RFLAGS,
	R_COUNT
};

#define X86_FPU_AREA 4096

struct x86_pctx {
	uint64_t in[R_COUNT];  /* 0 */
	uint64_t out[R_COUNT]; /* 128 */
	uint64_t rsp_before;   /* 256 */
	uint64_t rsp_after;    /* 264 */
	uint64_t vmmcall;      /* 272 */
	uint64_t use_avx;      /* 280 */
	uint64_t xcr0_after;   /* 288: XCR0 after the call (when use_avx) */
	uint64_t xcr0_want;    /* 296: XCR0 set (XSETBV) right before it (when use_avx) */
	uint64_t pad[2];
	/* FXSAVE image (512 bytes), then YMM0-15 (32 bytes each) */
	uint8_t fpu_in[X86_FPU_AREA] __attribute__((aligned(64)));  /* 320 */
	uint8_t fpu_out[X86_FPU_AREA] __attribute__((aligned(64))); /* 4416 */
} __attribute__((aligned(64)));
_Static_assert(__builtin_offsetof(struct x86_pctx, out) == 128, "x86_pctx.out");
_Static_assert(__builtin_offsetof(struct x86_pctx, vmmcall) == 272, "x86_pctx.vmmcall");
_Static_assert(__builtin_offsetof(struct x86_pctx, xcr0_after) == 288, "x86_pctx.xcr0_after");
_Static_assert(__builtin_offsetof(struct x86_pctx, fpu_in) == 320, "x86_pctx.fpu_in");
_Static_assert(__builtin_offsetof(struct x86_pctx, fpu_out) == 4416, "x86_pctx.fpu_out");

/* Load in[] (RAX = function ID, all 64 bits), RFLAGS = in[R_RFLAGS], the
 * FPU state from fpu_in (YMM0-15 with VMOVDQU when use_avx, then FXRSTOR),
 * execute VMCALL or VMMCALL, store every register to out[] and the FPU
 * state to fpu_out (FXSAVE, then XCR0 to xcr0_after and, if it still
 * enables AVX, YMM0-15). XSAVE is not used: the state is named register by
 * register, so no XSAVE header or layout is involved. */
void x86_preserve_call(struct x86_pctx *ctx);
/* 1 after x86_preserve_call when the instruction right after the hypercall
 * instruction ran (execution continued there), else 0. */
extern uint64_t x86_resumed;

/* CPL 3: load x86_user_in[] (same slots; RFLAGS as CPL 3 may set it) and
 * execute VMCALL at x86_user_vmcall_insn or VMMCALL at
 * x86_user_vmmcall_insn; x86_user_rsp gets RSP just before. If the call
 * returns (it must not), the status is returned. */
extern uint64_t x86_user_in[R_COUNT];
extern uint64_t x86_user_rsp;
uint64_t x86_user_vmcall(uint64_t unused);
uint64_t x86_user_vmmcall(uint64_t unused);
extern char x86_user_vmcall_insn[], x86_user_vmmcall_insn[];

#endif /* X86_ASM_H */
