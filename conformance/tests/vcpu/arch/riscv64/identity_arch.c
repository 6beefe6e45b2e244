/* SPDX-License-Identifier: MIT */
/*
 * identity_arch.c - RV64-027: the device tree's /cpus nodes, in order, are
 * the vCPUs by GET_ID, each node's `reg` that vCPU's hart ID (identity.c).
 * S-mode cannot read mhartid: a vCPU's hart ID is what its entry found in
 * a0 (the boot protocol's for vCPU 0, VCPU.START's for the others), kept
 * in its per-vCPU block.
 */
#include "vcpu_common.h"

uint64_t vcpu_hw_id(void)
{
	return hcabi_this_cpu()->hartid;
}

void vcpu_check_hw_id(unsigned cpu, uint64_t hw_id, uint64_t id, uint64_t count)
{
	int64_t node = id < 0x10000 ? hcabi_dt_cpu_reg((unsigned)id) : -1;

	check_eq_u64((uint64_t)node, hw_id, "RV64-027",
		     "vCPU %u: the reg of cpu node %llu of the device tree's /cpus = its hart ID",
		     cpu, (unsigned long long)id);
	check_eq_u64(hw_id, id, "RV64-027", "vCPU %u: its hart ID = its GET_ID", cpu);
	if (cpu == 0)
		check_true(count && hcabi_dt_cpu_reg((unsigned)count - 1) >= 0 &&
			       hcabi_dt_cpu_reg((unsigned)count) < 0,
			   "RV64-027", "the device tree's /cpus has a cpu node per vCPU (%llu)",
			   (unsigned long long)count);
}
