/* SPDX-License-Identifier: MIT */
/*
 * A hypercall at CPL 3: X86-009.
 *
 * What: at CPL 3, with every general-purpose register and RFLAGS loaded
 * with known values, VMCALL and then VMMCALL of TIME.SET_TIMER(deadline 0,
 * vector V) must raise #UD in the guest (or #GP with error code 0 for the
 * instruction the CPU does not implement natively: VMCALL on AMD and Hygon,
 * VMMCALL on the others), reported with RIP at the hypercall
 * instruction, CS the ring 3 selector, and every register (RSP and RFLAGS
 * included, RF aside: the CPU may set it in the frame of a fault) as it was
 * before the instruction; the call must have no effect: the timer, whose
 * deadline has passed, must not fire (500 ms with interrupts enabled), and
 * CANCEL_TIMER finds nothing armed. With TIME absent, GET_SPEC_VERSION is
 * used and only the #UD and the registers are checked.
 * Why: a guest kernel runs untrusted user code; if user code could make
 * hypercalls, any process could arm timers, write the console or shut the
 * VM down.
 */
#include "x86_asm.h"

#define TIMER_VECTOR 0x48u

static volatile uint64_t timer_hits;

static void on_timer(struct hcabi_frame *f, unsigned v)
{
	(void)f;
	(void)v;
	timer_hits++;
}

static const char *const names[R_COUNT] = {
    "RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "R8",
    "R9",  "R10", "R11", "R12", "R13", "R14", "R15", "RFLAGS",
};

static void one(bool vmmcall, bool have_time)
{
	bool foreign = vmmcall != x86_vmmcall_native();
	const char *insn = vmmcall ? "VMMCALL" : "VMCALL";
	struct hcabi_exc_info info;
	bool faulted = false;
	uint64_t got[R_COUNT];
	uint64_t want_flags;
	int bad = -1;

	x86_user_in[R_RAX] = have_time ? HCABI_FID_TIME_SET_TIMER : HCABI_FID_BASE_GET_SPEC_VERSION;
	x86_user_in[R_RDI] = 0; /* deadline: long past */
	x86_user_in[R_RSI] = TIMER_VECTOR;
	x86_user_in[R_RBX] = 0x0B0B0B0B0B0B0B0Bull;
	x86_user_in[R_RCX] = 0x0C0C0C0C0C0C0C0Cull;
	x86_user_in[R_RDX] = 0x0D0D0D0D0D0D0D0Dull;
	x86_user_in[R_RBP] = 0x0E0E0E0E0E0E0E0Eull;
	x86_user_in[R_R8] = 0x0808080808080808ull;
	x86_user_in[R_R9] = 0x0909090909090909ull;
	x86_user_in[R_R10] = 0x1010101010101010ull;
	x86_user_in[R_R11] = 0x1111111111111111ull;
	x86_user_in[R_R12] = 0x1212121212121212ull;
	x86_user_in[R_R13] = 0x1313131313131313ull;
	x86_user_in[R_R14] = 0x1414141414141414ull;
	x86_user_in[R_R15] = 0x1515151515151515ull;
	/* CPL 3 with IOPL 0 cannot change IF; DF, AC and some arithmetic flags */
	x86_user_in[R_RFLAGS] = HCABI_RFLAGS_FIXED | HCABI_RFLAGS_DF | HCABI_RFLAGS_AC |
				HCABI_RFLAGS_CF | HCABI_RFLAGS_SF;
	want_flags = x86_user_in[R_RFLAGS];

	uint64_t ret;
	bool happened;

	expect_exception(HCABI_EXC_ANY);
	ret = hcabi_run_user(vmmcall ? x86_user_vmmcall : x86_user_vmcall, 0, &faulted);
	happened = exception_end(&info);
	if (!happened || !faulted) {
		check_true(false, "X86-009.2",
			   "%s at CPL 3 raised no exception: the call returned status %lld", insn,
			   (long long)ret);
		return;
	}
	if (!check_true(
		info.vector == HCABI_EXC_UD ||
		    (foreign && info.vector == HCABI_EXC_GP && info.error_code == 0),
		"X86-009.2",
		"%s at CPL 3 raised %s%s: got %s (vector %u, error code 0x%llx) at RIP 0x%llx",
		insn, foreign ? "#UD or #GP(0), as the CPU does not implement it natively" : "#UD",
		"", hcabi_exception_name(info.vector), info.vector,
		(unsigned long long)info.error_code, (unsigned long long)info.frame.rip))
		return;
	check_eq_u64(info.frame.rip,
		     (uint64_t)(uintptr_t)(vmmcall ? x86_user_vmmcall_insn : x86_user_vmcall_insn),
		     "X86-009.2", "%s: RIP of the %s is the hypercall instruction", insn,
		     hcabi_exception_name(info.vector));
	check_eq_u64(info.frame.cs, HCABI_SEL_UCODE, "X86-009.2", "%s: CS of the exception frame",
		     insn);
	check_eq_u64(info.frame.rsp, x86_user_rsp, "X86-009.2", "%s: RSP of the exception frame",
		     insn);
	got[R_RAX] = info.frame.rax;
	got[R_RBX] = info.frame.rbx;
	got[R_RCX] = info.frame.rcx;
	got[R_RDX] = info.frame.rdx;
	got[R_RSI] = info.frame.rsi;
	got[R_RDI] = info.frame.rdi;
	got[R_RBP] = info.frame.rbp;
	got[R_R8] = info.frame.r8;
	got[R_R9] = info.frame.r9;
	got[R_R10] = info.frame.r10;
	got[R_R11] = info.frame.r11;
	got[R_R12] = info.frame.r12;
	got[R_R13] = info.frame.r13;
	got[R_R14] = info.frame.r14;
	got[R_R15] = info.frame.r15;
	got[R_RFLAGS] = info.frame.rflags & ~(1ull << 16); /* RF */
	for (int r = 0; r < R_COUNT && bad < 0; r++)
		if (got[r] != (r == R_RFLAGS ? want_flags : x86_user_in[r]))
			bad = r;
	if (bad >= 0)
		check_true(false, "X86-009.2",
			   "%s: %s in the exception frame is 0x%llx, was 0x%llx", insn, names[bad],
			   (unsigned long long)got[bad],
			   (unsigned long long)(bad == R_RFLAGS ? want_flags : x86_user_in[bad]));
	else
		check_true(
		    true, "X86-009.2",
		    "%s: every general-purpose register and RFLAGS in the exception frame as "
		    "before the instruction",
		    insn);
}

HCABI_TEST(x86_cpl3, "X86.cpl3_ud", "X86-009.1,X86-009.2," HCABI_REQ_VALUE_ZERO, HCABI_VERSION_1_0)
{
	bool have_time = hcabi_has_ext(HCABI_EID_TIME);

	if (!have_time)
		test_log("TIME not provided: GET_SPEC_VERSION is called at CPL 3 instead, and no "
			 "effect can be observed");
	hcabi_irq_register(TIMER_VECTOR, on_timer);
	timer_hits = 0;
	one(false, have_time);
	one(true, have_time);
	if (!have_time)
		return;
	hcabi_irq_enable();
	delay_ns(HCABI_MS(500));
	hcabi_irq_disable();
	check_eq_u64(
	    timer_hits, 0, "X86-009.1",
	    "timer interrupts after SET_TIMER(past deadline) at CPL 3 (must have no effect)");
	check_ret(hcabi_time_cancel_timer(), HCABI_SUCCESS, 0, "X86-009.1",
		  "CANCEL_TIMER: nothing was armed at CPL 3");
}
