/* SPDX-License-Identifier: MIT */
/*
 * tlb_common.h - helpers of the TLB tests: the test pages' addresses and
 * frames (the page tables that map them are the architecture's:
 * arch/<arch>/).
 */
#ifndef TLB_COMMON_H
#define TLB_COMMON_H

#include "hcabi_test.h"
#include "hcabi_ram.h"

/* Linear addresses the tests name (x86-64 maps them above the 4 GiB
 * identity map, each in its own 2 MiB region so that a page-directory
 * entry can be swapped). */
#define TLB_VA_REMOTE 0x0000020000000000ull
#define TLB_VA_PDE (TLB_VA_REMOTE + (4ull << 21))
#define TLB_VA_SELF (TLB_VA_REMOTE + (8ull << 21))

#define TLB_MAGIC_A 0x4141414141410001ull
#define TLB_MAGIC_B 0x4242424242420002ull

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

/* The vCPU count, or 0 without the VCPU extension. */
static inline unsigned tlb_vcpu_count(void)
{
	if (!hcabi_has_ext(HCABI_EID_VCPU))
		return 0;
	struct hcabi_ret r = hcabi_vcpu_get_count();
	return r.status == HCABI_SUCCESS ? (unsigned)r.value : 0;
}

#endif /* TLB_COMMON_H */
