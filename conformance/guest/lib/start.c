/* SPDX-License-Identifier: MIT */
/*
 * start.c - what the runtime does on vCPU 0 once the architecture has set
 * the CPU up (hcabi_arch.h, "boot"): the evidence key, the image's main,
 * the end.
 */
#include "hcabi_guest.h"
#include "hcabi_internal.h"

void hcabi__start(void)
{
	/* before the first protocol line */
	if (!hcabi__evidence_init())
		hcabi_printf("FATAL: SHA-256 fails its known-answer check: no line will verify");
	hcabi_main();
	hcabi_exit(HCABI_EXIT_OK);
}
