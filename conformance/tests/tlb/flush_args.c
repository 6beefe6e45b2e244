/* SPDX-License-Identifier: MIT */
/*
 * TLB.FLUSH arguments: TLB-001.1 to TLB-001.4, TLB-003.1 (stopped targets),
 * TLB-003.3 (mask 0).
 *
 * What:
 *  - a mask naming an index that is not below the vCPU count is
 *    INVALID_PARAM with RDX = 0, including a base near 2^64 whose base + i
 *    wraps around to a small index (TLB-001.1); the count comes from
 *    VCPU.GET_COUNT, so this needs VCPU (skipped without it);
 *  - with npages not zero: a gva with any of bits 11:0 set (TLB-001.2), a
 *    gva canonical in no paging mode (TLB-001.3), a range that wraps
 *    around 2^64, and a page count so large that npages * 4096 overflows
 *    (TLB-001.4) are INVALID_PARAM;
 *  - the valid edges are accepted: the last lower-half page, the first
 *    upper-half page, and, with npages 0, a gva that would be invalid (it is
 *    ignored then), each citing the part whose edge it is;
 *  - mask 0 returns SUCCESS with 0 whatever base says (TLB-003.3), and a
 *    mask naming stopped vCPUs (and the caller) returns SUCCESS with 0 and
 *    leaves them stopped (TLB-003.1).
 * Why: a guest's shootdown code computes masks and ranges; an off-by-one
 * range or a wrapped index accepted silently would flush the wrong thing.
 * Not checked: that a rejected call "flushes nothing" - a CPU may drop any
 * TLB entry at any time, so no guest can see that a flush did not happen.
 * Not checked either: a range ending exactly at 2^64 (gva
 * 0xFFFFFFFFFFFFF000, npages 1), which the text leaves ambiguous ("overflows"
 * may or may not include an exclusive end of 2^64).
 */
#include "tlb_common.h"

struct flush_case {
	uint64_t mask, base, gva, npages;
	const char *what;
};

HCABI_TEST(tlb_flush_bad_mask, "TLB.flush_bad_mask", "TLB-001.1," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_TLB_FLUSH_SINCE)
{
	unsigned n = tlb_vcpu_count();
	unsigned me = hcabi_cpu_index();
	struct flush_case cases[12];
	size_t k = 0;

	/* the bad masks are built from VCPU.GET_COUNT: without VCPU the test
	 * skips saying it needs VCPU (test-end needs=VCPU) */
	if (!test_require_ext(HCABI_EID_VCPU))
		return;
	if (n == 0) {
		test_error("VCPU is advertised, but VCPU.GET_COUNT gave no vCPU count");
		return;
	}
	if (n < 64) {
		cases[k++] = (struct flush_case){(1ull << me) | (1ull << n), 0, TLB_VA_SELF, 1,
						 "the caller and index count"};
		cases[k++] = (struct flush_case){~0ull, 0, 0, 0, "every bit, base 0, npages 0"};
		cases[k++] = (struct flush_case){1ull << 63, 0, TLB_VA_SELF, 1, "bit 63, base 0"};
	}
	cases[k++] = (struct flush_case){1, n, TLB_VA_SELF, 1, "base = the vCPU count"};
	cases[k++] = (struct flush_case){3, n - 1, 0, 0, "the last vCPU and the one after it"};
	cases[k++] = (struct flush_case){1, 1ull << 32, TLB_VA_SELF, 1, "base 2^32"};
	cases[k++] = (struct flush_case){1, ~0ull, 0, 0, "base 2^64-1"};
	cases[k++] = (struct flush_case){5, ~0ull - 1, TLB_VA_SELF, 1,
					 "base 2^64-2, bits 0 and 2 (wraps to 0)"};
	for (size_t i = 0; i < k; i++)
		check_status(
		    hcabi_tlb_flush(cases[i].mask, cases[i].base, cases[i].gva, cases[i].npages),
		    HCABI_ERR_INVALID_PARAM, "TLB-001.1",
		    "FLUSH(mask 0x%llx, base 0x%llx, gva 0x%llx, npages %llu: %s) with %u vCPUs",
		    (unsigned long long)cases[i].mask, (unsigned long long)cases[i].base,
		    (unsigned long long)cases[i].gva, (unsigned long long)cases[i].npages,
		    cases[i].what, n);
}

