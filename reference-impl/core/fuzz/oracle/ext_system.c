/* SPDX-License-Identifier: MIT */
/* oracle/ext_system.c - how SYSTEM's calls end the VM (mirrors core/ext_system.c).
 * The codes they hand the VMM are fz_call.c's (SYSTEM-001, SYSTEM-020). */
#include "fz_oracle.h"

static enum hcabi_ref_action system_action(const struct fz_fn *f)
{
	switch (f->id) {
	case HCABI_FID_SYSTEM_SHUTDOWN:
		return HCABI_REF_ACTION_SHUTDOWN;
	case HCABI_FID_SYSTEM_REBOOT:
		return HCABI_REF_ACTION_REBOOT;
	case HCABI_FID_SYSTEM_CRASH:
		return HCABI_REF_ACTION_CRASH;
	default:
		return HCABI_REF_ACTION_RESUME;
	}
}

const struct fz_ext_oracle fz_oracle_system = {
    .eid = HCABI_EID_SYSTEM,
    .action = system_action,
};
