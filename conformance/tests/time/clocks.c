/* SPDX-License-Identifier: MIT */
/*
 * TIME.GET_MONOTONIC and TIME.GET_WALLCLOCK: TIME-001 (.1 the count, .2 never
 * decreasing on a vCPU), TIME-002, TIME-010.
 *
 * What:
 *  - TIME-001: GET_MONOTONIC returns SUCCESS; 2000 reads in a row never
 *    decrease; the clock advances; and it counts nanoseconds of real time:
 *    over 200 ms its advance agrees with the wall clock's within 20 % plus
 *    50 ms (a clock in microseconds or TSC ticks fails that by far);
 *  - TIME-002: vCPU 1 reads the clock and publishes the value; vCPU 0 sees
 *    the store, then reads: its value is not smaller; 200 rounds each way
 *    (needs VCPU and two vCPUs: skipped without them). Without them too
 *    (TIME.monotonic_after_observed, TIME alone, e.g. the core profile): a
 *    timer interrupt's handler reads the clock and publishes the value; the
 *    interrupted code sees the store, then reads: not smaller; 50 rounds,
 *    deadlines already passed and 1 ms away;
 *  - TIME-010: GET_WALLCLOCK returns SUCCESS with nanoseconds since the Unix
 *    epoch: after 2020-01-01 and before 2200-01-01.
 * Why: a guest builds its timekeeping on these: a monotonic clock that goes
 * back (on one vCPU or between two) breaks every timeout and scheduler.
 */
#include "time_common.h"

#define Y2020_NS 1577836800000000000ull
#define Y2200_NS 7258118400000000000ull

HCABI_TEST(time_monotonic, "TIME.monotonic", "TIME-001.1,TIME-001.2," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_TIME_GET_MONOTONIC_SINCE)
{
	struct hcabi_ret r = hcabi_time_get_monotonic();
	uint64_t prev, backwards = 0, worst = 0, first;
	unsigned changes = 0, fails = 0;

	if (!check_status(r, HCABI_SUCCESS, "TIME-001.1", "GET_MONOTONIC"))
		return;
	first = prev = r.value;
	for (int i = 0; i < 2000; i++) {
		r = hcabi_time_get_monotonic();
		if (r.status != HCABI_SUCCESS) {
			fails++;
			continue;
		}
		if (r.value < prev) {
			backwards++;
			if (prev - r.value > worst)
				worst = prev - r.value;
		} else if (r.value > prev) {
			changes++;
		}
		prev = r.value;
	}
	check_true(!fails, "TIME-001.1", "2000 more calls all returned SUCCESS (%u did not)",
		   fails);
	check_true(!backwards, "TIME-001.2",
		   "2000 reads in a row never decrease (%llu went back, by up to %llu ns)",
		   (unsigned long long)backwards, (unsigned long long)worst);
	check_true(changes > 0, "TIME-001.1", "the clock advances (%llu ns over 2000 reads)",
		   (unsigned long long)(prev - first));

	/* nanoseconds of real time, against the wall clock */
	{
		struct hcabi_ret w0 = hcabi_time_get_wallclock();
		uint64_t m0 = now(), m1, dm, dw;
		struct hcabi_ret w1;
		if (w0.status != HCABI_SUCCESS) {
			test_log("GET_WALLCLOCK failed: the rate check is skipped");
			return;
		}
		while (now() - m0 < HCABI_MS(200))
			hcabi_pause();
		m1 = now();
		w1 = hcabi_time_get_wallclock();
		dm = m1 - m0;
		dw = w1.value - w0.value;
		check_true(dw + dw / 5 + HCABI_MS(50) >= dm && dm + dm / 5 + HCABI_MS(50) >= dw,
			   "TIME-001.1",
			   "over %llu ns of the monotonic clock the wall clock advanced %llu ns "
			   "(both count ns of real time)",
			   (unsigned long long)dm, (unsigned long long)dw);
	}
}

struct pingpong {
	volatile uint64_t value; /* published reading */
	volatile uint64_t turn;	 /* odd: vCPU 1's turn to read; even: vCPU 0's */
	volatile uint64_t bad, bad_a, bad_b;
	volatile uint64_t rounds;
};

static struct pingpong pp;

#define ROUNDS 200

