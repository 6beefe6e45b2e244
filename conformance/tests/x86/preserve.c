/* SPDX-License-Identifier: MIT */
/*
 * Preserved state across a call: X86-006.1 (general-purpose registers),
 * X86-006.2 (RIP: execution continues at the next instruction), X86-007 (RFLAGS but the arithmetic flags; DF and IF), X86-008 (x87,
 * SSE and AVX state).
 *
 * What: every function that returns (HCABI_FOREACH_FUNCTION without the
 * no-return ones) is called through VMCALL and through VMMCALL with
 * harmless arguments (hcabi_harmless_args: valid where that is harmless,
 * otherwise invalid so that the call fails; functions of extensions that are
 * not provided are called too and must preserve just the same). Before
 * each call every general-purpose register but RSP holds a distinct
 * pattern, RFLAGS has DF, AC and ID set (and IF in a second round), and
 * the x87 registers, control/status/tag words, MXCSR, XMM0-15 and the upper
 * halves of YMM0-15 (when AVX is enabled) hold patterns; after it, all of
 * them but RAX, RDX and the arithmetic flags must be unchanged, RSP too,
 * and execution must continue at the next instruction. x87 FOP/FIP/FDP are
 * not compared (the requirement names the registers, MXCSR and the control
 * and status words).
 * Since HCABI 1.2 the same calls also check X86-011: CR0, CR3, CR4, EFER
 * and the MSRs a guest reads (STAR, LSTAR, CSTAR, SFMASK, the FS, GS and
 * kernel GS bases, PAT, TSC_AUX where CPUID reports RDTSCP or RDPID) are
 * read before and after each call and must be equal. The MSRs that the
 * runtime does not use (STAR .. SFMASK, FS base, kernel GS base, TSC_AUX,
 * and PAT entries 4-7, which no page of the runtime selects) hold test
 * patterns during the test, so that a hypervisor that resets one to its
 * boot value is seen too; the runtime's own values are restored after.
 * Why: a guest kernel calls the hypervisor from any context with live
 * state in every register; an implementation that clobbers one (RCX and
 * R11 are the classic victims of SYSCALL-style paths) corrupts it silently.
 * A control register or MSR changed behind its back (a SYSCALL entry
 * point, the per-CPU GS base, a memory type) breaks it later, far from the
 * call.
 */
#include "x86_asm.h"
#include "hcabi_calls.h"

static struct x86_pctx ctx;

enum aspect { GPRS, RFLAGS, FPU, CONTROL };

/* ---- X86-011: control registers and MSRs ---- */
enum ctl_kind { CTL_CR0, CTL_CR3, CTL_CR4, CTL_MSR };

#define X86_MSR_PAT 0x00000277u

static const struct ctl {
	const char *name;
	enum ctl_kind kind;
	uint32_t msr;
	uint64_t pattern; /* written for the test; 0: the runtime's value is kept */
	bool tsc_aux;	  /* present only with RDTSCP or RDPID */
} ctls[] = {
    {"CR0", CTL_CR0, 0, 0, false},
    {"CR3", CTL_CR3, 0, 0, false},
    {"CR4", CTL_CR4, 0, 0, false},
    {"EFER", CTL_MSR, HCABI_MSR_EFER, 0, false},
    {"STAR", CTL_MSR, 0xC0000081u, 0x0023001000000000ull, false},
    {"LSTAR", CTL_MSR, 0xC0000082u, 0xFFFFFFFF81A0B0C0ull, false},
    {"CSTAR", CTL_MSR, 0xC0000083u, 0xFFFFFFFF81C0D0E0ull, false},
    {"SFMASK", CTL_MSR, 0xC0000084u, 0x0000000000047700ull, false},
    {"FS.base", CTL_MSR, HCABI_MSR_FS_BASE, 0x00007F0012345000ull, false},
    {"GS.base", CTL_MSR, HCABI_MSR_GS_BASE, 0, false},
    {"KernelGSbase", CTL_MSR, 0xC0000102u, 0xFFFF888001234000ull, false},
    /* entries 4-7 WC WP WT UC; 0-3 stay as the runtime has them */
    {"PAT", CTL_MSR, X86_MSR_PAT, 0x0004050100000000ull, false},
    {"TSC_AUX", CTL_MSR, 0xC0000103u, 0x00000000C0FFEE05ull, true},
};

static uint64_t ctl_saved[HCABI_ARRAY_SIZE(ctls)], ctl_before[HCABI_ARRAY_SIZE(ctls)];
static bool ctl_have_tsc_aux;

