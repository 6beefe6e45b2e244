/* SPDX-License-Identifier: MIT */
/*
 * TLB.FLUSH edges that HCABI 1.2 decides: TLB-004, TLB-005, TLB-006.
 *
 * What:
 *  - with mask 0 and npages not zero, a misaligned gva (0x1001), a
 *    non-canonical one (2^47) and a range that wraps around 2^64 are
 *    INVALID_PARAM with RDX = 0 (TLB-004);
 *  - FLUSH of the caller for the last page of the address space (gva
 *    0xFFFFFFFFFFFFF000, npages 1: the range ends exactly at 2^64) returns
 *    SUCCESS with 0 (TLB-005; top.c checks that such a flush takes effect,
 *    and accepts INVALID_PARAM before 1.2);
 *  - FLUSH of the caller for a range that is canonical with 57-bit linear
 *    addresses but not with 48-bit ones (tlb_canonical_57_only below:
 *    either side of the 48-bit hole, a range running into it, the first
 *    page of the 57-bit upper half) is INVALID_PARAM with RDX = 0
 *    (TLB-006; flush_args.c accepts SUCCESS too before 1.2).
 * Why: 1.0 and 1.1 do not say whether the range is checked when mask is 0,
 * nor whether an end of exactly 2^64 "overflows"; a kernel that maps its
 * image in the top 2 GiB needs the top page flushable. "Canonical" had no
 * width: HCABI 1.x's x86-64 binding serves guests with 4-level paging (as
 * every PVH guest starts), and a hypervisor core that does not see the
 * caller's CR4 can check 48 bits but not the caller's paging mode.
 */
#include "tlb_common.h"

HCABI_TEST(tlb_mask_zero_bad_range, "TLB.flush_mask_zero_bad_range", "TLB-004,X86-005",
	   HCABI_VERSION_1_2)
{
	static const struct {
		uint64_t gva, npages;
		const char *what;
	} cases[] = {
	    {0x1001, 1, "misaligned gva"},
	    {0x1234000000000000ull, 1, "a gva canonical in no paging mode"},
	    {0xFFFFFFFFFFFFE000ull, 3, "a range that wraps around 2^64"},
	};
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(cases); i++)
		check_status(hcabi_tlb_flush(0, 0, cases[i].gva, cases[i].npages),
			     HCABI_ERR_INVALID_PARAM, "TLB-004",
			     "FLUSH(mask 0, gva 0x%llx, npages %llu: %s)",
			     (unsigned long long)cases[i].gva, (unsigned long long)cases[i].npages,
			     cases[i].what);
}

HCABI_TEST(tlb_flush_top_page, "TLB.flush_top_page_accepted", "TLB-005,X86-005", HCABI_VERSION_1_2)
{
	check_ret(hcabi_tlb_flush(1ull << hcabi_cpu_index(), 0, 0xFFFFFFFFFFFFF000ull, 1),
		  HCABI_SUCCESS, 0, "TLB-005",
		  "FLUSH(self, gva 0xFFFFFFFFFFFFF000, npages 1: ends exactly at 2^64)");
}

const struct tlb_range tlb_canonical_57_only[] = {
    {0x0000800000000000ull, 1, "2^47, the first page past the 48-bit lower half"},
    {0xFFFF7FFFFFFFF000ull, 1, "the last page below the 48-bit upper half"},
    {0x00007FFFFFFFF000ull, 2, "the last lower-half page and the next"},
    {0x00007FFFFFFFE000ull, 1ull << 20, "a range from the lower half into the hole"},
    {0xFF00000000000000ull, 1, "the first page of the 57-bit upper half"},
};
const size_t tlb_canonical_57_only_count = HCABI_ARRAY_SIZE(tlb_canonical_57_only);

HCABI_TEST(tlb_canonical_48, "TLB.flush_canonical_48_bits", "TLB-006,X86-005", HCABI_VERSION_1_2)
{
	uint64_t self = 1ull << hcabi_cpu_index();

	for (size_t i = 0; i < tlb_canonical_57_only_count; i++) {
		const struct tlb_range *c = &tlb_canonical_57_only[i];
		check_status(hcabi_tlb_flush(self, 0, c->gva, c->npages), HCABI_ERR_INVALID_PARAM,
			     "TLB-006", "FLUSH(the caller, gva 0x%llx, npages 0x%llx: %s)",
			     (unsigned long long)c->gva, (unsigned long long)c->npages, c->what);
	}
}
