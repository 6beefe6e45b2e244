/* SPDX-License-Identifier: MIT */
/*
 * VCPU.GET_STATUS: VCPU-040, VCPU-041.1, .3, .4 (BLOCKED, VCPU-041.2 and VCPU-063, is in block.c).
 *
 * What:
 *  - an index not below the count (the count, count + 1, 2^32, 2^64 - 1) is
 *    INVALID_PARAM with RDX = 0 (VCPU-040);
 *  - a vCPU asking about itself sees RUNNING, on vCPU 0 and on a started
 *    vCPU; vCPUs this image never started are STOPPED, and so are vCPUs that
 *    ran and executed STOP; a started vCPU busy in its task is RUNNING as
 *    seen from vCPU 0, and vCPU 0 (spinning, not blocked) is RUNNING as
 *    seen from it (VCPU-041).
 * Why: a guest's CPU hot-plug and shutdown code decides from this state
 * whether a vCPU can be started or must be waited for.
 */
#include "vcpu_common.h"

HCABI_TEST(vcpu_status_bad_index, "VCPU.get_status_bad_index", "VCPU-040," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_VCPU_GET_STATUS_SINCE)
{
	uint64_t n = vcpu_count();
	const uint64_t idx[] = {n, n + 1, 1ull << 32, 1ull << 63, ~0ull};

	for (size_t i = 0; i < HCABI_ARRAY_SIZE(idx); i++)
		check_status(hcabi_vcpu_get_status(idx[i]), HCABI_ERR_INVALID_PARAM, "VCPU-040",
			     "GET_STATUS(0x%llx) with %llu vCPUs", (unsigned long long)idx[i],
			     (unsigned long long)n);
}

static struct {
	uint64_t ready, release;
	struct hcabi_ret self, of0;
} running;

static void running_task(void *arg)
{
	(void)arg;
	running.self = hcabi_vcpu_get_status(hcabi_cpu_index());
	running.of0 = hcabi_vcpu_get_status(0);
	hcabi_atomic_store(&running.ready, 1);
	(void)wait_for_u64(&running.release, 1, HCABI_SEC(30));
}

HCABI_TEST(vcpu_status_states, "VCPU.get_status_states",
	   "VCPU-041.1,VCPU-041.3,VCPU-041.4,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO
	   ",STATUS-004",
	   HCABI_FID_VCPU_GET_STATUS_SINCE)
{
	uint64_t n = vcpu_count();
	unsigned me = hcabi_cpu_index(), never = 0;

	check_ret(hcabi_vcpu_get_status(me), HCABI_SUCCESS, HCABI_VCPU_STATUS_RUNNING, "VCPU-041.4",
		  "GET_STATUS of the caller (vCPU %u)", me);
	for (unsigned cpu = 0; cpu < n && cpu < HCABI_MAX_CPUS; cpu++) {
		if (cpu == me)
			continue;
		bool started = (vcpu_started_mask >> cpu) & 1;
		never += !started;
		check_ret(hcabi_vcpu_get_status(cpu), HCABI_SUCCESS, HCABI_VCPU_STATUS_STOPPED,
			  "VCPU-041.1", "GET_STATUS(%u), a vCPU that %s", cpu,
			  started ? "ran and executed STOP" : "was never started");
	}
	if (!never)
		test_log("every vCPU was started before this test: \"never started\" not checked");
	if (n < 2)
		return;

	memset(&running, 0, sizeof(running));
	if (!vcpu_start_task(1, running_task, 0)) {
		return;
	}
	if (check_true(wait_for_u64(&running.ready, 1, HCABI_SEC(30)), "VCPU-024.2",
		       "vCPU 1, started, ran its task within 30 s"))
		check_ret(hcabi_vcpu_get_status(1), HCABI_SUCCESS, HCABI_VCPU_STATUS_RUNNING,
			  "VCPU-041.3", "GET_STATUS(1) while vCPU 1 runs its task");
	hcabi_atomic_store(&running.release, 1);
	if (!test_wait_cpu(1, HCABI_SEC(30))) {
		return;
	}
	check_ret(running.self, HCABI_SUCCESS, HCABI_VCPU_STATUS_RUNNING, "VCPU-041.4",
		  "vCPU 1 asking about itself");
	check_ret(running.of0, HCABI_SUCCESS, HCABI_VCPU_STATUS_RUNNING, "VCPU-041.3",
		  "vCPU 1 asking about vCPU 0, which is running");
	check_ret(hcabi_vcpu_get_status(1), HCABI_SUCCESS, HCABI_VCPU_STATUS_STOPPED, "VCPU-041.1",
		  "GET_STATUS(1) after its STOP");
}
