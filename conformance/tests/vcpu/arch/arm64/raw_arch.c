/* SPDX-License-Identifier: MIT */
/*
 * raw_arch.c - the arm64 side of the VCPU tests' own vCPU starts
 * (vcpu_common.h): the boot state (ARM64-024), and what the started vCPU
 * sets up before the test's function.
 */
#include "../../vcpu_common.h"

#include "hcabi_internal.h"

_Static_assert(__builtin_offsetof(struct vcpu_raw, sp) == 248, "raw_entry.S O_SP");
_Static_assert(__builtin_offsetof(struct vcpu_raw, sctlr) == 256, "raw_entry.S O_SCTLR");
_Static_assert(__builtin_offsetof(struct vcpu_raw, daif) == 264, "raw_entry.S O_DAIF");
_Static_assert(__builtin_offsetof(struct vcpu_raw, current_el) == 272, "raw_entry.S O_CURRENTEL");
_Static_assert(__builtin_offsetof(struct vcpu_raw, spsel) == 280, "raw_entry.S O_SPSEL");
_Static_assert(__builtin_offsetof(struct vcpu_raw, stack) + VCPU_RAW_STACK == 17728,
	       "raw_entry.S O_STACK_END");

void vcpu_arch_enter(struct vcpu_raw *ctx)
{
	/* TPIDR_EL1, the MMU with vCPU 0's tables, this vCPU's redistributor */
	hcabi__cpu_init(&ctx->cpu);
	/* What raw_entry.S wrote with the MMU off went to memory past any
	 * cached copy of those lines (vCPU 0's from vcpu_raw_prepare): drop
	 * the copies, so that vCPU 0 reads what was recorded. */
	hcabi_arm64_drop_cached(ctx, __builtin_offsetof(struct vcpu_raw, entries));
	hcabi_atomic_add(&ctx->entries, 1);
}

void vcpu_raw_boot_state(vcpu_bs *bs, struct vcpu_raw *ctx, uint64_t cr3)
{
	if (cr3)
		test_error("a boot state with page tables of its own is x86-64's");
	memset(bs, 0, sizeof(*bs));
	bs->entry = (uint64_t)(uintptr_t)vcpu_raw_entry;
	bs->arg = (uint64_t)(uintptr_t)ctx;
	/* what the started vCPU reads with its MMU off: ctx (cleaned, so that
	 * the lines it writes are not overwritten by a later write-back of
	 * vCPU 0's copies) and the runtime's page tables */
	hcabi_arm64_clean_for_start(ctx, __builtin_offsetof(struct vcpu_raw, stack));
	hcabi_arm64_clean_for_start(bs, sizeof(*bs));
}
