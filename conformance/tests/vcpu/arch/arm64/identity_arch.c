/* SPDX-License-Identifier: MIT */
/*
 * identity_arch.c - ARM64-031: the device tree's /cpus nodes, in order, are
 * the vCPUs by GET_ID, each node's `reg` the affinity of that vCPU's
 * MPIDR_EL1 (identity.c).
 */
#include "vcpu_common.h"

#define MPIDR_AFFINITY 0xFF00FFFFFFull /* Aff3 (39:32), Aff2..Aff0 (23:0) */

uint64_t vcpu_hw_id(void)
{
	return hcabi_read_sysreg(mpidr_el1) & MPIDR_AFFINITY;
}

void vcpu_check_hw_id(unsigned cpu, uint64_t hw_id, uint64_t id, uint64_t count)
{
	int64_t node = id < 0x10000 ? hcabi_dt_cpu_mpidr((unsigned)id) : -1;

	check_eq_u64((uint64_t)node, hw_id, "ARM64-031",
		     "vCPU %u: the reg of cpu node %llu of the device tree's /cpus = its MPIDR_EL1 "
		     "affinity",
		     cpu, (unsigned long long)id);
	if (cpu == 0)
		check_true(count && hcabi_dt_cpu_mpidr((unsigned)count - 1) >= 0 &&
				   hcabi_dt_cpu_mpidr((unsigned)count) < 0,
			   "ARM64-031", "the device tree's /cpus has a cpu node per vCPU (%llu)",
			   (unsigned long long)count);
}
