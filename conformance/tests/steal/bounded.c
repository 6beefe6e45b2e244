/* SPDX-License-Identifier: MIT */
/*
 * Steal time grows no faster than time, since HCABI 1.2: STEAL-009.
 *
 * What: vCPU 0 registers a record and, for up to 200 rounds, takes m_k =
 * TIME.GET_MONOTONIC and then reads its record's steal_ns s_k (with the
 * sequence protocol), with load in between: every other vCPU spins in the
 * guest the whole time, and vCPU 0 calls VCPU.YIELD and busy-waits, so that
 * the host has more to run than CPUs and the vCPUs wait. GET_MONOTONIC
 * updates the record at its return (STEAL-003.1), after it read the clock,
 * and s_k is read before the next GET_MONOTONIC reads it: the update s_k
 * shows happened between m_k and m_{k+1}, so STEAL-009 gives
 * s_j - s_i <= m_{j+1} - m_i. That is checked for each round (j = i + 1)
 * and for the whole run (i = 0, j = the last round), with a slack of 1 ms plus
 * 1/16 of the interval for clock granularity and a host whose steal clock
 * is not the monotonic clock. The rounds end after 4 s, or as soon as
 * steal_ns grew in MIN_GROWN rounds (nested, a round takes about half a
 * second and steal grows in each): a round in which steal did not grow
 * cannot fail the check, so more of them add nothing. The steal seen is
 * logged: a run in which the host stole nothing checks only that steal_ns
 * did not move.
 * Why: steal_ns is the time the vCPU was ready to run but not running. A
 * record that scales it or writes it a byte off (which reads as 256 times
 * the steal) makes a guest scheduler charge its vCPUs for time that never
 * passed; STEAL-004 (it never decreases) does not see that.
 */
#include "steal_common.h"

/* At most ROUNDS rounds, and no more once MAX_NS passed or steal_ns grew in
 * MIN_GROWN rounds, after MIN_ROUNDS: nested, a loaded round takes up to a
 * second. */
#define ROUNDS 200
#define MIN_ROUNDS 4
#define MIN_GROWN 4
#define MAX_NS HCABI_SEC(4)
#define SLACK_NS(interval) (HCABI_MS(1) + (interval) / 16)

static struct steal_records recs;

static struct {
	uint64_t stop;
	uint64_t spinning[HCABI_MAX_CPUS];
} load;

/* On another vCPU: stay runnable in the guest until vCPU 0 is done (at most
 * 60 s), with as few exits as possible. */
static void spin_task(void *arg)
{
	unsigned cpu = (unsigned)(uintptr_t)arg;
	uint64_t t0 = hcabi_now_ns();

	hcabi_atomic_store(&load.spinning[cpu], 1);
	while (!hcabi_atomic_load(&load.stop)) {
		for (int i = 0; i < 100000 && !hcabi_atomic_load(&load.stop); i++)
			hcabi_barrier();
		if (hcabi_now_ns() - t0 > HCABI_SEC(60))
			break;
	}
}

/* steal_ns by the sequence protocol; false if no consistent read came. */
static bool read_steal(volatile struct hcabi_steal_time *rec, uint64_t *ns)
{
	for (int tries = 0; tries < 1000; tries++) {
		uint32_t s1 = rec->sequence, s2;
		uint64_t v;
		hcabi_barrier();
		v = rec->steal_ns;
		hcabi_barrier();
		s2 = rec->sequence;
		if (s1 == s2 && !(s1 & 1)) {
			*ns = v;
			return true;
		}
	}
	return false;
}

static uint64_t mono[ROUNDS + 1], steal[ROUNDS];

