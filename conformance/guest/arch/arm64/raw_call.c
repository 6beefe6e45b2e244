/* SPDX-License-Identifier: MIT */
/*
 * raw_call.c - hcabi_raw_call (hcabi_calls.h) on arm64: an HVC #0 with
 * x0 = HCABI_ARM64_CALL_ID, x1 = the whole 64-bit function word (the
 * binding rejects a non-zero upper half) and x2..x7 = args[0..5], every
 * register chosen by the test. arm64 has one hypercall instruction: the
 * `vmmcall` choice of the x86-64 binding makes no difference here.
 */
#include "hcabi_calls.h"

struct hcabi_ret hcabi_raw_call(uint64_t rax, const uint64_t args[6], bool vmmcall)
{
	register uint64_t x0 __asm__("x0") = HCABI_ARM64_CALL_ID;
	register uint64_t x1 __asm__("x1") = rax;
	register uint64_t x2 __asm__("x2") = args[0];
	register uint64_t x3 __asm__("x3") = args[1];
	register uint64_t x4 __asm__("x4") = args[2];
	register uint64_t x5 __asm__("x5") = args[3];
	register uint64_t x6 __asm__("x6") = args[4];
	register uint64_t x7 __asm__("x7") = args[5];
	struct hcabi_ret r;

	(void)vmmcall;
	/* The binding preserves x2..x30; the argument registers are still
	 * declared changed, so that a hypervisor that breaks that rule fails
	 * the tests that check it rather than the test code. */
	__asm__ __volatile__("hvc #0"
			     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5),
			       "+r"(x6), "+r"(x7)
			     :
			     : "cc", "memory");
	r.status = (int64_t)x0;
	r.value = x1;
	return r;
}
