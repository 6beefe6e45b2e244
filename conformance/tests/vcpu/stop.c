/* SPDX-License-Identifier: MIT */
/*
 * VCPU.STOP: VCPU-030, VCPU-031, VCPU-032. Near the end of the image (only
 * stop_race.c, which also ends in a hang on such a hypervisor, follows): the
 * last test makes vCPU 0 call STOP while every other vCPU is stopped, and a
 * hypervisor that wrongly obeys leaves nothing running (the runner then
 * reports a timeout).
 *
 * What:
 *  - a vCPU started with its own boot state arms its TIME timer 1.5 s out
 *    and executes STOP: STOP does not return (the instruction after it never
 *    runs), GET_STATUS reports it STOPPED, and its entry point does not run
 *    again by itself (VCPU-030);
 *  - it can be started again with a new boot state: START returns SUCCESS,
 *    it enters with the new arg, and - with its LAPIC enabled and interrupts
 *    on until 1 s past the old deadline, twice what the suite watches for an
 *    interrupt that must not come (TIME_QUIET) - the timer armed before the
 *    STOP never fires; the runtime's own start path works on it afterwards too
 *    (VCPU-032, VCPU-030);
 *  - STOP on the only running vCPU returns DENIED with RDX = 0 and the
 *    caller keeps running (it sees itself RUNNING) (VCPU-031).
 * Why: a guest offlines CPUs with STOP and must get them back with START;
 * a timer that survives the STOP fires into the next run of the vCPU, in
 * code that never armed it.
 */
#include "vcpu_common.h"

#define VEC_OLD_TIMER HCABI_TEST_VECTOR(4)
/* The old timer's deadline: the restart comes about 0.4 s after it is armed
 * nested (a 300 ms wait included), so 1.5 s leaves room on a loaded machine;
 * a restart after it is logged, and the check still sees a timer that a
 * restart delivers. Then the watch, 1 s past the deadline. */
#define OLD_TIMER_NS HCABI_MS(1500)
#define WATCH_PAST_NS HCABI_SEC(1)

static struct vcpu_raw raw_a, raw_b;
static vcpu_bs bs_a __attribute__((aligned(64)));
static vcpu_bs bs_b __attribute__((aligned(64)));

static void fn_arm_timer(struct vcpu_raw *ctx)
{
	if (hcabi_has_ext(HCABI_EID_TIME)) {
		uint64_t deadline = hcabi_now_ns() + OLD_TIMER_NS;
		ctx->data[0] = deadline;
		ctx->data[1] = (uint64_t)hcabi_time_set_timer(deadline, VEC_OLD_TIMER).status;
	}
}

static void fn_watch_timer(struct vcpu_raw *ctx)
{
	uint64_t until = ctx->data[0] + WATCH_PAST_NS, t0 = hcabi_now_ns();
	ctx->data[3] = t0 <= ctx->data[0]; /* restarted before the old deadline */
	hcabi_intc_enable();
	hcabi_irq_enable();
	while (hcabi_now_ns() < until && hcabi_now_ns() - t0 < HCABI_SEC(10))
		for (int i = 0; i < 100; i++)
			hcabi_pause();
	hcabi_irq_disable();
	ctx->data[2] = ctx->cpu.irq_count[VEC_OLD_TIMER];
}

static void nothing_task(void *arg)
{
	(void)arg;
}

