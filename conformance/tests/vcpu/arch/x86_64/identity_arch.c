/* SPDX-License-Identifier: MIT */
/*
 * identity_arch.c - VCPU-001.5: a vCPU's GET_ID is its initial local APIC
 * ID (identity.c).
 */
#include "vcpu_common.h"

uint64_t vcpu_hw_id(void)
{
	return hcabi_cpuid(1, 0).ebx >> 24;
}

void vcpu_check_hw_id(unsigned cpu, uint64_t hw_id, uint64_t id, uint64_t count)
{
	(void)count;
	check_eq_u64(hw_id, id, "VCPU-001.5",
		     "vCPU %u: initial APIC ID (CPUID.1:EBX[31:24]) = GET_ID", cpu);
}
