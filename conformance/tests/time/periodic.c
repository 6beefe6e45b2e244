/* SPDX-License-Identifier: MIT */
/*
 * TIME.SET_PERIODIC (HCABI 1.1): TIME-040, TIME-041, TIME-042 (each check
 * names the part it checks).
 *
 * What:
 *  - TIME-040: a vector outside the valid range (0, 1, one below it and one
 *    above it: x86-64 31 and 256, arm64 15 and 23, ARM64-021), a vector with
 *    a reserved bit set (bit 8, bit 63, bits 63:32, all ones), and a period below
 *    HCABI_TIMER_MIN_PERIOD (0, 1, the minimum - 1) are each INVALID_PARAM and
 *    leave the armed timer as it was: a one-shot timer armed before still
 *    fires once on its own vector, not before its deadline, and a periodic
 *    timer armed before keeps ticking on its vector; nothing arrives on the
 *    vector of the rejected calls. The boundaries (the smallest and the
 *    largest valid vector: x86-64 32 and 255, arm64 16 and 22; the
 *    period HCABI_TIMER_MIN_PERIOD, the longest period) are accepted;
 *  - TIME-041: period 20 ms, first tick 20 ms away, interrupts enabled for
 *    at least ten periods (and until three ticks arrived, at most 10 s). The
 *    handler records GET_MONOTONIC at every tick. Tick i (counting from 0 in
 *    delivery order) must see at least first + i * period: a merged tick can
 *    make a later delivery stand for a later grid point, but no delivery can
 *    come before the grid point of its rank. At least one tick arrives, and
 *    never more ticks than grid points passed by the time CANCEL_TIMER
 *    returned. vCPU 1, watching with interrupts enabled, gets none of them.
 *    A first tick in the past (first = 0) fires at once. With period
 *    2^64 - 1 from now only tick 0 fires: tick 1's time lies beyond the
 *    clock's range (watched for 500 ms);
 *  - TIME-042: the timer keeps firing (at least two ticks) until cancelled;
 *    CANCEL_TIMER returns SUCCESS with 1 while it is periodic and 0 the next
 *    time; after CANCEL_TIMER returned, no tick becomes pending: the count
 *    grows only by the tick that was already pending in IRR when it returned
 *    (if any), watched for 500 ms (25 periods). SET_TIMER replaces a periodic
 *    timer (its one-shot fires once, the periodic vector stops) and
 *    SET_PERIODIC replaces a periodic timer (the old vector stops, the new one
 *    ticks). VCPU.STOP cancels it: vCPU 1 arms a periodic timer, sees it tick
 *    and stops; started again, it takes no tick of it in 300 ms.
 * Why: a tick-based kernel arms the periodic timer once and relies on it: a
 * tick before its time, a timer that cannot be stopped or replaced, or one
 * that survives the vCPU that armed it breaks its scheduler, and a rejected
 * call that changed the timer anyway breaks its error handling.
 * Latency is never bounded: the waits are generous (nested virtualization is
 * 20-40 times slower than hardware); only the grid, the counts and the
 * pending bits are compared.
 */
#include "time_common.h"

/* Vectors of these tests, in a row (pv.count indexes by vector - PV_A). */
#define PV_A HCABI_TEST_VECTOR(0)
#define PV_B HCABI_TEST_VECTOR(1)
#define PV_GRID HCABI_TEST_VECTOR(2)
#define PV_NVEC 3u
_Static_assert(PV_NVEC <= HCABI_TEST_VECTORS, "PV_A..PV_GRID are test vectors");

#define PV_WAIT HCABI_SEC(10)  /* longest wait for a tick */
#define PV_QUIET HCABI_MS(500) /* how long "no more ticks" is watched */
#define PV_MAX_TICKS 1024u

static struct {
	volatile uint64_t count[HCABI_MAX_CPUS][PV_NVEC];
	volatile uint64_t last_at[HCABI_MAX_CPUS][PV_NVEC];
	/* GET_MONOTONIC in the handler of every PV_GRID tick on vCPU 0 */
	volatile uint64_t grid_at[PV_MAX_TICKS];
} pv;

