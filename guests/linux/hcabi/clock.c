// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The "hcabi" clocksource on TIME.GET_MONOTONIC, in nanoseconds.
 *
 * Every read is one hypercall, an exit to the hypervisor, so its rating keeps
 * it below the TSC and kvm-clock: it runs when chosen through
 * /sys/devices/system/clocksource/clocksource0/current_clocksource, or when
 * nothing better is there.
 */
#include <linux/clocksource.h>
#include <linux/time64.h>

#include "hcabi.h"

static u64 hcabi_clock_read(struct clocksource *cs)
{
	/*
	 * GET_MONOTONIC's only error is INVALID_PARAM for a bad function ID,
	 * which this call cannot have; on an error RDX is 0 anyway.
	 */
	return hcabi_call(0, HCABI_FID_TIME_GET_MONOTONIC).value;
}

static struct clocksource hcabi_clocksource = {
	.name = "hcabi",
	.rating = 150,
	.read = hcabi_clock_read,
	.mask = CLOCKSOURCE_MASK(64),
	.flags = CLOCK_SOURCE_IS_CONTINUOUS,
};

int hcabi_clock_init(void)
{
	return clocksource_register_hz(&hcabi_clocksource, NSEC_PER_SEC);
}

void hcabi_clock_exit(void)
{
	/* Switches away first if it is the current clocksource. */
	WARN_ON(clocksource_unregister(&hcabi_clocksource));
}
