/* SPDX-License-Identifier: MIT */
/*
 * Discovery through CPUID: DISC-001 .. DISC-003.
 *
 * What: CPUID.1:ECX[31] (hypervisor present) is set; of the 256 candidate
 * bases 0x40000000, 0x40000100, ... 0x4000FF00 exactly one has the HCABI
 * signature at B + 1, and it is the one discovery found; leaf B reports in
 * EAX a highest leaf of at least B + 1 and inside its block (below
 * B + 0x100); leaf B + 1 has HCABI_CPUID_INTERFACE_SIGNATURE in EAX and zero
 * in the reserved EBX, ECX and EDX. The vendor signature in B's EBX, ECX,
 * EDX is free-form: it is logged.
 * Why: a guest finds HCABI with CPUID alone, before it may make any
 * hypercall; two bases, or a base whose leaf count is wrong, make
 * discovery ambiguous.
 */
#include "hcabi_test.h"

HCABI_TEST(disc_hypervisor_bit, "DISC.hypervisor_bit", "DISC-001", HCABI_VERSION_1_0)
{
	check_true(hcabi_cpuid(1, 0).ecx >> 31, "DISC-001", "CPUID.1:ECX[31] (hypervisor present)");
}

HCABI_TEST(disc_base, "DISC.cpuid_base", "DISC-002.1,DISC-002.2", HCABI_VERSION_1_0)
{
	uint32_t found = 0, first = 0;
	uint32_t b = hcabi_disc.base;
	struct hcabi_cpuid r;

	for (uint32_t base = HCABI_CPUID_BASE; base <= HCABI_CPUID_BASE + 0xFF00u;
	     base += HCABI_CPUID_BASE_STRIDE) {
		if (hcabi_cpuid(base + 1, 0).eax == HCABI_CPUID_INTERFACE_SIGNATURE) {
			if (!found++)
				first = base;
			else
				test_log("HCABI signature also at base 0x%x", base);
		}
	}
	check_eq_u64(found, 1, "DISC-002.1", "number of CPUID bases with the HCABI signature");
	check_eq_u64(first, b, "DISC-002.1", "the base is the one discovery found");
	r = hcabi_cpuid(b, 0);
	check_true(r.eax >= b + 1 && r.eax < b + HCABI_CPUID_BASE_STRIDE, "DISC-002.2",
		   "leaf 0x%x EAX (highest leaf) = 0x%x: at least B + 1, inside the block", b,
		   r.eax);
	test_log("vendor signature at leaf 0x%x: %.12s (EBX 0x%08x ECX 0x%08x EDX 0x%08x)", b,
		 hcabi_disc.signature, r.ebx, r.ecx, r.edx);
}

HCABI_TEST(disc_interface_leaf, "DISC.interface_leaf", "DISC-003.1,DISC-003.2", HCABI_VERSION_1_0)
{
	uint32_t b = hcabi_disc.base;
	struct hcabi_cpuid r = hcabi_cpuid(b + 1, 0);

	check_eq_u64(r.eax, HCABI_CPUID_INTERFACE_SIGNATURE, "DISC-003.1", "leaf 0x%x EAX", b + 1);
	check_eq_u64(r.ebx, 0, "DISC-003.2", "leaf 0x%x EBX (reserved)", b + 1);
	check_eq_u64(r.ecx, 0, "DISC-003.2", "leaf 0x%x ECX (reserved)", b + 1);
	check_eq_u64(r.edx, 0, "DISC-003.2", "leaf 0x%x EDX (reserved)", b + 1);
}

/*
 * Since HCABI 1.2: DISC-004. Leaf B reports exactly B + 1, the last leaf
 * that HCABI defines up to 1.2 (DISC-002.2 accepted any leaf of the block
 * from B + 1 on). Leaves past it are not part of HCABI and are not read.
 * Why: a later version that adds leaf B + 2 tells its guests through this
 * value; a hypervisor that reports more leaves than the version defines
 * makes such a guest read a leaf that means something else.
 */
HCABI_TEST(disc_top_leaf, "DISC.top_leaf_exact", "DISC-004", HCABI_VERSION_1_2)
{
	uint32_t b = hcabi_disc.base;

	check_eq_u64(hcabi_cpuid(b, 0).eax, b + 1, "DISC-004",
		     "leaf 0x%x EAX (the highest leaf of the block)", b);
}