static void pv_handler(struct hcabi_frame *f, unsigned vector)
{
	uint64_t t = hcabi_time_get_monotonic().value;
	unsigned cpu = hcabi_cpu_index();
	uint64_t n;

	(void)f;
	if (vector < PV_A || vector >= PV_A + PV_NVEC || cpu >= HCABI_MAX_CPUS)
		return;
	n = pv.count[cpu][vector - PV_A];
	if (vector == PV_GRID && cpu == 0 && n < PV_MAX_TICKS)
		pv.grid_at[n] = t;
	pv.last_at[cpu][vector - PV_A] = t;
	hcabi_atomic_store(&pv.count[cpu][vector - PV_A], n + 1);
}

static void pv_setup(void)
{
	memset((void *)&pv, 0, sizeof(pv));
	for (unsigned v = PV_A; v < PV_A + PV_NVEC; v++)
		hcabi_irq_register(v, pv_handler);
}

static volatile uint64_t *pv_count(unsigned cpu, unsigned vector)
{
	return &pv.count[cpu][vector - PV_A];
}

static uint64_t pv_now(void)
{
	return hcabi_time_get_monotonic().value;
}

/* With interrupts enabled, wait until *count >= want or PV_WAIT. */
static bool pv_wait(volatile uint64_t *count, uint64_t want)
{
	bool ok;
	hcabi_irq_enable();
	ok = wait_for_u64(count, want, PV_WAIT);
	hcabi_irq_disable();
	return ok;
}

/* With interrupts enabled, let ns of monotonic time pass. */
static void pv_quiet(uint64_t ns)
{
	hcabi_irq_enable();
	delay_ns(ns);
	hcabi_irq_disable();
}

/* Cancel with interrupts disabled; returns the count of `vector` at that
 * moment plus 1 if a tick was already pending in IRR when CANCEL returned:
 * the most the count may reach afterwards (TIME-042). */
static uint64_t pv_cancel(unsigned vector, const char *what)
{
	uint64_t c = *pv_count(0, vector);
	struct hcabi_ret r = hcabi_time_cancel_timer();
	bool pending = hcabi_intc_pending(vector);

	check_ret(r, HCABI_SUCCESS, 1, "TIME-042.2", "CANCEL_TIMER of the periodic timer (%s)",
		  what);
	return c + (pending ? 1 : 0);
}

/* ---- TIME-040.1 to .4 -------------------------------------------------------------------- */

