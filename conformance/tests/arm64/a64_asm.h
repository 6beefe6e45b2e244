/* SPDX-License-Identifier: MIT */
/*
 * a64_asm.h - the assembly helpers of the arm64 binding tests (a64_asm.S):
 * an HVC made with every general-purpose register, SP, SP_EL0, the
 * FP/SIMD registers, FPCR, FPSR, NZCV and DAIF chosen, and all of them
 * captured right after it; and the EL0 code of the privilege test.
 */
#ifndef A64_ASM_H
#define A64_ASM_H

#include "hcabi_test.h"

/*
 * The block a64_preserve_call works on. SP points at `r` during the call
 * (the binding preserves SP_EL1, so the registers are stored SP-relative
 * right after the HVC), and an interrupt taken meanwhile (the rounds with
 * DAIF.I clear) pushes its frame on `stack` below it.
 */
struct a64_regs {
	uint64_t in[32];     /* 0: x0..x30 to call with ([31] unused) */
	uint64_t out[32];    /* 256: x0..x30 right after the HVC */
	uint64_t sp_before;  /* 512 */
	uint64_t sp_after;   /* 520 */
	uint64_t sp_el0_in;  /* 528 */
	uint64_t sp_el0_out; /* 536 */
	uint64_t daif_in;    /* 544 */
	uint64_t daif_out;   /* 552 */
	uint64_t fpcr_in;    /* 560 */
	uint64_t fpcr_out;   /* 568 */
	uint64_t fpsr_in;    /* 576 */
	uint64_t fpsr_out;   /* 584 */
	uint64_t nzcv_in;    /* 592 */
	uint64_t imm;	     /* 600: the HVC immediate: 0, 1 or 0xFFFF */
	uint64_t
	    saved[16]; /* 608: struct hcabi_jmpbuf * to resume at; the caller's DAIF, FPCR, FPSR */
	uint8_t vin[32 * 16];  /* 736: V0..V31 to call with */
	uint8_t vout[32 * 16]; /* 1248: V0..V31 right after the HVC */
} __attribute__((aligned(16)));
_Static_assert(__builtin_offsetof(struct a64_regs, out) == 256, "a64_regs.out");
_Static_assert(__builtin_offsetof(struct a64_regs, imm) == 600, "a64_regs.imm");
_Static_assert(__builtin_offsetof(struct a64_regs, vin) == 736, "a64_regs.vin");
_Static_assert(__builtin_offsetof(struct a64_regs, vout) == 1248, "a64_regs.vout");

struct a64_pctx {
	uint8_t stack[16384] __attribute__((aligned(16)));
	struct a64_regs r;
};

/*
 * Load everything of r->*_in (x0 = r->in[0], the whole 64 bits; x1 the
 * function word), execute HVC #r->imm, and store everything to r->*_out.
 * TPIDR_EL0 is the helper's own scratch register (it holds x2 for the
 * instruction that follows the HVC), so its value is lost.
 * r->out[2] is A64_NOT_RESUMED when the instruction right after the HVC
 * did not run (the call returned past it).
 */
#define A64_NOT_RESUMED 0x5E5E5E5E5E5E5E5Eull
/* The assembly: never returns, resumes by hcabi_longjmp(r->saved[0], 1). */
__attribute__((noreturn)) void a64__preserve_call(struct a64_regs *r);

static inline void a64_preserve_call(struct a64_regs *r)
{
	struct hcabi_jmpbuf jb;

	r->saved[0] = (uint64_t)(uintptr_t)&jb;
	if (hcabi_setjmp(&jb) == 0)
		a64__preserve_call(r);
}

/* EL0 code for hcabi_run_el0: `hvc #0` at offset 0 (A64_EL0_HVC_OFFSET),
 * then `svc #0`, reached only if the HVC returned. */
extern const char a64_el0_code[], a64_el0_code_end[];
#define A64_EL0_HVC_OFFSET 0u
#define A64_EL0_SVC_OFFSET 4u

#endif /* A64_ASM_H */
