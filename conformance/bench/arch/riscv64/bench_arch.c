/* SPDX-License-Identifier: MIT */
/*
 * bench_arch.c (riscv64) - hcabi-bench's exits under refvmm riscv64.
 *
 * The bare exit: a byte written to the console 16550's scratch register
 * (SCR, register 7), which holds the byte and does nothing else. The page is
 * not RAM, so the store is a G-stage fault KVM hands to userspace as
 * KVM_EXIT_MMIO (its data and address are in kvm_run); refvmm's devices.c
 * stores the byte under the UART's lock and enters KVM_RUN again: no register
 * ioctl. Not the THR: refvmm has KVM coalesce THR writes, which are no exit.
 *
 * The kernel exit: the SBI call get_spec_version (base extension 0x10,
 * function 0), which KVM's own SBI implementation answers (a0 = 0, a1 = the
 * version, SBI 0.2 or later): it is not one of the extensions refvmm has KVM
 * forward, and it changes nothing.
 *
 * The counter: the `time` CSR (ticks of the device tree's timebase
 * frequency, not CPU cycles).
 */
#include "bench_arch.h"
#include "hcabi_guest.h"

#define UART_SCR 7
#define SBI_SPEC_VERSION_0_2 0x2u /* major 0 (bits 30:24), minor 2 */

const char hcabi__bench_exit_name[] = "mmio_write";
const char hcabi__bench_kernel_name[] = "sbi_spec_version";

static uint64_t bare_addr;

static uint64_t sbi_spec_version(void)
{
	struct hcabi_ret r = hcabi_sbi_call(HCABI_SBI_EXT_BASE, HCABI_SBI_BASE_GET_SPEC_VERSION, 0, 0, 0);
	return r.status == 0 ? r.value : 0;
}

bool hcabi__bench_arch_setup(void)
{
	uint64_t v = sbi_spec_version();

	bare_addr = hcabi_riscv64_uart_reg(UART_SCR);
	hcabi_printf("hcabi-bench: bare exit: MMIO write to 0x%llx (the 16550's scratch register, "
		     "held by the VMM); kernel exit: SBI get_spec_version (answered 0x%llx)",
		     (unsigned long long)bare_addr, (unsigned long long)v);
	/* no console to write to, or an SBI older than 0.2 (which has no base
	 * extension): nothing to measure against */
	return bare_addr != 0 && v >= SBI_SPEC_VERSION_0_2;
}

void hcabi__bench_bare_exits(uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		hcabi_mmio_write8(bare_addr, (uint8_t)i);
}

uint64_t hcabi__bench_kernel_exits(uint64_t n)
{
	uint64_t sum = 0;
	for (uint64_t i = 0; i < n; i++)
		sum += sbi_spec_version();
	return sum;
}

uint64_t hcabi__bench_ticks(void)
{
	uint64_t t;

	__asm__ __volatile__("rdtime %0" : "=r"(t)::"memory");
	return t;
}
