/* SPDX-License-Identifier: MIT */
/*
 * raw_call.c - hcabi_raw_call (hcabi_calls.h) on riscv64: an ECALL with
 * a7 = HCABI_RISCV64_SBI_EID, a6 = the whole 64-bit function word (the
 * binding rejects a non-zero upper half, RV64-002) and a0..a5 =
 * args[0..5], every register chosen by the test. riscv64 has one
 * hypercall instruction: the `vmmcall` choice of the x86-64 binding makes
 * no difference here.
 */
#include "hcabi_calls.h"

struct hcabi_ret hcabi_raw_call(uint64_t rax, const uint64_t args[6], bool vmmcall)
{
	register uint64_t a0 __asm__("a0") = args[0];
	register uint64_t a1 __asm__("a1") = args[1];
	register uint64_t a2 __asm__("a2") = args[2];
	register uint64_t a3 __asm__("a3") = args[3];
	register uint64_t a4 __asm__("a4") = args[4];
	register uint64_t a5 __asm__("a5") = args[5];
	register uint64_t a6 __asm__("a6") = rax;
	register uint64_t a7 __asm__("a7") = HCABI_RISCV64_SBI_EID;
	struct hcabi_ret r;

	(void)vmmcall;
	/* The binding preserves every register but a0 and a1; the argument
	 * registers are still declared changed, so that a hypervisor that
	 * breaks that rule fails the tests that check it rather than the test
	 * code. */
	__asm__ __volatile__("ecall"
			     : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5), "+r"(a6),
			       "+r"(a7)
			     :
			     : "memory");
	r.status = (int64_t)a0;
	r.value = a1;
	return r;
}
