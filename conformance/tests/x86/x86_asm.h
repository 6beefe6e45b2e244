/* SPDX-License-Identifier: MIT */
/*
 * x86_asm.h - the assembly helpers of the binding tests (x86_asm.S): a call
 * made with every register, RFLAGS and the x87/SSE/AVX state chosen and
 * everything captured after it; and CPL 3 functions that execute a
 * hypercall instruction with known registers; calls made under
 * single-step and in an interrupt shadow (completion_asm.S); which of the
 * two instructions the CPU implements natively.
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

/* Calls under single-step and in an interrupt shadow (completion_asm.S).
 * Each takes the function ID and its first three arguments, makes the call
 * with VMCALL (_vmcall) or VMMCALL (_vmmcall) at <name>_insn and returns
 * RAX:RDX; <name>_next is the instruction after the hypercall instruction.
 *   x86_step_*:  with RFLAGS.TF set (POPF right before), interrupts off.
 *   x86_sti_*:   call with interrupts off; STI right before the call,
 *                CLI at _next. */
typedef struct hcabi_ret x86_call_fn(uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2);
x86_call_fn x86_step_vmcall, x86_step_vmmcall, x86_sti_vmcall, x86_sti_vmmcall;
extern char x86_step_vmcall_next[], x86_step_vmmcall_next[], x86_sti_vmcall_next[],
    x86_sti_vmmcall_next[];
/* The #DB handler for x86_step_*: counts (x86_db_count), records the first
 * #DB's saved RIP and DR6, and clears RFLAGS.TF in its frame so that
 * stepping ends there. */
void x86_db_entry(void);
extern volatile uint64_t x86_db_count, x86_db_rip, x86_db_dr6;

/* The CPU vendor string of CPUID leaf 0 (12 characters and a NUL). */
static inline void x86_cpu_vendor(char vendor[13])
{
	struct hcabi_cpuid v = hcabi_cpuid(0, 0);
	memcpy(vendor, &v.ebx, 4);
	memcpy(vendor + 4, &v.edx, 4);
	memcpy(vendor + 8, &v.ecx, 4);
	vendor[12] = 0;
}

/* Whether the CPU implements VMMCALL (AMD, Hygon) rather than VMCALL natively. */
static inline bool x86_vmmcall_native(void)
{
	char vendor[13];
	x86_cpu_vendor(vendor);
	return !strcmp(vendor, "AuthenticAMD") || !strcmp(vendor, "HygonGenuine");
}

#endif /* X86_ASM_H */
