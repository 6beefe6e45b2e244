/* SPDX-License-Identifier: MIT */
/*
 * ext_base.c - BASE: version, implementation identity, probing.
 * Everything is answered at the exposed spec version (VER-002).
 */
#include "hcabi_ref_internal.h"

static int64_t base_handler(const struct hcabi__core_req *req, struct hcabi__core_res *res)
{
	struct hcabi_ref *ref = req->ref;

	switch (req->fid) {
	case HCABI_FID_BASE_GET_SPEC_VERSION:
		/* BASE-001, BASE-002: the exposed version, fixed at creation;
		 * bits 63:32 zero. */
		res->value = ref->version;
		return HCABI_SUCCESS;

	case HCABI_FID_BASE_GET_IMPL_ID:
		/* BASE-010: the registry's ID of this implementation. */
		res->value = HCABI_IMPL_ID_1;
		return HCABI_SUCCESS;

	case HCABI_FID_BASE_GET_IMPL_VERSION:
		/* BASE-020: fixed at creation. */
		res->value = ref->impl_version;
		return HCABI_SUCCESS;

	case HCABI_FID_BASE_PROBE_EXTENSION: {
		/* BASE-030: bits 63:16 are rejected centrally (GEN-002). */
		uint32_t eid = (uint32_t)(req->args[0] & HCABI_BASE_PROBE_EXTENSION_EID_EID_MASK);
		res->value = 0; /* BASE-032: not provided, in any EID range */
		for (int i = 0; i < HCABI__CORE_NEXT; i++) {
			/* BASE-031, BASE-033: the registry's extension version
			 * number at the exposed spec version. */
			if (hcabi__core_exts[i].eid == eid && ref->ext[i])
				res->value = ref->ext_version[i];
		}
		return HCABI_SUCCESS;
	}

	case HCABI_FID_BASE_PROBE_FUNCTION: {
		/* BASE-040: bits 63:32 are rejected centrally (GEN-002).
		 * BASE-041: 1 iff the exposed version defines the function in a
		 * provided extension. */
		int idx = hcabi__core_fn_lookup((uint32_t)(req->args[0] & HCABI_BASE_PROBE_FUNCTION_FUNCTION_ID_FUNCTION_ID_MASK));
		res->value = (idx >= 0 && ref->fn_present[idx]) ? 1 : 0;
		return HCABI_SUCCESS;
	}

	default:
		return HCABI_ERR_NOT_SUPPORTED;
	}
}

const struct hcabi__ext hcabi__ext_BASE = {
    .eid = HCABI_EID_BASE,
    .handler = base_handler,
};