HCABI_TEST(vcpu_stop, "VCPU.stop_and_restart",
	   "VCPU-030.1,VCPU-030.2,VCPU-030.3,VCPU-032,VCPU-024.2," HCABI_REQ_VALUE_ZERO
	   ",STATUS-004",
	   HCABI_FID_VCPU_STOP_SINCE)
{
	bool time = hcabi_has_ext(HCABI_EID_TIME);
	struct hcabi_ret r;

	if (!test_require_cpus(2))
		return;
	hcabi_irq_register(VEC_OLD_TIMER, vcpu_irq_nop);

	vcpu_raw_prepare(&raw_a, 1, fn_arm_timer);
	vcpu_raw_boot_state(&bs_a, &raw_a, 0);
	r = vcpu_start_raw(1, &bs_a);
	if (!check_ret(r, HCABI_SUCCESS, 0, "VCPU-032", "START(1)"))
		return;
	if (!vcpu_raw_wait_stopped(&raw_a, 1, HCABI_SEC(30))) {
		check_true(false, "VCPU-030.2",
			   "vCPU 1 executed STOP and is reported STOPPED (within 30 s)");
		return;
	}
	check_true(true, "VCPU-030.2", "vCPU 1 executed STOP and GET_STATUS reports it STOPPED");
	if (time)
		check_eq_u64(raw_a.data[1], HCABI_SUCCESS, "VCPU-030.3",
			     "vCPU 1 armed its timer before STOP (TIME.SET_TIMER status)");
	delay_ns(HCABI_MS(300));
	check_true(!hcabi_atomic_load(&raw_a.after_stop), "VCPU-030.1",
		   "STOP did not return (status it would have returned: %lld)",
		   (long long)raw_a.stop_status);
	check_ret(hcabi_vcpu_get_status(1), HCABI_SUCCESS, HCABI_VCPU_STATUS_STOPPED, "VCPU-030.2",
		  "vCPU 1 is still STOPPED 300 ms later");
	check_eq_u64(raw_a.entries, 1, "VCPU-030.1", "vCPU 1 ran its entry point once");

	/* started again, from a new boot state */
	vcpu_raw_prepare(&raw_b, 1, fn_watch_timer);
	raw_b.data[0] = raw_a.data[0];
	vcpu_raw_boot_state(&bs_b, &raw_b, 0);
	r = vcpu_start_raw(1, &bs_b);
	if (!check_ret(r, HCABI_SUCCESS, 0, "VCPU-032", "START(1) again after its STOP"))
		return;
	if (!check_true(vcpu_raw_wait_entered(&raw_b, 1, HCABI_SEC(10)), "VCPU-032",
			"vCPU 1 entered from the new boot state"))
		return;
	check_eq_u64(VCPU_ENTRY_ARG(&raw_b), hcabi_gpa(&raw_b), "VCPU-032", VCPU_ARG_REG " = the new arg");
	if (!vcpu_raw_wait_stopped(&raw_b, 1, HCABI_SEC(30))) {
		check_true(false, "VCPU-030.2",
			   "vCPU 1 called VCPU.STOP again and was not STOPPED within 30 s");
		return;
	}
	check_eq_u64(raw_a.entries, 1, "VCPU-032", "the first boot state was not entered again");
	if (time) {
		if (!raw_b.data[3])
			test_log(
			    "the restart came after the old deadline: a timer that fired while "
			    "vCPU 1 was stopped cannot be seen");
		check_eq_u64(raw_b.data[2], 0, "VCPU-030.3",
			     "interrupts of the timer vCPU 1 armed before its STOP, taken after "
			     "its restart");
		check_eq_u64(hcabi_irq_count(0, VEC_OLD_TIMER), 0, "VCPU-030.3",
			     "interrupts of that timer on vCPU 0");
	}
	check_true(!raw_b.faulted, "VCPU-032", "vCPU 1's second run had no exception");
	check_true(vcpu_run_on(1, nothing_task, 0), "VCPU-032",
		   "the runtime's start path starts vCPU 1 a third time");
}

HCABI_TEST(vcpu_stop_last, "VCPU.stop_last_running_denied",
	   "VCPU-031.1,VCPU-031.2," HCABI_REQ_VALUE_ZERO ",VCPU-041.1", HCABI_FID_VCPU_STOP_SINCE)
{
	uint64_t n = vcpu_count();
	unsigned me = hcabi_cpu_index();

	for (unsigned cpu = 0; cpu < n && cpu < HCABI_MAX_CPUS; cpu++) {
		if (cpu == me)
			continue;
		/* the runtime leaves every vCPU it started stopped (VCPU-041) */
		if (!vcpu_wait_state(cpu, HCABI_VCPU_STATUS_STOPPED, HCABI_SEC(10))) {
			check_true(false, "VCPU-041.1",
				   "GET_STATUS(%u) of a vCPU stopped before the test did not say "
				   "STOPPED within 10 s",
				   cpu);
			return;
		}
	}
	check_status(hcabi_vcpu_stop(), HCABI_ERR_DENIED, "VCPU-031.1",
		     "STOP on vCPU %u with every other vCPU stopped", me);
	check_ret(hcabi_vcpu_get_status(me), HCABI_SUCCESS, HCABI_VCPU_STATUS_RUNNING, "VCPU-031.2",
		  "the caller still runs");
}
