/* SPDX-License-Identifier: MIT */
/*
 * VCPU.STOP raced by the last two running vCPUs: VCPU-030, VCPU-031,
 * VCPU-032. After stop.c: it needs vCPUs 1 and 2 stopped at its start.
 *
 * What: vCPU 0 starts vCPUs 1 and 2 with the test's own boot states, then
 * stops itself, so that 1 and 2 are the only running vCPUs. 200 rounds:
 * the two meet on a shared counter and call STOP at the same moment.
 * Exactly one may stop: the first STOP the hypervisor performs has a
 * running vCPU beside it and must stop its caller (VCPU-030); the second
 * then finds every other vCPU stopped and must return DENIED with RDX = 0,
 * leaving its caller running (VCPU-031). The survivor sees the other
 * STOPPED, starts it again (VCPU-032) and the next round begins. At the end
 * a survivor starts vCPU 0 again, which resumes the test where it stopped
 * and checks the record of every round.
 * Why: a hypervisor that checks "another vCPU is running" and stops the
 * caller in two steps lets both last vCPUs stop, and the VM is left with
 * nothing running (a guest offlining CPUs in parallel does exactly this).
 * Such a hypervisor hangs this image: the runner reports a timeout, which
 * is non-conformant; a hypervisor that denies both fails VCPU-030 here.
 * vCPU 0's resumption goes through the runtime's own per-CPU setup
 * (hcabi__cpu_init: GS base, GDT/TSS/IDT, FPU, LAPIC) and a longjmp back
 * into this test's frame, which STOP left intact in memory.
 */
#include "vcpu_common.h"

#include "hcabi_internal.h"

#define STR_ROUNDS 200u

static struct vcpu_raw str_ctx[3]; /* [0] resumes vCPU 0; [1], [2] the racers */
static vcpu_bs str_bs[3] __attribute__((aligned(64)));
static struct hcabi_jmpbuf str_resume;
static struct hcabi_cpu *str_cpu0;

static struct {
	uint64_t round, abort;
	uint64_t arrive[STR_ROUNDS];
	uint64_t returned[STR_ROUNDS][2]; /* STOP returned to racer 1 / 2 */
	int64_t st[STR_ROUNDS][2];
	uint64_t rdx[STR_ROUNDS][2];
	int64_t restart_st[STR_ROUNDS];
	uint64_t winner[STR_ROUNDS]; /* 1 or 2: the vCPU that stopped */
	int64_t resume_st;
	uint64_t racers_saw_cpu0_stopped, entered[2];
} st;

static void str_resume0(struct vcpu_raw *ctx)
{
	(void)ctx;
	hcabi__cpu_init(str_cpu0);
	hcabi_longjmp(&str_resume, 1);
}

static void str_racer(struct vcpu_raw *ctx);

static int64_t str_restart(unsigned cpu)
{
	vcpu_raw_prepare(&str_ctx[cpu], cpu, str_racer);
	vcpu_raw_boot_state(&str_bs[cpu], &str_ctx[cpu], 0);
	return hcabi_vcpu_start(cpu, hcabi_gpa(&str_bs[cpu])).status;
}

static void str_racer(struct vcpu_raw *ctx)
{
	unsigned me = (unsigned)ctx->cpu.index, other = 3 - me, s = me - 1;

	/* first entry only: a racer is started again after every round it won */
	if (!hcabi_atomic_xchg(&st.entered[s], 1) &&
	    vcpu_wait_state(0, HCABI_VCPU_STATUS_STOPPED, HCABI_SEC(30)))
		hcabi_atomic_add(&st.racers_saw_cpu0_stopped, 1);
	for (;;) {
		uint64_t r = hcabi_atomic_load(&st.round), t0;
		struct hcabi_ret ret;

		if (r >= STR_ROUNDS || hcabi_atomic_load(&st.abort))
			break;
		hcabi_atomic_add(&st.arrive[r], 1);
		t0 = hcabi_now_ns();
		while (hcabi_atomic_load(&st.arrive[r]) < 2 && hcabi_now_ns() - t0 < HCABI_SEC(30))
			hcabi_pause();
		if (hcabi_atomic_load(&st.arrive[r]) < 2) {
			hcabi_atomic_store(&st.abort, 1);
			break;
		}
		ret = hcabi_vcpu_stop();
		/* here only if STOP returned (or after a restart: a new entry) */
		st.st[r][s] = ret.status;
		st.rdx[r][s] = ret.value;
		hcabi_atomic_store(&st.returned[r][s], 1);
		/* did the other stop, or did its STOP return too? */
		t0 = hcabi_now_ns();
		for (;;) {
			if (hcabi_atomic_load(&st.returned[r][1 - s])) {
				/* both returned: racer 1 moves the round on */
				if (me == 1)
					hcabi_atomic_store(&st.round, r + 1);
				else
					(void)wait_for_u64(&st.round, r + 1, HCABI_SEC(30));
				break;
			}
			struct hcabi_ret g = hcabi_vcpu_get_status(other);
			if (g.status == HCABI_SUCCESS && g.value == HCABI_VCPU_STATUS_STOPPED) {
				st.winner[r] = other;
				/* the round moves on first: the restarted racer reads it */
				hcabi_atomic_store(&st.round, r + 1);
				st.restart_st[r] = str_restart(other);
				if (st.restart_st[r] != HCABI_SUCCESS)
					hcabi_atomic_store(&st.abort, 1);
				break;
			}
			if (hcabi_now_ns() - t0 > HCABI_SEC(30)) {
				hcabi_atomic_store(&st.abort, 1);
				break;
			}
			hcabi_pause();
		}
	}
	/* Either racer may get here first; both try, one gets ALREADY_STARTED. */
	int64_t rs = hcabi_vcpu_start(0, hcabi_gpa(&str_bs[0])).status;
	if (rs == HCABI_SUCCESS)
		st.resume_st = rs;
}

