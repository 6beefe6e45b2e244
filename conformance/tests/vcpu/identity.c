/* SPDX-License-Identifier: MIT */
/*
 * VCPU.GET_ID and VCPU.GET_COUNT: VCPU-001, VCPU-010.
 *
 * What:
 *  - on vCPU 0 (the boot vCPU) GET_ID returns SUCCESS with 0; on every
 *    other vCPU, started in turn, it returns the index START named, which is
 *    below the count, distinct for each vCPU, and the vCPU's hardware ID
 *    belongs with it: x86-64, it equals the initial local APIC ID
 *    (CPUID.1:EBX[31:24]) (VCPU-001.5); arm64, the MPIDR_EL1 affinity is the
 *    `reg` of the GET_ID-th cpu node of the device tree, which has as many
 *    as GET_COUNT (ARM64-031); riscv64, the hart ID is the `reg` of that
 *    node and equals GET_ID (RV64-027) (arch/<arch>/identity_arch.c);
 *  - GET_COUNT returns SUCCESS with a count of at least 1, the same on 50
 *    calls in a row, on every vCPU, and before and after vCPUs were started
 *    and stopped (stopped vCPUs count) (VCPU-010).
 * Why: guests index per-CPU data by this ID and address IPIs (IPI.SEND,
 * TLB.FLUSH) and the interrupt controller by it; a count that changes would make a guest
 * size its tables wrong.
 */
#include "vcpu_common.h"

#define ID_MAX_CPUS 32u

static struct {
	struct hcabi_ret id, count;
	uint64_t hw_id;
	unsigned count_mismatch;
	bool ran;
} seen[ID_MAX_CPUS];

static void identify(void)
{
	unsigned me = hcabi_cpu_index();
	struct hcabi_ret c0 = hcabi_vcpu_get_count();

	if (me >= ID_MAX_CPUS)
		return;
	seen[me].ran = true;
	seen[me].id = hcabi_vcpu_get_id();
	seen[me].hw_id = vcpu_hw_id();
	seen[me].count = c0;
	for (int i = 0; i < 50; i++) {
		struct hcabi_ret c = hcabi_vcpu_get_count();
		if (c.status != c0.status || c.value != c0.value)
			seen[me].count_mismatch++;
	}
}

static void identify_task(void *arg)
{
	(void)arg;
	identify();
}

HCABI_TEST(vcpu_get_id, "VCPU.get_id",
	   "VCPU-001.1,VCPU-001.2,VCPU-001.3,VCPU-001.4,VCPU-001.5,ARM64-031,RV64-027,VCPU-010.1,"
	   "VCPU-010.2,VCPU-010.3,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO ",STATUS-004",
	   HCABI_FID_VCPU_GET_ID_SINCE)
{
	uint64_t n, count0;
	struct hcabi_ret r;

	memset(seen, 0, sizeof(seen));
	identify();
	r = seen[0].count;
	if (!check_status(r, HCABI_SUCCESS, "VCPU-010.1", "GET_COUNT on vCPU 0"))
		return;
	count0 = r.value;
	check_ge_u64(count0, 1, "VCPU-010.2", "the vCPU count");
	if (count0 != hcabi_image.vcpus)
		test_log("the VM has %llu vCPUs; the image asked for %u",
			 (unsigned long long)count0, hcabi_image.vcpus);
	check_eq_u64(seen[0].count_mismatch, 0, "VCPU-010.3",
		     "50 more GET_COUNT calls on vCPU 0 that differed");
	check_ret(seen[0].id, HCABI_SUCCESS, 0, "VCPU-001.4", "GET_ID on vCPU 0, the boot vCPU");
	vcpu_check_hw_id(0, seen[0].hw_id, seen[0].id.value, count0);

	n = count0 < ID_MAX_CPUS ? count0 : ID_MAX_CPUS;
	for (unsigned cpu = 1; cpu < n && cpu < hcabi_smp_count(); cpu++) {
		if (!vcpu_run_on(cpu, identify_task, 0))
			continue;
		check_ret(seen[cpu].id, HCABI_SUCCESS, cpu, "VCPU-001.1",
			  "GET_ID on the vCPU that START(%u) started", cpu);
		check_true(seen[cpu].id.value < count0, "VCPU-001.2",
			   "vCPU %u's ID is below the count %llu", cpu, (unsigned long long)count0);
		vcpu_check_hw_id(cpu, seen[cpu].hw_id, seen[cpu].id.value, count0);
		check_ret(seen[cpu].count, HCABI_SUCCESS, count0, "VCPU-010.3",
			  "GET_COUNT on vCPU %u = vCPU 0's", cpu);
		check_eq_u64(seen[cpu].count_mismatch, 0, "VCPU-010.3",
			     "50 more GET_COUNT calls on vCPU %u that differed", cpu);
	}
	for (unsigned a = 0; a < n; a++)
		for (unsigned b = a + 1; b < n; b++)
			if (seen[a].ran && seen[b].ran && seen[a].id.value == seen[b].id.value)
				check_true(false, "VCPU-001.3",
					   "vCPUs %u and %u have the same ID %llu", a, b,
					   (unsigned long long)seen[a].id.value);
	check_ret(hcabi_vcpu_get_count(), HCABI_SUCCESS, count0, "VCPU-010.3",
		  "GET_COUNT after the other vCPUs started and stopped");
}
