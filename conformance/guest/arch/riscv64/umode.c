/* SPDX-License-Identifier: MIT */
/*
 * umode.c - run a few instructions in U-mode and come back
 * (hcabi_riscv64_umode.h, umode.S).
 *
 * Interrupts are off for the whole call: sstatus.SIE for S-mode and sie = 0
 * for U-mode, where S-level interrupts are taken whatever SIE says. stvec
 * points at umode.S's vector while the code runs, and back at the
 * runtime's own before the caller resumes.
 */
#include "hcabi_riscv64_umode.h"
#include "hcabi_guest.h"

/* What umode.S reads and writes (its C_* offsets). */
struct hcabi__umode_ctx {
	uint64_t in[31];
	uint64_t pc;
	uint64_t out[31];
	uint64_t sepc, scause, stval, sstatus;
	uint64_t cpu, gp, tp;
	struct hcabi_jmpbuf *jb;
};
_Static_assert(__builtin_offsetof(struct hcabi__umode_ctx, pc) == 248, "C_PC");
_Static_assert(__builtin_offsetof(struct hcabi__umode_ctx, out) == 256, "C_OUT");
_Static_assert(__builtin_offsetof(struct hcabi__umode_ctx, sepc) == 504, "C_SEPC");
_Static_assert(__builtin_offsetof(struct hcabi__umode_ctx, cpu) == 536, "C_CPU");
_Static_assert(__builtin_offsetof(struct hcabi__umode_ctx, jb) == 560, "C_JB");

/* Never returns: the way back is hcabi_longjmp(ctx->jb, 1). */
__attribute__((noreturn)) void hcabi__umode_enter(struct hcabi__umode_ctx *ctx);

void hcabi_run_umode(const void *code, const uint64_t regs[31], struct hcabi_umode_result *res)
{
	struct hcabi__umode_ctx ctx;
	struct hcabi_jmpbuf jb;
	uint64_t flags = hcabi_irq_save();
	uint64_t sie = hcabi_csr_read(sie);

	memset(&ctx, 0, sizeof(ctx));
	memcpy(ctx.in, regs, sizeof(ctx.in));
	ctx.pc = (uint64_t)(uintptr_t)code;
	ctx.jb = &jb;
	hcabi_csr_write(sie, 0);
	/* the code was written as data (a test's copy) or is in .text:
	 * either way instruction fetch must see it */
	__asm__ __volatile__("fence.i" ::: "memory");

	if (hcabi_setjmp(&jb) == 0)
		hcabi__umode_enter(&ctx);

	hcabi_csr_write(sie, sie);
	hcabi_irq_restore(flags);
	memcpy(res->x, ctx.out, sizeof(res->x));
	res->sepc = ctx.sepc;
	res->scause = ctx.scause;
	res->stval = ctx.stval;
	res->sstatus = ctx.sstatus;
}
