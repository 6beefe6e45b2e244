/* SPDX-License-Identifier: MIT */
/*
 * start_state.c - ARM64-026..030: the state a vCPU begins with after
 * VCPU.START on arm64, checked the same way for a first start
 * (VCPU.arm64_start_register_state) and a restart
 * (VCPU.arm64_restart_register_state).
 */
#include "vcpu_common.h"

#define SCTLR_M (1ull << 0)
#define SCTLR_C (1ull << 2)
#define SCTLR_I (1ull << 12)
#define DAIF_ALL (0xFull << 6)
#define CURRENTEL_EL1 (1ull << 2)

void vcpu_check_start_state(const struct vcpu_raw *ctx, const vcpu_bs *bs, const char *when)
{
	check_eq_u64(ctx->x[0], bs->arg, "ARM64-029", "%sx0 = arg", when);
	for (unsigned i = 1; i < 31; i++)
		check_eq_u64(ctx->x[i], 0, "ARM64-030", "%sx%u is zero", when, i);
	check_eq_u64(ctx->current_el, CURRENTEL_EL1, "ARM64-026", "%sCurrentEL: EL1", when);
	check_eq_u64(ctx->spsel, 1, "ARM64-026", "%sSPSel: SP_EL1 (EL1h)", when);
	check_eq_u64(ctx->sctlr & (SCTLR_M | SCTLR_C | SCTLR_I), 0, "ARM64-027",
		     "%sSCTLR_EL1 M, C and I clear (SCTLR_EL1 0x%llx)", when,
		     (unsigned long long)ctx->sctlr);
	check_eq_u64(ctx->daif, DAIF_ALL, "ARM64-028", "%sDAIF: D, A, I and F set", when);
	test_log("%sSP at the entry: 0x%llx (the binding does not define it)", when,
		 (unsigned long long)ctx->sp);
}