/* The record of every round, checked on vCPU 0 once it runs again. */
static void str_report(void)
{
	unsigned w1 = 0, w2 = 0, bad = 0;

	for (unsigned r = 0; r < STR_ROUNDS; r++) {
		bool r1 = st.returned[r][0], r2 = st.returned[r][1];
		if (r1 && r2) {
			bad++;
			if (!check_true(false, "VCPU-030.1",
					"round %u: STOP returned to both last running vCPUs (%lld "
					"and %lld): the first to be performed had another vCPU "
					"running and must have stopped its caller",
					r, (long long)st.st[r][0], (long long)st.st[r][1]))
				break;
			continue;
		}
		if (!r1 && !r2) {
			if (r < hcabi_atomic_load(&st.round))
				test_error("round %u: no record of either STOP", r);
			break;
		}
		unsigned s = r1 ? 0 : 1;
		if (st.st[r][s] != HCABI_ERR_DENIED || st.rdx[r][s] != 0 ||
		    st.winner[r] != 2 - s || st.restart_st[r] != HCABI_SUCCESS) {
			bad++;
			check_true(false, "VCPU-031.1",
				   "round %u: vCPU %u's STOP returned %lld/%llu (want DENIED/0), "
				   "the other vCPU stopped: %s, its restart: %lld",
				   r, s + 1, (long long)st.st[r][s], (unsigned long long)st.rdx[r][s],
				   st.winner[r] == 2 - s ? "yes" : "no", (long long)st.restart_st[r]);
			break;
		}
		w1 += st.winner[r] == 1;
		w2 += st.winner[r] == 2;
	}
	if (st.abort)
		test_error("the race ended early after %llu rounds (a racer timed out)",
			   (unsigned long long)st.round);
	if (!bad)
		check_eq_u64(w1 + w2, STR_ROUNDS, "VCPU-031.1",
			     "rounds where exactly one of the last two vCPUs stopped and the "
			     "other got DENIED (vCPU 1 stopped %u times, vCPU 2 %u times)",
			     w1, w2);
}

HCABI_TEST(vcpu_stop_race, "VCPU.stop_raced_by_last_two",
	   "VCPU-030.1,VCPU-030.2,VCPU-031.1,VCPU-032",
	   HCABI_FID_VCPU_STOP_SINCE)
{
	volatile bool resumed = false;

	if (!test_require_cpus(3))
		return;
	for (unsigned cpu = 1; cpu < vcpu_count() && cpu < HCABI_MAX_CPUS; cpu++)
		if (!vcpu_wait_state(cpu, HCABI_VCPU_STATUS_STOPPED, HCABI_SEC(10))) {
			test_error("vCPU %u is not stopped: 1 and 2 would not be the last two", cpu);
			return;
		}
	memset(&st, 0, sizeof(st));
	str_cpu0 = hcabi_this_cpu();
	vcpu_raw_prepare(&str_ctx[0], 0, str_resume0);
	vcpu_raw_boot_state(&str_bs[0], &str_ctx[0], 0);
	hcabi_irq_disable();
	if (hcabi_setjmp(&str_resume) == 0) {
		for (unsigned cpu = 1; cpu <= 2; cpu++) {
			int64_t s = str_restart(cpu);
			if (s != HCABI_SUCCESS) {
				test_error("cannot start vCPU %u: status %lld", cpu, (long long)s);
				hcabi_atomic_store(&st.abort, 1);
				return;
			}
			vcpu_started_mask |= 1ull << cpu;
		}
		struct hcabi_ret r = hcabi_vcpu_stop();
		/* VCPU-030: two other vCPUs run; STOP must not return */
		hcabi_atomic_store(&st.abort, 1);
		check_true(false, "VCPU-030.1",
			   "STOP on vCPU 0 with vCPUs 1 and 2 running returned %lld",
			   (long long)r.status);
		(void)vcpu_wait_state(1, HCABI_VCPU_STATUS_STOPPED, HCABI_SEC(30));
		(void)vcpu_wait_state(2, HCABI_VCPU_STATUS_STOPPED, HCABI_SEC(30));
		return;
	}
	resumed = true;
	check_true(resumed, "VCPU-032", "vCPU 0 was started again after its STOP (status %lld)",
		   (long long)st.resume_st);
	check_eq_u64(st.racers_saw_cpu0_stopped, 2, "VCPU-030.2",
		     "both racers saw vCPU 0 STOPPED before the first round");
	str_report();
	for (unsigned cpu = 1; cpu <= 2; cpu++)
		if (!vcpu_wait_state(cpu, HCABI_VCPU_STATUS_STOPPED, HCABI_SEC(30)))
			test_error("vCPU %u did not stop at the end", cpu);
}
