/* SPDX-License-Identifier: MIT */
/*
 * sbi.c - calls of the SBI implementation below the guest (OpenSBI under
 * plain QEMU, KVM's under a hypervisor): system reset, the way a riscv64
 * image leaves the VM when no HCABI SYSTEM.SHUTDOWN took it
 * (hcabi_arch_power_off), and the generic call that HSM hart_start (the
 * self-test's way to start a hart without HCABI) goes through.
 */
#include "hcabi_guest.h"

struct hcabi_ret hcabi_sbi_call(uint64_t ext, uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2)
{
	/* SBI: a0 and a1 return error and value, every other register is
	 * preserved */
	register uint64_t r_a0 __asm__("a0") = a0;
	register uint64_t r_a1 __asm__("a1") = a1;
	register uint64_t r_a2 __asm__("a2") = a2;
	register uint64_t r_a6 __asm__("a6") = fid;
	register uint64_t r_a7 __asm__("a7") = ext;
	struct hcabi_ret r;

	__asm__ __volatile__("ecall"
			     : "+r"(r_a0), "+r"(r_a1)
			     : "r"(r_a2), "r"(r_a6), "r"(r_a7)
			     : "memory");
	r.status = (int64_t)r_a0;
	r.value = r_a1;
	return r;
}

void hcabi_sbi_shutdown(void)
{
	/* returns only if SRST is absent or failed */
	(void)hcabi_sbi_call(HCABI_SBI_EXT_SRST, HCABI_SBI_SRST_RESET, HCABI_SBI_SRST_SHUTDOWN, 0,
			     0);
}
