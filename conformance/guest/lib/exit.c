/* SPDX-License-Identifier: MIT */
/*
 * exit.c - the ways an image ends (docs/internals.md, "Conformance images"):
 * the platform's debug-exit device, else SYSTEM.SHUTDOWN when HCABI and
 * SYSTEM are present, else the platform's power-off (arm64: PSCI), else halt
 * for good.
 */
#include "hcabi_guest.h"

HCABI_NORETURN void hcabi_exit(uint8_t value)
{
	hcabi_irq_disable();
	hcabi_arch_debug_exit(value);
	/* the debug-exit device did nothing: power off through HCABI if we may */
	if (hcabi_disc.present && hcabi_has_ext(HCABI_EID_SYSTEM))
		hcabi_system_shutdown(value);
	hcabi_arch_power_off();
	hcabi_printf("hcabi guest: halted (no debug-exit device, no SYSTEM.SHUTDOWN, no power-off)");
	hcabi_arch_halt();
}