static uint64_t ctl_read(const struct ctl *c)
{
	switch (c->kind) {
	case CTL_CR0:
		return hcabi_read_cr0();
	case CTL_CR3:
		return hcabi_read_cr3();
	case CTL_CR4:
		return hcabi_read_cr4();
	default:
		return hcabi_rdmsr(c->msr);
	}
}

static bool ctl_present(const struct ctl *c)
{
	return !c->tsc_aux || ctl_have_tsc_aux;
}

/* Save the runtime's values and write the test patterns. */
static void ctl_setup(void)
{
	ctl_have_tsc_aux = (hcabi_cpuid(0x80000001u, 0).edx >> 27 & 1) ||
			   (hcabi_cpuid(7, 0).ecx >> 22 & 1);
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(ctls); i++) {
		if (!ctl_present(&ctls[i]))
			continue;
		ctl_saved[i] = ctl_read(&ctls[i]);
		if (ctls[i].msr == X86_MSR_PAT)
			hcabi_wrmsr(X86_MSR_PAT,
				    ctls[i].pattern | (ctl_saved[i] & 0xFFFFFFFFull));
		else if (ctls[i].pattern)
			hcabi_wrmsr(ctls[i].msr, ctls[i].pattern);
	}
	if (!ctl_have_tsc_aux)
		test_log("no RDTSCP or RDPID: TSC_AUX is not checked");
}

static void ctl_restore(void)
{
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(ctls); i++)
		if (ctl_present(&ctls[i]) && ctls[i].pattern)
			hcabi_wrmsr(ctls[i].msr, ctl_saved[i]);
}

static void ctl_snapshot(uint64_t *v)
{
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(ctls); i++)
		v[i] = ctl_present(&ctls[i]) ? ctl_read(&ctls[i]) : 0;
}

/* The first register or MSR that differs from ctl_before, or -1. */
static int ctl_diff(uint64_t *after)
{
	ctl_snapshot(after);
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(ctls); i++)
		if (after[i] != ctl_before[i])
			return (int)i;
	return -1;
}

#define YMM 512

static const char *const reg_names[R_COUNT] = {
    "RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "R8",
    "R9",  "R10", "R11", "R12", "R13", "R14", "R15", "RFLAGS",
};

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* The FPU image loaded before each call: patterns everywhere. */
static void fill_fpu(uint8_t *a, unsigned round)
{
	memset(a, 0, X86_FPU_AREA);
	put16(a + 0, 0x0F7F);  /* FCW: all exceptions masked, 64-bit precision, round to zero */
	put16(a + 2, 0x4200);  /* FSW: C3, C1 */
	a[4] = 0xFF;	       /* abridged FTW: ST0-7 valid */
	put32(a + 24, 0xFFA0); /* MXCSR: FZ, round to zero, masks, PE flag */
	for (unsigned i = 0; i < 8; i++) {
		uint64_t mant = 0x8000000000000000ull | (0x0123456789ABCDEFull * (i + 1 + round));
		put64(a + 32 + 16 * i, mant);
		put16(a + 32 + 16 * i + 8, (uint16_t)(0x3FFF + i + round));
	}
	for (unsigned i = 0; i < 16; i++) {
		put64(a + 160 + 16 * i, 0x5A5A000000000000ull | ((uint64_t)i << 40) | round);
		put64(a + 160 + 16 * i + 8, 0xA5A5A5A500000000ull | (i * 0x01010101u));
		/* the YMM image: low half as XMM, upper half its own pattern */
		memcpy(a + YMM + 32 * i, a + 160 + 16 * i, 16);
		put64(a + YMM + 32 * i + 16, 0xC3C3C3C300000000ull | (i << 8) | round);
		put64(a + YMM + 32 * i + 24, 0x3C3C3C3C3C3C3C3Cull ^ i);
	}
}

static uint64_t xcr0_boot;

/* The FPU round uses AVX if the runtime enabled it at boot; XCR0 is set
 * again right before each call (x86_asm.S), so a change is the call's. */
static void setup_fpu(enum aspect what)
{
	ctx.use_avx = what == FPU && hcabi_has_avx();
	ctx.xcr0_want = xcr0_boot;
}

