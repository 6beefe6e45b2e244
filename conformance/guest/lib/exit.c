/* SPDX-License-Identifier: MIT */
/*
 * exit.c - the ways an image ends (docs/internals.md, "Conformance images"):
 * the platform's debug-exit device, else SYSTEM.SHUTDOWN when HCABI and
 * SYSTEM are present, else halt for good.
 */
#include "hcabi_guest.h"

HCABI_NORETURN void hcabi_exit(uint8_t value)
{
	hcabi_irq_disable();
	hcabi_arch_debug_exit(value);
	/* the debug-exit device did nothing: power off through HCABI if we may */
	if (hcabi_disc.present && hcabi_has_ext(HCABI_EID_SYSTEM))
		hcabi_system_shutdown(value);
	hcabi_printf("hcabi guest: halted (no isa-debug-exit port, no SYSTEM.SHUTDOWN)");
	hcabi_arch_halt();
}
