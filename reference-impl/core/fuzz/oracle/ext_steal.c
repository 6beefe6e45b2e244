/* SPDX-License-Identifier: MIT */
/* oracle/ext_steal.c - STEAL.SET_SHMEM's registration (mirrors core/ext_steal.c).
 * The record's contents after every call are fz_call.c's (STEAL-002/003/004). */
#include "fz_oracle.h"

/* SET_SHMEM writes the record it registers (never a previous one: STEAL-005). */
static bool steal_may_write(const struct fz_seg *s, uint64_t g, uint64_t len)
{
	const uint64_t *a = s->c->args;
	return s->f->id == HCABI_FID_STEAL_SET_SHMEM && a[0] != HCABI_STEAL_DISABLE &&
	       fz_within(g, len, a[0], 64);
}

static void steal_shadow(const struct fz_seg *s)
{
	if (s->f->id != HCABI_FID_STEAL_SET_SHMEM || s->ev->status != HCABI_SUCCESS)
		return;
	fz.steal_on[fz.caller] = s->c->args[0] != HCABI_STEAL_DISABLE;
	fz.steal_gpa[fz.caller] = s->c->args[0];
}

const struct fz_ext_oracle fz_oracle_steal = {
    .eid = HCABI_EID_STEAL,
    .may_write = steal_may_write,
    .shadow = steal_shadow,
};
