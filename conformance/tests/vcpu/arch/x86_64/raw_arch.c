/* SPDX-License-Identifier: MIT */
/*
 * raw_arch.c - the x86-64 side of the VCPU tests' own vCPU starts
 * (vcpu_common.h): the boot state, and what the started vCPU sets up
 * before the test's function.
 */
#include "../../vcpu_common.h"

_Static_assert(__builtin_offsetof(struct vcpu_raw, rflags) == 128, "raw_entry.S O_RFLAGS");
_Static_assert(__builtin_offsetof(struct vcpu_raw, apic_base) == 168, "raw_entry.S O_APIC_BASE");
_Static_assert(__builtin_offsetof(struct vcpu_raw, sel) == 176, "raw_entry.S O_SEL");
_Static_assert(__builtin_offsetof(struct vcpu_raw, gdtr) == 192, "raw_entry.S O_GDTR");
_Static_assert(__builtin_offsetof(struct vcpu_raw, idtr) == 208, "raw_entry.S O_IDTR");
_Static_assert(__builtin_offsetof(struct vcpu_raw, mxcsr) == 224, "raw_entry.S O_MXCSR");
_Static_assert(__builtin_offsetof(struct vcpu_raw, fcw) == 228, "raw_entry.S O_FCW");
_Static_assert(__builtin_offsetof(struct vcpu_raw, entries) == 232, "raw_entry.S O_ENTRIES");


void vcpu_arch_enter(struct vcpu_raw *ctx)
{
	hcabi_wrmsr(HCABI_MSR_GS_BASE, (uint64_t)(uintptr_t)&ctx->cpu);
	/* its own TSS: #DF, NMI and #MC get a stack (IST1) and are reported
	 * instead of ending in a triple fault */
	if (ctx->gdt[HCABI_GDT_FIXED])
		__asm__ __volatile__("ltr %0" ::"r"(VCPU_RAW_SEL_TSS) : "memory");
}

void vcpu_raw_boot_state(vcpu_bs *bs, struct vcpu_raw *ctx, uint64_t cr3)
{
	struct hcabi_dtr gdtr = hcabi_sgdt();
	struct hcabi_dtr own = {VCPU_RAW_GDT_LIMIT, (uint64_t)(uintptr_t)ctx->gdt};
	uint64_t ist = (uint64_t)(uintptr_t)(ctx->ist + sizeof(ctx->ist));

	/* the runtime's fixed descriptors, then an available 64-bit TSS */
	memcpy(ctx->gdt, (const void *)(uintptr_t)gdtr.base, HCABI_GDT_FIXED * 8);
	hcabi_tss_init(&ctx->tss, ist, ist);
	hcabi_gdt_set_tss(ctx->gdt, HCABI_GDT_FIXED, &ctx->tss);
	hcabi_mb();

	hcabi_boot_state_init(bs, (uint64_t)(uintptr_t)vcpu_raw_entry,
			      (uint64_t)(uintptr_t)(ctx->stack + sizeof(ctx->stack)),
			      (uint64_t)(uintptr_t)ctx, &own, NULL);
	if (cr3)
		bs->cr3 = cr3;
}
