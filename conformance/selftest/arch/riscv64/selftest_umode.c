/* SPDX-License-Identifier: MIT */
/*
 * selftest_umode.c - the riscv64 runtime's U-mode runner (hcabi_run_umode,
 * what the binding's privilege test RV64.umode_ecall_is_the_guests stands
 * on), under a hypervisor without HCABI: code entered in U-mode with chosen
 * registers comes back on an ECALL (scause 8, sepc at the ECALL: SBI
 * delegates it to S-mode whatever runs below), on an EBREAK and on an
 * illegal instruction (a CSR read U-mode may not make), with every
 * register as U-mode had it and sstatus.SPP 0; three times in a row, so
 * that stvec, sscratch and the interrupt state are put back each time.
 */
#include "hcabi_riscv64_umode.h"
#include "selftest.h"

extern const char st_u_ecall[], st_u_ebreak[], st_u_csr[];
__asm__(".text\n"
	".option push\n"
	".option norvc\n"
	".balign 4\n"
	"st_u_ecall: ecall\n"
	"ebreak\n"
	"st_u_ebreak: ebreak\n"
	"ebreak\n"
	"st_u_csr: csrr a0, sstatus\n"
	"ebreak\n"
	".option pop\n");

/* Run code in U-mode with xn = 0xB0000000 + n (a7 = a7); the registers must
 * come back as they were, from U-mode, with scause `cause` at `code`. */
static void run(const char *code, uint64_t a7, uint64_t cause, const char *what)
{
	struct hcabi_umode_result res;
	uint64_t regs[31];
	int bad = -1;

	for (unsigned n = 1; n < 32; n++)
		regs[n - 1] = 0xB0000000ull + n;
	regs[17 - 1] = a7;
	hcabi_run_umode(code, regs, &res);
	check_eq_u64(res.scause, cause, "-", "%s: scause", what);
	check_eq_u64(res.sepc, (uint64_t)(uintptr_t)code, "-", "%s: sepc at the instruction", what);
	check_eq_u64(res.sstatus & HCABI_SSTATUS_SPP, 0, "-", "%s: taken from U-mode", what);
	for (unsigned n = 1; n < 32 && bad < 0; n++)
		if (res.x[n - 1] != regs[n - 1])
			bad = (int)n;
	if (bad >= 0)
		check_true(false, "-", "%s: x%d is 0x%llx, U-mode had 0x%llx", what, bad,
			   (unsigned long long)res.x[bad - 1], (unsigned long long)regs[bad - 1]);
	else
		check_true(true, "-", "%s: x1..x31 as U-mode had them", what);
}

SELF(umode_runner, "SELF.umode_runner")
{
	uint64_t stvec = hcabi_csr_read(stvec), sie = hcabi_csr_read(sie);
	bool irq = hcabi_irq_enabled();

	for (int round = 0; round < 3; round++) {
		run(st_u_ecall, HCABI_RISCV64_SBI_EID, HCABI_EXC_ECALL_U, "ECALL");
		run(st_u_ebreak, 0, HCABI_EXC_BREAKPOINT, "EBREAK");
		run(st_u_csr, 0, HCABI_EXC_ILLEGAL, "csrr sstatus in U-mode");
	}
	check_eq_u64(hcabi_csr_read(stvec), stvec, "-", "stvec put back");
	check_eq_u64(hcabi_csr_read(sie), sie, "-", "sie put back");
	check_true(hcabi_irq_enabled() == irq, "-", "sstatus.SIE put back");
	check_true(hcabi_this_cpu() && hcabi_this_cpu()->self == hcabi_this_cpu(), "-",
		   "sscratch is the per-vCPU block again");
}
