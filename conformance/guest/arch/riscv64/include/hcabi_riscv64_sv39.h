/* SPDX-License-Identifier: MIT */
/*
 * hcabi_riscv64_sv39.h - Sv39 translation for the tests that need it (the
 * runtime itself runs with satp = 0): an identity map of the first 256 GiB
 * in gigapages, under which everything the runtime touches keeps its
 * address, and satp values for it. A test that turns translation on turns
 * it off again (satp 0) before it ends; what it maps besides is its own.
 */
#ifndef HCABI_RISCV64_SV39_H
#define HCABI_RISCV64_SV39_H

#include <stdint.h>

#define HCABI_SATP_SV39 (8ull << 60)
#define HCABI_SATP_ASID_SHIFT 44
#define HCABI_SV39_ENTRIES 512u
#define HCABI_SV39_IDENTITY_GIB 256u /* root entries 0..255: VAs below 2^38 */
/* PTE bits */
#define HCABI_PTE_V (1ull << 0)
#define HCABI_PTE_R (1ull << 1)
#define HCABI_PTE_W (1ull << 2)
#define HCABI_PTE_X (1ull << 3)
#define HCABI_PTE_G (1ull << 5)
#define HCABI_PTE_A (1ull << 6)
#define HCABI_PTE_D (1ull << 7)
/* a leaf for any access, A and D already set (a hart need not set them) */
#define HCABI_PTE_LEAF_RWX                                                                         \
	(HCABI_PTE_V | HCABI_PTE_R | HCABI_PTE_W | HCABI_PTE_X | HCABI_PTE_A | HCABI_PTE_D)

/* A PTE naming physical address pa (its PPN at bit 10) with flags. */
static inline uint64_t hcabi_sv39_pte(uint64_t pa, uint64_t flags)
{
	return (pa >> 12) << 10 | flags;
}

/* Fill a 4 KiB-aligned root table: GiB i at VA i GiB for every i below
 * HCABI_SV39_IDENTITY_GIB, global; the other entries invalid. */
static inline void hcabi_sv39_identity(uint64_t root[HCABI_SV39_ENTRIES])
{
	for (unsigned i = 0; i < HCABI_SV39_ENTRIES; i++)
		root[i] = i < HCABI_SV39_IDENTITY_GIB
			      ? hcabi_sv39_pte((uint64_t)i << 30, HCABI_PTE_LEAF_RWX | HCABI_PTE_G)
			      : 0;
}

/* satp for Sv39 with root at physical address root_pa and ASID asid. */
static inline uint64_t hcabi_sv39_satp(uint64_t root_pa, uint64_t asid)
{
	return HCABI_SATP_SV39 | asid << HCABI_SATP_ASID_SHIFT | root_pa >> 12;
}

#endif /* HCABI_RISCV64_SV39_H */
