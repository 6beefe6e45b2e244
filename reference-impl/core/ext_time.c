/* SPDX-License-Identifier: MIT */
/*
 * ext_time.c - TIME: clocks and the per-vCPU timer, one-shot (SET_TIMER)
 * or, since HCABI 1.1, periodic (SET_PERIODIC). The timer itself (firing
 * once at the deadline, replacing, TIME-021..024; the periodic grid,
 * TIME-041/042) is the platform's timer_arm/timer_arm_periodic/
 * timer_cancel. At an exposed version without SET_PERIODIC the dispatcher
 * answers NOT_SUPPORTED before this handler runs (VER-001).
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
		uint8_t vector = (uint8_t)(req->args[1] & HCABI_TIME_SET_TIMER_VECTOR_VECTOR_MASK); /* 63:8: GEN-002, centrally */

		/* TIME-020: an invalid vector (below 32; ARM64-021, RV64-018)
		 * leaves the timer unchanged. */
		if (!hcabi__core_vector_valid(ref, vector))
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

	case HCABI_FID_TIME_SET_PERIODIC: {
		uint64_t first = req->args[0];
		uint64_t period = req->args[1];
		uint8_t vector = (uint8_t)(req->args[2] & HCABI_TIME_SET_PERIODIC_VECTOR_VECTOR_MASK); /* 63:8: GEN-002, centrally */

		/* TIME-040: an invalid vector (ARM64-021, RV64-018) or a period below the minimum
		 * leaves the timer unchanged (reserved vector bits: centrally). */
		if (!hcabi__core_vector_valid(ref, vector) || period < HCABI_TIMER_MIN_PERIOD)
			return HCABI_ERR_INVALID_PARAM;
		/* hcabi_ref_create() requires the op at a version with
		 * SET_PERIODIC; a missing one is the VMM's bug. */
		if (!ref->ops->timer_arm_periodic) {
			hcabi__core_count_host_error(ref);
			return HCABI__CORE_INTERNAL_FAILURE;
		}
		/* The platform's periodic timer: TIME-041 (ticks on the grid
		 * first + k * period, none before its grid point, a first tick
		 * already due fires at once, coalesced while one is pending),
		 * TIME-042 (replaces a one-shot or periodic timer; runs until
		 * SET_TIMER, SET_PERIODIC, CANCEL_TIMER or VCPU.STOP). */
		if (ref->ops->timer_arm_periodic(ref->ctx, req->vcpu, first, period, vector) !=
		    HCABI_REF_POK) {
			hcabi__core_count_host_error(ref);
			return HCABI__CORE_INTERNAL_FAILURE;
		}
		res->value = 0;
		return HCABI_SUCCESS;
	}

	case HCABI_FID_TIME_CANCEL_TIMER: {
		bool was_pending = false;
		/* TIME-030: 1 if an armed timer had not fired, else 0;
		 * TIME-042: always 1 while a periodic timer runs (the platform
		 * reports it pending), and no tick after this returns. */
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
