/* SPDX-License-Identifier: MIT */
/*
 * tlb_common.h - helpers of the TLB tests: test pages mapped with 4 KiB
 * pages above the identity map, and their page-table entries.
 */
#ifndef TLB_COMMON_H
#define TLB_COMMON_H

#include "hcabi_test.h"
#include "hcabi_ram.h"

/* Linear addresses the tests map (above the 4 GiB identity map, each in its
 * own 2 MiB region so that a page-directory entry can be swapped). */
#define TLB_VA_REMOTE 0x0000020000000000ull
#define TLB_VA_PDE (TLB_VA_REMOTE + (4ull << 21))
#define TLB_VA_SELF (TLB_VA_REMOTE + (8ull << 21))

#define TLB_MAGIC_A 0x4141414141410001ull
#define TLB_MAGIC_B 0x4242424242420002ull

#define TLB_CR4_PGE (1ull << 7)

static inline uint64_t tlb_read(uint64_t va)
{
	return *(volatile uint64_t *)(uintptr_t)va;
}

/* Two frames holding TLB_MAGIC_A and TLB_MAGIC_B; false if out of pages. */
static inline bool tlb_frames(uint64_t *a, uint64_t *b)
{
	*a = hcabi_alloc_page();
	*b = hcabi_alloc_page();
	if (!*a || !*b)
		return false;
	*(volatile uint64_t *)(uintptr_t)*a = TLB_MAGIC_A;
	*(volatile uint64_t *)(uintptr_t)*b = TLB_MAGIC_B;
	return true;
}

/* The page-directory entry that maps va (which hcabi_map_page mapped), or
 * NULL. */
static inline volatile uint64_t *tlb_pde(uint64_t va)
{
	volatile uint64_t *t = (volatile uint64_t *)(uintptr_t)hcabi_pml4();
	for (int shift = 39; shift > 21; shift -= 9) {
		uint64_t e = t[(va >> shift) & 511];
		if (!(e & HCABI_PTE_P) || (e & HCABI_PTE_PS))
			return 0;
		t = (volatile uint64_t *)(uintptr_t)(e & HCABI_PTE_ADDR);
	}
	return &t[(va >> 21) & 511];
}

/* The vCPU count, or 0 without the VCPU extension. */
static inline unsigned tlb_vcpu_count(void)
{
	if (!hcabi_has_ext(HCABI_EID_VCPU))
		return 0;
	struct hcabi_ret r = hcabi_vcpu_get_count();
	return r.status == HCABI_SUCCESS ? (unsigned)r.value : 0;
}

/* Ranges that are canonical with 57-bit linear addresses (5-level paging)
 * but not with 48-bit ones: INVALID_PARAM from 1.2 (TLB-006), either
 * INVALID_PARAM or SUCCESS before (flush_args.c). Defined in decisions.c. */
struct tlb_range {
	uint64_t gva, npages;
	const char *what;
};
extern const struct tlb_range tlb_canonical_57_only[];
extern const size_t tlb_canonical_57_only_count;

#endif /* TLB_COMMON_H */
