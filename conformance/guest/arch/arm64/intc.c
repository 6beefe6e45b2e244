/* SPDX-License-Identifier: MIT */
/*
 * intc.c - the interrupt controller of hcabi_arch.h on arm64: the GICv3
 * that the device tree describes ("arm,gic-v3"), through its system
 * register interface. The binding delivers HCABI's interrupts as PPIs
 * HCABI_ARM64_VECTOR_MIN..MAX, edge-triggered: each vCPU makes them group 1,
 * edge, enabled in its redistributor; every other SGI and PPI stays
 * disabled. Without a GICv3 (QEMU virt's default is a GICv2) the
 * controller does nothing: nothing is pending and no interrupt is taken.
 */
#include "hcabi_fdt.h"
#include "hcabi_guest.h"
#include "hcabi_internal.h"

#define ICC_PMR_EL1 S3_0_C4_C6_0
#define ICC_IAR1_EL1 S3_0_C12_C12_0
#define ICC_EOIR1_EL1 S3_0_C12_C12_1
#define ICC_BPR1_EL1 S3_0_C12_C12_3
#define ICC_SRE_EL1 S3_0_C12_C12_5
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICC_SGI1R_EL1 S3_0_C12_C11_5

#define GICD_CTLR 0x0000
#define GICD_CTLR_RWP (1u << 31)
#define GICD_CTLR_ARE (1u << 4)
#define GICD_CTLR_GRP1 (1u << 1)
#define GICR_WAKER 0x0014
#define GICR_TYPER 0x0008
#define GICR_TYPER_VLPIS (1ull << 1)
#define GICR_TYPER_LAST (1ull << 4)
#define GICR_SGI 0x10000 /* the SGI_base frame */
#define GICR_IGROUPR0 (GICR_SGI + 0x0080)
#define GICR_ISENABLER0 (GICR_SGI + 0x0100)
#define GICR_ICENABLER0 (GICR_SGI + 0x0180)
#define GICR_ISPENDR0 (GICR_SGI + 0x0200)
#define GICR_ICPENDR0 (GICR_SGI + 0x0280)
#define GICR_ISACTIVER0 (GICR_SGI + 0x0300)
#define GICR_IPRIORITYR (GICR_SGI + 0x0400)
#define GICR_ICFGR1 (GICR_SGI + 0x0C04)
#define SPURIOUS 1023u

static uint64_t gicd;			/* 0: no GICv3 */
static uint64_t gicr_base[4], gicr_size[4]; /* the redistributor regions */
static unsigned gicr_regions;
/* vCPUs by index up to INTC_CPUS, past the runtime's HCABI_MAX_CPUS: the
 * VCPU tests' own starts take interrupts on vCPUs the runtime never starts
 * (ipi-wide: vCPUs 63 to 65). */
#define INTC_CPUS 128u
static uint64_t gicr[INTC_CPUS];   /* each vCPU's redistributor */
static uint32_t active[INTC_CPUS]; /* the INTID being handled, for its EOI */

/* Registers through hcabi_mmio_* (single accesses a hypervisor can
 * emulate: hcabi_arm64.h). */
static uint32_t rd32(uint64_t base, uint64_t off)
{
	return hcabi_mmio_read32(base + off);
}

static void wr32(uint64_t base, uint64_t off, uint32_t v)
{
	hcabi_mmio_write32(base + off, v);
}

/* The GICv3 of the device tree: the distributor, the redistributor
 * regions. */
static void find_gic(void)
{
	const struct hcabi_fdt *f = hcabi_fdt();
	uint64_t size;
	int d = 0;

	for (int n = f ? hcabi_fdt_root(f) : HCABI_FDT_NONE; n != HCABI_FDT_NONE;
	     n = hcabi_fdt_next_node(f, n, &d)) {
		uint32_t len = 0;
		const void *v;
		unsigned regions = 1;
		if (!hcabi_fdt_compatible(f, n, "arm,gic-v3") || !hcabi_fdt_reg(f, n, 0, &gicd, &size))
			continue;
		v = hcabi_fdt_prop(f, n, "#redistributor-regions", &len);
		if (v && len == 4)
			regions = hcabi_fdt32(v);
		for (unsigned i = 0; i < regions && i < HCABI_ARRAY_SIZE(gicr_base); i++)
			if (hcabi_fdt_reg(f, n, 1 + i, &gicr_base[i], &gicr_size[i]))
				gicr_regions = i + 1;
		if (!gicr_regions)
			gicd = 0;
		return;
	}
}

