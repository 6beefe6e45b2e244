/* SPDX-License-Identifier: MIT */
/*
 * tlb_x86.h - the x86-64 TLB tests' page tables.
 */
#ifndef TLB_X86_H
#define TLB_X86_H

#include "../../tlb_common.h"

#define TLB_CR4_PGE (1ull << 7)

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

#endif /* TLB_X86_H */
