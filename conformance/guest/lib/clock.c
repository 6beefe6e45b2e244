/* SPDX-License-Identifier: MIT */
/*
 * clock.c - the runtime's clock: TIME.GET_MONOTONIC when TIME is there,
 * else the CPU's cycle counter, good enough only to bound waits.
 */
#include "hcabi_guest.h"

uint64_t hcabi_now_ns(void)
{
	if (hcabi_has_ext(HCABI_EID_TIME)) {
		struct hcabi_ret r = hcabi_time_get_monotonic();
		if (r.status == HCABI_SUCCESS)
			return r.value;
	}
	/* No HCABI clock: the cycle counter at an assumed 1 GHz. */
	return hcabi_arch_cycles();
}
