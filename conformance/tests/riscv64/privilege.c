/* SPDX-License-Identifier: MIT */
/*
 * An ECALL in U-mode: RV64-013, RV64-014.
 *
 * What: in U-mode (the runtime's U-mode runner, hcabi_run_umode), with
 * every general-purpose register loaded with a known value (a7 =
 * HCABI_RISCV64_SBI_EID, a6 an HCABI function ID, a0, a1 its arguments),
 * ECALL must be the guest kernel's own system call: an environment call
 * from U-mode taken in S-mode (scause 8), sepc the address of the ECALL,
 * sstatus.SPP 0 (from U-mode), and every register as it was before the
 * instruction (a0 and a1 included: nothing answered the call). The call
 * must have had no effect: made as MEM.RELEASE of a page full of a
 * pattern, the page must still hold it; made as TIME.SET_TIMER a minute
 * ahead, CANCEL_TIMER must find no timer armed (value 0); made as IPI.SEND
 * of vector 63 to the caller, the identity must not be pending in its
 * interrupt file. With none of these extensions, BASE.GET_SPEC_VERSION is
 * used and only the trap and the registers are checked.
 * Why: a guest kernel runs untrusted user code; if user code could make
 * hypercalls, any process could release the kernel's memory, arm timers,
 * write the console or shut the VM down.
 */
#include "rv_asm.h"
#include "binding_user.h"
#include "hcabi_riscv64_umode.h"

/* One ECALL in U-mode with a6 = fid and a0..a2 = args; the trap and the
 * registers checked (RV64-014). */
static void ecall_in_umode(uint32_t fid, uint64_t a0, uint64_t a1, uint64_t a2, const char *what)
{
	uint64_t regs[31];
	uint64_t code = (uint64_t)(uintptr_t)rv_umode_code;
	struct hcabi_umode_result res;
	unsigned cause;
	int bad = -1;

	for (unsigned n = 1; n < 32; n++)
		regs[n - 1] = ((uint64_t)(0xE0 + n) << 56) | 0x0000E10E00000000ull | n;
	regs[10 - 1] = a0;
	regs[11 - 1] = a1;
	regs[12 - 1] = a2;
	regs[16 - 1] = fid;
	regs[17 - 1] = HCABI_RISCV64_SBI_EID;
	hcabi_run_umode(rv_umode_code, regs, &res);
	cause = (unsigned)res.scause;
	if (res.scause == HCABI_EXC_BREAKPOINT && res.sepc == code + RV_UMODE_EBREAK_OFFSET) {
		check_true(false, "RV64-014",
			   "%s: the ECALL in U-mode returned to U-mode (a0=0x%llx a1=0x%llx) "
			   "instead of trapping to S-mode",
			   what, (unsigned long long)res.x[10 - 1],
			   (unsigned long long)res.x[11 - 1]);
		return;
	}
	if (!check_eq_u64(res.scause, HCABI_EXC_ECALL_U, "RV64-014",
			  "%s: scause of the trap (environment call from U-mode)", what))
		return;
	check_eq_u64(res.sepc, code + RV_UMODE_ECALL_OFFSET, "RV64-014",
		     "%s: sepc is the address of the ECALL", what);
	check_eq_u64(res.sstatus & HCABI_SSTATUS_SPP, 0, "RV64-014",
		     "%s: sstatus.SPP (taken from U-mode; scause %u)", what, cause);
	for (unsigned n = 1; n < 32 && bad < 0; n++)
		if (res.x[n - 1] != regs[n - 1])
			bad = (int)n;
	if (bad >= 0)
		check_true(false, "RV64-014", "%s: x%d at the trap is 0x%llx, was 0x%llx", what,
			   bad, (unsigned long long)res.x[bad - 1],
			   (unsigned long long)regs[bad - 1]);
	else
		check_true(true, "RV64-014", "%s: x1..x31 as before the ECALL", what);
}

/* ecall_in_umode with a2 = 0 (for binding_user_calls_no_effect). */
static void umode_call(uint32_t fid, uint64_t a0, uint64_t a1, const char *what)
{
	ecall_in_umode(fid, a0, a1, 0, what);
}

HCABI_TEST(rv_umode_ecall, "RV64.umode_ecall_is_the_guests", "RV64-013,RV64-014", HCABI_VERSION_1_0)
{
	static const struct binding_user user = {umode_call, "in U-mode", "RV64-013",
						   HCABI_RISCV64_VECTOR_MIN};
	bool any = binding_user_calls_no_effect(&user);

	if (hcabi_has_ext(HCABI_EID_IPI)) {
		unsigned me = hcabi_cpu_index();
		uint64_t flags = hcabi_irq_save();
		any = true;
		ecall_in_umode(HCABI_FID_IPI_SEND, 1ull << me, 0, HCABI_RISCV64_VECTOR_MAX,
			       "IPI.SEND(the caller, vector 63)");
		check_true(
		    !hcabi_intc_pending(HCABI_RISCV64_VECTOR_MAX), "RV64-013",
		    "identity 63 is not pending in the caller's interrupt file after IPI.SEND "
		    "in U-mode");
		hcabi_irq_restore(flags);
	}
	if (!any) {
		test_log(
		    "none of MEM, TIME, IPI provided: GET_SPEC_VERSION is called in U-mode and "
		    "no effect can be observed");
		ecall_in_umode(HCABI_FID_BASE_GET_SPEC_VERSION, 0, 0, 0, "BASE.GET_SPEC_VERSION");
	}
}
