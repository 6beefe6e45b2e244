/* SPDX-License-Identifier: MIT */
/*
 * intc.c - the interrupt controller of hcabi_arch.h on riscv64: each hart's
 * S-level interrupt file of the IMSIC that the device tree describes
 * ("riscv,imsics" whose interrupts-extended name supervisor external
 * interrupts, 9), through the Smaia CSRs. The binding delivers HCABI's
 * interrupts as identities HCABI_RISCV64_VECTOR_MIN..MAX of that file: each
 * hart enables delivery and every one of them (eidelivery, eithreshold 0,
 * eie0) and takes them as supervisor external interrupts, claimed through
 * stopei, which also clears them (an IMSIC has no end of interrupt: the
 * identity being handled is kept per hart for hcabi_intc_in_service).
 * Without an IMSIC, or without the CSRs, nothing is taken and a text line
 * says so.
 */
#include "hcabi_dt.h"
#include "hcabi_guest.h"
#include "hcabi_internal.h"

#define IMSIC_PAGE 0x1000ull
#define SETEIPNUM_LE 0x000

static bool probed, present;		      /* an S-level IMSIC, and its CSRs */
static uint64_t imsic_base[4], imsic_size[4]; /* its reg regions */
static unsigned imsic_regions;
static int imsic_node = HCABI_FDT_NONE;
/* vCPUs by index up to INTC_CPUS, past the runtime's HCABI_MAX_CPUS: the
 * VCPU tests' own starts take interrupts on vCPUs the runtime never starts
 * (ipi-wide: vCPUs 63 to 65). */
#define INTC_CPUS 128u
static uint64_t page[INTC_CPUS];   /* each hart's interrupt file */
static unsigned active[INTC_CPUS]; /* the identity being handled, 0: none */

static uint64_t ireg_read(unsigned sel)
{
	hcabi_csr_write(HCABI_CSR_SISELECT, sel);
	return hcabi_csr_read(HCABI_CSR_SIREG);
}

static void ireg_write(unsigned sel, uint64_t v)
{
	hcabi_csr_write(HCABI_CSR_SISELECT, sel);
	hcabi_csr_write(HCABI_CSR_SIREG, v);
}

/* The S-level IMSIC of the device tree: its node and reg regions. */
static void find_imsic(const struct hcabi_fdt *f)
{
	int d = 0;

	for (int n = f ? hcabi_fdt_root(f) : HCABI_FDT_NONE; n != HCABI_FDT_NONE;
	     n = hcabi_fdt_next_node(f, n, &d)) {
		uint32_t len = 0;
		const uint8_t *ie = hcabi_fdt_prop(f, n, "interrupts-extended", &len);
		if (!hcabi_fdt_compatible(f, n, "riscv,imsics") || !ie || len < 8 ||
		    hcabi_fdt32(ie + 4) != HCABI_IRQ_S_EXTERNAL)
			continue;
		for (unsigned i = 0; i < HCABI_ARRAY_SIZE(imsic_base); i++)
			if (hcabi_fdt_reg(f, n, i, &imsic_base[i], &imsic_size[i]))
				imsic_regions = i + 1;
		if (imsic_regions)
			imsic_node = n;
		return;
	}
}

/* The phandle of the interrupt controller of the cpu node whose reg is
 * `hart`, or 0. */
static uint32_t hart_intc_phandle(const struct hcabi_fdt *f, uint64_t hart)
{
	int cpus = hcabi_fdt_path(f, "/cpus", 5), d = 0, cpu_depth_node = HCABI_FDT_NONE;

	for (int n = cpus == HCABI_FDT_NONE ? HCABI_FDT_NONE : hcabi_fdt_next_node(f, cpus, &d);
	     n != HCABI_FDT_NONE && d > 0; n = hcabi_fdt_next_node(f, n, &d)) {
		uint64_t reg, size;
		uint32_t len = 0;
		const void *ph;
		if (d == 1) {
			cpu_depth_node =
			    hcabi_fdt_reg(f, n, 0, &reg, &size) && reg == hart ? n : HCABI_FDT_NONE;
			continue;
		}
		if (d != 2 || cpu_depth_node == HCABI_FDT_NONE ||
		    !hcabi_fdt_compatible(f, n, "riscv,cpu-intc"))
			continue;
		ph = hcabi_fdt_prop(f, n, "phandle", &len);
		return ph && len == 4 ? hcabi_fdt32(ph) : 0;
	}
	return 0;
}