/* First difference in the FPU state, or NULL. */
static const char *fpu_diff(char *buf, size_t size)
{
	const uint8_t *a = ctx.fpu_in, *b = ctx.fpu_out;
	static const struct {
		const char *name;
		unsigned off, len;
	} fixed[] = {{"x87 FCW", 0, 2}, {"x87 FSW", 2, 2}, {"x87 FTW", 4, 1}, {"MXCSR", 24, 4}};

	for (size_t i = 0; i < HCABI_ARRAY_SIZE(fixed); i++)
		if (memcmp(a + fixed[i].off, b + fixed[i].off, fixed[i].len)) {
			hcabi_snprintf(buf, size, "%s changed", fixed[i].name);
			return buf;
		}
	for (unsigned i = 0; i < 8; i++)
		if (memcmp(a + 32 + 16 * i, b + 32 + 16 * i, 10)) {
			hcabi_snprintf(buf, size, "x87 register %u changed", i);
			return buf;
		}
	for (unsigned i = 0; i < 16; i++)
		if (memcmp(a + 160 + 16 * i, b + 160 + 16 * i, 16)) {
			hcabi_snprintf(buf, size, "XMM%u changed", i);
			return buf;
		}
	if (ctx.use_avx && (ctx.xcr0_after & 4) == 0) {
		hcabi_snprintf(buf, size,
			       "XCR0 changed from 0x%llx to 0x%llx across the call: AVX "
			       "disabled",
			       (unsigned long long)xcr0_boot, (unsigned long long)ctx.xcr0_after);
		return buf;
	}
	if (ctx.use_avx)
		for (unsigned i = 0; i < 16; i++)
			if (memcmp(a + YMM + 32 * i + 16, b + YMM + 32 * i + 16, 16)) {
				hcabi_snprintf(buf, size, "upper half of YMM%u changed", i);
				return buf;
			}
	return 0;
}

/* A failed check: register or MSR `name` changed across the call. */
static void report_changed(const char *req, const struct hcabi_fn *fn, const char *insn,
			   const char *name, uint64_t was, uint64_t is)
{
	check_true(false, req, "%s.%s via %s: %s was 0x%llx, is 0x%llx after", fn->ext, fn->name,
		   insn, name, (unsigned long long)was, (unsigned long long)is);
}

/* A passed check: `what` held across the call. */
static void report_kept(const char *req, const struct hcabi_fn *fn, const char *insn, bool irq,
			const char *what)
{
	check_true(true, req, "%s.%s via %s%s: %s (status %lld)", fn->ext, fn->name, insn,
		   irq ? " (IF=1)" : "", what, (long long)ctx.out[R_RAX]);
}

static void one_call(const struct hcabi_fn *fn, bool vmmcall, bool irq, unsigned round,
		     enum aspect what, const char *req, const char *rip_req)
{
	const char *insn = vmmcall ? "VMMCALL" : "VMCALL";
	uint64_t args[6];
	char diff[96];

	memset(&ctx.out, 0, sizeof(ctx.out));
	hcabi_harmless_args(fn->id, args, 0x6A6A6A6A00000000ull | ((uint64_t)round << 24));
	ctx.in[R_RAX] = fn->id;
	ctx.in[R_RDI] = args[0];
	ctx.in[R_RSI] = args[1];
	ctx.in[R_RDX] = args[2];
	ctx.in[R_R10] = args[3];
	ctx.in[R_R8] = args[4];
	ctx.in[R_R9] = args[5];
	ctx.in[R_RBX] = 0xB0B0B0B0B0B0B0B0ull ^ round;
	ctx.in[R_RCX] = 0xC1C1C1C1C1C1C1C1ull ^ round;
	ctx.in[R_RBP] = 0xB9B9B9B9B9B9B9B9ull ^ round;
	ctx.in[R_R11] = 0x1111111111111111ull ^ round;
	ctx.in[R_R12] = 0x1212121212121212ull ^ round;
	ctx.in[R_R13] = 0x1313131313131313ull ^ round;
	ctx.in[R_R14] = 0x1414141414141414ull ^ round;
	ctx.in[R_R15] = 0x1515151515151515ull ^ round;
	ctx.in[R_RFLAGS] = HCABI_RFLAGS_FIXED | HCABI_RFLAGS_DF | HCABI_RFLAGS_AC |
			   HCABI_RFLAGS_ID | HCABI_RFLAGS_CF | HCABI_RFLAGS_ZF |
			   (irq ? HCABI_RFLAGS_IF : 0);
	ctx.vmmcall = vmmcall;
	setup_fpu(what);
	fill_fpu(ctx.fpu_in, round);
	memset(ctx.fpu_out, 0, sizeof(ctx.fpu_out));
	if (what == CONTROL)
		ctl_snapshot(ctl_before);

	x86_preserve_call(&ctx);