HCABI_TEST(time_periodic_args, "TIME.set_periodic_validation",
	   "TIME-040.1,TIME-040.2,TIME-040.3,TIME-040.4,TIME-042.2," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_TIME_SET_PERIODIC_SINCE)
{
	static const uint64_t bad_vectors[] = {
	    0,
	    HCABI_TEST_VECTOR_LOW,
	    HCABI_TEST_VECTOR_BELOW_MIN,
	    HCABI_TEST_VECTOR_ABOVE_MAX,
	    0x100 | PV_B,
	    (1ull << 63) | PV_B,
	    0xFFFFFFFF00000000ull | PV_B,
	    ~0ull};
	static const uint64_t bad_periods[] = {0, 1, HCABI_TIMER_MIN_PERIOD - 1};
	uint64_t deadline, first;

	pv_setup();

	/* a one-shot timer armed before stays as it was */
	deadline = pv_now() + HCABI_MS(300);
	if (!check_status(hcabi_time_set_timer(deadline, PV_A), HCABI_SUCCESS, "TIME-040.4",
			  "SET_TIMER(+300 ms, vector 0x%x) before the invalid calls", PV_A))
		return;
	first = pv_now() + HCABI_MS(1);
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(bad_vectors); i++)
		check_status(
		    hcabi_time_set_periodic(first, HCABI_MS(10), bad_vectors[i]),
		    HCABI_ERR_INVALID_PARAM,
		    (bad_vectors[i] & ~HCABI_TIME_SET_PERIODIC_VECTOR_VECTOR_MASK) ? "TIME-040.2" /* a reserved bit */ : "TIME-040.1",
		    "SET_PERIODIC(+1 ms, 10 ms, vector 0x%llx)",
		    (unsigned long long)bad_vectors[i]);
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(bad_periods); i++)
		check_status(
		    hcabi_time_set_periodic(first, bad_periods[i], PV_B), HCABI_ERR_INVALID_PARAM,
		    "TIME-040.3",
		    "SET_PERIODIC(+1 ms, period %llu ns < HCABI_TIMER_MIN_PERIOD, vector 0x%x)",
		    (unsigned long long)bad_periods[i], PV_B);
	check_status(hcabi_time_set_periodic(first, 0, 0x100), HCABI_ERR_INVALID_PARAM,
		     "TIME-040.3", "SET_PERIODIC(+1 ms, period 0, vector 0x100)");
	check_true(pv_wait(pv_count(0, PV_A), 1), "TIME-040.4",
		   "the one-shot timer armed before the invalid calls still fired");
	pv_quiet(HCABI_MS(200));
	check_eq_u64(*pv_count(0, PV_A), 1, "TIME-040.4",
		     "it fired once: it was not made periodic");
	check_ge_u64(pv.last_at[0][PV_A - PV_A], deadline, "TIME-040.4",
		     "its deadline was left unchanged (fired at or after it)");
	check_eq_u64(*pv_count(0, PV_B), 0, "TIME-040.4",
		     "nothing arrived on vector 0x%x of the rejected calls", PV_B);

	/* a periodic timer armed before keeps ticking on its own vector */
	pv_setup();
	if (!check_status(hcabi_time_set_periodic(pv_now() + HCABI_MS(20), HCABI_MS(20), PV_A),
			  HCABI_SUCCESS, "TIME-040.4", "SET_PERIODIC(+20 ms, 20 ms, vector 0x%x)",
			  PV_A))
		return;
	first = pv_now() + HCABI_MS(1);
	check_status(hcabi_time_set_periodic(first, HCABI_MS(10), HCABI_TEST_VECTOR_BELOW_MIN),
		     HCABI_ERR_INVALID_PARAM, "TIME-040.1",
		     "SET_PERIODIC(+1 ms, 10 ms, vector %u) while periodic",
		     HCABI_TEST_VECTOR_BELOW_MIN);
	check_status(hcabi_time_set_periodic(first, HCABI_MS(10), 0x100 | PV_B),
		     HCABI_ERR_INVALID_PARAM, "TIME-040.2",
		     "SET_PERIODIC(+1 ms, 10 ms, vector 0x%x) while periodic", 0x100 | PV_B);
	check_status(hcabi_time_set_periodic(first, HCABI_TIMER_MIN_PERIOD - 1, PV_B),
		     HCABI_ERR_INVALID_PARAM, "TIME-040.3",
		     "SET_PERIODIC(+1 ms, HCABI_TIMER_MIN_PERIOD - 1, vector 0x%x) while periodic",
		     PV_B);
	check_true(pv_wait(pv_count(0, PV_A), 2), "TIME-040.4",
		   "the periodic timer armed before the invalid calls kept ticking (2 ticks)");
	check_eq_u64(*pv_count(0, PV_B), 0, "TIME-040.4",
		     "nothing arrived on vector 0x%x of the rejected calls", PV_B);
	pv_cancel(PV_A, "after the rejected calls");

	/* boundaries: the smallest and the largest valid vector, the shortest
	 * and the longest period (first tick never: nothing fires) */
	check_status(hcabi_time_set_periodic(~0ull, HCABI_TIMER_MIN_PERIOD, HCABI_TEST_VECTOR_MIN),
		     HCABI_SUCCESS, "TIME-040.1",
		     "SET_PERIODIC(never, HCABI_TIMER_MIN_PERIOD, vector %u, the smallest valid)",
		     HCABI_TEST_VECTOR_MIN);
	check_status(hcabi_time_set_periodic(~0ull, ~0ull, HCABI_TEST_VECTOR_MAX), HCABI_SUCCESS,
		     TIME_MAX_REQ("TIME-040.1", "TIME-040.2"),
		     "SET_PERIODIC(never, 2^64-1 ns, vector %u, the largest valid)",
		     HCABI_TEST_VECTOR_MAX);
	check_ret(hcabi_time_cancel_timer(), HCABI_SUCCESS, 1, "TIME-042.2",
		  "CANCEL_TIMER of that periodic timer");
}

/* ---- TIME-041: the grid -------------------------------------------------------------- */

static struct {
	volatile uint64_t stop, done;
} watcher;

static void watch_task(void *arg)
{
	(void)arg;
	hcabi_irq_enable();
	wait_for_u64(&watcher.stop, 1, 3 * PV_WAIT);
	hcabi_irq_disable();
	hcabi_atomic_store(&watcher.done, 1);
}

