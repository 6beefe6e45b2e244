/* SPDX-License-Identifier: MIT */
/*
 * start_state.c - VCPU-024.3 and VCPU-024.4: the register state a vCPU
 * begins with after VCPU.START, checked the same way for a first start
 * (VCPU.start_register_state) and a restart (VCPU.restart_register_state),
 * and the copy of the page tables that makes "CR3 as given" distinctive.
 */
#include "vcpu_common.h"

uint64_t vcpu_cr3_copy(void)
{
	uint64_t page = hcabi_alloc_page();

	if (!page) {
		test_error("out of pages");
		return 0;
	}
	memcpy(hcabi_gpa_ptr(page), hcabi_gpa_ptr(hcabi_pml4()), 4096);
	return page;
}

/* A descriptor-table register as SGDT/SIDT stored it (limit, then base)
 * against the boot state's (VCPU-024.3). */
static void check_dtr(const uint8_t stored[16], uint16_t want_limit, uint64_t want_base,
		      const char *name, const char *when)
{
	uint16_t limit;
	uint64_t base;

	memcpy(&limit, stored, 2);
	memcpy(&base, stored + 2, 8);
	check_true(limit == want_limit && base == want_base, "VCPU-024.3",
		   "%s%s = (0x%llx, 0x%x) as given: got (0x%llx, 0x%x)", when, name,
		   (unsigned long long)want_base, want_limit, (unsigned long long)base, limit);
}

void vcpu_check_start_state(const struct vcpu_raw *ctx, const struct hcabi_vcpu_boot_state *bs,
			    const char *when)
{
	static const char *const names[16] = {"RAX", "RBX", "RCX", "RDX", "RSI", "RDI",
					      "RBP", "RSP", "R8",  "R9",  "R10", "R11",
					      "R12", "R13", "R14", "R15"};
	static const char *const segs[6] = {"CS", "DS", "ES", "FS", "GS", "SS"};

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
	check_dtr(ctx->gdtr, bs->gdtr_limit, bs->gdtr_base, "GDTR", when);
	check_dtr(ctx->idtr, bs->idtr_limit, bs->idtr_base, "IDTR", when);
	check_eq_u64(ctx->mxcsr, 0x1F80, "VCPU-024.3", "%sMXCSR as after reset", when);
}
