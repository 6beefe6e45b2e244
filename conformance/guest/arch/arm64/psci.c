/* SPDX-License-Identifier: MIT */
/*
 * psci.c - PSCI SYSTEM_OFF, the way an arm64 image leaves the VM when no
 * HCABI SYSTEM.SHUTDOWN took it (hcabi_arch_power_off), and CPU_ON (the
 * self-test's way to start a vCPU without HCABI), through the conduit
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

/* One PSCI call: x0 = fn, x1..x3 = args; x0 back. Register variables hold
 * their register only in the asm statement: nothing else between the
 * assignment and it. */
static int64_t psci_call(bool smc, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;

	/* SMCCC: x0..x3 may change, x4..x17 too for an SMC32 caller */
	if (smc)
		__asm__ __volatile__("smc #0"
				     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				     :
				     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
				       "x14", "x15", "x16", "x17", "memory");
	else
		__asm__ __volatile__("hvc #0"
				     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				     :
				     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
				       "x14", "x15", "x16", "x17", "memory");
	return (int64_t)x0;
}

/* A PSCI call that may be undefined (no PSCI): that is skipped (traps.c)
 * and reads as NOT_SUPPORTED. */
static int64_t psci(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	bool smc = psci_uses_smc();
	int64_t r;

	expect_exception(HCABI_EXC_UNKNOWN);
	r = psci_call(smc, fn, a1, a2, a3);
	if (exception_end(0))
		r = -1;
	return r;
}

void hcabi_psci_system_off(void)
{
	(void)psci(HCABI_PSCI_SYSTEM_OFF, 0, 0, 0); /* returns only if it failed */
}

int64_t hcabi_psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t context)
{
	return psci(HCABI_PSCI_CPU_ON, mpidr, entry, context);
}