HCABI_TEST(time_periodic_grid, "TIME.periodic_ticks_on_grid",
	   "TIME-041.1,TIME-041.2,TIME-042.2,TIME-042.3,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO
	   ",STATUS-004",
	   HCABI_FID_TIME_SET_PERIODIC_SINCE)
{
	const uint64_t period = HCABI_MS(20);
	uint64_t first, start, end, n, passed, after;
	bool watching = false, early = false;

	pv_setup();
	if (hcabi_smp_count() >= 2 && hcabi_has_ext(HCABI_EID_VCPU)) {
		memset((void *)&watcher, 0, sizeof(watcher));
		if (!test_start_on_cpu(1, watch_task, 0)) {
			return;
		}
		watching = true;
	} else {
		test_log("one vCPU: \"in no other vCPU\" is not checked");
	}

	first = pv_now() + period;
	if (!check_status(hcabi_time_set_periodic(first, period, PV_GRID), HCABI_SUCCESS,
			  "TIME-041.1",
			  "SET_PERIODIC(first = now + 20 ms, period 20 ms, vector 0x%x)", PV_GRID))
		goto out;
	/* at least ten periods, and until three ticks came (at most PV_WAIT) */
	start = pv_now();
	end = first + 10 * period;
	hcabi_irq_enable();
	while ((pv_now() < end || *pv_count(0, PV_GRID) < 3) && pv_now() - start < PV_WAIT)
		for (int i = 0; i < 100; i++)
			hcabi_pause();
	hcabi_irq_disable();
	after = pv_cancel(PV_GRID, "end of the grid test");
	end = pv_now();		/* CANCEL has returned: no later grid point counts */
	pv_quiet(HCABI_MS(50)); /* the tick pending at the cancel, if any */

	n = *pv_count(0, PV_GRID);
	passed = end >= first ? (end - first) / period + 1 : 0;
	check_ge_u64(n, 1, "TIME-041.1", "ticks delivered (%llu grid points passed)",
		     (unsigned long long)passed);
	check_true(n <= passed, "TIME-041.2",
		   "%llu ticks delivered, no more than the %llu grid points passed before "
		   "CANCEL_TIMER returned",
		   (unsigned long long)n, (unsigned long long)passed);
	check_true(n <= after, "TIME-042.3",
		   "%llu ticks delivered, no more than the %llu counted or pending when "
		   "CANCEL_TIMER returned",
		   (unsigned long long)n, (unsigned long long)after);
	for (uint64_t i = 0; i < n && i < PV_MAX_TICKS; i++) {
		if (pv.grid_at[i] < first + i * period) {
			check_ge_u64(pv.grid_at[i], first + i * period, "TIME-041.2",
				     "GET_MONOTONIC in the handler of tick %llu vs its grid point "
				     "first + %llu * period",
				     (unsigned long long)i, (unsigned long long)i);
			early = true;
		}
	}
	if (!early)
		check_true(true, "TIME-041.2",
			   "every one of the %llu ticks saw GET_MONOTONIC >= first + i * period",
			   (unsigned long long)n);

	/* a first tick in the past fires at once */
	pv_setup();
	if (check_status(hcabi_time_set_periodic(0, HCABI_SEC(3600), PV_A), HCABI_SUCCESS,
			 "TIME-041.1", "SET_PERIODIC(first = 0, in the past; period 1 h)"))
		check_true(pv_wait(pv_count(0, PV_A), 1), "TIME-041.1",
			   "its first tick, already due, fired");
	pv_cancel(PV_A, "first tick in the past");

	/* the grid ends at 2^64 - 1: with period 2^64 - 1 from now, tick 1's
	 * time lies beyond the clock's range; it never falls due (a sum that
	 * wraps would make it due at once, again and again) */
	pv_setup();
	if (check_status(hcabi_time_set_periodic(pv_now(), ~0ull, PV_A), HCABI_SUCCESS,
			 "TIME-041.1", "SET_PERIODIC(first = now, period 2^64 - 1 ns)") &&
	    check_true(pv_wait(pv_count(0, PV_A), 1), "TIME-041.1", "its tick 0 fired")) {
		pv_quiet(PV_QUIET);
		check_eq_u64(*pv_count(0, PV_A), 1, "TIME-041.2",
			     "ticks in the 500 ms after tick 0, period 2^64 - 1 ns: tick 1 lies "
			     "beyond 2^64 - 1 ns of the monotonic clock (plus tick 0)");
	}
	pv_cancel(PV_A, "period 2^64 - 1 ns");

out:
	if (watching) {
		hcabi_atomic_store(&watcher.stop, 1);
		if (!test_wait_cpu(1, PV_WAIT)) {
			return;
		}
		check_eq_u64(*pv_count(1, PV_GRID) + *pv_count(1, PV_A), 0, "TIME-041.1",
			     "vCPU 0's periodic ticks did not arrive on vCPU 1");
	}
}

