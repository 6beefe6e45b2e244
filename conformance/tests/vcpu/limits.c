/* SPDX-License-Identifier: MIT */
/*
 * VCPU limits on both sides: VCPU-020, VCPU-021, VCPU-040, VCPU-070.
 *
 * What: the largest valid vCPU index (count - 1) and the first invalid one
 * (count), for each function taking an index:
 *  - GET_STATUS(count - 1) returns SUCCESS with a state, GET_STATUS(count)
 *    INVALID_PARAM (VCPU-040);
 *  - KICK(count - 1) of that stopped vCPU is INVALID_STATE (the index is
 *    valid), KICK(count) INVALID_PARAM (VCPU-070);
 *  - START(count) is INVALID_PARAM, START(count - 1) with a valid boot state
 *    returns SUCCESS and the vCPU runs it (VCPU-020);
 *  - a boot state in the last 64 bytes of RAM (ending exactly at the end of
 *    RAM) is accepted and the vCPU starts from it (VCPU-021; the other side,
 *    the end of RAM and straddling it, is start.c's).
 * The smallest valid index, 0, is used everywhere else in the suite.
 * Why: an off-by-one in a bounds check either rejects the last vCPU (a
 * guest cannot bring it up) or accepts one past it (a host array overrun).
 */
#include "vcpu_common.h"

static struct vcpu_raw lim_ctx;

HCABI_TEST(vcpu_index_limits, "VCPU.index_and_address_limits",
	   "VCPU-020,VCPU-021.2,VCPU-040,VCPU-070.1,VCPU-070.2," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_VCPU_START_SINCE)
{
	uint64_t n = vcpu_count(), last = n - 1, top = hcabi_ram_top();
	vcpu_bs bs;
	struct hcabi_ret r;

	if (!test_require_cpus(2))
		return;
	if (!vcpu_wait_state((unsigned)last, HCABI_VCPU_STATUS_STOPPED, HCABI_SEC(10))) {
		test_error("vCPU %llu is not stopped", (unsigned long long)last);
		return;
	}
	check_ret(hcabi_vcpu_get_status(last), HCABI_SUCCESS, HCABI_VCPU_STATUS_STOPPED,
		  "VCPU-040", "GET_STATUS(%llu = count - 1): the last vCPU, stopped",
		  (unsigned long long)last);
	check_status(hcabi_vcpu_get_status(n), HCABI_ERR_INVALID_PARAM, "VCPU-040",
		     "GET_STATUS(%llu = count)", (unsigned long long)n);
	check_status(hcabi_vcpu_kick(last), HCABI_ERR_INVALID_STATE, "VCPU-070.2",
		     "KICK(%llu = count - 1), stopped: a valid index", (unsigned long long)last);
	check_status(hcabi_vcpu_kick(n), HCABI_ERR_INVALID_PARAM, "VCPU-070.1",
		     "KICK(%llu = count)", (unsigned long long)n);

	vcpu_raw_prepare(&lim_ctx, (unsigned)last, 0);
	vcpu_raw_boot_state(&bs, &lim_ctx, 0);
	check_status(hcabi_vcpu_start(n, hcabi_gpa(&bs)), HCABI_ERR_INVALID_PARAM, "VCPU-020",
		     "START(%llu = count, a valid boot state)", (unsigned long long)n);
	if (!hcabi_top_page_free()) {
		test_log("the last page of RAM is not free: the boot state there is not tried");
		r = vcpu_start_raw((unsigned)last, &bs);
		check_ret(r, HCABI_SUCCESS, 0, "VCPU-020", "START(%llu = count - 1)",
			  (unsigned long long)last);
	} else {
		vcpu_bs *at_top = hcabi_gpa_ptr(top - sizeof(bs));
		memcpy(at_top, &bs, sizeof(bs));
		hcabi_mb();
		r = hcabi_vcpu_start(last, top - sizeof(bs));
		if (r.status == HCABI_SUCCESS && last < 64)
			vcpu_started_mask |= 1ull << last;
		check_ret(r, HCABI_SUCCESS, 0, "VCPU-021.2",
			  "START(%llu = count - 1, the boot state in the last 64 bytes of RAM)",
			  (unsigned long long)last);
	}
	if (r.status != HCABI_SUCCESS)
		return;
	check_true(vcpu_raw_wait_stopped(&lim_ctx, (unsigned)last, HCABI_SEC(30)), "VCPU-020",
		   "vCPU %llu ran its boot state and stopped", (unsigned long long)last);
	check_eq_u64(lim_ctx.entries, 1, "VCPU-020", "vCPU %llu entered once",
		     (unsigned long long)last);
}
