/* SPDX-License-Identifier: MIT */
/*
 * discover.c - the arm64 binding's search for HCABI (hcabi_arch.h): one
 * HVC #0 with x0 = HCABI_ARM64_DISCOVER_ID; HCABI is there when it returns
 * x0 = 0 and x1 = the signature "HCA1". Anything else is absence: SMCCC's
 * NOT_SUPPORTED (-1, from a hypervisor without HCABI, or the image's own
 * EL2 stub), and HVC being undefined (no EL2 at all: plain QEMU virt),
 * which is caught here rather than being a crash.
 */
#include "hcabi_guest.h"

/* The DISCOVER call, its results in r[0..3]. Register variables hold
 * their register only in the asm statement: nothing else in between. */
static void discover_call(uint64_t r[4])
{
	register uint64_t x0 __asm__("x0") = HCABI_ARM64_DISCOVER_ID;
	register uint64_t x1 __asm__("x1") = 0;
	register uint64_t x2 __asm__("x2") = 0;
	register uint64_t x3 __asm__("x3") = 0;

	__asm__ __volatile__(HCABI_ASM_FIXUP("1f") "hvc #0\n1:\n\t" HCABI_ASM_FIXUP_CLEAR
			     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
			     :
			     : "x16", "x17", "memory");
	r[0] = x0;
	r[1] = x1;
	r[2] = x2;
	r[3] = x3;
}

bool hcabi_arch_find_hcabi(struct hcabi_discovery *d)
{
	struct hcabi_exc_info info;
	uint64_t r[4];
	uint32_t sig;

	expect_exception(HCABI_EXC_UNKNOWN);
	discover_call(r);
	if (exception_end(&info)) {
		hcabi_printf("discovery: HVC is undefined here (no hypervisor at EL2, ESR 0x%llx)",
			     (unsigned long long)info.esr);
		return false;
	}
	if (r[0] != 0 || r[1] != HCABI_CPUID_INTERFACE_SIGNATURE) {
		hcabi_printf("discovery: HVC DISCOVER returned x0=0x%llx x1=0x%llx: no HCABI",
			     (unsigned long long)r[0], (unsigned long long)r[1]);
		return false;
	}
	sig = (uint32_t)r[1];
	d->base = HCABI_ARM64_DISCOVER_ID;
	d->max_leaf = 0;
	for (int i = 0; i < 4; i++) {
		d->signature[i] = (char)(sig >> (8 * i));
		d->signature[4 + i] = (char)(r[2] >> (8 * i));
		d->signature[8 + i] = (char)(r[3] >> (8 * i));
	}
	return true;
}