/* ---- TIME-042: runs until cancelled or replaced ------------------------------------- */

HCABI_TEST(time_periodic_cancel, "TIME.periodic_until_cancel",
	   "TIME-042.1,TIME-042.2,TIME-042.3,TIME-030.3," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_TIME_SET_PERIODIC_SINCE)
{
	uint64_t most;
	bool ok;

	pv_setup();
	if (!check_status(hcabi_time_set_periodic(pv_now() + HCABI_MS(20), HCABI_MS(20), PV_A),
			  HCABI_SUCCESS, "TIME-042.1", "SET_PERIODIC(+20 ms, 20 ms, vector 0x%x)",
			  PV_A))
		return;
	ok = pv_wait(pv_count(0, PV_A), 2);
	check_true(ok, "TIME-042.1", "it keeps firing: %llu ticks (2 wanted)",
		   (unsigned long long)*pv_count(0, PV_A));
	most = pv_cancel(PV_A, "after two ticks");
	check_ret(hcabi_time_cancel_timer(), HCABI_SUCCESS, 0, "TIME-030.3",
		  "a second CANCEL_TIMER: nothing is armed");
	pv_quiet(PV_QUIET);
	check_eq_u64(*pv_count(0, PV_A), most, "TIME-042.3",
		     "ticks after %llu ms with interrupts enabled: those counted or pending when "
		     "CANCEL_TIMER returned, none later",
		     (unsigned long long)(PV_QUIET / 1000000));
	check_true(!hcabi_intc_pending(PV_A), "TIME-042.3", "nothing pending in IRR after the watch");
}

HCABI_TEST(time_periodic_replaced, "TIME.periodic_replaced",
	   "TIME-042.1,TIME-042.2,TIME-030.3," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_TIME_SET_PERIODIC_SINCE)
{
	uint64_t a_most, deadline;
	uint64_t a_count;
	bool a_pending, ok;

	/* SET_TIMER replaces a periodic timer */
	pv_setup();
	if (!check_status(hcabi_time_set_periodic(pv_now() + HCABI_MS(10), HCABI_MS(10), PV_A),
			  HCABI_SUCCESS, "TIME-042.1", "SET_PERIODIC(+10 ms, 10 ms, vector 0x%x)",
			  PV_A))
		return;
	check_true(pv_wait(pv_count(0, PV_A), 1), "TIME-042.1", "it ticked");
	a_count = *pv_count(0, PV_A);
	deadline = pv_now() + HCABI_MS(100);
	check_status(hcabi_time_set_timer(deadline, PV_B), HCABI_SUCCESS, "TIME-042.1",
		     "SET_TIMER(+100 ms, vector 0x%x) replaces it", PV_B);
	a_pending = hcabi_intc_pending(PV_A);
	a_most = a_count + (a_pending ? 1 : 0);
	check_true(pv_wait(pv_count(0, PV_B), 1), "TIME-042.1", "the one-shot timer fired");
	pv_quiet(HCABI_MS(300));
	check_eq_u64(*pv_count(0, PV_B), 1, "TIME-042.1", "the one-shot timer fired once");
	check_ge_u64(pv.last_at[0][PV_B - PV_A], deadline, "TIME-042.1",
		     "the one-shot timer fired at or after its deadline");
	check_eq_u64(*pv_count(0, PV_A), a_most, "TIME-042.1",
		     "the periodic vector 0x%x stopped when SET_TIMER returned", PV_A);
	check_ret(hcabi_time_cancel_timer(), HCABI_SUCCESS, 0, "TIME-030.3",
		  "CANCEL_TIMER after the one-shot timer fired");

	/* SET_PERIODIC replaces a periodic timer */
	pv_setup();
	if (!check_status(hcabi_time_set_periodic(pv_now() + HCABI_MS(10), HCABI_MS(10), PV_A),
			  HCABI_SUCCESS, "TIME-042.1", "SET_PERIODIC(+10 ms, 10 ms, vector 0x%x)",
			  PV_A))
		return;
	check_true(pv_wait(pv_count(0, PV_A), 1), "TIME-042.1", "it ticked");
	a_count = *pv_count(0, PV_A);
	check_status(hcabi_time_set_periodic(pv_now() + HCABI_MS(30), HCABI_MS(30), PV_B),
		     HCABI_SUCCESS, "TIME-042.1",
		     "SET_PERIODIC(+30 ms, 30 ms, vector 0x%x) replaces it", PV_B);
	a_pending = hcabi_intc_pending(PV_A);
	a_most = a_count + (a_pending ? 1 : 0);
	ok = pv_wait(pv_count(0, PV_B), 3);
	check_true(ok, "TIME-042.1", "the new periodic timer ticks: %llu ticks (3 wanted)",
		   (unsigned long long)*pv_count(0, PV_B));
	pv_cancel(PV_B, "the replacing timer");
	pv_quiet(HCABI_MS(200));
	check_eq_u64(*pv_count(0, PV_A), a_most, "TIME-042.1",
		     "the replaced vector 0x%x stopped when SET_PERIODIC returned", PV_A);
}

