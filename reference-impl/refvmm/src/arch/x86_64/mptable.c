/* SPDX-License-Identifier: MIT */
/*
 * mptable.c - the Intel MP tables (MultiProcessor Specification 1.4) that
 * tell a guest without ACPI its processors and interrupt wiring; Linux
 * reads them (CONFIG_X86_MPPARSE) to find and start its APs.
 *
 * MP tables rather than ACPI's MADT: the MADT needs an RSDP, an RSDT or
 * XSDT, and (for Linux to use it) a FADT and a DSDT, which in turn make
 * Linux expect ACPI's power-management hardware; the MP tables are two
 * self-contained structures that say exactly what refvmm has. What they
 * say: every vCPU a processor with APIC ID = its index (vCPU 0 the
 * bootstrap processor), one ISA bus, the I/O APIC of KVM's irqchip with ID
 * nvcpus, ISA IRQ n on I/O APIC pin n (KVM's default GSI routing; IRQ 2 is
 * the PIC cascade and has no entry), the PIC's ExtINT on the BSP's LINT0
 * and NMI on every LINT1 (virtual-wire mode). No KVM here (unit-tested).
 */
#include <stdio.h>
#include <string.h>

#include "layout.h"

#define MPF_SIZE 16u
#define MPC_HEADER_SIZE 44u
#define MPC_CPU_SIZE 20u
#define MPC_ENTRY_SIZE 8u /* bus, I/O APIC, I/O and local interrupt entries */
#define MPC_CPU_ENABLED 1u
#define MPC_CPU_BSP 2u
#define LAPIC_VERSION 0x14u  /* an integrated xAPIC, as KVM's */
#define IOAPIC_VERSION 0x11u /* KVM's I/O APIC */
#define ISA_IRQS 16u
#define ISA_CASCADE_IRQ 2u

enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
enum { MP_INT = 0, MP_NMI = 1, MP_EXTINT = 3 };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The byte that makes [p, p + len) sum to 0. */
static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)-sum;
}

/* An 8-byte interrupt assignment entry (I/O or local). */
static uint8_t *irq_entry(uint8_t *p, uint8_t type, uint8_t irqtype, uint8_t srcirq,
			  uint8_t dstapic, uint8_t dstpin)
{
	p[0] = type;
	p[1] = irqtype;
	put16(p + 2, 0); /* polarity and trigger conform to the bus (ISA: edge, high) */
	p[4] = 0;	 /* source bus: the ISA bus */
	p[5] = srcirq;
	p[6] = dstapic;
	p[7] = dstpin;
	return p + MPC_ENTRY_SIZE;
}

int hcabi__x86_mptable_write(uint8_t *ram, uint64_t ram_size, uint32_t nvcpus, char *err,
			     size_t errlen)
{
	uint64_t mpc_gpa = HCABI__X86_BIOS_BASE + MPF_SIZE;
	uint32_t entries = nvcpus + 2 + (ISA_IRQS - 1) + 2;
	uint64_t len = MPC_HEADER_SIZE + (uint64_t)nvcpus * MPC_CPU_SIZE +
		       (uint64_t)(entries - nvcpus) * MPC_ENTRY_SIZE;
	uint8_t ioapic_id = (uint8_t)nvcpus;
	uint8_t *mpf, *mpc, *p;

	if (nvcpus == 0 || nvcpus > HCABI__MAX_VCPUS)
		return hcabi__fail(err, errlen, "MP table: %u vCPUs", nvcpus);
	if (ram_size < HCABI__X86_HIGH_RAM_BASE)
		return hcabi__fail(err, errlen, "MP table: no BIOS area below %llu bytes of RAM",
				   (unsigned long long)HCABI__X86_HIGH_RAM_BASE);
	mpf = ram + HCABI__X86_BIOS_BASE;
	mpc = ram + mpc_gpa;
	memset(mpf, 0, MPF_SIZE + len);

	/* the configuration table: header, then the entries */
	memcpy(mpc, "PCMP", 4);
	put16(mpc + 4, (uint16_t)len);
	mpc[6] = 4; /* spec revision 1.4 */
	memcpy(mpc + 8, "HCABI   ", 8);
	memcpy(mpc + 16, "REFVMM      ", 12);
	put16(mpc + 34, (uint16_t)entries);
	put32(mpc + 36, HCABI__X86_LAPIC_ADDR);
	p = mpc + MPC_HEADER_SIZE;
	for (uint32_t i = 0; i < nvcpus; i++) {
		p[0] = MP_PROCESSOR;
		p[1] = (uint8_t)i; /* APIC ID = vCPU index */
		p[2] = LAPIC_VERSION;
		p[3] = MPC_CPU_ENABLED | (i == 0 ? MPC_CPU_BSP : 0);
		p += MPC_CPU_SIZE; /* CPU signature and feature flags 0: see CPUID */
	}
	p[0] = MP_BUS;
	p[1] = 0;
	memcpy(p + 2, "ISA   ", 6);
	p += MPC_ENTRY_SIZE;
	p[0] = MP_IOAPIC;
	p[1] = ioapic_id;
	p[2] = IOAPIC_VERSION;
	p[3] = 1; /* usable */
	put32(p + 4, HCABI__X86_IOAPIC_ADDR);
	p += MPC_ENTRY_SIZE;
	for (uint8_t irq = 0; irq < ISA_IRQS; irq++)
		if (irq != ISA_CASCADE_IRQ)
			p = irq_entry(p, MP_INTSRC, MP_INT, irq, ioapic_id, irq);
	p = irq_entry(p, MP_LINTSRC, MP_EXTINT, 0, 0, 0); /* BSP's LINT0 */
	p = irq_entry(p, MP_LINTSRC, MP_NMI, 0, 0xff, 1); /* every LINT1 */
	mpc[7] = checksum(mpc, len);

	/* the floating pointer, found by scanning the BIOS area */
	memcpy(mpf, "_MP_", 4);
	put32(mpf + 4, (uint32_t)mpc_gpa);
	mpf[8] = 1; /* length in 16-byte units */
	mpf[9] = 4; /* spec revision 1.4 */
	/* feature bytes 0: a configuration table is present; virtual-wire
	 * mode (no IMCR) */
	mpf[10] = checksum(mpf, MPF_SIZE);
	return 0;
}
