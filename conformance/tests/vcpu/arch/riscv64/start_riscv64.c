/* SPDX-License-Identifier: MIT */
/*
 * VCPU.START on riscv64: the boot state (RV64-021, RV64-022) and the state
 * a started vCPU begins with (RV64-023..026), at its first start and at a
 * restart. start.c has what every architecture shares.
 *
 * What:
 *  - a boot state with any element of `reserved` not zero (1 in each of
 *    the six, 2^63 in the first and the last) is INVALID_PARAM and starts
 *    nothing (RV64-022, GEN-002.2);
 *  - a successful START returns SUCCESS with 0, GET_STATUS reports the
 *    target RUNNING right away, and the target's first instructions
 *    (raw_entry.S, at `entry`) run in S-mode (they read sstatus, satp and
 *    sie) and see: satp 0, sstatus.SIE 0, a0 = its index, a1 = arg, every
 *    other general-purpose register zero (RV64-021, RV64-023..026); after
 *    it stops, GET_STATUS reports STOPPED (VCPU-041);
 *  - restart: vCPU 1, started, turns Sv39 translation on (an identity map
 *    of its own, ASID 5), sets sstatus.SIE and fills x1..x31 but a6 and a7
 *    with patterns, then calls VCPU.STOP; started again, it must begin
 *    with the same state as at its first start, not the one it left
 *    (VCPU-032).
 * Why: a guest's secondary-hart entry code (Linux's secondary_start_sbi)
 * runs without translation and with interrupts off and takes its context
 * from a0 and a1 alone; a hypervisor that restores only part of the start
 * state breaks it, and only after a vCPU was stopped once (CPU hotplug,
 * suspend).
 */
#include "vcpu_common.h"

#include "hcabi_riscv64_sv39.h"

static struct vcpu_raw rv_a, rv_b;
static vcpu_bs rv_bs __attribute__((aligned(64)));
/* Sv39's root table: the identity map */
static uint64_t rv_root[HCABI_SV39_ENTRIES] __attribute__((aligned(4096)));

HCABI_TEST(vcpu_rv_bad_state, "VCPU.riscv64_start_bad_state",
	   "RV64-021,RV64-022,GEN-002.2,VCPU-030.2,STATUS-004," HCABI_REQ_VALUE_ZERO, HCABI_FID_VCPU_START_SINCE)
{
	const struct {
		unsigned at;
		uint64_t v;
		const char *req;
	} cases[] = {
	    {0, 1, "RV64-022"},		  {1, 1, "RV64-022"},		{2, 1, "RV64-022"},
	    {3, 1, "RV64-022"},		  {4, 1, "RV64-022"},		{5, 1, "RV64-022"},
	    {0, 1ull << 63, "GEN-002.2"}, {5, 1ull << 63, "GEN-002.2"},
	};

	if (!test_require_cpus(2))
		return;
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(cases); i++) {
		vcpu_raw_prepare(&rv_a, 1, 0);
		vcpu_raw_boot_state(&rv_bs, &rv_a, 0);
		rv_bs.reserved[cases[i].at] = cases[i].v;
		check_ret(hcabi_vcpu_start(1, hcabi_gpa(&rv_bs)), HCABI_ERR_INVALID_PARAM, 0,
			  cases[i].req, "START(1, a boot state with reserved[%u] = 0x%llx)",
			  cases[i].at, (unsigned long long)cases[i].v);
		if (!vcpu_not_started(1, &rv_a, "STATUS-004", "a reserved element not zero"))
			return;
	}
}

/* Start vCPU 1 with ctx (fn runs there), check what it began with. False
 * (after a failing check) if it did not run. */
static bool rv_start_and_check(struct vcpu_raw *ctx, const char *when)
{
	struct hcabi_ret r, st;

	vcpu_raw_boot_state(&rv_bs, ctx, 0);
	r = vcpu_start_raw(1, &rv_bs);
	st = hcabi_vcpu_get_status(1);
	if (!check_ret(r, HCABI_SUCCESS, 0, "RV64-021", "%sSTART(1, a valid boot state)", when))
		return false;
	check_ret(st, HCABI_SUCCESS, HCABI_VCPU_STATUS_RUNNING, "VCPU-024.1",
		  "%sGET_STATUS(1) right after START returned", when);
	if (!check_true(vcpu_raw_wait_entered(ctx, 1, HCABI_SEC(10)), "RV64-023",
			"%svCPU 1 began executing at entry in S-mode, reading sstatus, satp and "
			"sie (within 10 s)",
			when))
		return false;
	vcpu_check_start_state(ctx, &rv_bs, 1, when);
	return true;
}