/* VCPU.STOP cancels it: vCPU 1 arms, sees ticks, stops; restarted, it must
 * take none. */
static struct {
	volatile int64_t status;
	volatile uint64_t ticks_before, ticks_after;
	volatile bool irr_after;
} stopper;

static void stop_arm_task(void *arg)
{
	(void)arg;
	stopper.status =
	    hcabi_time_set_periodic(pv_now() + HCABI_MS(10), HCABI_MS(10), PV_B).status;
	hcabi_irq_enable();
	wait_for_u64(pv_count(1, PV_B), 2, PV_WAIT);
	hcabi_irq_disable();
	stopper.ticks_before = *pv_count(1, PV_B);
	/* returning ends the task with VCPU.STOP, with the timer armed */
}

static void stop_watch_task(void *arg)
{
	uint64_t before = *pv_count(1, PV_B);
	(void)arg;
	stopper.irr_after = hcabi_intc_pending(PV_B);
	hcabi_irq_enable();
	delay_ns(HCABI_MS(300));
	hcabi_irq_disable();
	stopper.ticks_after = *pv_count(1, PV_B) - before;
}

HCABI_TEST(time_periodic_stop, "TIME.periodic_cancelled_by_stop",
	   "TIME-042.1,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO ",STATUS-004",
	   HCABI_FID_TIME_SET_PERIODIC_SINCE)
{
	if (!test_require_cpus(2))
		return;
	pv_setup();
	memset((void *)&stopper, 0, sizeof(stopper));
	if (!test_run_on_cpu(1, stop_arm_task, 0))
		return;
	if (!check_eq_u64((uint64_t)stopper.status, HCABI_SUCCESS, "TIME-042.1",
			  "SET_PERIODIC(+10 ms, 10 ms) on vCPU 1"))
		return;
	check_ge_u64(stopper.ticks_before, 2, "TIME-042.1", "vCPU 1's periodic timer ticked");
	check_ret(hcabi_vcpu_get_status(1), HCABI_SUCCESS, HCABI_VCPU_STATUS_STOPPED, "TIME-042.1",
		  "vCPU 1 stopped itself with its periodic timer armed");
	delay_ns(HCABI_MS(100)); /* ten periods while stopped */
	if (!test_run_on_cpu(1, stop_watch_task, 0))
		return;
	check_true(!stopper.irr_after, "TIME-042.1",
		   "restarted vCPU 1 has nothing pending on vector 0x%x", PV_B);
	check_eq_u64(stopper.ticks_after, 0, "TIME-042.1",
		     "restarted vCPU 1 took no tick in 300 ms: VCPU.STOP cancelled the timer");
	check_eq_u64(*pv_count(0, PV_B), 0, "TIME-042.1", "and vCPU 0 took none either");
}
