/* SPDX-License-Identifier: MIT */
/*
 * VCPU.START raced: VCPU-023, VCPU-024, VCPU-025, VCPU-022, GEN-004 (1.2).
 *
 * What:
 *  - two vCPUs call START on the same stopped vCPU at the same moment
 *    (released together by a shared flag), 50 rounds: in each round exactly
 *    one START returns SUCCESS with 0 and the other ALREADY_STARTED with
 *    RDX = 0, and the target runs its entry point exactly once
 *    (VCPU-023, VCPU-024); from HCABI 1.2 the same race, 20 rounds, checks
 *    the general rule that calls on one object take effect one after the
 *    other (GEN-004);
 *  - while vCPU 0 is inside START, another vCPU changes the boot state:
 *    first a field the binding requires zero (x86-64 `flags`, arm64
 *    `reserved[0]`) to a non-zero (invalid) value, then `arg` to a second
 *    context. The stores are seen in that order (sequentially consistent
 *    atomics), so every single read of the 64 bytes, in address order,
 *    that finds the new `arg` also finds the invalid field. A
 *    hypervisor that reads the boot state once therefore either starts the
 *    vCPU with the first `arg` (SUCCESS) or rejects it (INVALID_PARAM,
 *    nothing started); a vCPU that enters with the second `arg` was started
 *    from values that were never validated. 12 rounds, the change made
 *    0 .. 5 ms after the call began (VCPU-025, VCPU-022).
 * Why: an SMP guest brings CPUs up from several CPUs at once (hotplug,
 * parallel bring-up), and a hypervisor that fetches the boot state twice
 * (check, then use) lets a guest start a vCPU in a state it rejected.
 * Latency is never bounded; only statuses and which context ran are
 * compared.
 */
#include "vcpu_common.h"

#define SR_ROUNDS 50u
#define RR_ROUNDS 12u

static struct vcpu_raw race_ctx, race_other;
static vcpu_bs race_bs __attribute__((aligned(64)));

static struct {
	uint64_t rounds, ready[SR_ROUNDS], go[SR_ROUNDS], done[SR_ROUNDS];
	int64_t st[SR_ROUNDS][2];
	uint64_t rdx[SR_ROUNDS][2];
} sr;

/* vCPU 3 stays running until vCPU 0 has both STARTs' statuses: a target
 * that stopped at once could be started twice legitimately. */
static void sr_hold(struct vcpu_raw *ctx)
{
	vcpu_raw_wait_release(ctx);
}

/* On vCPUs 1 and 2: START(3) together with the other, every round. */
static void sr_task(void *arg)
{
	unsigned s = (unsigned)(uintptr_t)arg;
	for (unsigned r = 0; r < sr.rounds; r++) {
		hcabi_atomic_add(&sr.ready[r], 1);
		if (!wait_for_u64(&sr.go[r], 1, HCABI_SEC(30)))
			return;
		struct hcabi_ret ret = hcabi_vcpu_start(3, hcabi_gpa(&race_bs));
		sr.st[r][s] = ret.status;
		sr.rdx[r][s] = ret.value;
		hcabi_atomic_add(&sr.done[r], 1);
	}
}

/* `rounds` races (at most SR_ROUNDS); `req` is the requirement the statuses
 * are checked against: VCPU-023, or GEN-004 from 1.2. */
