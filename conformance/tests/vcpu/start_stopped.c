/* SPDX-License-Identifier: MIT */
/*
 * START of a stopped vCPU with valid arguments succeeds, since HCABI 1.2:
 * VCPU-027.
 *
 * What: every vCPU but the caller that GET_STATUS reports STOPPED is
 * started with a valid boot state (the runtime's, as for every task) and
 * runs its task to the end, twice: the second START finds it stopped by
 * the STOP that ended the first task (VCPU-027).
 * Why: 1.0 and 1.1 require SUCCESS only for a vCPU stopped by STOP
 * (VCPU-032) and describe what a successful START does (VCPU-024), but no
 * requirement says that a valid START of a vCPU that never ran succeeds: an
 * implementation could have refused to start any secondary vCPU at all.
 */
#include "vcpu_common.h"

static volatile uint64_t ran[HCABI_MAX_CPUS];

static void task(void *arg)
{
	(void)arg;
	ran[hcabi_cpu_index()]++;
}

HCABI_TEST(vcpu_start_stopped, "VCPU.start_stopped_succeeds",
	   "VCPU-027,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO ",STATUS-004", HCABI_VERSION_1_2)
{
	uint64_t n = vcpu_count();
	unsigned started = 0;

	if (!test_require_cpus(2))
		return;
	for (unsigned cpu = 1; cpu < n && cpu < HCABI_MAX_CPUS; cpu++) {
		struct hcabi_ret st = hcabi_vcpu_get_status(cpu);
		if (st.status != HCABI_SUCCESS || st.value != HCABI_VCPU_STATUS_STOPPED)
			continue;
		for (int round = 0; round < 2; round++) {
			uint64_t before = ran[cpu];
			check_true(test_run_on_cpu(cpu, task, 0) && ran[cpu] == before + 1,
				   "VCPU-027", "START of stopped vCPU %u (%s) succeeded and it ran",
				   cpu,
				   round ? "stopped by STOP" : "stopped at the start of the test");
		}
		started++;
	}
	if (!started)
		test_error("no vCPU but the caller was STOPPED at the start of the test");
}
