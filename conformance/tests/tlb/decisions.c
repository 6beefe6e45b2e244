/* SPDX-License-Identifier: MIT */
/*
 * TLB.FLUSH edges that HCABI 1.2 decides: TLB-004, TLB-005 (TLB-006, the
 * width of "canonical", is the x86-64 binding's: arch/x86_64/canonical.c).
 *
 * What:
 *  - with mask 0 and npages not zero, a misaligned gva (0x1001), a
 *    non-canonical one (2^47) and a range that wraps around 2^64 are
 *    INVALID_PARAM with RDX = 0 (TLB-004);
 *  - FLUSH of the caller for the last page of the address space (gva
 *    0xFFFFFFFFFFFFF000, npages 1: the range ends exactly at 2^64) returns
 *    SUCCESS with 0 (TLB-005; top.c checks that such a flush takes effect,
 *    and accepts INVALID_PARAM before 1.2);
 * Why: 1.0 and 1.1 do not say whether the range is checked when mask is 0,
 * nor whether an end of exactly 2^64 "overflows"; a kernel that maps its
 * image in the top 2 GiB needs the top page flushable.
 */
#include "tlb_common.h"

HCABI_TEST(tlb_mask_zero_bad_range, "TLB.flush_mask_zero_bad_range",
	   "TLB-004," HCABI_REQ_VALUE_ZERO, HCABI_VERSION_1_2)
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

HCABI_TEST(tlb_flush_top_page, "TLB.flush_top_page_accepted", "TLB-005," HCABI_REQ_VALUE_ZERO,
	   HCABI_VERSION_1_2)
{
	check_ret(hcabi_tlb_flush(1ull << hcabi_cpu_index(), 0, 0xFFFFFFFFFFFFF000ull, 1),
		  HCABI_SUCCESS, 0, "TLB-005",
		  "FLUSH(self, gva 0xFFFFFFFFFFFFF000, npages 1: ends exactly at 2^64)");
}
