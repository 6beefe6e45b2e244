/* SPDX-License-Identifier: MIT */
/*
 * VCPU.YIELD: VCPU-050.
 *
 * What: YIELD(HCABI_VCPU_ANY), YIELD of the caller, of a stopped vCPU and
 * of the last index return SUCCESS with 0 (a target that exists is valid
 * whatever its state), many times in a row; an index not below the count
 * (the count, count + 1, 2^32, 2^64 - 2) is INVALID_PARAM with RDX = 0.
 * Why: YIELD is a hint with no effect a guest can rely on, so only its
 * statuses and values are checkable; a spin-loop calls it in a hot path and
 * must get a plain SUCCESS.
 */
#include "vcpu_common.h"

HCABI_TEST(vcpu_yield, "VCPU.yield", "VCPU-050.1,VCPU-050.2," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_VCPU_YIELD_SINCE)
{
	uint64_t n = vcpu_count();
	const uint64_t good[] = {HCABI_VCPU_ANY, hcabi_cpu_index(), n - 1, n > 1 ? 1 : 0};
	const uint64_t bad[] = {n, n + 1, 1ull << 32, 0xFFFFFFFFFFFFFFFEull, 0x00000000FFFFFFFFull};
	unsigned fails = 0;

	for (size_t i = 0; i < HCABI_ARRAY_SIZE(good); i++)
		check_ret(hcabi_vcpu_yield(good[i]), HCABI_SUCCESS, 0, "VCPU-050.2",
			  "YIELD(0x%llx)", (unsigned long long)good[i]);
	for (int i = 0; i < 100; i++) {
		struct hcabi_ret r = hcabi_vcpu_yield(i & 1 ? HCABI_VCPU_ANY : 0);
		if (r.status != HCABI_SUCCESS || r.value != 0)
			fails++;
	}
	check_eq_u64(fails, 0, "VCPU-050.2", "of 100 YIELDs in a row, not SUCCESS with 0");
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(bad); i++)
		check_status(hcabi_vcpu_yield(bad[i]), HCABI_ERR_INVALID_PARAM, "VCPU-050.1",
			     "YIELD(0x%llx) with %llu vCPUs", (unsigned long long)bad[i],
			     (unsigned long long)n);
}
