/* SPDX-License-Identifier: MIT */
/*
 * raw_call.c - hcabi_raw_call (hcabi_calls.h): a hypercall with every
 * register of the x86-64 binding chosen by the test, through VMCALL or
 * VMMCALL.
 */
#include "hcabi_calls.h"

struct hcabi_ret hcabi_raw_call(uint64_t rax, const uint64_t args[6], bool vmmcall)
{
	register uint64_t r10 __asm__("r10") = args[3];
	register uint64_t r8 __asm__("r8") = args[4];
	register uint64_t r9 __asm__("r9") = args[5];
	uint64_t rdx = args[2], rdi = args[0], rsi = args[1];
	struct hcabi_ret r;

	/* The binding preserves everything but RAX and RDX; the argument
	 * registers, RCX and R11 are still declared changed, so that a
	 * hypervisor that breaks that rule fails the tests that check it
	 * rather than the test code. */
	if (vmmcall)
		__asm__ __volatile__("vmmcall"
				     : "+a"(rax), "+d"(rdx), "+D"(rdi), "+S"(rsi), "+r"(r10),
				       "+r"(r8), "+r"(r9)
				     :
				     : "rcx", "r11", "cc", "memory");
	else
		__asm__ __volatile__("vmcall"
				     : "+a"(rax), "+d"(rdx), "+D"(rdi), "+S"(rsi), "+r"(r10),
				       "+r"(r8), "+r"(r9)
				     :
				     : "rcx", "r11", "cc", "memory");
	r.status = (int64_t)rax;
	r.value = rdx;
	return r;
}
