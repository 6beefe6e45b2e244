/* SPDX-License-Identifier: MIT */
/*
 * ext_time.c - TIME: clocks and the per-vCPU one-shot timer. The timer
 * itself (firing once at the deadline, replacing, TIME-021..024) is the
 * platform's timer_arm/timer_cancel.
 */
#include "hcabi_ref_internal.h"

uint64_t hcabi__core_now(struct hcabi_ref *ref)
{
	uint64_t now = ref->ops->clock_monotonic_ns(ref->ctx);
	uint64_t last = atomic_load_explicit(&ref->mono_last, memory_order_acquire);

	/* TIME-001, TIME-002: whatever the platform's clock does across host
	 * threads, no call returns less than a value some call returned. */
	while (now > last) {
		if (atomic_compare_exchange_weak_explicit(
			&ref->mono_last, &last, now, memory_order_acq_rel, memory_order_acquire))
			return now;
	}
	return last;
}

static int64_t time_handler(const struct hcabi__core_req *req, struct hcabi__core_res *res)
{
	struct hcabi_ref *ref = req->ref;

	switch (req->fid) {
	case HCABI_FID_TIME_GET_MONOTONIC:
		res->value = hcabi__core_now(ref); /* TIME-001, TIME-002 */
		return HCABI_SUCCESS;

	case HCABI_FID_TIME_GET_WALLCLOCK:
		res->value = ref->ops->clock_wall_ns(ref->ctx); /* TIME-010 */
		return HCABI_SUCCESS;

	case HCABI_FID_TIME_SET_TIMER: {
		uint64_t deadline = req->args[0];
		uint8_t vector = (uint8_t)req->args[1]; /* 63:8: GEN-002, centrally */

		/* TIME-020: a vector below 32 leaves the timer unchanged. */
		if (vector < HCABI_VECTOR_MIN)
			return HCABI_ERR_INVALID_PARAM;
		/* The platform's timer: TIME-021 (this vCPU only, once),
		 * TIME-022 (not before the deadline), TIME-023 (a past deadline
		 * fires at once), TIME-024 (re-arming replaces). */
		if (ref->ops->timer_arm(ref->ctx, req->vcpu, deadline, vector) != HCABI_REF_POK) {
			hcabi__core_count_host_error(ref);
			return HCABI__CORE_INTERNAL_FAILURE;
		}
		res->value = 0;
		return HCABI_SUCCESS;
	}

	case HCABI_FID_TIME_CANCEL_TIMER: {
		bool was_pending = false;
		/* TIME-030: 1 if an armed timer had not fired, else 0. */
		if (ref->ops->timer_cancel(ref->ctx, req->vcpu, &was_pending) != HCABI_REF_POK) {
			hcabi__core_count_host_error(ref);
			return HCABI__CORE_INTERNAL_FAILURE;
		}
		res->value = was_pending ? 1 : 0;
		return HCABI_SUCCESS;
	}

	default:
		return HCABI_ERR_NOT_SUPPORTED;
	}
}

const struct hcabi__ext hcabi__ext_TIME = {
    .eid = HCABI_EID_TIME,
    .handler = time_handler,
};
