/* SPDX-License-Identifier: MIT */
/*
 * psci.c - PSCI SYSTEM_OFF, the way an arm64 image leaves the VM when no
 * HCABI SYSTEM.SHUTDOWN took it (hcabi_arch_power_off), through the conduit
 * the device tree's /psci node names ("hvc" without one: QEMU virt without
 * EL2 implements PSCI on HVC itself; with EL2 its conduit is SMC).
 */
#include "hcabi_fdt.h"
#include "hcabi_guest.h"

static bool psci_uses_smc(void)
{
	const struct hcabi_fdt *f = hcabi_fdt();
	const char *m;
	int node;

	if (!f)
		return false;
	node = hcabi_fdt_path(f, "/psci", 5);
	m = hcabi_fdt_prop_str(f, node, "method");
	return m && !strcmp(m, "smc");
}

/* Register variables hold their register only in the asm statement:
 * nothing else between the assignment and it. */
static void system_off(bool smc)
{
	register uint64_t x0 __asm__("x0") = HCABI_PSCI_SYSTEM_OFF;

	/* SMCCC: x0..x3 may change (x4..x17 too for SMC32 callers); the call
	 * does not return when it works */
	if (smc)
		__asm__ __volatile__("smc #0"
				     : "+r"(x0)
				     :
				     : "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10",
				       "x11", "x12", "x13", "x14", "x15", "x16", "x17", "memory");
	else
		__asm__ __volatile__("hvc #0"
				     : "+r"(x0)
				     :
				     : "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10",
				       "x11", "x12", "x13", "x14", "x15", "x16", "x17", "memory");
}

void hcabi_psci_system_off(void)
{
	bool smc = psci_uses_smc();

	/* Without PSCI the instruction may be undefined: skipped (traps.c),
	 * and the caller halts. */
	expect_exception(HCABI_EXC_UNKNOWN);
	system_off(smc);
	exception_end(0);
}
