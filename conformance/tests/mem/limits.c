/* SPDX-License-Identifier: MIT */
/*
 * MEM limits, the valid side at the end of RAM: MEM-001.3, MEM-001.4, MEM-002,
 * MEM-012.2.
 *
 * What (when the last page of RAM is free for the test):
 *  - GET_LAYOUT with an entry buffer ending exactly at the end of RAM
 *    returns SUCCESS with the total and writes the entries there (MEM-012.2;
 *    one byte further is INVALID_ADDRESS: layout.c);
 *  - RELEASE of the last page of RAM returns SUCCESS with 1 and the page
 *    then reads as zero (MEM-001.3, MEM-002); RELEASE of that page and the
 *    next (one page past the end) is INVALID_ADDRESS with nothing released:
 *    a pattern written after the first release stays (MEM-001.4).
 * Why: an end-of-buffer check written `gpa + len < top` instead of `<=`
 * rejects the last bytes of RAM, which a guest's allocator hands out like
 * any other.
 */
#include "mem_common.h"

HCABI_TEST(mem_end_of_ram, "MEM.end_of_ram_valid",
	   "MEM-001.3,MEM-001.4,MEM-002,MEM-012.2," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_MEM_RELEASE_SINCE)
{
	uint64_t top = hcabi_ram_top(), total, gpa;
	uint8_t *page;

	if (!mem_layout_at_end_of_ram(&total, &gpa))
		return;
	gpa &= ~7ull;
	hcabi_fill(hcabi_gpa_ptr(gpa), 0xA5, (size_t)(top - gpa));
	check_ret(hcabi_mem_get_layout(gpa, (top - gpa) / sizeof(struct hcabi_mem_range)),
		  HCABI_SUCCESS, total, "MEM-012.2",
		  "GET_LAYOUT(%llu entries ending exactly at the end of RAM 0x%llx)",
		  (unsigned long long)total, (unsigned long long)top);
	check_true(((const struct hcabi_mem_range *)hcabi_gpa_ptr(gpa))->type == HCABI_MEM_RANGE_RAM,
		   "MEM-012.2", "the first entry at the end of RAM was written");

	page = hcabi_gpa_ptr(top - 4096);
	hcabi_fill(page, 0x5A, 4096);
	check_ret(hcabi_mem_release(top - 4096, 1), HCABI_SUCCESS, 1, "MEM-001.3",
		  "RELEASE(the last page of RAM, 1)");
	check_eq_u64((uint64_t)hcabi_find_not(page, 0, 4096), (uint64_t)-1, "MEM-002",
		     "the released last page reads as zero (offset of the first non-zero byte)");
	hcabi_fill(page, 0x3C, 4096);
	check_status(hcabi_mem_release(top - 4096, 2), HCABI_ERR_INVALID_ADDRESS, "MEM-001.3",
		     "RELEASE(the last page of RAM, 2: one page past the end)");
	check_eq_u64((uint64_t)hcabi_find_not(page, 0x3C, 4096), (uint64_t)-1, "MEM-001.4",
		     "the rejected RELEASE released nothing (the page keeps its pattern)");
}
