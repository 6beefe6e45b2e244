/* SPDX-License-Identifier: MIT */
/*
 * TLB.FLUSH and the width of "canonical" on x86-64: TLB-001.3, TLB-006
 * (arm64 reads canonical as bits 63:48 all equal: ARM64-034,
 * arch/arm64/).
 *
 * What:
 *  - a range that only 5-level paging makes canonical (in the hole of
 *    48-bit addresses, or reaching into it) is INVALID_PARAM or SUCCESS
 *    with 0 before 1.2, where "canonical" had no width; from 1.2 it is
 *    INVALID_PARAM (TLB-001.3, TLB-006): either side of the 48-bit hole, a
 *    range running into it, the first page of the 57-bit upper half.
 * Why: "Canonical" had no width before 1.2: HCABI 1.x's x86-64 binding
 * serves guests with 4-level paging (as every PVH guest starts), and a
 * hypervisor core that does not see the caller's CR4 can check 48 bits but
 * not the caller's paging mode.
 */
#include "tlb_x86.h"

/* Ranges that are canonical with 57-bit linear addresses (5-level paging)
 * but not with 48-bit ones. */
static const struct tlb_range {
	uint64_t gva, npages;
	const char *what;
} tlb_canonical_57_only[] = {
    {0x0000800000000000ull, 1, "2^47, the first page past the 48-bit lower half"},
    {0xFFFF7FFFFFFFF000ull, 1, "the last page below the 48-bit upper half"},
    {0x00007FFFFFFFF000ull, 2, "the last lower-half page and the next"},
    {0x00007FFFFFFFE000ull, 1ull << 20, "a range from the lower half into the hole"},
    {0xFF00000000000000ull, 1, "the first page of the 57-bit upper half"},
};
static const size_t tlb_canonical_57_only_count = HCABI_ARRAY_SIZE(tlb_canonical_57_only);

HCABI_TEST(tlb_canonical_48, "TLB.flush_canonical_48_bits", "TLB-006," HCABI_REQ_VALUE_ZERO,
	   HCABI_VERSION_1_2)
{
	uint64_t self = 1ull << hcabi_cpu_index();

	for (size_t i = 0; i < tlb_canonical_57_only_count; i++) {
		const struct tlb_range *c = &tlb_canonical_57_only[i];
		check_status(hcabi_tlb_flush(self, 0, c->gva, c->npages), HCABI_ERR_INVALID_PARAM,
			     "TLB-006", "FLUSH(the caller, gva 0x%llx, npages 0x%llx: %s)",
			     (unsigned long long)c->gva, (unsigned long long)c->npages, c->what);
	}
}

/*
 * A range that only 5-level paging makes canonical (the hole of 48-bit
 * addresses: from 2^47 to 2^64 - 2^47). 1.0 and 1.1 say "canonical" without
 * a width, so both INVALID_PARAM (48 bits, or the caller's 4-level paging)
 * and SUCCESS with 0 (57 bits) conform there. From 1.2 TLB-006 gives
 * "canonical" its width, so this test requires INVALID_PARAM (and
 * TLB.flush_canonical_48_bits checks the same ranges against TLB-006).
 */
HCABI_TEST(tlb_flush_range_57, "TLB.flush_range_canonical_57_only",
	   "TLB-001.3," HCABI_REQ_VALUE_ZERO, HCABI_FID_TLB_FLUSH_SINCE)
{
	uint64_t self = 1ull << hcabi_cpu_index();
	bool width_decided = hcabi_spec() >= HCABI_VERSION_1_2;

	for (size_t i = 0; i < tlb_canonical_57_only_count; i++) {
		const struct tlb_range *c = &tlb_canonical_57_only[i];
		struct hcabi_ret r = hcabi_tlb_flush(self, 0, c->gva, c->npages);
		if (width_decided || r.status == HCABI_ERR_INVALID_PARAM)
			check_status(r, HCABI_ERR_INVALID_PARAM, "TLB-001.3",
				     "FLUSH(the caller, gva 0x%llx, npages 0x%llx: %s): not "
				     "canonical in 48 bits",
				     (unsigned long long)c->gva, (unsigned long long)c->npages,
				     c->what);
		else
			check_ret(r, HCABI_SUCCESS, 0, "TLB-001.3",
				  "FLUSH(the caller, gva 0x%llx, npages 0x%llx: %s): INVALID_PARAM "
				  "or, canonical in 57 bits, SUCCESS with 0",
				  (unsigned long long)c->gva, (unsigned long long)c->npages,
				  c->what);
	}
}
