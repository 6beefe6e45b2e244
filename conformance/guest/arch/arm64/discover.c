/* SPDX-License-Identifier: MIT */
/*
 * discover.c - the arm64 binding's search for HCABI (hcabi_arch.h):
 * abi.h's hcabi_hvc_discover, HVC #0 with x0 = HCABI_ARM64_DISCOVER_ID;
 * HCABI is there when it returns x0 = 0, x1 = the signature "HCA1",
 * x2 = x3 = 0 (ARM64-010). Anything else is absence: SMCCC's NOT_SUPPORTED
 * (-1, from a hypervisor without HCABI, or the image's own EL2 handler), and
 * HVC being undefined (no EL2 at all, ARM64-012), which traps.c turns into
 * a skipped instruction rather than a crash.
 */
#include "hcabi_guest.h"

bool hcabi_arch_find_hcabi(struct hcabi_discovery *d)
{
	struct hcabi_exc_info info;
	uint64_t r[4];
	uint32_t sig;

	expect_exception(HCABI_EXC_UNKNOWN);
	hcabi_hvc_discover(r);
	if (exception_end(&info)) {
		hcabi_printf("discovery: HVC is undefined here (no hypervisor at EL2, ESR 0x%llx)",
			     (unsigned long long)info.esr);
		return false;
	}
	if (r[0] != 0 || r[1] != HCABI_CPUID_INTERFACE_SIGNATURE || r[2] || r[3]) {
		hcabi_printf("discovery: HVC DISCOVER returned x0=0x%llx x1=0x%llx x2=0x%llx "
			     "x3=0x%llx: no HCABI",
			     (unsigned long long)r[0], (unsigned long long)r[1],
			     (unsigned long long)r[2], (unsigned long long)r[3]);
		return false;
	}
	sig = (uint32_t)r[1];
	d->base = HCABI_ARM64_DISCOVER_ID;
	d->max_leaf = 0;
	memset(d->signature, 0, sizeof(d->signature));
	for (int i = 0; i < 4; i++)
		d->signature[i] = (char)(sig >> (8 * i));
	return true;
}
