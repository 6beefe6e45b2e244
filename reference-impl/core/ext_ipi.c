/* SPDX-License-Identifier: MIT */
/*
 * ext_ipi.c - IPI.SEND: one vector to up to 64 vCPUs. Every target is
 * validated before any interrupt is sent.
 */
#include "hcabi_ref_internal.h"

static int64_t ipi_handler(const struct hcabi__core_req *req, struct hcabi__core_res *res)
{
	struct hcabi_ref *ref = req->ref;

	switch (req->fid) {
	case HCABI_FID_IPI_SEND: {
		uint64_t mask = req->args[0], base = req->args[1], running;
		uint8_t vector = (uint8_t)req->args[2]; /* 63:8: GEN-002, centrally */
		bool failed = false;

		/* IPI-001: a vector below 32, or a target index that
		 * overflows or is not below the count: nothing is sent. The
		 * vector is checked even when the mask is 0. */
		if (vector < HCABI_VECTOR_MIN)
			return HCABI_ERR_INVALID_PARAM;
		if (!hcabi__core_targets_valid(ref, mask, base))
			return HCABI_ERR_INVALID_PARAM;
		res->value = 0;
		/* IPI-003: mask 0 sends nothing; stopped targets are skipped. */
		running = mask ? hcabi__core_targets_running(ref, mask, base) : 0;
		for (unsigned i = 0; i < 64; i++) {
			int r;
			if (!((running >> i) & 1u))
				continue;
			/* IPI-002: pending in the target's LAPIC before SEND
			 * returns, exactly once. */
			r = ref->ops->inject_irq(ref->ctx, (uint32_t)(base + i), vector);
			if (r != HCABI_REF_POK && r != HCABI_REF_PERR_STATE) {
				hcabi__core_count_host_error(ref);
				failed = true;
			}
		}
		return failed ? HCABI__CORE_INTERNAL_FAILURE : HCABI_SUCCESS;
	}

	default:
		return HCABI_ERR_NOT_SUPPORTED;
	}
}

const struct hcabi__ext hcabi__ext_IPI = {
    .eid = HCABI_EID_IPI,
    .handler = ipi_handler,
};
