/* SPDX-License-Identifier: MIT */
/*
 * discover.c - the riscv64 binding's search for HCABI (hcabi_arch.h):
 * abi.h's hcabi_sbi_probe_extension, SBI Base sbi_probe_extension of
 * HCABI_RISCV64_SBI_EID; HCABI is there when it returns a0 = 0 (SBI_SUCCESS)
 * and a1 = the signature "HCA1" (RV64-015). Anything else is absence: 0 (an
 * SBI implementation without the extension, as OpenSBI under plain QEMU),
 * an error, or another nonzero value (an SBI implementation's own
 * experimental extension under that ID). The probe is SBI Base's, present
 * since SBI 0.2; should the ECALL trap to the guest itself (no SBI at all)
 * it is skipped (traps.c) and reads as absence.
 */
#include "hcabi_guest.h"

bool hcabi_arch_find_hcabi(struct hcabi_discovery *d)
{
	struct hcabi_exc_info info;
	struct hcabi_ret r;

	expect_exception(HCABI_EXC_ECALL_S);
	r = hcabi_sbi_probe_extension(HCABI_RISCV64_SBI_EID);
	if (exception_end(&info)) {
		hcabi_printf("discovery: the SBI probe's ECALL trapped in S-mode (no SBI below the "
			     "guest, sepc 0x%llx)",
			     (unsigned long long)info.frame.pc);
		return false;
	}
	if (r.status != 0 || r.value != HCABI_CPUID_INTERFACE_SIGNATURE) {
		hcabi_printf(
		    "discovery: SBI probe_extension(0x%x) returned a0=0x%llx a1=0x%llx: no HCABI",
		    (unsigned)HCABI_RISCV64_SBI_EID, (unsigned long long)r.status,
		    (unsigned long long)r.value);
		return false;
	}
	d->base = HCABI_RISCV64_SBI_EID;
	d->max_leaf = 0;
	memset(d->signature, 0, sizeof(d->signature));
	for (int i = 0; i < 4; i++)
		d->signature[i] = (char)(r.value >> (8 * i));
	return true;
}
