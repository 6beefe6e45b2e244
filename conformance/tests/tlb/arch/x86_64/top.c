/* SPDX-License-Identifier: MIT */
/*
 * TLB.FLUSH at the top of the address space: TLB-001.4, TLB-002.1.
 *
 * What: the last two pages of the linear address space (0xFFFFFFFFFFFFE000
 * and 0xFFFFFFFFFFFFF000) are mapped to a test frame; the PTE is then
 * pointed at another frame without INVLPG, and FLUSH of the caller must
 * make the next access read the new frame (TLB-002), for
 *  - gva 2^64 - 8 KiB, npages 1 (ends at 2^64 - 4 KiB: valid in every
 *    reading of TLB-001);
 *  - gva 2^64 - 12 KiB, npages 2 (ends at 2^64 - 4 KiB, covering it);
 *  - gva 2^64 - 4 KiB, npages 1: the range ends exactly at 2^64, which the
 *    1.0/1.1 text leaves ambiguous ("overflows" may or may not include an
 *    exclusive end of 2^64): SUCCESS with 0 (then the flush must have taken
 *    effect) and INVALID_PARAM are both accepted;
 *  - and gva 2^64 - 8 KiB with npages 3 (wraps past 2^64) is INVALID_PARAM
 *    in every reading (TLB-001).
 * Why: an implementation that computes the end of a range as gva + npages *
 * 4096 in 64 bits gets 0 at the top of the address space; it then either
 * rejects a valid range or flushes nothing, and the kernel's upper-half
 * mappings (the top 2 GiB hold the kernel image in Linux) keep stale
 * translations.
 */
#include "tlb_x86.h"

#define TOP_VA1 0xFFFFFFFFFFFFF000ull /* the last page */
#define TOP_VA2 0xFFFFFFFFFFFFE000ull /* the one below */

/* Point va's PTE at `old`, make sure it is cached, then at `new_` without
 * INVLPG. false (test error) if the old frame cannot be read. */
static bool top_stage(volatile uint64_t *pte, uint64_t va, uint64_t old, uint64_t new_)
{
	uint64_t v = 0;
	*pte = old | HCABI_PTE_P | HCABI_PTE_W;
	hcabi_invlpg(va);
	for (int k = 0; k < 1000; k++)
		v = tlb_read(va);
	if (v != *(volatile uint64_t *)(uintptr_t)old) {
		test_error("page 0x%llx does not read as its frame after INVLPG",
			   (unsigned long long)va);
		return false;
	}
	*pte = new_ | HCABI_PTE_P | HCABI_PTE_W; /* no INVLPG */
	hcabi_mb();
	return true;
}

HCABI_TEST(tlb_flush_top, "TLB.flush_top_of_address_space",
	   "TLB-001.4,TLB-002.1," HCABI_REQ_VALUE_ZERO, HCABI_FID_TLB_FLUSH_SINCE)
{
	uint64_t self = 1ull << hcabi_cpu_index(), a, b;
	volatile uint64_t *pte1, *pte2;
	const struct {
		uint64_t gva, npages;
		const char *what;
	} ways[] = {
	    {TOP_VA2, 1, "gva 2^64-8 KiB, npages 1"},
	    {TOP_VA2 - 4096, 2, "gva 2^64-12 KiB, npages 2"},
	};
	struct hcabi_ret r;

	if (!tlb_frames(&a, &b) || !hcabi_map_page(TOP_VA1, a, HCABI_PTE_W) ||
	    !hcabi_map_page(TOP_VA2, a, HCABI_PTE_W) || !(pte1 = hcabi_pte(TOP_VA1)) ||
	    !(pte2 = hcabi_pte(TOP_VA2))) {
		test_error("cannot map the last pages of the address space");
		return;
	}
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(ways); i++) {
		uint64_t old = (i & 1) ? b : a, new_ = (i & 1) ? a : b;
		if (!top_stage(pte2, TOP_VA2, old, new_))
			return;
		check_ret(hcabi_tlb_flush(self, 0, ways[i].gva, ways[i].npages), HCABI_SUCCESS, 0,
			  "TLB-001.4", "FLUSH(the caller, %s)", ways[i].what);
		check_eq_u64(tlb_read(TOP_VA2), *(volatile uint64_t *)(uintptr_t)new_, "TLB-002.1",
			     "%s: page 2^64-8 KiB reads the new frame after FLUSH", ways[i].what);
	}

	check_status(hcabi_tlb_flush(self, 0, TOP_VA2, 3), HCABI_ERR_INVALID_PARAM, "TLB-001.4",
		     "FLUSH(the caller, gva 2^64-8 KiB, npages 3: wraps past 2^64)");

	/* the last page: ends exactly at 2^64 (ambiguous in 1.0/1.1) */
	if (!top_stage(pte1, TOP_VA1, a, b))
		return;
	r = hcabi_tlb_flush(self, 0, TOP_VA1, 1);
	if (r.status == HCABI_ERR_INVALID_PARAM) {
		check_status(r, HCABI_ERR_INVALID_PARAM, "TLB-001.4",
			     "FLUSH(the caller, gva 2^64-4 KiB, npages 1: ends at 2^64) rejected "
			     "(a reading the text allows)");
	} else {
		check_ret(r, HCABI_SUCCESS, 0, "TLB-001.4",
			  "FLUSH(the caller, gva 2^64-4 KiB, npages 1: ends at 2^64): SUCCESS/0 "
			  "or INVALID_PARAM");
		if (r.status == HCABI_SUCCESS)
			check_eq_u64(tlb_read(TOP_VA1), *(volatile uint64_t *)(uintptr_t)b,
				     "TLB-002.1",
				     "the last page reads the new frame after a FLUSH that "
				     "returned SUCCESS");
	}
	/* leave nothing mapped at the top for later tests */
	*pte1 = 0;
	*pte2 = 0;
	hcabi_invlpg(TOP_VA1);
	hcabi_invlpg(TOP_VA2);
}
