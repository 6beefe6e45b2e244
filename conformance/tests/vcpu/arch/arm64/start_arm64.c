/* SPDX-License-Identifier: MIT */
/*
 * VCPU.START on arm64: the boot state (ARM64-024, ARM64-025) and the state
 * a started vCPU begins with (ARM64-026..030), at its first start and at a
 * restart. start.c has what every architecture shares.
 *
 * What:
 *  - a boot state with any element of `reserved` not zero (1 in each of
 *    the six, 2^63 in the first and the last) is INVALID_PARAM and starts
 *    nothing (ARM64-025, GEN-002.2);
 *  - a successful START returns SUCCESS with 0, GET_STATUS reports the
 *    target RUNNING right away, and the target's first instructions
 *    (raw_entry.S, at `entry`) see: EL1 with SP_EL1 selected, SCTLR_EL1 M,
 *    C and I clear, DAIF all set, x0 = arg and x1..x30 zero (ARM64-026..030);
 *    after it stops, GET_STATUS reports STOPPED (VCPU-041);
 *  - restart: vCPU 1, started, turns its MMU and caches on (the runtime's
 *    own set-up), clears DAIF and fills x2..x30 with patterns, then calls
 *    VCPU.STOP; started again, it must begin with the same state as at
 *    its first start, not the one it left (VCPU-032).
 * Why: a guest's secondary-CPU entry code runs with the MMU off and
 * interrupts masked and takes its context from x0 alone; a hypervisor that
 * restores only part of the reset state breaks it, and only after a vCPU
 * was stopped once (CPU hotplug, suspend).
 */
#include "vcpu_common.h"

static struct vcpu_raw a64_a, a64_b;
static vcpu_bs a64_bs __attribute__((aligned(64)));

HCABI_TEST(vcpu_a64_bad_state, "VCPU.arm64_start_bad_state",
	   "ARM64-024,ARM64-025,GEN-002.2,VCPU-030.2,STATUS-004," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_VCPU_START_SINCE)
{
	const struct {
		unsigned at;
		uint64_t v;
		const char *req;
	} cases[] = {
	    {0, 1, "ARM64-025"}, {1, 1, "ARM64-025"}, {2, 1, "ARM64-025"},
	    {3, 1, "ARM64-025"}, {4, 1, "ARM64-025"}, {5, 1, "ARM64-025"},
	    {0, 1ull << 63, "GEN-002.2"}, {5, 1ull << 63, "GEN-002.2"},
	};

	if (!test_require_cpus(2))
		return;
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(cases); i++) {
		vcpu_raw_prepare(&a64_a, 1, 0);
		vcpu_raw_boot_state(&a64_bs, &a64_a, 0);
		a64_bs.reserved[cases[i].at] = cases[i].v;
		check_status(hcabi_vcpu_start(1, hcabi_gpa(&a64_bs)), HCABI_ERR_INVALID_PARAM,
			     cases[i].req, "START(1, a boot state with reserved[%u] = 0x%llx)",
			     cases[i].at, (unsigned long long)cases[i].v);
		if (!vcpu_not_started(1, &a64_a, "STATUS-004", "a reserved element not zero"))
			return;
	}
}

/* Start vCPU 1 with ctx (fn runs there), check what it began with, let it
 * stop. False (after a failing check) if it did not run and stop. */
static bool a64_start_and_check(struct vcpu_raw *ctx, const char *when)
{
	struct hcabi_ret r, st;

	vcpu_raw_boot_state(&a64_bs, ctx, 0);
	r = vcpu_start_raw(1, &a64_bs);
	st = hcabi_vcpu_get_status(1);
	if (!check_ret(r, HCABI_SUCCESS, 0, "ARM64-024", "%sSTART(1, a valid boot state)", when))
		return false;
	check_ret(st, HCABI_SUCCESS, HCABI_VCPU_STATUS_RUNNING, "VCPU-024.1",
		  "%sGET_STATUS(1) right after START returned", when);
	if (!check_true(vcpu_raw_wait_entered(ctx, 1, HCABI_SEC(10)), "ARM64-026",
			"%svCPU 1 began executing at entry with x0 = arg (within 10 s)", when))
		return false;
	vcpu_check_start_state(ctx, &a64_bs, when);
	return true;
}

