/* SPDX-License-Identifier: MIT */
/*
 * cpuid.c - the HCABI discovery leaves (DISC-002, DISC-003). CPUID.1:ECX[31],
 * the hypervisor-present bit (DISC-001), belongs to the VMM's CPUID table.
 */
#include <string.h>

#include "hcabi_ref_internal.h"

/* The 12-byte vendor signature in EBX, ECX, EDX. */
static const char signature[12] = {'H', 'C', 'A', 'B', 'I', '-', 'R', 'E', 'F', 'V', 'M', 'M'};

bool hcabi_ref_cpuid(const struct hcabi_ref *ref, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	(void)subleaf;
	if (leaf == ref->cpuid_base) {
		/* DISC-002, DISC-004: EAX = the highest leaf of the block, exactly
		 * B + 1 (the last leaf HCABI defines up to 1.2). */
		out[0] = ref->cpuid_base + 1;
		out[1] = (uint32_t)hcabi__core_get_le((const uint8_t *)signature, 4);
		out[2] = (uint32_t)hcabi__core_get_le((const uint8_t *)signature + 4, 4);
		out[3] = (uint32_t)hcabi__core_get_le((const uint8_t *)signature + 8, 4);
		return true;
	}
	if (leaf == ref->cpuid_base + 1) {
		/* DISC-003: "HCA1" in EAX; EBX, ECX, EDX reserved, zero. */
		out[0] = HCABI_CPUID_INTERFACE_SIGNATURE;
		out[1] = out[2] = out[3] = 0;
		return true;
	}
	return false;
}
