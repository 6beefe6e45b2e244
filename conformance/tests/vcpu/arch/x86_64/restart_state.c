/* SPDX-License-Identifier: MIT */
/*
 * VCPU.START of a vCPU that stopped itself, the x86-64 register state:
 * VCPU-024, VCPU-028, VCPU-032 (restart.c has the neutral restart_stress).
 *
 * What:
 *  - restart_register_state: vCPU 1 is started, changes state a START
 *    defines (clears CR0.WP and CR4.OSXMMEXCPT, sets MXCSR to 0x7F80, the
 *    x87 control word to 0x027F and XMM0..15 to non-zero values) and MSRs
 *    no HCABI requirement names (STAR, LSTAR, CSTAR, SFMASK, KERNEL_GS_BASE,
 *    SYSENTER_*, PAT), then stops with VCPU.STOP. Started again (with other
 *    page tables, GDT and stack), it must begin with the state VCPU-024
 *    gives, not the one it left: RDI = arg, RSP as given, every other
 *    general-purpose register zero, RFLAGS 0x2, CR0 with PE MP ET NE WP PG,
 *    CR4 with PAE OSFXSR OSXMMEXCPT, EFER with LME LMA NXE, CR3/GDTR/IDTR and
 *    the selectors as given, and x87 and SSE state as after reset: MXCSR
 *    0x1F80, XMM registers zero, an x87 control word of 0x0040 (after RESET)
 *    or 0x037F (after FNINIT), either accepted, the value it left not
 *    (VCPU-024, VCPU-032). The MSRs are only logged here, at both starts
 *    (an access that raises #GP is logged as 0xDEAD00000000DEAD): before
 *    1.2 the START description does not say what they hold, so a hypervisor
 *    that keeps them, as INIT keeps PAT, conforms to 1.1;
 *  - restart_msrs_reset (since 1.2): the same restart, and each of those
 *    MSRs the vCPU implements holds its power-on value: 0, PAT
 *    0x0007040600070406 (VCPU-028);
 * Why: a guest offlines and onlines CPUs (suspend, hotplug, a CPU parked by
 * its idle loop) and reuses the same CPU at once; a hypervisor that restores
 * only part of a vCPU's state, or whose START fails while the stopped vCPU
 * is still being taken down, breaks that.
 */
#include "vcpu_common.h"

/* ---- restart_register_state ----------------------------------------------------- */

/* MSRs a restart may or may not reset (logged), and what the first run
 * writes to them: valid values (canonical addresses, SFMASK's reserved high
 * half clear, 32-bit SYSENTER values, a PAT whose entry 5, which nothing
 * here uses, is WC instead of WT). */
static const struct {
	uint32_t msr;
	const char *name;
	uint64_t dirty;
} rs_msrs[] = {
    {0xC0000081u, "STAR", 0x0023000800001234ull},
    {0xC0000082u, "LSTAR", 0xFFFFFFFF81000000ull},
    {0xC0000083u, "CSTAR", 0xFFFFFFFF81000040ull},
    {0xC0000084u, "SFMASK", 0x47700ull},
    {0xC0000102u, "KERNEL_GS_BASE", 0xFFFF888000001000ull},
    {0x174u, "SYSENTER_CS", 0x10ull},
    {0x175u, "SYSENTER_ESP", 0x12345000ull},
    {0x176u, "SYSENTER_EIP", 0x12346000ull},
    {0x277u, "PAT", 0x0007010600070406ull},
};
#define RS_NMSRS HCABI_ARRAY_SIZE(rs_msrs)

static struct vcpu_raw rs_a, rs_b;
static struct hcabi_vcpu_boot_state rs_bs __attribute__((aligned(64)));
static uint64_t rs_seen[2][RS_NMSRS]; /* at the first start, at the restart */

static uint64_t rs_xmm[16]; /* low quadwords at the restart */

/* XMM0..15 low quadwords (the guest's C code never touches XMM registers:
 * -mgeneral-regs-only). */
#define RS_XMM(op)                                                                                 \
	op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) op(8) op(9) op(10) op(11) op(12) op(13)    \
	    op(14) op(15)