HCABI_TEST(vcpu_a64_start_state, "VCPU.arm64_start_register_state",
	   "ARM64-024,ARM64-026,ARM64-027,ARM64-028,ARM64-029,ARM64-030,VCPU-024.1,VCPU-041.1,"
	   "VCPU-030.2," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_VCPU_START_SINCE)
{
	if (!test_require_cpus(2))
		return;
	vcpu_raw_prepare(&a64_a, 1, vcpu_raw_wait_release);
	if (!a64_start_and_check(&a64_a, ""))
		return;
	hcabi_atomic_store(&a64_a.release, 1);
	if (!vcpu_raw_wait_stopped(&a64_a, 1, HCABI_SEC(30))) {
		check_true(false, "VCPU-030.2",
			   "vCPU 1 called VCPU.STOP and was not STOPPED within 30 s");
		return;
	}
	check_ret(hcabi_vcpu_get_status(1), HCABI_SUCCESS, HCABI_VCPU_STATUS_STOPPED, "VCPU-041.1",
		  "GET_STATUS(1) after vCPU 1 executed STOP");
	check_true(!a64_a.faulted, "ARM64-026", "vCPU 1 ran its code without an exception");
}

/* On vCPU 1: the MMU and caches are on (vcpu_arch_enter); leave DAIF clear
 * and x2..x30 patterned in VCPU.STOP. data[0]: 1 if STOP returned. */
static void a64_dirty(struct vcpu_raw *ctx)
{
	int64_t st = vcpu_a64_dirty_stop(HCABI_ARM64_CALL_ID, HCABI_FID_VCPU_STOP);
	ctx->data[0] = 1;
	ctx->data[1] = (uint64_t)st;
}

HCABI_TEST(vcpu_a64_restart_state, "VCPU.arm64_restart_register_state",
	   "ARM64-024,ARM64-026,ARM64-027,ARM64-028,ARM64-029,ARM64-030,VCPU-024.1,VCPU-032,"
	   "VCPU-030.2," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_VCPU_START_SINCE)
{
	if (!test_require_cpus(2))
		return;
	vcpu_raw_prepare(&a64_a, 1, a64_dirty);
	vcpu_raw_boot_state(&a64_bs, &a64_a, 0);
	if (!check_ret(vcpu_start_raw(1, &a64_bs), HCABI_SUCCESS, 0, "ARM64-024",
		       "START(1), to change its state and stop"))
		return;
	if (!check_true(vcpu_raw_wait_entered(&a64_a, 1, HCABI_SEC(10)) &&
			    vcpu_wait_state(1, HCABI_VCPU_STATUS_STOPPED, HCABI_SEC(30)),
			"VCPU-030.2",
			"vCPU 1 ran, changed its state and was STOPPED by its VCPU.STOP within "
			"40 s (STOP returned: %llu, status %lld)",
			(unsigned long long)a64_a.data[0], (long long)a64_a.data[1]))
		return;
	check_eq_u64(a64_a.data[0], 0, "VCPU-030.2", "VCPU.STOP did not return to vCPU 1");
	test_log("before its STOP vCPU 1 ran with SCTLR_EL1 M, C and I set (the runtime's MMU), "
		 "DAIF clear and x2..x30 = 0xD1D1D1D1000000nn");

	vcpu_raw_prepare(&a64_b, 1, vcpu_raw_wait_release);
	if (!a64_start_and_check(&a64_b, "restart: "))
		return;
	hcabi_atomic_store(&a64_b.release, 1);
	if (!vcpu_raw_wait_stopped(&a64_b, 1, HCABI_SEC(30)))
		check_true(false, "VCPU-030.2",
			   "vCPU 1 called VCPU.STOP again and was not STOPPED within 30 s");
	check_eq_u64(a64_a.entries, 1, "VCPU-032", "the first boot state was not entered again");
}
