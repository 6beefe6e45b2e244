/* SPDX-License-Identifier: MIT */
/*
 * mem_common.h - what the MEM tests share: GET_LAYOUT's entry buffer placed
 * at the very end of RAM.
 */
#ifndef HCABI_MEM_COMMON_H
#define HCABI_MEM_COMMON_H

#include "hcabi_test.h"
#include "hcabi_ram.h"

/* The layout's total (from a count-only GET_LAYOUT) and the address at which
 * `total` entries end exactly at the end of RAM (not rounded: the caller
 * decides about 8-byte alignment). False, after test_skip or test_error,
 * when the last page of RAM is not free for the test or the count query
 * does not give a plausible total. */
static inline bool mem_layout_at_end_of_ram(uint64_t *total, uint64_t *gpa)
{
	struct hcabi_ret r;

	if (!hcabi_top_page_free()) {
		test_skip("the last page of RAM is not free for the test");
		return false;
	}
	r = hcabi_mem_get_layout(0, 0);
	if (r.status != HCABI_SUCCESS || r.value == 0 || r.value > 64) {
		test_error("GET_LAYOUT(count only) gave status %lld, total %llu",
			   (long long)r.status, (unsigned long long)r.value);
		return false;
	}
	*total = r.value;
	*gpa = hcabi_ram_top() - r.value * sizeof(struct hcabi_mem_range);
	return true;
}

#endif
