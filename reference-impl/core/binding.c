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
