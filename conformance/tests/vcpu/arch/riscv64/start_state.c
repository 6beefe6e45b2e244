/* SPDX-License-Identifier: MIT */
/*
 * start_state.c - RV64-023..026: the state a vCPU begins with after
 * VCPU.START on riscv64, checked the same way for a first start
 * (VCPU.riscv64_start_register_state) and a restart
 * (VCPU.riscv64_restart_register_state).
 */
#include "vcpu_common.h"

void vcpu_check_start_state(const struct vcpu_raw *ctx, const vcpu_bs *bs, unsigned index,
			    const char *when)
{
	/* S-mode (RV64-023) is the caller's check: the entry ran and read
	 * sstatus, satp and sie, which traps in U-mode */
	check_eq_u64(ctx->satp, 0, "RV64-024", "%ssatp is 0 (no translation)", when);
	check_eq_u64(ctx->sstatus & HCABI_SSTATUS_SIE, 0, "RV64-024",
		     "%ssstatus.SIE is 0 (sstatus 0x%llx)", when, (unsigned long long)ctx->sstatus);
	check_eq_u64(ctx->x[10], index, "RV64-025", "%sa0 = its vCPU index", when);
	check_eq_u64(ctx->x[11], bs->arg, "RV64-025", "%sa1 = arg", when);
	for (unsigned n = 1; n < 32; n++)
		if (n != 10 && n != 11)
			check_eq_u64(ctx->x[n], 0, "RV64-026", "%sx%u is zero", when, n);
	test_log("%ssie at the entry: 0x%llx (the binding does not define it)", when,
		 (unsigned long long)ctx->sie);
}
