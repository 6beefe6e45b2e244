/* SPDX-License-Identifier: MIT */
/*
 * desc.c - the x86-64 descriptor tables, TSS and VCPU.START boot state,
 * built the one way the runtime, the VCPU tests and the stress guest all
 * use (hcabi_x86.h).
 */
#include "hcabi_guest.h"

void hcabi_tss_init(struct hcabi_tss *t, uint64_t rsp0, uint64_t ist1)
{
	memset(t, 0, sizeof(*t));
	t->rsp[0] = rsp0;
	t->ist[0] = ist1;
	t->iomap_base = sizeof(*t); /* no I/O bitmap: CPL 3 port access faults */
}

void hcabi_gdt_set_tss(uint64_t *gdt, unsigned slot, const struct hcabi_tss *t)
{
	uint64_t base = (uint64_t)(uintptr_t)t, limit = sizeof(*t) - 1;

	gdt[slot] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) |
		    ((limit >> 16 & 0xF) << 48) | ((base >> 24 & 0xFF) << 56);
	gdt[slot + 1] = base >> 32;
}

struct hcabi_dtr hcabi_sgdt(void)
{
	struct hcabi_dtr d;
	__asm__ __volatile__("sgdt %0" : "=m"(d));
	return d;
}

struct hcabi_dtr hcabi_sidt(void)
{
	struct hcabi_dtr d;
	__asm__ __volatile__("sidt %0" : "=m"(d));
	return d;
}

void hcabi_boot_state_init(struct hcabi_vcpu_boot_state *bs, uint64_t rip, uint64_t rsp,
			   uint64_t arg, const struct hcabi_dtr *gdtr, const struct hcabi_dtr *idtr)
{
	struct hcabi_dtr g = gdtr ? *gdtr : hcabi_sgdt();
	struct hcabi_dtr i = idtr ? *idtr : hcabi_sidt();

	memset(bs, 0, sizeof(*bs));
	bs->rip = rip;
	bs->rsp = rsp;
	bs->cr3 = hcabi_read_cr3() & ~0xFFFull;
	bs->arg = arg;
	bs->gdtr_base = g.base;
	bs->gdtr_limit = g.limit;
	bs->idtr_base = i.base;
	bs->idtr_limit = i.limit;
	bs->cs = HCABI_SEL_KCODE;
	bs->ds = HCABI_SEL_KDATA;
}
