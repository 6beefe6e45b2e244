/* SPDX-License-Identifier: MIT */
/*
 * raw_arch.c - the riscv64 side of the VCPU tests' own vCPU starts
 * (vcpu_common.h): the boot state (RV64-021), and what the started vCPU
 * sets up before the test's function.
 */
#include "../../vcpu_common.h"

#include "hcabi_internal.h"

_Static_assert(__builtin_offsetof(struct vcpu_raw, x) == 0, "raw_entry.S: x[n] at 8 * n");
_Static_assert(__builtin_offsetof(struct vcpu_raw, sstatus) == 256, "raw_entry.S O_SSTATUS");
_Static_assert(__builtin_offsetof(struct vcpu_raw, satp) == 264, "raw_entry.S O_SATP");
_Static_assert(__builtin_offsetof(struct vcpu_raw, sie) == 272, "raw_entry.S O_SIE");

/* Where raw_entry.S puts sp, from the struct's start: read by the entry
 * rather than written into it, so that the entry does not depend on the
 * size of the runtime's struct hcabi_cpu. */
const uint64_t vcpu_rv_stack_end = __builtin_offsetof(struct vcpu_raw, stack) + VCPU_RAW_STACK;

void vcpu_arch_enter(struct vcpu_raw *ctx)
{
	/* the hart ID came in a0 (RV64-025): the runtime's interrupt file
	 * lookup goes by it; then sscratch and this hart's IMSIC file */
	ctx->cpu.hartid = ctx->x[10];
	hcabi__cpu_init(&ctx->cpu);
	hcabi_atomic_add(&ctx->entries, 1);
}

void vcpu_raw_boot_state(vcpu_bs *bs, struct vcpu_raw *ctx, uint64_t cr3)
{
	if (cr3)
		test_error("a boot state with page tables of its own is x86-64's");
	memset(bs, 0, sizeof(*bs));
	bs->entry = (uint64_t)(uintptr_t)vcpu_raw_entry;
	bs->arg = (uint64_t)(uintptr_t)ctx;
	hcabi_mb();
}
