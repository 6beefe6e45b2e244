/* SPDX-License-Identifier: MIT */
/*
 * bench_arch.c (x86-64) - hcabi-bench's bare exit: `outb` to an unused port
 * (0x80 by default, `port=P` on the command line), which refvmm ignores
 * (devices.c: every other port reads all-ones and ignores writes) and KVM
 * hands to userspace (no in-kernel device there); its kernel exit: CPUID
 * leaf 0, which KVM answers itself; its counter: the TSC.
 */
#include "bench_arch.h"
#include "hcabi_guest.h"

const char hcabi__bench_exit_name[] = "out_port";
const char hcabi__bench_kernel_name[] = "cpuid";

static uint64_t port = 0x80;

bool hcabi__bench_arch_setup(void)
{
	uint64_t v;

	/* not isa-debug-exit (0xf4) nor COM1 (0x3f8..0x3ff) */
	if (hcabi_parse_u64(hcabi_cmdline_value("port"), &v) && v < 0x10000 && v != 0xf4 &&
	    (v < 0x3f8 || v > 0x3ff))
		port = v;
	hcabi_printf("hcabi-bench: bare exit: outb to port 0x%llx; kernel exit: CPUID leaf 0",
		     (unsigned long long)port);
	return true;
}

void hcabi__bench_bare_exits(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		__asm__ __volatile__("outb %%al, %%dx" ::"a"((uint8_t)i), "d"((uint16_t)port)
				     : "memory");
}

uint64_t hcabi__bench_kernel_exits(uint64_t n)
{
	uint64_t sum = 0;
	for (uint64_t i = 0; i < n; i++)
		sum += hcabi_cpuid(0, 0).eax;
	return sum;
}

uint64_t hcabi__bench_ticks(void)
{
	return hcabi_rdtsc();
}
