/* SPDX-License-Identifier: MIT */
/*
 * bench_arch.c (arm64) - hcabi-bench's exits under refvmm arm64.
 *
 * The bare exit: a 32-bit MMIO write to offset 0x100 of the PL011's 4 KiB
 * window (a reserved offset of the PL011). The page is device memory in the
 * identity map and not RAM, so the store is a stage-2 fault KVM hands to
 * userspace as KVM_EXIT_MMIO (one `str`: its syndrome is valid); refvmm's
 * exits.c serves it in pl011.c, which drops a write outside its registers
 * (no state, no lock), and enters KVM_RUN again: no register ioctl. Not an
 * address outside every device: refvmm ends the VM on such an access as a
 * guest fault (devices.c), so refvmm has no ignored MMIO address elsewhere.
 *
 * The kernel exit: HVC #0 with x0 = SMCCC_VERSION (0x80000000). KVM answers
 * it itself (it is outside the SMCCC filter refvmm sets, which forwards
 * only HCABI's two function IDs): x0 = the SMCCC version, 0x10001 or
 * later; nothing changes. SMCCC_VERSION is a read-only query, so the call is
 * harmless at any point.
 *
 * The counter: CNTVCT_EL0, the generic timer's virtual count (ticks of
 * CNTFRQ_EL0, not CPU cycles).
 */
#include "bench_arch.h"
#include "hcabi_guest.h"

#define BARE_EXIT_OFFSET 0x100u
#define PL011_BASE_DEFAULT 0x09000000ull
#define SMCCC_VERSION 0x80000000u
#define SMCCC_VERSION_1_0 0x10000u

const char hcabi__bench_exit_name[] = "mmio_write";
const char hcabi__bench_kernel_name[] = "smccc_version";

static uint64_t bare_addr = PL011_BASE_DEFAULT + BARE_EXIT_OFFSET;

static uint64_t smccc_version(void)
{
	register uint64_t x0 __asm__("x0") = SMCCC_VERSION;
	register uint64_t x1 __asm__("x1") = 0;
	register uint64_t x2 __asm__("x2") = 0;
	register uint64_t x3 __asm__("x3") = 0;

	/* SMCCC 1.1: x0..x3 may change, x4..x17 are preserved by an SMC64/HVC64
	 * call; this one is SMC32-numbered, so x4..x17 too may change */
	__asm__ __volatile__("hvc #0"
			     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
			     :
			     : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
			       "x15", "x16", "x17", "memory");
	return x0;
}

bool hcabi__bench_arch_setup(void)
{
	uint64_t v = smccc_version();

	hcabi_printf("hcabi-bench: bare exit: MMIO write to 0x%llx (PL011 + 0x%x, dropped by the "
		     "VMM); kernel exit: HVC SMCCC_VERSION (answered 0x%llx)",
		     (unsigned long long)bare_addr, BARE_EXIT_OFFSET, (unsigned long long)v);
	/* 0xffffffff (NOT_SUPPORTED, as a 32-bit value) or anything below 1.0:
	 * the hypervisor did not answer it itself */
	return v >= SMCCC_VERSION_1_0 && v <= 0x7fffffffu;
}

void hcabi__bench_bare_exits(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		hcabi_mmio_write32(bare_addr, (uint32_t)i);
}

uint64_t hcabi__bench_kernel_exits(uint64_t n)
{
	uint64_t sum = 0;
	for (uint64_t i = 0; i < n; i++)
		sum += smccc_version();
	return sum;
}

uint64_t hcabi__bench_ticks(void)
{
	hcabi_isb();
	return hcabi_read_sysreg(cntvct_el0);
}
