/* SPDX-License-Identifier: MIT */
/*
 * ext_system.c - SYSTEM: validate, then hand the VMM the action that ends
 * the run. These functions do not return on success.
 */
#include "hcabi_ref_internal.h"

static int64_t system_handler(const struct hcabi__core_req *req, struct hcabi__core_res *res)
{
	switch (req->fid) {
	case HCABI_FID_SYSTEM_SHUTDOWN:
		/* SYSTEM-001: bits 63:8 of code are rejected centrally
		 * (GEN-002); the VMM ends the VM as powered off with code. */
		res->action = HCABI_REF_ACTION_SHUTDOWN;
		res->action_arg = req->args[0] & HCABI_SYSTEM_SHUTDOWN_CODE_CODE_MASK;
		return HCABI_SUCCESS;

	case HCABI_FID_SYSTEM_REBOOT:
		/* SYSTEM-010 */
		res->action = HCABI_REF_ACTION_REBOOT;
		return HCABI_SUCCESS;

	case HCABI_FID_SYSTEM_CRASH:
		/* SYSTEM-020: the whole 64-bit code goes to the host. */
		res->action = HCABI_REF_ACTION_CRASH;
		res->action_arg = req->args[0];
		return HCABI_SUCCESS;

	default:
		return HCABI_ERR_NOT_SUPPORTED;
	}
}

const struct hcabi__ext hcabi__ext_SYSTEM = {
    .eid = HCABI_EID_SYSTEM,
    .handler = system_handler,
};
