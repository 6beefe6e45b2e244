/* SPDX-License-Identifier: MIT */
/*
 * start_state.c - VCPU-024.3 and VCPU-024.4: the register state a vCPU
 * begins with after VCPU.START, checked the same way for a first start
 * (VCPU.start_register_state) and a restart (VCPU.restart_register_state).
 */
#include "vcpu_common.h"

void vcpu_check_start_state(const struct vcpu_raw *ctx, const struct hcabi_vcpu_boot_state *bs,
			    const char *when)
{
	static const char *const names[16] = {"RAX", "RBX", "RCX", "RDX", "RSI", "RDI",
					      "RBP", "RSP", "R8",  "R9",  "R10", "R11",
					      "R12", "R13", "R14", "R15"};
	static const char *const segs[6] = {"CS", "DS", "ES", "FS", "GS", "SS"};
	uint16_t limit;
	uint64_t base;

	check_eq_u64(ctx->gpr[R_RDI], bs->arg, "VCPU-024.4", "%sRDI = arg", when);
	check_eq_u64(ctx->gpr[R_RSP], bs->rsp, "VCPU-024.3", "%sRSP = rsp", when);
	for (unsigned i = 0; i < 16; i++)
		if (i != R_RDI && i != R_RSP)
			check_eq_u64(ctx->gpr[i], 0, "VCPU-024.3", "%s%s is zero", when, names[i]);
	check_eq_u64(ctx->rflags, 0x2, "VCPU-024.3", "%sRFLAGS = 0x2 (interrupts disabled)", when);
	check_eq_u64(ctx->cr0 & VCPU_CR0_BITS, VCPU_CR0_BITS, "VCPU-024.3",
		     "%sCR0 has PE, MP, ET, NE, WP, PG (CR0 0x%llx)", when,
		     (unsigned long long)ctx->cr0);
	check_eq_u64(ctx->cr3, bs->cr3, "VCPU-024.3", "%sCR3 = cr3 (a copy of the page tables)",
		     when);
	check_eq_u64(ctx->cr4 & VCPU_CR4_BITS, VCPU_CR4_BITS, "VCPU-024.3",
		     "%sCR4 has PAE, OSFXSR, OSXMMEXCPT (CR4 0x%llx)", when,
		     (unsigned long long)ctx->cr4);
	check_eq_u64(ctx->efer & VCPU_EFER_BITS, VCPU_EFER_BITS, "VCPU-024.3",
		     "%sEFER has LME, LMA, NXE (EFER 0x%llx)", when, (unsigned long long)ctx->efer);
	check_eq_u64(ctx->sel[0], bs->cs, "VCPU-024.3", "%sCS = cs", when);
	for (unsigned i = 1; i < 6; i++)
		check_eq_u64(ctx->sel[i], bs->ds, "VCPU-024.3", "%s%s = ds", when, segs[i]);
	memcpy(&limit, ctx->gdtr, 2);
	memcpy(&base, ctx->gdtr + 2, 8);
	check_true(limit == bs->gdtr_limit && base == bs->gdtr_base, "VCPU-024.3",
		   "%sGDTR = (0x%llx, 0x%x) as given: got (0x%llx, 0x%x)", when,
		   (unsigned long long)bs->gdtr_base, bs->gdtr_limit, (unsigned long long)base,
		   limit);
	memcpy(&limit, ctx->idtr, 2);
	memcpy(&base, ctx->idtr + 2, 8);
	check_true(limit == bs->idtr_limit && base == bs->idtr_base, "VCPU-024.3",
		   "%sIDTR = (0x%llx, 0x%x) as given: got (0x%llx, 0x%x)", when,
		   (unsigned long long)bs->idtr_base, bs->idtr_limit, (unsigned long long)base,
		   limit);
	check_eq_u64(ctx->mxcsr, 0x1F80, "VCPU-024.3", "%sMXCSR as after reset", when);
}