static void start_race(unsigned rounds, const char *req)
{
	unsigned wins_1 = 0, wins_2 = 0;

	if (!test_require_cpus(4))
		return;
	memset(&sr, 0, sizeof(sr));
	sr.rounds = rounds;
	for (unsigned s = 0; s < 2; s++) {
		/* a START that fails is already a failing check (test_start_on_cpu) */
		if (!vcpu_start_task(1 + s, sr_task, (void *)(uintptr_t)s)) {
			hcabi_atomic_store(&sr.go[0], 1);
			return;
		}
	}
	vcpu_started_mask |= 1ull << 3;
	for (unsigned r = 0; r < rounds; r++) {
		vcpu_raw_prepare(&race_ctx, 3, sr_hold);
		vcpu_raw_boot_state(&race_bs, &race_ctx, 0);
		if (!wait_for_u64(&sr.ready[r], 2, HCABI_SEC(30))) {
			test_error("round %u: the two starters did not get ready", r);
			break;
		}
		hcabi_atomic_store(&sr.go[r], 1);
		if (!wait_for_u64(&sr.done[r], 2, HCABI_SEC(30))) {
			test_error("round %u: a START did not return within 30 s", r);
			break;
		}
		hcabi_atomic_store(&race_ctx.release, 1);
		bool one = (sr.st[r][0] == HCABI_SUCCESS) != (sr.st[r][1] == HCABI_SUCCESS);
		bool other_already = sr.st[r][0] == HCABI_ERR_ALREADY_STARTED ||
				     sr.st[r][1] == HCABI_ERR_ALREADY_STARTED;
		if (!one || !other_already || sr.rdx[r][0] != 0 || sr.rdx[r][1] != 0 ||
		    r == rounds - 1) {
			if (!check_true(one && other_already && sr.rdx[r][0] == 0 &&
					    sr.rdx[r][1] == 0,
					req,
					"round %u: the two concurrent START(3) returned %lld/%llu and "
					"%lld/%llu (want one SUCCESS/0 and one ALREADY_STARTED/0)",
					r, (long long)sr.st[r][0], (unsigned long long)sr.rdx[r][0],
					(long long)sr.st[r][1], (unsigned long long)sr.rdx[r][1]))
				break;
		}
		wins_1 += sr.st[r][0] == HCABI_SUCCESS;
		wins_2 += sr.st[r][1] == HCABI_SUCCESS;
		if (!vcpu_raw_wait_stopped(&race_ctx, 3, HCABI_SEC(30))) {
			test_error("round %u: vCPU 3 did not run and stop within 30 s", r);
			break;
		}
		if (race_ctx.entries != 1) {
			check_eq_u64(race_ctx.entries, 1, "VCPU-024.2",
				     "round %u: vCPU 3 entered its boot state this many times", r);
			break;
		}
	}
	/* release any starter still waiting after an early end */
	for (unsigned r = 0; r < SR_ROUNDS; r++)
		hcabi_atomic_store(&sr.go[r], 1);
	for (unsigned cpu = 1; cpu <= 2; cpu++)
		if (!hcabi_smp_wait(cpu, HCABI_SEC(30)))
			test_error("vCPU %u did not finish within 30 s", cpu);
	(void)vcpu_wait_state(3, HCABI_VCPU_STATUS_STOPPED, HCABI_SEC(10));
	test_log("START wins: vCPU 1 %u, vCPU 2 %u of %u rounds", wins_1, wins_2, rounds);
}

HCABI_TEST(vcpu_start_race, "VCPU.start_raced_from_two_vcpus",
	   "VCPU-023,VCPU-024.2,VCPU-030.2,STATUS-004",
	   HCABI_FID_VCPU_START_SINCE)
{
	start_race(SR_ROUNDS, "VCPU-023");
}

/* Since HCABI 1.2: the same race, as the general rule that calls on one
 * object take effect one after the other (GEN-004): two STARTs of one
 * stopped vCPU never both succeed, never both fail, and the target enters
 * once. 20 rounds. */
HCABI_TEST(vcpu_start_race_atomic, "VCPU.start_race_one_after_the_other",
	   "GEN-004,VCPU-024.2,VCPU-030.2,STATUS-004", HCABI_VERSION_1_2)
{
	start_race(20, "GEN-004");
}

/* ---- the boot state changed during the call ---- */

static struct {
	uint64_t calling, delay_ns, changed;
} rr;

/* On vCPU 1: once vCPU 0 is about to call START, wait delay_ns and make the
 * boot state invalid, then point it elsewhere (in that order). */
