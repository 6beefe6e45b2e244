/* SPDX-License-Identifier: MIT */
/*
 * ext_ipi.c - IPI.SEND: one vector to up to 64 vCPUs, or (since HCABI 1.1,
 * the `all_but_self` bit of `vector`) to every running vCPU but the caller.
 * Every target is validated before any interrupt is sent.
 */
#include "hcabi_ref_internal.h"

/* Inject into every running target of `running` (bit i: vCPU base + i). */
static bool send_to(struct hcabi_ref *ref, uint64_t running, uint64_t base, uint8_t vector)
{
	bool failed = false;
	uint64_t delay;
	for (unsigned i = 0; i < 64; i++) {
		int r;
		if (!((running >> i) & 1u))
			continue;
		/* IPI-002, IPI-004: pending in the target's LAPIC before SEND
		 * returns, exactly once. */
		r = ref->ops->inject_irq(ref->ctx, (uint32_t)(base + i), vector);
		if (r != HCABI_REF_POK && r != HCABI_REF_PERR_STATE) {
			hcabi__core_count_host_error(ref);
			failed = true;
		}
	}
	/* Test-only fault "twice": every interrupt again, once the first
	 * delivery had time to complete (fault.c). */
	if (hcabi__core_fault_behaviour(ref, HCABI_FID_IPI_SEND, HCABI_REF_FAULT_TWICE, &delay)) {
		hcabi__core_fault_delay(delay);
		for (unsigned i = 0; i < 64; i++)
			if ((running >> i) & 1u)
				(void)ref->ops->inject_irq(ref->ctx, (uint32_t)(base + i), vector);
	}
	return !failed;
}

static int64_t ipi_handler(const struct hcabi__core_req *req, struct hcabi__core_res *res)
{
	struct hcabi_ref *ref = req->ref;

	switch (req->fid) {
	case HCABI_FID_IPI_SEND: {
		uint64_t mask = req->args[0], base = req->args[1], running;
		/* The other bits of `vector` are reserved and rejected centrally
		 * (GEN-002), all_but_self too at an exposed version without it
		 * (1.0): seeing it set here means the exposed version has it. */
		uint8_t vector = (uint8_t)((req->args[2] & HCABI_IPI_SEND_VECTOR_VECTOR_MASK) >>
					   HCABI_IPI_SEND_VECTOR_VECTOR_SHIFT);
		bool all_but_self = (req->args[2] & HCABI_IPI_SEND_VECTOR_ALL_BUT_SELF_MASK) != 0;
		bool ok = true;

		/* IPI-001: an invalid vector (below 32; ARM64-021, RV64-018), or a target index that
		 * overflows or is not below the count: nothing is sent. The
		 * vector is checked even when the mask is 0 (IPI-005, since
		 * 1.2; 1.1 allowed either order, and the test-only fault
		 * "other" takes the other one). */
		if (mask == 0 && !all_but_self &&
		    hcabi__core_fault_has(ref, req->fid, HCABI_REF_FAULT_OTHER_READING)) {
			res->value = 0;
			return HCABI_SUCCESS;
		}
		if (!hcabi__core_vector_valid(ref, vector))
			return HCABI_ERR_INVALID_PARAM;
		if (all_but_self) {
			/* IPI-004: mask and base must be 0; then every running
			 * vCPU but the caller, in groups of 64, nothing to the
			 * caller, stopped vCPUs skipped (as IPI-003). */
			if (mask != 0 || base != 0)
				return HCABI_ERR_INVALID_PARAM;
			res->value = 0;
			for (uint64_t b = 0; b < ref->nvcpus; b += 64) {
				uint64_t n = ref->nvcpus - b;
				uint64_t group = n >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << n) - 1;
				if (req->vcpu >= b && req->vcpu - b < 64)
					group &= ~(UINT64_C(1) << (req->vcpu - b));
				running = group ? hcabi__core_targets_running(ref, group, b) : 0;
				if (!send_to(ref, running, b, vector))
					ok = false;
			}
			return ok ? HCABI_SUCCESS : HCABI__CORE_INTERNAL_FAILURE;
		}
		if (!hcabi__core_targets_valid(ref, mask, base))
			return HCABI_ERR_INVALID_PARAM;
		res->value = 0;
		/* IPI-003: mask 0 sends nothing; stopped targets are skipped. */
		running = mask ? hcabi__core_targets_running(ref, mask, base) : 0;
		ok = send_to(ref, running, base, vector);
		return ok ? HCABI_SUCCESS : HCABI__CORE_INTERNAL_FAILURE;
	}

	default:
		return HCABI_ERR_NOT_SUPPORTED;
	}
}

const struct hcabi__ext hcabi__ext_IPI = {
    .eid = HCABI_EID_IPI,
    .handler = ipi_handler,
};
