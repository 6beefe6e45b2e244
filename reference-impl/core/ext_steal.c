/* SPDX-License-Identifier: MIT */
/*
 * ext_steal.c - STEAL: the per-vCPU steal-time record in guest memory,
 * updated under a sequence count each time a call of the vCPU returns.
 *
 * A vCPU's record state is touched only on that vCPU's own thread (dispatch
 * for one vCPU is never concurrent), so it needs no lock; the sequence is the
 * core's own counter, never read back from guest memory.
 */
#include <string.h>

#include "hcabi_ref_internal.h"

#define STEAL_SIZE 64u
_Static_assert(sizeof(struct hcabi_steal_time) == STEAL_SIZE, "hcabi_steal_time");

static void steal_write(struct hcabi_ref *ref, uint32_t vcpu)
{
	struct hcabi__core_vcpu *v = &ref->vcpus[vcpu];
	uint8_t rec[STEAL_SIZE];
	uint64_t ns = ref->ops->steal_ns(ref->ctx, vcpu);
	bool ok = true;

	/* STEAL-004: never decreases, whatever the platform reports. */
	if (ns < v->steal_last)
		ns = v->steal_last;
	v->steal_last = ns;

	/* STEAL-003: sequence odd, the fields, then the next even value.
	 * GEN-003: flags and reserved written as zero every time. */
	memset(rec, 0, sizeof(rec));
	hcabi__core_put_le(rec, v->steal_seq + 1u, 4);
	ok &= ref->ops->mem_write(ref->ctx, v->steal_gpa, rec, 4) == HCABI_REF_POK;
	atomic_thread_fence(memory_order_seq_cst);
	hcabi__core_put_le(rec + 8, ns, 8);
	ok &= ref->ops->mem_write(ref->ctx, v->steal_gpa + 4, rec + 4, STEAL_SIZE - 4) ==
	      HCABI_REF_POK;
	atomic_thread_fence(memory_order_seq_cst);
	v->steal_seq += 2u;
	hcabi__core_put_le(rec, v->steal_seq, 4);
	ok &= ref->ops->mem_write(ref->ctx, v->steal_gpa, rec, 4) == HCABI_REF_POK;
	if (!ok)
		hcabi__core_count_host_error(ref);
}

void hcabi__core_steal_update(struct hcabi_ref *ref, uint32_t vcpu)
{
	if (ref->vcpus[vcpu].steal_on)
		steal_write(ref, vcpu);
}

void hcabi__core_steal_unregister(struct hcabi_ref *ref, uint32_t vcpu)
{
	/* STEAL-005: the record is never written again. */
	ref->vcpus[vcpu].steal_on = false;
}

static int64_t steal_handler(const struct hcabi__core_req *req, struct hcabi__core_res *res)
{
	struct hcabi_ref *ref = req->ref;

	switch (req->fid) {
	case HCABI_FID_STEAL_SET_SHMEM: {
		uint64_t gpa = req->args[0];
		int64_t st;

		res->value = 0;
		if (gpa == HCABI_STEAL_DISABLE) {
			hcabi__core_steal_unregister(ref, req->vcpu); /* STEAL-005 */
			return HCABI_SUCCESS;
		}
		/* STEAL-001, GEN-001: 64-byte aligned, wholly in RAM; the
		 * registration is unchanged otherwise. */
		st = hcabi__core_check_gpa(ref, gpa, 1, STEAL_SIZE, 64);
		if (st != HCABI_SUCCESS)
			return st;
		/* STEAL-005: moving it stops writes to the old record. */
		ref->vcpus[req->vcpu].steal_gpa = gpa;
		ref->vcpus[req->vcpu].steal_on = true;
		/* STEAL-002: written whole before SUCCESS. */
		steal_write(ref, req->vcpu);
		return HCABI_SUCCESS;
	}

	default:
		return HCABI_ERR_NOT_SUPPORTED;
	}
}

const struct hcabi__ext hcabi__ext_STEAL = {
    .eid = HCABI_EID_STEAL,
    .handler = steal_handler,
};
