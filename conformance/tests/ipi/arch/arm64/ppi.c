/* SPDX-License-Identifier: MIT */
/*
 * IPI.SEND's vectors on arm64: ARM64-020 .. ARM64-023 (built for arm64
 * only).
 *
 * What:
 *  - the device tree describes a GICv3 (`arm,gic-v3`) whose redistributor
 *    regions hold a redistributor (128 KiB) for every vCPU (ARM64-023);
 *  - every value 0..255 of bits 7:0, sent to the caller: 16..22 return
 *    SUCCESS with 0, every other value INVALID_PARAM (ARM64-021);
 *  - each of 16..22, sent to the caller with interrupts masked, is pending
 *    in the caller's redistributor (GICR_ISPENDR0) when SEND returns, is
 *    acknowledged as exactly that INTID (ICC_IAR1_EL1) once interrupts are
 *    unmasked (ARM64-020), exactly once, and is no longer pending after it
 *    was taken: an edge, which a level-sensitive line still raised would
 *    deliver again (ARM64-022).
 * Why: an arm64 guest routes these PPIs through its GIC driver by INTID; a
 * hypervisor that raises a level and never lowers it storms the guest, and
 * one whose range differs from the binding's rejects a guest's vector or
 * accepts one the guest cannot take.
 */
#include "ipi_common.h"

#include "hcabi_fdt.h"

#define GICR_FRAMES_SIZE 0x20000ull /* RD_base and SGI_base, 64 KiB each */

/* The redistributor regions' total size in the device tree's GICv3 node;
 * -1 without one. */
static int64_t a64_gicr_bytes(unsigned *regions)
{
	const struct hcabi_fdt *f = hcabi_fdt();
	int depth = 0, node;
	uint64_t base, size, total = 0;
	uint32_t len = 0;
	const void *p;

	if (!f)
		return -1;
	for (node = hcabi_fdt_root(f); node != HCABI_FDT_NONE;
	     node = hcabi_fdt_next_node(f, node, &depth))
		if (hcabi_fdt_compatible(f, node, "arm,gic-v3"))
			break;
	if (node == HCABI_FDT_NONE)
		return -1;
	p = hcabi_fdt_prop(f, node, "#redistributor-regions", &len);
	*regions = p && len == 4 ? hcabi_fdt32(p) : 1;
	for (unsigned i = 1; i <= *regions; i++)
		if (hcabi_fdt_reg(f, node, i, &base, &size))
			total += size;
	return (int64_t)total;
}

HCABI_TEST(ipi_a64_ppis, "IPI.arm64_vectors_are_ppis",
	   "ARM64-020,ARM64-021,ARM64-022,ARM64-023," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_IPI_SEND_SINCE)
{
	unsigned me = hcabi_cpu_index(), n = ipi_vcpu_count(), regions = 0, refused = 0;
	int64_t gicr = a64_gicr_bytes(&regions);

	if (check_true(gicr >= 0, "ARM64-023", "the device tree has an arm,gic-v3 node"))
		check_true(n == 0 || (uint64_t)gicr >= n * GICR_FRAMES_SIZE, "ARM64-023",
			   "its %u redistributor region(s), 0x%llx bytes, hold a redistributor "
			   "for each of the %u vCPUs",
			   regions, (unsigned long long)gicr, n);

	for (unsigned v = 0; v < 256; v++) {
		bool valid = v >= HCABI_ARM64_VECTOR_MIN && v <= HCABI_ARM64_VECTOR_MAX;
		uint64_t before;
		struct hcabi_ret r;

		if (!valid) {
			r = hcabi_ipi_send(1ull << me, 0, v);
			if (r.status == HCABI_ERR_INVALID_PARAM && r.value == 0)
				refused++;
			else
				check_status(r, HCABI_ERR_INVALID_PARAM, "ARM64-021",
					     "SEND(the caller, vector %u: outside 16..22)", v);
			continue;
		}
		hcabi_irq_register(v, ipi_count_handler);
		before = hcabi_irq_count(me, v);
		if (!check_ret(hcabi_ipi_send(1ull << me, 0, v), HCABI_SUCCESS, 0, "ARM64-021",
			       "SEND(the caller, vector %u: inside 16..22)", v))
			continue;
		check_true(hcabi_intc_pending(v), "ARM64-022",
			   "PPI %u is pending in the caller's redistributor when SEND returns", v);
		check_eq_u64(ipi_take(v, before, 1, HCABI_SEC(10), HCABI_MS(100)), 1, "ARM64-020",
			     "interrupts acknowledged as INTID %u once unmasked", v);
		check_true(!hcabi_intc_pending(v), "ARM64-022",
			   "PPI %u is no longer pending once taken (an edge)", v);
	}
	check_eq_u64(refused, 256 - (HCABI_ARM64_VECTOR_MAX - HCABI_ARM64_VECTOR_MIN + 1),
		     "ARM64-021",
		     "SENDs with bits 7:0 outside 16..22 that returned INVALID_PARAM with x1 = 0");
}