HCABI_TEST(steal_bounded, "STEAL.steal_bounded_by_time",
	   "STEAL-009,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO ",STATUS-004", HCABI_VERSION_1_2)
{
	volatile struct hcabi_steal_time *a = steal_rec(&recs, 3);
	unsigned ncpu = hcabi_smp_count(), started = 0, rounds;
	uint64_t worst_pair = 0, pair_bad = 0, first_bad = 0, grew = 0, grown = 0;
	struct hcabi_ret r;
	bool broken = false;

	if (!test_require_ext(HCABI_EID_TIME))
		return;
	if (hcabi_cpu_index() != 0) {
		test_error("the test runs on vCPU 0");
		return;
	}
	steal_unregister();
	if (!check_ret(hcabi_steal_set_shmem(hcabi_gpa(a)), HCABI_SUCCESS, 0, "STEAL-009",
		       "SET_SHMEM(a record)"))
		goto out;

	memset(&load, 0, sizeof(load));
	if (ncpu > HCABI_MAX_CPUS)
		ncpu = HCABI_MAX_CPUS;
	if (!hcabi_has_ext(HCABI_EID_VCPU))
		ncpu = 1;
	for (unsigned cpu = 1; cpu < ncpu; cpu++) {
		if (!test_start_on_cpu(cpu, spin_task, (void *)(uintptr_t)cpu))
			break;
		started = cpu;
		(void)wait_for_u64(&load.spinning[cpu], 1, HCABI_SEC(10));
	}

	for (rounds = 0; rounds < ROUNDS; rounds++) {
		unsigned k = rounds;
		if (k >= MIN_ROUNDS && (mono[k - 1] - mono[0] >= MAX_NS || grown >= MIN_GROWN))
			break;
		r = hcabi_time_get_monotonic();
		if (!read_steal(a, &steal[k])) {
			test_error("no consistent read of the record after round %u's call", k);
			broken = true;
			break;
		}
		if (r.status != HCABI_SUCCESS) {
			test_error("TIME.GET_MONOTONIC returned status %lld", (long long)r.status);
			broken = true;
			break;
		}
		mono[k] = r.value;
		if (k > 0 && steal[k] > steal[k - 1])
			grown++;
		(void)hcabi_vcpu_yield(HCABI_VCPU_ANY);
		delay_ns(HCABI_MS(1) / 2);
	}
	r = hcabi_time_get_monotonic();
	mono[rounds] = r.value;
	hcabi_atomic_store(&load.stop, 1);
	for (unsigned cpu = 1; cpu <= started; cpu++)
		(void)test_wait_cpu(cpu, HCABI_SEC(70));
	if (broken || r.status != HCABI_SUCCESS)
		goto out;

	for (unsigned i = 0; i + 1 < rounds; i++) {
		/* a decrease is STEAL-004's (STEAL.record): counted as no growth */
		uint64_t ds = steal[i + 1] > steal[i] ? steal[i + 1] - steal[i] : 0;
		uint64_t dm = mono[i + 2] - mono[i];
		if (ds)
			grew++;
		if (ds > worst_pair)
			worst_pair = ds;
		if (ds > dm + SLACK_NS(dm) && !pair_bad++)
			first_bad = i;
	}
	test_log("steal_ns %llu -> %llu ns over %llu ns of monotonic time (%u vCPUs loaded); "
		 "it grew in %llu of %u rounds, by at most %llu ns",
		 (unsigned long long)steal[0], (unsigned long long)steal[rounds - 1],
		 (unsigned long long)(mono[rounds] - mono[0]), started, (unsigned long long)grew,
		 rounds - 1, (unsigned long long)worst_pair);
	if (pair_bad)
		check_eq_u64(
		    pair_bad, 0, "STEAL-009",
		    "rounds in which steal_ns grew by more than the monotonic time around "
		    "them (+1 ms +1/16; first: round %llu, %llu -> %llu ns within %llu ns)",
		    (unsigned long long)first_bad, (unsigned long long)steal[first_bad],
		    (unsigned long long)steal[first_bad + 1],
		    (unsigned long long)(mono[first_bad + 2] - mono[first_bad]));
	else
		check_true(true, "STEAL-009",
			   "in each of %u rounds steal_ns grew by no more than the monotonic time "
			   "around it (+1 ms +1/16)",
			   rounds - 1);
	{
		uint64_t ds = steal[rounds - 1] > steal[0] ? steal[rounds - 1] - steal[0] : 0;
		uint64_t dm = mono[rounds] - mono[0];
		check_true(ds <= dm + SLACK_NS(dm), "STEAL-009",
			   "steal_ns grew by %llu ns over the whole run, at most the %llu ns of "
			   "monotonic time (+1 ms +1/16)",
			   (unsigned long long)ds, (unsigned long long)dm);
	}
out:
	steal_unregister();
}