HCABI_TEST(tlb_flush_bad_range, "TLB.flush_bad_range",
	   "TLB-001.2,TLB-001.3,TLB-001.4," HCABI_REQ_VALUE_ZERO, HCABI_FID_TLB_FLUSH_SINCE)
{
	uint64_t self = 1ull << hcabi_cpu_index();
	const struct range_case {
		uint64_t gva, npages;
		const char *req, *what;
	} bad[] = {
	    {TLB_VA_SELF + 8, 1, "TLB-001.2", "bits 11:0 of gva = 0x008"},
	    {TLB_VA_SELF + 0x800, 3, "TLB-001.2", "bits 11:0 of gva = 0x800"},
	    {0x123, 1, "TLB-001.2", "gva 0x123"},
	    {0xFFF, 1, "TLB-001.2", "gva 0xFFF"},
	    {0x1234000000000000ull, 1, "TLB-001.3", "a gva canonical in no paging mode"},
	    {0x0100000000000000ull, 1, "TLB-001.3", "2^56: canonical in no paging mode"},
	    {0xFFFFFFFFFFFFF000ull, 2, "TLB-001.4", "a range wrapping around 2^64"},
	    {0xFFFF800000000000ull, 1ull << 36, "TLB-001.4",
	     "a range from the upper half past 2^64"},
	    {0, 1ull << 52, "TLB-001.4", "npages 2^52 (npages * 4096 = 2^64)"},
	    /* the byte size 2^64 + 4096 wraps to one page: a range check made
	       after the multiplication alone would accept [0, 4096) */
	    {0, (1ull << 52) + 1, "TLB-001.4", "npages 2^52+1 (npages * 4096 wraps to 4096)"},
	    {0, ~0ull, "TLB-001.4", "npages 2^64-1"},
	    {TLB_VA_SELF, 1ull << 63, "TLB-001.4", "npages 2^63"},
	};
	/* the valid edge of each rule */
	const struct range_case good[] = {
	    {0x00007FFFFFFFF000ull, 1, "TLB-001.3", "the last lower-half page"},
	    {0xFFFF800000000000ull, 1, "TLB-001.3", "the first upper-half page"},
	    {0, 16, "TLB-001.4", "16 pages from 0"},
	    {TLB_VA_SELF + 8, 0, "TLB-001.2", "a misaligned gva with npages 0 (ignored)"},
	    {0x0000800000000000ull, 0, "TLB-001.3", "a non-canonical gva with npages 0 (ignored)"},
	    {~0ull, 0, "TLB-001.2", "gva 2^64-1 with npages 0 (ignored)"},
	};

	for (size_t i = 0; i < HCABI_ARRAY_SIZE(bad); i++)
		check_status(
		    hcabi_tlb_flush(self, 0, bad[i].gva, bad[i].npages), HCABI_ERR_INVALID_PARAM,
		    bad[i].req, "FLUSH(the caller, gva 0x%llx, npages 0x%llx: %s)",
		    (unsigned long long)bad[i].gva, (unsigned long long)bad[i].npages, bad[i].what);
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(good); i++)
		check_ret(hcabi_tlb_flush(self, 0, good[i].gva, good[i].npages), HCABI_SUCCESS, 0,
			  good[i].req, "FLUSH(the caller, gva 0x%llx, npages %llu: %s)",
			  (unsigned long long)good[i].gva, (unsigned long long)good[i].npages,
			  good[i].what);
}

HCABI_TEST(tlb_flush_mask_zero, "TLB.flush_mask_zero_and_stopped",
	   "TLB-003.1,TLB-003.3," HCABI_REQ_VALUE_ZERO ",VCPU-041.1", HCABI_FID_TLB_FLUSH_SINCE)
{
	static const uint64_t bases[] = {0, 1, 64, 1ull << 32, ~0ull};
	unsigned n = tlb_vcpu_count(), me = hcabi_cpu_index();
	uint64_t all;

	for (size_t i = 0; i < HCABI_ARRAY_SIZE(bases); i++) {
		check_ret(hcabi_tlb_flush(0, bases[i], TLB_VA_SELF, 1), HCABI_SUCCESS, 0,
			  "TLB-003.3", "FLUSH(mask 0, base 0x%llx, one page)",
			  (unsigned long long)bases[i]);
		check_ret(hcabi_tlb_flush(0, bases[i], 0, 0), HCABI_SUCCESS, 0, "TLB-003.3",
			  "FLUSH(mask 0, base 0x%llx, npages 0)", (unsigned long long)bases[i]);
	}
	if (n < 2) {
		test_log("one vCPU (or no VCPU extension): no stopped vCPU to name");
		return;
	}
	for (unsigned cpu = 0; cpu < n && cpu < HCABI_MAX_CPUS; cpu++) {
		struct hcabi_ret r;
		if (cpu == me)
			continue;
		r = hcabi_vcpu_get_status(cpu);
		/* the runtime leaves every vCPU it started stopped (it waits for that
		 * after each test): GET_STATUS must say so (VCPU-041) */
		if (!check_ret(r, HCABI_SUCCESS, HCABI_VCPU_STATUS_STOPPED, "VCPU-041.1",
			       "GET_STATUS(%u) of a vCPU stopped before the test", cpu))
			return;
	}
	all = n >= 64 ? ~0ull : (1ull << n) - 1;
	check_ret(hcabi_tlb_flush(all, 0, TLB_VA_SELF, 1), HCABI_SUCCESS, 0, "TLB-003.1",
		  "FLUSH(mask 0x%llx = the caller and %u stopped vCPUs, one page)",
		  (unsigned long long)all, n - 1);
	check_ret(hcabi_tlb_flush(all & ~(1ull << me), 0, 0, 0), HCABI_SUCCESS, 0, "TLB-003.1",
		  "FLUSH(mask 0x%llx = only stopped vCPUs, npages 0)",
		  (unsigned long long)(all & ~(1ull << me)));
	for (unsigned cpu = 0; cpu < n && cpu < HCABI_MAX_CPUS; cpu++)
		if (cpu != me)
			check_ret(hcabi_vcpu_get_status(cpu), HCABI_SUCCESS,
				  HCABI_VCPU_STATUS_STOPPED, "TLB-003.1",
				  "vCPU %u is still stopped after the flushes", cpu);
}