/* The redistributor whose affinity is the calling vCPU's MPIDR. */
static uint64_t find_redistributor(void)
{
	uint64_t mpidr = hcabi_read_sysreg(mpidr_el1);
	uint64_t aff = (mpidr & 0xFFFFFFull) | (((mpidr >> 32) & 0xFF) << 24);

	for (unsigned i = 0; i < gicr_regions; i++) {
		for (uint64_t off = 0; off + 0x20000 <= gicr_size[i];) {
			uint64_t rd = gicr_base[i] + off;
			uint64_t typer = hcabi_mmio_read64(rd + GICR_TYPER);
			if ((typer >> 32) == aff)
				return rd;
			if (typer & GICR_TYPER_LAST)
				break;
			off += (typer & GICR_TYPER_VLPIS) ? 0x40000 : 0x20000;
		}
	}
	return 0;
}

void hcabi_intc_enable(void)
{
	static bool probed;
	unsigned cpu = hcabi_cpu_index();
	uint64_t rd;
	uint32_t ppis = 0;

	if (!probed) { /* vCPU 0, at boot */
		probed = true;
		find_gic();
		if (gicd) {
			wr32(gicd, GICD_CTLR, rd32(gicd, GICD_CTLR) | GICD_CTLR_ARE | GICD_CTLR_GRP1);
			for (unsigned n = 0; n < 100000 && (rd32(gicd, GICD_CTLR) & GICD_CTLR_RWP); n++)
				hcabi_pause();
		} else {
			hcabi_printf("arm64: no GICv3 in the device tree: interrupts are not taken");
		}
	}
	if (!gicd || cpu >= INTC_CPUS || !(rd = find_redistributor()))
		return;
	gicr[cpu] = rd;
	/* awake (ProcessorSleep off), then wait for ChildrenAsleep to clear */
	wr32(rd, GICR_WAKER, rd32(rd, GICR_WAKER) & ~(1u << 1));
	for (unsigned n = 0; n < 100000 && (rd32(rd, GICR_WAKER) & (1u << 2)); n++)
		hcabi_pause();
	wr32(rd, GICR_ICENABLER0, 0xFFFFFFFFu);
	wr32(rd, GICR_ICPENDR0, 0xFFFFFFFFu);
	wr32(rd, GICR_IGROUPR0, 0xFFFFFFFFu);
	for (unsigned v = 0; v < 32; v++)
		hcabi_mmio_write8(rd + GICR_IPRIORITYR + v, 0xA0);
	for (unsigned v = HCABI_ARM64_VECTOR_MIN; v <= HCABI_ARM64_VECTOR_MAX; v++) {
		wr32(rd, GICR_ICFGR1, rd32(rd, GICR_ICFGR1) | 2u << (2 * (v - 16))); /* edge */
		ppis |= 1u << v;
	}
	wr32(rd, GICR_ISENABLER0, ppis);
	hcabi_write_sysreg(ICC_SRE_EL1, hcabi_read_sysreg(ICC_SRE_EL1) | 1);
	hcabi_isb();
	hcabi_write_sysreg(ICC_PMR_EL1, 0xFF);
	hcabi_write_sysreg(ICC_BPR1_EL1, 0);
	hcabi_write_sysreg(ICC_IGRPEN1_EL1, 1);
	hcabi_isb();
}

unsigned hcabi__intc_ack(void)
{
	unsigned cpu = hcabi_cpu_index();
	uint32_t intid;

	if (cpu >= INTC_CPUS || !gicr[cpu])
		return SPURIOUS;
	intid = (uint32_t)hcabi_read_sysreg(ICC_IAR1_EL1) & 0xFFFFFF;
	hcabi_isb();
	active[cpu] = intid;
	return intid;
}

void hcabi_intc_eoi(void)
{
	unsigned cpu = hcabi_cpu_index();

	if (cpu >= INTC_CPUS || !gicr[cpu] || active[cpu] >= 1020)
		return;
	hcabi_write_sysreg(ICC_EOIR1_EL1, active[cpu]);
	hcabi_isb();
	active[cpu] = SPURIOUS;
}

static bool sgi_ppi_bit(unsigned vector, uint64_t off)
{
	unsigned cpu = hcabi_cpu_index();
	return vector < 32 && cpu < INTC_CPUS && gicr[cpu] &&
	       (rd32(gicr[cpu], off) >> vector) & 1;
}

bool hcabi_intc_pending(unsigned vector)
{
	return sgi_ppi_bit(vector, GICR_ISPENDR0);
}

bool hcabi_intc_in_service(unsigned vector)
{
	return sgi_ppi_bit(vector, GICR_ISACTIVER0);
}

void hcabi_intc_self_ipi(unsigned vector)
{
	unsigned cpu = hcabi_cpu_index();

	if (vector >= 32 || cpu >= INTC_CPUS || !gicr[cpu])
		return;
	/* a PPI or SGI made pending in the redistributor, as an edge would */
	wr32(gicr[cpu], GICR_ISPENDR0, 1u << vector);
	__asm__ __volatile__("dsb sy" ::: "memory");
}
