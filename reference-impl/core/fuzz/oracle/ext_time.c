/* SPDX-License-Identifier: MIT */
/* oracle/ext_time.c - TIME's timers and clocks (mirrors core/ext_time.c). */
#include "fz_oracle.h"

/* Timers of the caller only, armed with the call's own arguments. */
static bool time_event(struct fz_seg *s, const struct ev *e)
{
	const uint64_t *a = s->c->args;
	uint32_t fid = s->f->id;

	if (!s->effects || e->vcpu != fz.caller)
		return false;
	switch (e->op) {
	case EV_TARM:
		if (fid == HCABI_FID_TIME_SET_TIMER)
			CHECK(e->a == a[0] && e->b == (a[1] & HCABI_TIME_SET_TIMER_VECTOR_VECTOR_MASK),
			      "SET_TIMER armed deadline %llu vector %llu", (unsigned long long)e->a,
			      (unsigned long long)e->b);
		s->n_tarm++;
		return true;
	case EV_TARMP:
		if (fid == HCABI_FID_TIME_SET_PERIODIC)
			CHECK(e->a == a[0] && e->b == a[1] && fz.tarmp_vector == (a[2] & HCABI_TIME_SET_PERIODIC_VECTOR_VECTOR_MASK),
			      "SET_PERIODIC armed first %llu period %llu vector %u",
			      (unsigned long long)e->a, (unsigned long long)e->b, fz.tarmp_vector);
		s->n_tarm++;
		return true;
	case EV_TCANCEL:
		return true;
	default:
		return false;
	}
}

static void time_complete(const struct fz_seg *s)
{
	if (s->f->id == HCABI_FID_TIME_SET_TIMER || s->f->id == HCABI_FID_TIME_SET_PERIODIC)
		CHECK(s->n_tarm == 1, "%s succeeded with %u arms", s->f->name, s->n_tarm);
}

static void time_values(const struct fz_seg *s)
{
	uint64_t v = s->ev->value;

	switch (s->f->id) {
	case HCABI_FID_TIME_GET_MONOTONIC:
		CHECK(v >= fz.last_monotonic_value && v <= fz.mono_max,
		      "TIME-001: GET_MONOTONIC %llu after %llu (clock max %llu)",
		      (unsigned long long)v, (unsigned long long)fz.last_monotonic_value,
		      (unsigned long long)fz.mono_max);
		fz.last_monotonic_value = v;
		break;
	case HCABI_FID_TIME_GET_WALLCLOCK:
		CHECK(v == fz.wall, "TIME-010: GET_WALLCLOCK %llu", (unsigned long long)v);
		break;
	case HCABI_FID_TIME_CANCEL_TIMER:
		CHECK(v == (fz.cancel_was_armed ? 1u : 0u), "TIME-030: CANCEL_TIMER returned %llu",
		      (unsigned long long)v);
		break;
	default:
		break;
	}
}

const struct fz_ext_oracle fz_oracle_time = {
    .eid = HCABI_EID_TIME,
    .event = time_event,
    .complete = time_complete,
    .values = time_values,
};
