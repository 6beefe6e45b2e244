/* SPDX-License-Identifier: MIT */
/*
 * VCPU.KICK's arguments: VCPU-070, STATUS-004.
 *
 * What: KICK of an index not below the count is INVALID_PARAM, of a stopped
 * vCPU INVALID_STATE (RDX = 0), and such a rejected KICK leaves nothing
 * behind: the vCPU, started afterwards, does not find a kick.
 * Why: a rejected KICK that was remembered anyway would end the target's
 * next BLOCK without a cause.
 */
#include "vcpu_common.h"

static struct hcabi_ret after_bad_kick;

static void block0_task(void *arg)
{
	(void)arg;
	after_bad_kick = hcabi_vcpu_block(0);
}

HCABI_TEST(vcpu_kick_bad_target, "VCPU.kick_bad_target",
	   "VCPU-070.1,VCPU-070.2,STATUS-004,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO
	   ",VCPU-041.1",
	   HCABI_FID_VCPU_KICK_SINCE)
{
	uint64_t n = vcpu_count();
	const uint64_t idx[] = {n, n + 1, 1ull << 32, 1ull << 63, ~0ull};

	for (size_t i = 0; i < HCABI_ARRAY_SIZE(idx); i++)
		check_status(hcabi_vcpu_kick(idx[i]), HCABI_ERR_INVALID_PARAM, "VCPU-070.1",
			     "KICK(0x%llx) with %llu vCPUs", (unsigned long long)idx[i],
			     (unsigned long long)n);
	if (n < 2)
		return;
	for (unsigned cpu = 1; cpu < n && cpu < HCABI_MAX_CPUS; cpu++) {
		/* the runtime leaves every vCPU it started stopped (it waits for that
		 * after each test): GET_STATUS must say so (VCPU-041) */
		if (!check_ret(hcabi_vcpu_get_status(cpu), HCABI_SUCCESS, HCABI_VCPU_STATUS_STOPPED,
			       "VCPU-041.1", "GET_STATUS(%u) of a vCPU stopped before the test",
			       cpu))
			return;
		check_status(hcabi_vcpu_kick(cpu), HCABI_ERR_INVALID_STATE, "VCPU-070.2",
			     "KICK(%u), a stopped vCPU", cpu);
	}
	if (!vcpu_run_on(1, block0_task, 0))
		return;
	check_ret(after_bad_kick, HCABI_SUCCESS, HCABI_BLOCK_TIMED_OUT, "STATUS-004",
		  "vCPU 1, started after KICK(1) was rejected, finds no kick: BLOCK(0) times out");
}
