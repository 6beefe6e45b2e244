/* SPDX-License-Identifier: MIT */
/*
 * apic.c - the local APIC in xAPIC mode, through its MMIO page at the
 * address IA32_APIC_BASE gives (0xFEE00000 after reset).
 *
 * xAPIC rather than x2APIC: it works under KVM's in-kernel LAPIC and under
 * QEMU TCG alike (QEMU 7.2's TCG has no x2APIC), and HCABI delivers its
 * timer and IPI interrupts into whichever mode the guest uses.
 */
#include "hcabi_guest.h"

#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_EN (1ull << 11)
#define LVT_MASKED (1u << 16)

static volatile uint8_t *apic_mmio(void)
{
	static volatile uint8_t *base;
	if (!base)
		base = (volatile uint8_t *)(uintptr_t)(hcabi_rdmsr(HCABI_MSR_APIC_BASE) &
						       0xFFFFF000ull);
	return base;
}

uint32_t hcabi_apic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(apic_mmio() + reg);
}

void hcabi_apic_write(uint32_t reg, uint32_t value)
{
	*(volatile uint32_t *)(apic_mmio() + reg) = value;
}

void hcabi_intc_eoi(void)
{
	hcabi_apic_write(HCABI_APIC_EOI, 0);
}

void hcabi_intc_enable(void)
{
	uint64_t base = hcabi_rdmsr(HCABI_MSR_APIC_BASE);

	if (base & APIC_BASE_EXTD) {
		/* x2APIC -> xAPIC needs a pass through "disabled" */
		base &= ~(APIC_BASE_EXTD | APIC_BASE_EN);
		hcabi_wrmsr(HCABI_MSR_APIC_BASE, base);
	}
	if (!(base & APIC_BASE_EN))
		hcabi_wrmsr(HCABI_MSR_APIC_BASE, base | APIC_BASE_EN);
	hcabi_apic_write(HCABI_APIC_SVR, 0x100u | HCABI_VEC_SPURIOUS);
	hcabi_apic_write(HCABI_APIC_TPR, 0);
	hcabi_apic_write(HCABI_APIC_LVT_TIMER, LVT_MASKED);
	hcabi_apic_write(HCABI_APIC_LVT_LINT0, LVT_MASKED);
	hcabi_apic_write(HCABI_APIC_LVT_LINT1, LVT_MASKED);
	hcabi_apic_write(HCABI_APIC_LVT_ERROR, LVT_MASKED);
	hcabi_apic_write(HCABI_APIC_ESR, 0);
	hcabi_apic_write(HCABI_APIC_ESR, 0);
}

bool hcabi_intc_pending(unsigned vector)
{
	vector &= 0xFF;
	return (hcabi_apic_read(HCABI_APIC_IRR + 0x10 * (vector / 32)) >> (vector % 32)) & 1;
}

bool hcabi_intc_in_service(unsigned vector)
{
	vector &= 0xFF;
	return (hcabi_apic_read(HCABI_APIC_ISR + 0x10 * (vector / 32)) >> (vector % 32)) & 1;
}

void hcabi_intc_self_ipi(unsigned vector)
{
	/* destination shorthand "self" (01b), fixed delivery, edge */
	hcabi_apic_write(HCABI_APIC_ICR_HI, 0);
	hcabi_apic_write(HCABI_APIC_ICR_LO, (1u << 18) | (vector & 0xFF));
}
