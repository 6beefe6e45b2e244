/* SPDX-License-Identifier: MIT */
/*
 * An HVC at EL0: ARM64-015, ARM64-016.
 *
 * What: at EL0 (the runtime's EL0 runner, hcabi_run_el0), with every
 * general-purpose register and SP_EL0 loaded with known values, HVC #0 with
 * x0 = HCABI_ARM64_CALL_ID must take an Undefined Instruction exception to
 * EL1: ESR_EL1.EC 0x00, ELR_EL1 the address of the HVC, SPSR_EL1 saying
 * EL0t, and every register as it was before the instruction (x0 and x1
 * included: nothing answered the call). The call must have had no effect:
 * made as MEM.RELEASE of a page full of a pattern, the page must still hold
 * it; made as TIME.SET_TIMER a minute ahead, CANCEL_TIMER must find no
 * timer armed (value 0). With neither extension, BASE.GET_SPEC_VERSION is
 * used and only the exception and the registers are checked.
 * Why: a guest kernel runs untrusted user code; if user code could make
 * hypercalls, any process could release the kernel's memory, arm timers,
 * write the console or shut the VM down.
 */
#include "a64_asm.h"
#include "binding_user.h"
#include "hcabi_arm64_el0.h"

/* One HVC at EL0 with x1 = fid and x2, x3 = a0, a1; the exception and the
 * registers checked (ARM64-016). */
static void hvc_at_el0(uint32_t fid, uint64_t a0, uint64_t a1, const char *what)
{
	uint64_t regs[31];
	uint64_t sp_el0 = 0x00000000E10E1000ull;
	size_t len = (size_t)(a64_el0_code_end - a64_el0_code);
	struct hcabi_el0_result res;
	const char *why = 0;
	unsigned ec;
	int bad = -1;

	regs[0] = HCABI_ARM64_CALL_ID;
	regs[1] = fid;
	regs[2] = a0;
	regs[3] = a1;
	for (unsigned i = 4; i < 31; i++)
		regs[i] = ((uint64_t)(0xE0 + i) << 56) | 0x0000E10E00000000ull | i;
	if (!hcabi_run_el0(a64_el0_code, len, regs, sp_el0, &res, &why)) {
		test_error("cannot run code at EL0: %s", why);
		return;
	}
	ec = (unsigned)(res.esr >> 26) & 0x3F;
	if (res.kind == HCABI_EL0_SYNC && ec == HCABI_EXC_SVC64) {
		check_true(false, "ARM64-016",
			   "%s: HVC at EL0 returned (x0=0x%llx x1=0x%llx) instead of raising an "
			   "Undefined Instruction exception",
			   what, (unsigned long long)res.x[0], (unsigned long long)res.x[1]);
		return;
	}
	if (!check_true(res.kind == HCABI_EL0_SYNC && ec == HCABI_EXC_UNKNOWN, "ARM64-016",
			"%s: HVC at EL0 raised a synchronous exception of class 0x00 (undefined "
			"instruction): got entry kind %llu, EC 0x%x, ESR 0x%llx",
			what, (unsigned long long)res.kind, ec, (unsigned long long)res.esr))
		return;
	check_eq_u64(res.elr, HCABI_EL0_VA + A64_EL0_HVC_OFFSET, "ARM64-016",
		     "%s: ELR_EL1 is the address of the HVC", what);
	check_eq_u64(res.spsr & 0xF, 0, "ARM64-016", "%s: SPSR_EL1.M (taken from EL0t)", what);
	for (unsigned i = 0; i < 31 && bad < 0; i++)
		if (res.x[i] != regs[i])
			bad = (int)i;
	if (bad >= 0)
		check_true(false, "ARM64-016", "%s: x%d at the exception is 0x%llx, was 0x%llx",
			   what, bad, (unsigned long long)res.x[bad],
			   (unsigned long long)regs[bad]);
	else
		check_eq_u64(res.sp_el0, sp_el0, "ARM64-016",
			     "%s: x0..x30 as before the HVC; SP_EL0", what);
}

HCABI_TEST(a64_el0_hvc, "ARM64.el0_hvc_undefined", "ARM64-015,ARM64-016", HCABI_VERSION_1_0)
{
	static const struct binding_user user = {hvc_at_el0, "at EL0", "ARM64-015",
						   HCABI_ARM64_VECTOR_MIN};
	bool any = binding_user_calls_no_effect(&user);

	if (!any) {
		test_log("neither MEM nor TIME provided: GET_SPEC_VERSION is called at EL0 and no "
			 "effect can be observed");
		hvc_at_el0(HCABI_FID_BASE_GET_SPEC_VERSION, 0, 0, "BASE.GET_SPEC_VERSION");
	}
}