static void pong(void *arg)
{
	(void)arg;
	for (uint64_t i = 0; i < ROUNDS; i++) {
		uint64_t want = 2 * i + 1, a, b;
		uint64_t start = now();
		while (hcabi_atomic_load(&pp.turn) != want) {
			if (now() - start > TIME_WAIT)
				return;
			hcabi_pause();
		}
		/* vCPU 0 published pp.value: observe it, then read the clock */
		a = pp.value;
		b = now();
		if (b < a && !pp.bad++) {
			pp.bad_a = a;
			pp.bad_b = b;
		}
		pp.value = now();
		hcabi_atomic_store(&pp.turn, want + 1);
	}
}

HCABI_TEST(time_monotonic_smp, "TIME.monotonic_across_vcpus",
	   "TIME-002,VCPU-024.2,VCPU-030.2,STATUS-004", HCABI_FID_TIME_GET_MONOTONIC_SINCE)
{
	uint64_t i;

	if (!test_require_cpus(2))
		return;
	memset((void *)&pp, 0, sizeof(pp));
	if (!test_start_on_cpu(1, pong, 0)) {
		return;
	}
	for (i = 0; i < ROUNDS; i++) {
		uint64_t want = 2 * i, a, b, start = now();
		while (hcabi_atomic_load(&pp.turn) != want) {
			if (now() - start > TIME_WAIT)
				break;
			hcabi_pause();
		}
		if (hcabi_atomic_load(&pp.turn) != want)
			break;
		if (i) {
			a = pp.value;
			b = now();
			if (b < a && !pp.bad++) {
				pp.bad_a = a;
				pp.bad_b = b;
			}
		}
		pp.value = now();
		hcabi_atomic_store(&pp.turn, want + 1);
	}
	if (!test_wait_cpu(1, TIME_WAIT))
		return;
	if (i < ROUNDS) {
		test_error("the ping-pong with vCPU 1 stopped after %llu of %u rounds",
			   (unsigned long long)i, ROUNDS);
		return;
	}
	check_true(!pp.bad, "TIME-002",
		   "%u rounds: a reading made after seeing another vCPU's reading is never smaller "
		   "(%llu were; first: %llu after %llu)",
		   2 * ROUNDS, (unsigned long long)pp.bad, (unsigned long long)pp.bad_b,
		   (unsigned long long)pp.bad_a);
}

#define OBS_ROUNDS 50

/* TIME-002 on the one vCPU every implementation lets the guest run: the
 * reading is made in one context (the timer interrupt's handler) and
 * observed through memory in another (the code it interrupted). */
HCABI_TEST(time_monotonic_observed, "TIME.monotonic_after_observed",
	   "TIME-002," HCABI_REQ_VALUE_ZERO, HCABI_FID_TIME_GET_MONOTONIC_SINCE)
{
	uint64_t i, bad = 0, bad_a = 0, bad_b = 0;

	time_setup();
	for (i = 0; i < OBS_ROUNDS; i++) {
		uint64_t deadline = (i & 1) ? now() + HCABI_MS(1) : 0, a, b;
		struct hcabi_ret r = hcabi_time_set_timer(deadline, TV_A);
		if (!check_status(r, HCABI_SUCCESS, "TIME-002", "round %llu: SET_TIMER(%s)",
				  (unsigned long long)i, deadline ? "+1 ms" : "0, passed"))
			return;
		if (!check_true(wait_hits(&hits(0, TV_A)->count, i + 1), "TIME-002",
				"round %llu: the timer interrupt whose reading is observed arrived",
				(unsigned long long)i))
			return;
		/* the handler's reading, seen through the store it made */
		a = hits(0, TV_A)->at;
		b = now();
		if (b < a && !bad++) {
			bad_a = a;
			bad_b = b;
		}
	}
	check_true(!bad, "TIME-002",
		   "%u rounds: a reading made after seeing the interrupt handler's reading is "
		   "never smaller (%llu were; first: %llu after %llu)",
		   OBS_ROUNDS, (unsigned long long)bad, (unsigned long long)bad_b,
		   (unsigned long long)bad_a);
}

HCABI_TEST(time_wallclock, "TIME.wallclock", "TIME-010," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_TIME_GET_WALLCLOCK_SINCE)
{
	struct hcabi_ret r = hcabi_time_get_wallclock();

	if (!check_status(r, HCABI_SUCCESS, "TIME-010", "GET_WALLCLOCK"))
		return;
	check_true(r.value > Y2020_NS && r.value < Y2200_NS, "TIME-010",
		   "%llu ns since the epoch is after 2020-01-01 and before 2200-01-01",
		   (unsigned long long)r.value);
}
