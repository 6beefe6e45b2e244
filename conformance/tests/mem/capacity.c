/* SPDX-License-Identifier: MIT */
/*
 * MEM.GET_LAYOUT's buffer check, since HCABI 1.2: MEM-013.
 *
 * What (when the last page of RAM is free for the test): a buffer whose
 * `total` entries end exactly at the end of RAM, with max_entries total + 1,
 * total + 1000 and 2^62 (the capacity reaching past the end of RAM, and
 * for the last, max_entries * 24 past 2^64), returns SUCCESS with the total and writes the
 * entries (MEM-013).
 * Why: MEM-012 says "the entries it would write", which 1.0 and 1.1 let an
 * implementation read as the whole capacity; a guest that passes a generous
 * max_entries with a buffer sized for the total it got from a count-only
 * call would then fail.
 */
#include "mem_common.h"

HCABI_TEST(mem_layout_capacity, "MEM.get_layout_checks_written_entries",
	   "MEM-013," HCABI_REQ_VALUE_ZERO, HCABI_VERSION_1_2)
{
	static const uint64_t extra[] = {1, 1000, (1ull << 62)};
	uint64_t top = hcabi_ram_top(), total, gpa;

	if (!mem_layout_at_end_of_ram(&total, &gpa))
		return;
	if (gpa & 7) {
		test_skip("the entries cannot end exactly at the end of RAM 8-byte aligned");
		return;
	}
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(extra); i++) {
		uint64_t max = extra[i] == (1ull << 62) ? extra[i] : total + extra[i];
		hcabi_fill(hcabi_gpa_ptr(gpa), 0xA5, (size_t)(top - gpa));
		check_ret(
		    hcabi_mem_get_layout(gpa, max), HCABI_SUCCESS, total, "MEM-013",
		    "GET_LAYOUT(%llu entries' room ending at the end of RAM, max_entries %llu)",
		    (unsigned long long)total, (unsigned long long)max);
		check_true(((const struct hcabi_mem_range *)hcabi_gpa_ptr(gpa))->type ==
			       HCABI_MEM_RANGE_RAM,
			   "MEM-013", "the first entry was written (max_entries %llu)",
			   (unsigned long long)max);
	}
}