HCABI_TEST(vcpu_rv_start_state, "VCPU.riscv64_start_register_state",
	   "RV64-021,RV64-023,RV64-024,RV64-025,RV64-026,VCPU-024.1,VCPU-041.1,VCPU-030.2,"
	   HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_VCPU_START_SINCE)
{
	if (!test_require_cpus(2))
		return;
	vcpu_raw_prepare(&rv_a, 1, vcpu_raw_wait_release);
	if (!rv_start_and_check(&rv_a, ""))
		return;
	hcabi_atomic_store(&rv_a.release, 1);
	if (!vcpu_raw_wait_stopped(&rv_a, 1, HCABI_SEC(30))) {
		check_true(false, "VCPU-030.2",
			   "vCPU 1 called VCPU.STOP and was not STOPPED within 30 s");
		return;
	}
	check_ret(hcabi_vcpu_get_status(1), HCABI_SUCCESS, HCABI_VCPU_STATUS_STOPPED, "VCPU-041.1",
		  "GET_STATUS(1) after vCPU 1 executed STOP");
	check_true(!rv_a.faulted, "RV64-023", "vCPU 1 ran its code without an exception");
}

/* On vCPU 1: Sv39 on with the identity map (ASID 5), then SIE set and
 * x1..x31 patterned in VCPU.STOP. data[0]: 1 if STOP returned. */
static void rv_dirty(struct vcpu_raw *ctx)
{
	int64_t st;

	hcabi_csr_write(satp, hcabi_sv39_satp(hcabi_gpa(rv_root), 5));
	__asm__ __volatile__("sfence.vma" ::: "memory");
	ctx->data[2] = hcabi_csr_read(satp);
	st = vcpu_rv_dirty_stop(HCABI_RISCV64_SBI_EID, HCABI_FID_VCPU_STOP);
	ctx->data[0] = 1;
	ctx->data[1] = (uint64_t)st;
}

HCABI_TEST(vcpu_rv_restart_state, "VCPU.riscv64_restart_register_state",
	   "RV64-021,RV64-023,RV64-024,RV64-025,RV64-026,VCPU-024.1,VCPU-032,VCPU-030.2,"
	   HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_VCPU_START_SINCE)
{
	if (!test_require_cpus(2))
		return;
	hcabi_sv39_identity(rv_root);
	vcpu_raw_prepare(&rv_a, 1, rv_dirty);
	vcpu_raw_boot_state(&rv_bs, &rv_a, 0);
	if (!check_ret(vcpu_start_raw(1, &rv_bs), HCABI_SUCCESS, 0, "RV64-021",
		       "START(1), to change its state and stop"))
		return;
	if (!check_true(vcpu_raw_wait_entered(&rv_a, 1, HCABI_SEC(10)) &&
			    vcpu_wait_state(1, HCABI_VCPU_STATUS_STOPPED, HCABI_SEC(30)),
			"VCPU-030.2",
			"vCPU 1 ran, changed its state and was STOPPED by its VCPU.STOP within "
			"40 s (STOP returned: %llu, status %lld)",
			(unsigned long long)rv_a.data[0], (long long)rv_a.data[1]))
		return;
	check_eq_u64(rv_a.data[0], 0, "VCPU-030.2", "VCPU.STOP did not return to vCPU 1");
	if (!check_true(rv_a.data[2] >> 60 == 8, "RV64-024",
			"vCPU 1 turned Sv39 translation on before its STOP (satp 0x%llx)",
			(unsigned long long)rv_a.data[2]))
		return;
	test_log("before its STOP vCPU 1 ran with satp 0x%llx (Sv39, ASID 5), sstatus.SIE set "
		 "and x1..x31 but a6, a7 = 0xD1D1D1D1000000nn",
		 (unsigned long long)rv_a.data[2]);

	vcpu_raw_prepare(&rv_b, 1, vcpu_raw_wait_release);
	if (!rv_start_and_check(&rv_b, "restart: "))
		return;
	hcabi_atomic_store(&rv_b.release, 1);
	if (!vcpu_raw_wait_stopped(&rv_b, 1, HCABI_SEC(30)))
		check_true(false, "VCPU-030.2",
			   "vCPU 1 called VCPU.STOP again and was not STOPPED within 30 s");
	check_eq_u64(rv_a.entries, 1, "VCPU-032", "the first boot state was not entered again");
}