#define RS_XMM_SET(n) __asm__ __volatile__("movq %0, %%xmm" #n ::"r"(0x5A5A000000000000ull | n));
#define RS_XMM_GET(n) __asm__ __volatile__("movq %%xmm" #n ", %0" : "=r"(rs_xmm[n]));

/* MSR access that survives a #GP: a hypervisor need not implement every one
 * of these (CSTAR on Intel hosts, for one), and they are only logged. */
#define RS_NO_MSR 0xDEAD00000000DEADull

static uint64_t rs_rdmsr(uint32_t msr)
{
	uint32_t lo = 0, hi = 0;
	expect_exception(HCABI_EXC_GP);
	__asm__ __volatile__(HCABI_ASM_FIXUP("1f") "rdmsr\n1:" HCABI_ASM_FIXUP_CLEAR
			     : "+a"(lo), "+d"(hi)
			     : "c"(msr)
			     : "memory");
	return exception_end(0) ? RS_NO_MSR : ((uint64_t)hi << 32) | lo;
}

static void rs_wrmsr(uint32_t msr, uint64_t v)
{
	expect_exception(HCABI_EXC_GP);
	__asm__ __volatile__(HCABI_ASM_FIXUP("1f") "wrmsr\n1:" HCABI_ASM_FIXUP_CLEAR ::"c"(msr),
			     "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			     : "memory");
	(void)exception_end(0);
}

static void rs_read_msrs(uint64_t *out)
{
	for (size_t i = 0; i < RS_NMSRS; i++)
		out[i] = rs_rdmsr(rs_msrs[i].msr);
}

/* The first run: record, then change what a restart must set again. */
static void rs_dirty(struct vcpu_raw *ctx)
{
	uint32_t mxcsr = 0x7F80; /* round toward zero, every exception masked */
	uint16_t fcw = 0x027F;	 /* double precision */

	rs_read_msrs(rs_seen[0]);
	for (size_t i = 0; i < RS_NMSRS; i++)
		rs_wrmsr(rs_msrs[i].msr, rs_msrs[i].dirty);
	__asm__ __volatile__("ldmxcsr %0" ::"m"(mxcsr));
	__asm__ __volatile__("fldcw %0" ::"m"(fcw));
	RS_XMM(RS_XMM_SET)
	hcabi_write_cr0(hcabi_read_cr0() & ~VCPU_CR0_WP);
	hcabi_write_cr4(hcabi_read_cr4() & ~VCPU_CR4_OSXMMEXCPT);
	ctx->data[0] = 1;
	/* returning stops the vCPU (VCPU.STOP) in this state */
}

static void rs_record(struct vcpu_raw *ctx)
{
	RS_XMM(RS_XMM_GET)
	rs_read_msrs(rs_seen[1]);
	ctx->data[0] = 1;
}

static void rs_log_msrs(const char *when, const uint64_t *v)
{
	test_log("MSRs %s: STAR 0x%llx LSTAR 0x%llx CSTAR 0x%llx SFMASK 0x%llx "
		 "KERNEL_GS_BASE 0x%llx SYSENTER_CS/ESP/EIP 0x%llx/0x%llx/0x%llx PAT 0x%llx",
		 when, (unsigned long long)v[0], (unsigned long long)v[1], (unsigned long long)v[2],
		 (unsigned long long)v[3], (unsigned long long)v[4], (unsigned long long)v[5],
		 (unsigned long long)v[6], (unsigned long long)v[7], (unsigned long long)v[8]);
}

static bool rs_run(struct vcpu_raw *ctx, uint64_t cr3, const char *what)
{
	vcpu_raw_boot_state(&rs_bs, ctx, cr3);
	if (!check_ret(vcpu_start_raw(1, &rs_bs), HCABI_SUCCESS, 0, "VCPU-032", "START(1) %s",
		       what))
		return false;
	if (!check_true(vcpu_raw_wait_entered(ctx, 1, HCABI_SEC(10)), "VCPU-024.2",
			"vCPU 1 began executing at rip (%s) within 10 s", what))
		return false;
	if (!vcpu_raw_wait_stopped(ctx, 1, HCABI_SEC(30))) {
		check_true(false, "VCPU-030.2",
			   "vCPU 1 called VCPU.STOP (%s) and was not STOPPED within 30 s", what);
		return false;
	}
	return check_true(ctx->data[0] == 1 && !ctx->faulted, "VCPU-024.2",
			  "vCPU 1 ran its code (%s) without an exception", what);
}

/* vCPU 1 started, changing its state and stopping itself, then started
 * again (own page tables, GDT and stack) recording what it begins with in
 * rs_b, rs_xmm and rs_seen[1]. False if a step failed (already reported). */
static bool rs_restart(void)
{
	uint64_t cr3copy;

	if (!test_require_cpus(2))
		return false;
	cr3copy = vcpu_cr3_copy();
	if (!cr3copy)
		return false;
	if (!vcpu_wait_state(1, HCABI_VCPU_STATUS_STOPPED, HCABI_SEC(10))) {
		test_error("vCPU 1 is not stopped at the start of the test");
		return false;
	}
	vcpu_raw_prepare(&rs_a, 1, rs_dirty);
	if (!rs_run(&rs_a, 0, "to change its state"))
		return false;
	rs_log_msrs("at the first start", rs_seen[0]);
	vcpu_raw_prepare(&rs_b, 1, rs_record);
	if (!rs_run(&rs_b, cr3copy, "again, after it stopped itself in the changed state"))
		return false;
	rs_log_msrs("at the restart", rs_seen[1]);
	return true;
}

HCABI_TEST(vcpu_restart_state, "VCPU.restart_register_state",
	   "VCPU-024.2,VCPU-024.3,VCPU-024.4,VCPU-032,VCPU-030.2," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_VCPU_START_SINCE)
{
	struct vcpu_raw *b = &rs_b;

	if (!rs_restart())
		return;
	/* the restart's own page tables (cr3copy), GDT and stack, not the
	 * first start's; WP, OSXMMEXCPT and MXCSR (0x7F80) changed before the
	 * STOP */
	vcpu_check_start_state(b, &rs_bs, "restart: ");
	check_true(b->fcw == 0x0040 || b->fcw == 0x037F, "VCPU-024.3",
		   "restart: x87 control word as after reset (0x0040 or 0x037F; 0x027F before "
		   "the STOP): 0x%04x",
		   b->fcw);
	for (unsigned i = 0; i < 16; i++)
		check_eq_u64(rs_xmm[i], 0, "VCPU-024.3",
			     "restart: XMM%u as after reset (0x5A5A00000000000%x before the STOP)",
			     i, i);
	for (size_t i = 0; i < RS_NMSRS; i++)
		if (rs_seen[1][i] == rs_msrs[i].dirty && rs_seen[0][i] != rs_msrs[i].dirty)
			test_log("%s kept the value the vCPU wrote before its STOP (0x%llx); before "
				 "1.2 no requirement says START resets it",
				 rs_msrs[i].name, (unsigned long long)rs_seen[1][i]);
}

/* PAT after a power-on reset: WB, WT, UC-, UC in entries 0-3 and 4-7. */
#define RS_PAT_RESET 0x0007040600070406ull

HCABI_TEST(vcpu_restart_msrs, "VCPU.restart_msrs_reset",
	   "VCPU-028,VCPU-024.2,VCPU-032,VCPU-030.2," HCABI_REQ_VALUE_ZERO, HCABI_VERSION_1_2)
{
	if (!rs_restart())
		return;
	/* both starts; an MSR the vCPU does not implement (#GP on RDMSR) has
	 * no value to check */
	for (unsigned at = 0; at < 2; at++)
		for (size_t i = 0; i < RS_NMSRS; i++) {
			uint64_t want = rs_msrs[i].msr == 0x277u ? RS_PAT_RESET : 0;
			uint64_t seen = rs_seen[at][i];
			check_true(seen == want || seen == RS_NO_MSR, "VCPU-028",
				   "%s: %s is 0x%llx, want its power-on value 0x%llx",
				   at ? "restart after writing it and stopping" : "first start",
				   rs_msrs[i].name, (unsigned long long)seen,
				   (unsigned long long)want);
		}
}