	switch (what) {
	case GPRS: {
		int bad = -1;
		for (int r = 0; r < R_RFLAGS; r++)
			if (r != R_RAX && r != R_RDX && ctx.out[r] != ctx.in[r]) {
				bad = r;
				break;
			}
		if (bad >= 0)
			report_changed(req, fn, insn, reg_names[bad], ctx.in[bad], ctx.out[bad]);
		else if (ctx.rsp_after != ctx.rsp_before)
			report_changed(req, fn, insn, "RSP", ctx.rsp_before, ctx.rsp_after);
		else
			report_kept(req, fn, insn, irq, "RBX RCX RSI RDI RBP RSP R8-R15 preserved");
		/* X86-006.2: a RIP left on the instruction would repeat the call
		 * forever (the test times out); one moved past the next
		 * instruction skips the store that sets x86_resumed */
		if (rip_req)
			check_true(x86_resumed == 1, rip_req,
				   "%s.%s via %s: execution continued at the instruction after it "
				   "(it %s)",
				   fn->ext, fn->name, insn, x86_resumed == 1 ? "ran" : "was skipped");
		break;
	}
	case RFLAGS: {
		uint64_t changed = (ctx.out[R_RFLAGS] ^ ctx.in[R_RFLAGS]) & ~HCABI_RFLAGS_ARITH;
		check_true(!changed, req,
			   "%s.%s via %s: RFLAGS 0x%llx before, 0x%llx after (non-arithmetic bits "
			   "changed: 0x%llx)",
			   fn->ext, fn->name, insn, (unsigned long long)ctx.in[R_RFLAGS],
			   (unsigned long long)ctx.out[R_RFLAGS], (unsigned long long)changed);
		break;
	}
	case CONTROL: {
		uint64_t after[HCABI_ARRAY_SIZE(ctls)];
		int bad = ctl_diff(after);
		if (bad >= 0) {
			report_changed(req, fn, insn, ctls[bad].name, ctl_before[bad], after[bad]);
			/* the next call is compared with what it found */
			if (ctls[bad].kind == CTL_MSR && ctls[bad].pattern)
				hcabi_wrmsr(ctls[bad].msr, ctl_before[bad]);
		} else {
			report_kept(req, fn, insn, irq, "CR0 CR3 CR4 EFER and the MSRs unchanged");
		}
		break;
	}
	case FPU: {
		const char *d = fpu_diff(diff, sizeof(diff));
		check_true(!d, req, "%s.%s via %s: x87/SSE%s state %s", fn->ext, fn->name, insn,
			   ctx.use_avx ? "/AVX" : "", d ? d : "preserved");
		break;
	}
	}
}

/* req: the requirement of `what` (rip_req: of returning to the next
 * instruction, or NULL), given by each test so that the tests manifest sees
 * which test checks which requirement. */
static void every_function(enum aspect what, const char *req, const char *rip_req)
{
	unsigned round = 0;

	xcr0_boot = hcabi_xcr0_boot();
	for (size_t i = 0; i < hcabi_num_fns; i++) {
		const struct hcabi_fn *fn = &hcabi_fns[i];
		if (fn->flags & HCABI_FN_NO_RETURN)
			continue;
		one_call(fn, false, false, ++round, what, req, rip_req);
		one_call(fn, true, false, ++round, what, req, rip_req);
	}
	/* Interrupts enabled around the call (IF is preserved too) */
	one_call(hcabi_fn_by_id(HCABI_FID_BASE_GET_SPEC_VERSION), false, true, ++round, what, req,
		 rip_req);
	one_call(hcabi_fn_by_id(HCABI_FID_BASE_PROBE_EXTENSION), true, true, ++round, what, req,
		 rip_req);
}

HCABI_TEST(x86_preserve_gprs, "X86.preserve_gprs", "X86-006.1,X86-006.2", HCABI_VERSION_1_0)
{
	every_function(GPRS, "X86-006.1", "X86-006.2");
}

HCABI_TEST(x86_preserve_rflags, "X86.preserve_rflags", "X86-007", HCABI_VERSION_1_0)
{
	every_function(RFLAGS, "X86-007", NULL);
}

HCABI_TEST(x86_preserve_fpu, "X86.preserve_fpu", "X86-008", HCABI_VERSION_1_0)
{
	if (!hcabi_has_avx())
		test_log("no AVX on this CPU: x87 and SSE state only");
	every_function(FPU, "X86-008", NULL);
}

HCABI_TEST(x86_preserve_control, "X86.preserve_control_registers_and_msrs", "X86-011",
	   HCABI_VERSION_1_2)
{
	ctl_setup();
	every_function(CONTROL, "X86-011", NULL);
	ctl_restore();
}