/* The interrupt file of `hart`: the page whose interrupts-extended entry
 * names the hart's controller (pages run on across the reg regions); the
 * hart ID's page when the tree does not say. */
static uint64_t hart_page(const struct hcabi_fdt *f, uint64_t hart)
{
	uint32_t len = 0, ph = hart_intc_phandle(f, hart);
	const uint8_t *ie = hcabi_fdt_prop(f, imsic_node, "interrupts-extended", &len);
	uint64_t k = hart;

	for (uint32_t i = 0; ph && i + 8 <= len; i += 8)
		if (hcabi_fdt32(ie + i) == ph) {
			k = i / 8;
			break;
		}
	for (unsigned r = 0; r < imsic_regions; r++) {
		if (k < imsic_size[r] / IMSIC_PAGE)
			return imsic_base[r] + k * IMSIC_PAGE;
		k -= imsic_size[r] / IMSIC_PAGE;
	}
	return 0;
}

void hcabi_intc_enable(void)
{
	struct hcabi_cpu *c = hcabi_this_cpu();
	unsigned cpu = (unsigned)c->index;
	uint64_t ids = 0;

	if (!probed) { /* vCPU 0, at boot */
		probed = true;
		find_imsic(hcabi_fdt());
		if (imsic_node == HCABI_FDT_NONE) {
			hcabi_printf("riscv64: no S-level IMSIC (riscv,imsics) in the device tree: "
				     "interrupts are not taken");
			return;
		}
		/* the Smaia CSRs: an illegal instruction without them */
		expect_exception(HCABI_EXC_ILLEGAL);
		(void)ireg_read(HCABI_IMSIC_EIDELIVERY);
		if (exception_end(0)) {
			hcabi_printf("riscv64: the hart has no siselect/sireg (Smaia): interrupts "
				     "are not taken");
			return;
		}
		present = true;
	}
	if (!present || cpu >= INTC_CPUS)
		return;
	page[cpu] = hart_page(hcabi_fdt(), c->hartid);
	ireg_write(HCABI_IMSIC_EIDELIVERY, 0);
	ireg_write(HCABI_IMSIC_EITHRESHOLD, 0); /* no identity masked by priority */
	for (unsigned v = HCABI_RISCV64_VECTOR_MIN; v <= HCABI_RISCV64_VECTOR_MAX; v++)
		ids |= 1ull << v;
	ireg_write(HCABI_IMSIC_EIP0, 0);
	ireg_write(HCABI_IMSIC_EIE0, ids);
	ireg_write(HCABI_IMSIC_EIDELIVERY, 1);
	active[cpu] = 0;
	hcabi_csr_set(sie, HCABI_SIE_SEIE);
}

unsigned hcabi__intc_claim(void)
{
	unsigned cpu = hcabi_cpu_index();
	uint64_t top;

	if (!present || cpu >= INTC_CPUS)
		return 0;
	/* the highest-priority (lowest) pending and enabled identity, cleared */
	__asm__ __volatile__("csrrw %0, " HCABI__CSTR(HCABI_CSR_STOPEI) ", zero"
			     : "=r"(top)::"memory");
	active[cpu] = (unsigned)(top >> 16) & 0x7FF;
	return active[cpu];
}

void hcabi_intc_eoi(void)
{
	unsigned cpu = hcabi_cpu_index();

	if (cpu < INTC_CPUS)
		active[cpu] = 0;
}

bool hcabi_intc_pending(unsigned vector)
{
	return present && vector < 64 && (ireg_read(HCABI_IMSIC_EIP0) >> vector) & 1;
}

bool hcabi_intc_in_service(unsigned vector)
{
	unsigned cpu = hcabi_cpu_index();
	return present && cpu < INTC_CPUS && vector && active[cpu] == vector;
}

void hcabi_intc_self_ipi(unsigned vector)
{
	unsigned cpu = hcabi_cpu_index();

	if (!present || cpu >= INTC_CPUS || !page[cpu] || !vector || vector >= 64)
		return;
	/* a message to the hart's own interrupt file, as a device's MSI */
	hcabi_mmio_write32(page[cpu] + SETEIPNUM_LE, vector);
	hcabi_mb();
}
