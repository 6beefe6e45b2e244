/* SPDX-License-Identifier: MIT */
/*
 * rv_asm.h - the assembly helpers of the riscv64 binding tests (rv_asm.S):
 * an ECALL made with every general-purpose register, f0..f31 and fcsr
 * chosen, and all of them captured right after it; and the U-mode code of
 * the privilege test.
 */
#ifndef RV_ASM_H
#define RV_ASM_H

#include "hcabi_test.h"

/*
 * The block rv_preserve_call works on. sp points at the block during the
 * call (the binding preserves sp, so the registers are stored sp-relative
 * right after the ECALL), and an interrupt taken meanwhile (the rounds with
 * sstatus.SIE set) pushes its frame on `stack` below it.
 */
struct rv_regs {
	uint64_t in[32];    /* 0: in[n] is xn to call with (in[0], in[2] unused) */
	uint64_t out[32];   /* 256: xn right after the ECALL (out[2]: sp) */
	uint64_t fin[32];   /* 512: f0..f31 to call with (as 64-bit patterns) */
	uint64_t fout[32];  /* 768: f0..f31 right after the ECALL */
	uint64_t fcsr_in;   /* 1024 */
	uint64_t fcsr_out;  /* 1032 */
	uint64_t sie_in;    /* 1040: sstatus.SIE during the call (0 or HCABI_SSTATUS_SIE) */
	uint64_t sp_before; /* 1048: the block's address, sp during the call */
	uint64_t saved[2];  /* 1056: struct hcabi_jmpbuf * to resume at; the caller's fcsr */
} __attribute__((aligned(16)));
_Static_assert(__builtin_offsetof(struct rv_regs, out) == 256, "rv_regs.out");
_Static_assert(__builtin_offsetof(struct rv_regs, fin) == 512, "rv_regs.fin");
_Static_assert(__builtin_offsetof(struct rv_regs, fcsr_in) == 1024, "rv_regs.fcsr_in");
_Static_assert(__builtin_offsetof(struct rv_regs, saved) == 1056, "rv_regs.saved");

struct rv_pctx {
	uint8_t stack[16384] __attribute__((aligned(16)));
	struct rv_regs r;
};

/*
 * Load x1 and x3..x31 from r->in (a7 the extension ID, a6 the function
 * word, a0..a5 the arguments), sp = r, f0..f31 and fcsr from r->fin and
 * r->fcsr_in, sstatus.SIE = r->sie_in, execute ECALL, and store every
 * register to r->out, r->fout and r->fcsr_out. The instruction right after
 * the ECALL stores ra: r->out[1] stays RV_NOT_RESUMED when it did not run
 * (the call returned past it).
 */
#define RV_NOT_RESUMED 0x5E5E5E5E5E5E5E5Eull
/* The assembly: never returns, resumes by hcabi_longjmp(r->saved[0], 1). */
__attribute__((noreturn)) void rv__preserve_call(struct rv_regs *r);

static inline void rv_preserve_call(struct rv_regs *r)
{
	struct hcabi_jmpbuf jb;

	for (unsigned i = 0; i < 32; i++)
		r->out[i] = RV_NOT_RESUMED;
	r->saved[0] = (uint64_t)(uintptr_t)&jb;
	r->sp_before = (uint64_t)(uintptr_t)r;
	if (hcabi_setjmp(&jb) == 0)
		rv__preserve_call(r);
}

/* U-mode code for hcabi_run_umode: `ecall` at offset 0 (RV_UMODE_ECALL_OFFSET),
 * then `ebreak`, reached only if the ECALL returned to U-mode. */
extern const char rv_umode_code[];
#define RV_UMODE_ECALL_OFFSET 0u
#define RV_UMODE_EBREAK_OFFSET 4u

#endif /* RV_ASM_H */
