/* SPDX-License-Identifier: MIT */
/*
 * hcabi_riscv64_umode.h - run a few instructions in U-mode and come back
 * (umode.c, umode.S): the riscv64 runtime's counterpart of x86-64's CPL 3
 * runner and arm64's EL0 runner, for the binding's privilege rule
 * (RV64-013, RV64-014).
 *
 * The runtime runs with satp = 0, so U-mode fetches and accesses physical
 * addresses as S-mode does (the platform's PMP, under OpenSBI, and a
 * hypervisor's G-stage allow the guest's RAM): the code runs where it is,
 * no mapping is made. The hart enters it in U-mode with every
 * general-purpose register chosen by the caller and every S-level interrupt
 * source off (sie = 0: in U-mode sstatus.SIE does not mask them), and comes
 * back on the first trap taken from U-mode (an ECALL, an EBREAK, an illegal
 * instruction, a fault), with the registers as that trap found them. One
 * hart at a time: the context of the call is the image's, not per vCPU.
 */
#ifndef HCABI_RISCV64_UMODE_H
#define HCABI_RISCV64_UMODE_H

#include <stdint.h>

/* What came back from U-mode. */
struct hcabi_umode_result {
	uint64_t x[31];	 /* x1..x31 when the trap was taken: x[n - 1] is xn */
	uint64_t sepc;	 /* the address of the instruction that trapped */
	uint64_t scause; /* its scause (HCABI_EXC_ECALL_U 8 for an ECALL) */
	uint64_t stval;
	uint64_t sstatus; /* sstatus at the trap: SPP 0 says it came from U-mode */
};

/*
 * Enter `code` in U-mode with x1..x31 = regs[0..30] (regs[n - 1] is xn),
 * and return when a trap comes back from it (*res). The code must end in
 * an instruction that traps (ECALL, EBREAK, an illegal instruction) on
 * every path. Interrupts, sie and stvec are as before when it returns.
 */
void hcabi_run_umode(const void *code, const uint64_t regs[31], struct hcabi_umode_result *res);

#endif /* HCABI_RISCV64_UMODE_H */
