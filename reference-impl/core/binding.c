/* SPDX-License-Identifier: MIT */
/*
 * binding.c - the rules of the call's binding that differ per architecture
 * (hcabi_ref_config.arch), for the extensions that take such a value. It
 * calls nothing: the extensions ask, each in its own file.
 */
#include "hcabi_ref_internal.h"

bool hcabi__core_vector_valid(const struct hcabi_ref *ref, uint8_t vector)
{
	if (ref->arch == HCABI_REF_ARCH_ARM64) /* ARM64-021: PPIs 16..22 */
		return vector >= HCABI_ARM64_VECTOR_MIN && vector <= HCABI_ARM64_VECTOR_MAX;
	if (ref->arch == HCABI_REF_ARCH_RISCV64) /* RV64-018: IMSIC identities 1..63 */
		return vector >= HCABI_RISCV64_VECTOR_MIN && vector <= HCABI_RISCV64_VECTOR_MAX;
	return vector >= HCABI_VECTOR_MIN; /* x86-64: 32..255 */
}

/* Whether [first, last] lies wholly in one canonical half of the address
 * space (lower_end: the first address above the lower half; upper_start:
 * the first of the upper half). x86-64 (TLB-006): 48-bit
 * linear addresses, bits 63:47 all equal, whatever the paging mode;
 * riscv64 (RV64-030): the same, as Sv48 requires; arm64 (ARM64-034): bits
 * 63:48 all zero or all one. */
bool hcabi__core_range_canonical(const struct hcabi_ref *ref, uint64_t first, uint64_t last)
{
	uint64_t lower_end = UINT64_C(0x0000800000000000), upper_start = UINT64_C(0xFFFF800000000000);

	if (ref->arch == HCABI_REF_ARCH_ARM64) {
		lower_end = UINT64_C(0x0001000000000000);
		upper_start = UINT64_C(0xFFFF000000000000);
	}
	return first <= last && (last < lower_end || first >= upper_start);
}