static void rr_task(void *arg)
{
	(void)arg;
	for (unsigned r = 0; r < RR_ROUNDS; r++) {
		if (!wait_for_u64(&rr.calling, r + 1, HCABI_SEC(30)))
			return;
		uint64_t t0 = hcabi_now_ns();
		while (hcabi_now_ns() - t0 < rr.delay_ns)
			hcabi_pause();
		VCPU_BS_INVALIDATE(&race_bs);
		hcabi_atomic_store(&race_bs.arg, hcabi_gpa(&race_other));
		hcabi_atomic_store(&rr.changed, r + 1);
	}
}

HCABI_TEST(vcpu_start_read_once_raced, "VCPU.start_boot_state_changed_during_call",
	   "VCPU-025,VCPU-022.1,VCPU-024.2,VCPU-030.2,STATUS-004," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_VCPU_START_SINCE)
{
	static const uint64_t delays_us[] = {0, 20, 100, 500, 2000, 5000};
	unsigned ok = 0, rejected = 0;

	if (!test_require_cpus(3))
		return;
	memset(&rr, 0, sizeof(rr));
	if (!vcpu_start_task(1, rr_task, 0))
		return; /* already a failing check (test_start_on_cpu) */
	for (unsigned r = 0; r < RR_ROUNDS; r++) {
		struct hcabi_ret ret;
		vcpu_raw_prepare(&race_ctx, 2, 0);
		vcpu_raw_prepare(&race_other, 2, 0);
		vcpu_raw_boot_state(&race_bs, &race_ctx, 0);
		rr.delay_ns = delays_us[r % (sizeof(delays_us) / sizeof(delays_us[0]))] * 1000u;
		hcabi_atomic_store(&rr.calling, r + 1);
		ret = hcabi_vcpu_start(2, hcabi_gpa(&race_bs));
		if (!wait_for_u64(&rr.changed, r + 1, HCABI_SEC(30))) {
			test_error("round %u: vCPU 1 did not change the boot state", r);
			break;
		}
		if (ret.status == HCABI_SUCCESS) {
			vcpu_started_mask |= 1ull << 2;
			ok++;
			/* whichever context it entered with, let it stop */
			if (!wait_for_u64(&race_ctx.before_stop, 1, HCABI_SEC(10)))
				(void)wait_for_u64(&race_other.before_stop, 1, HCABI_SEC(10));
			if (!vcpu_wait_state(2, HCABI_VCPU_STATUS_STOPPED, HCABI_SEC(30))) {
				test_error("round %u: vCPU 2 did not stop within 30 s", r);
				break;
			}
			if (race_other.entries != 0 || race_ctx.entries != 1 ||
			    r == RR_ROUNDS - 1) {
				check_true(race_other.entries == 0 && race_ctx.entries == 1,
					   "VCPU-025",
					   "round %u (change %llu us after the call began): START "
					   "returned SUCCESS; entries with the validated arg %llu, "
					   "with the arg written after it (beside an invalid field) %llu",
					   r, (unsigned long long)(rr.delay_ns / 1000),
					   (unsigned long long)race_ctx.entries,
					   (unsigned long long)race_other.entries);
				if (race_other.entries != 0)
					break;
			}
			if (race_ctx.entries == 1)
				check_eq_u64(VCPU_ENTRY_ARG(&race_ctx), hcabi_gpa(&race_ctx), "VCPU-025",
					     "round %u: " VCPU_ARG_REG " = the arg that was validated", r);
		} else {
			rejected++;
			if (ret.status != HCABI_ERR_INVALID_PARAM || ret.value != 0 ||
			    r == RR_ROUNDS - 1)
				check_ret(ret, HCABI_ERR_INVALID_PARAM, 0, "VCPU-022.1",
					  "round %u: START read the changed (invalid) boot state",
					  r);
			delay_ns(HCABI_MS(50));
			check_true(race_ctx.entries == 0 && race_other.entries == 0, "STATUS-004",
				   "round %u: a rejected START started nothing", r);
		}
	}
	hcabi_atomic_store(&rr.calling, RR_ROUNDS + 1);
	if (!hcabi_smp_wait(1, HCABI_SEC(30)))
		test_error("vCPU 1 did not finish within 30 s");
	test_log("%u START(s) read the valid boot state, %u the changed one", ok, rejected);
}
