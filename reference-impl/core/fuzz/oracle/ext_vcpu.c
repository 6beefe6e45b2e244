/* SPDX-License-Identifier: MIT */
/* oracle/ext_vcpu.c - VCPU's lifecycle, blocking and waking (mirrors core/ext_vcpu.c). */
#include "fz_oracle.h"

static bool vcpu_event(struct fz_seg *s, const struct ev *e)
{
	const uint64_t *a = s->c->args;
	uint32_t fid = s->f->id;

	switch (e->op) {
	case EV_START:
		if (!s->effects || fid != HCABI_FID_VCPU_START || e->vcpu != a[0])
			return false;
		s->n_start++;
		return true;
	case EV_BLOCK: /* blocking is the call itself: whatever it returns */
		return s->runs && fid == HCABI_FID_VCPU_BLOCK && e->vcpu == fz.caller;
	case EV_KICK:
		return s->effects && fid == HCABI_FID_VCPU_KICK && e->vcpu == a[0];
	case EV_YIELD:
		return s->effects && fid == HCABI_FID_VCPU_YIELD && e->vcpu == fz.caller &&
		       e->a == (a[0] == HCABI_VCPU_ANY ? UINT32_MAX : a[0]);
	case EV_TCANCEL: /* VCPU-030: a stopping vCPU's timer is cancelled */
		return s->effects && fid == HCABI_FID_VCPU_STOP && e->vcpu == fz.caller;
	default:
		return false;
	}
}

static void vcpu_complete(const struct fz_seg *s)
{
	const uint64_t *a = s->c->args;
	if (s->f->id == HCABI_FID_VCPU_START)
		CHECK(s->n_start == 1 && fz.running[a[0]],
		      "VCPU.START succeeded without starting vCPU %llu", (unsigned long long)a[0]);
}

static void vcpu_values(const struct fz_seg *s)
{
	const uint64_t *a = s->c->args;
	uint64_t v = s->ev->value;
	int64_t st = s->ev->status;
	bool others = false;

	switch (s->f->id) {
	case HCABI_FID_VCPU_GET_ID:
		CHECK(v == fz.caller, "VCPU-001: GET_ID %llu on vCPU %u", (unsigned long long)v,
		      fz.caller);
		break;
	case HCABI_FID_VCPU_GET_COUNT:
		CHECK(v == fz.nvcpus, "VCPU-010: GET_COUNT %llu", (unsigned long long)v);
		break;
	case HCABI_FID_VCPU_GET_STATUS:
		CHECK((st == HCABI_ERR_INVALID_PARAM) == (a[0] >= fz.nvcpus),
		      "VCPU-040: GET_STATUS(%llu) returned %lld", (unsigned long long)a[0],
		      (long long)st);
		if (st == HCABI_SUCCESS)
			CHECK(v == ((a[0] == fz.caller || fz.running[a[0]])
					? HCABI_VCPU_STATUS_RUNNING
					: HCABI_VCPU_STATUS_STOPPED),
			      "VCPU-041: GET_STATUS(%llu) = %llu", (unsigned long long)a[0],
			      (unsigned long long)v);
		break;
	case HCABI_FID_VCPU_YIELD:
		CHECK((st == HCABI_ERR_INVALID_PARAM) ==
			  (a[0] != HCABI_VCPU_ANY && a[0] >= fz.nvcpus),
		      "VCPU-050: YIELD(%llu) returned %lld", (unsigned long long)a[0], (long long)st);
		break;
	case HCABI_FID_VCPU_START:
		if (st == HCABI_ERR_ALREADY_STARTED)
			CHECK(a[0] < fz.nvcpus && fz.running[a[0]],
			      "VCPU-023: START(%llu) ALREADY_STARTED", (unsigned long long)a[0]);
		if (a[0] >= fz.nvcpus)
			CHECK(st == HCABI_ERR_INVALID_PARAM, "VCPU-020: START(%llu) returned %lld",
			      (unsigned long long)a[0], (long long)st);
		break;
	case HCABI_FID_VCPU_STOP:
		for (uint32_t i = 0; i < fz.nvcpus; i++)
			if (i != fz.caller && fz.running[i])
				others = true;
		CHECK((st == HCABI_ERR_DENIED) == !others,
		      "VCPU-031: STOP returned %lld (other vCPUs running: %d)", (long long)st,
		      others);
		break;
	case HCABI_FID_VCPU_BLOCK:
		CHECK(v == HCABI_BLOCK_WOKEN || v == HCABI_BLOCK_TIMED_OUT, "BLOCK returned %llu",
		      (unsigned long long)v);
		CHECK(a[0] != HCABI_BLOCK_FOREVER || fz.block_deadline == UINT64_MAX,
		      "VCPU-062: BLOCK_FOREVER blocked until %llu",
		      (unsigned long long)fz.block_deadline);
		CHECK(fz.block_deadline >= a[0], "VCPU-062: BLOCK(%llu) blocked until %llu",
		      (unsigned long long)a[0], (unsigned long long)fz.block_deadline);
		CHECK(v != HCABI_BLOCK_TIMED_OUT || fz.mono_max >= fz.block_deadline,
		      "VCPU-062: BLOCK timed out at %llu before its deadline %llu",
		      (unsigned long long)fz.mono_max, (unsigned long long)fz.block_deadline);
		break;
	case HCABI_FID_VCPU_KICK:
		if (a[0] >= fz.nvcpus)
			CHECK(st == HCABI_ERR_INVALID_PARAM, "VCPU-070: KICK(%llu) returned %lld",
			      (unsigned long long)a[0], (long long)st);
		else
			CHECK(st == (fz.running[a[0]] ? HCABI_SUCCESS : HCABI_ERR_INVALID_STATE),
			      "VCPU-070: KICK(%llu) returned %lld", (unsigned long long)a[0],
			      (long long)st);
		break;
	default:
		break;
	}
}

static enum hcabi_ref_action vcpu_action(const struct fz_fn *f)
{
	return f->id == HCABI_FID_VCPU_STOP ? HCABI_REF_ACTION_STOP_VCPU : HCABI_REF_ACTION_RESUME;
}

/* A stopped vCPU: VCPU-030, its steal record unregistered and its timer
 * cancelled (it does not fire). */
static void vcpu_shadow(const struct fz_seg *s)
{
	if (s->ev->action != HCABI_REF_ACTION_STOP_VCPU)
		return;
	fz.running[fz.caller] = false;
	fz.steal_on[fz.caller] = false;
	CHECK(fz.seg_failed || !fz.timer_armed[fz.caller],
	      "VCPU-030: vCPU %u stopped with its timer armed", fz.caller);
}

const struct fz_ext_oracle fz_oracle_vcpu = {
    .eid = HCABI_EID_VCPU,
    .event = vcpu_event,
    .complete = vcpu_complete,
    .values = vcpu_values,
    .action = vcpu_action,
    .shadow = vcpu_shadow,
};
