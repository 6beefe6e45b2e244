/* SPDX-License-Identifier: MIT */
/*
 * A valid call never reports an argument fault, since HCABI 1.2: STATUS-005.
 *
 * What: valid calls of the functions that may return FAILED from 1.2 on
 * (TIME.SET_TIMER, SET_PERIODIC and CANCEL_TIMER with a deadline 1000 s
 * away, VCPU.KICK of the caller, IPI.SEND with mask 0 and a valid vector,
 * TLB.FLUSH of the caller, all addresses) return SUCCESS, or FAILED if the
 * host failed, and never INVALID_PARAM or another status (STATUS-005).
 * A host failure cannot be provoked from a guest, so on a healthy host this
 * shows the "valid arguments are not reported as invalid" half; the unit
 * tests of the reference (check_decisions.c) provoke the failure itself.
 * Why: 1.0 and 1.1 have no status for a host failure in these functions,
 * and the reference reported one as INVALID_PARAM, which tells a guest to
 * fix arguments that were right.
 */
#include "hcabi_test.h"
#include "hcabi_calls.h"
#include "hcabi_vectors.h"

#define VEC HCABI_TEST_VECTOR(0) /* a valid vector of the binding */

static void expect_ok_or_failed(struct hcabi_ret r, const char *what)
{
	check_true((r.status == HCABI_SUCCESS || r.status == HCABI_ERR_FAILED), "STATUS-005",
		   "%s: status %lld(%s), want SUCCESS (or FAILED on a host failure)", what,
		   (long long)r.status, hcabi_status_name(r.status));
}

HCABI_TEST(status_valid_not_invalid, "STATUS.valid_call_not_invalid_param", "STATUS-005",
	   HCABI_VERSION_1_2)
{
	if (hcabi_has_ext(HCABI_EID_TIME)) {
		uint64_t far = hcabi_now_ns() + HCABI_SEC(1000);
		expect_ok_or_failed(hcabi_time_set_timer(far, VEC), "TIME.SET_TIMER(now + 1000 s)");
		expect_ok_or_failed(hcabi_time_cancel_timer(), "TIME.CANCEL_TIMER");
		if (hcabi_spec() >= HCABI_FID_TIME_SET_PERIODIC_SINCE) {
			expect_ok_or_failed(
			    hcabi_time_set_periodic(far, HCABI_TIMER_MIN_PERIOD, VEC),
			    "TIME.SET_PERIODIC(now + 1000 s, the shortest period)");
			expect_ok_or_failed(hcabi_time_cancel_timer(), "TIME.CANCEL_TIMER");
		}
	}
	if (hcabi_has_ext(HCABI_EID_VCPU)) {
		expect_ok_or_failed(hcabi_vcpu_kick(hcabi_cpu_index()), "VCPU.KICK(the caller)");
		(void)hcabi_vcpu_block(0); /* consume the remembered kick */
	}
	if (hcabi_has_ext(HCABI_EID_IPI))
		expect_ok_or_failed(hcabi_ipi_send(0, 0, VEC), "IPI.SEND(mask 0, a valid vector)");
	if (hcabi_has_ext(HCABI_EID_TLB))
		expect_ok_or_failed(hcabi_tlb_flush(1ull << hcabi_cpu_index(), 0, 0, 0),
				    "TLB.FLUSH(the caller, every address)");
}
