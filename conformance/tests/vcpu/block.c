/* SPDX-License-Identifier: MIT */
/*
 * VCPU.BLOCK and VCPU.KICK: VCPU-060, VCPU-061, VCPU-062, VCPU-063,
 * VCPU-070.
 *
 * What:
 *  - BLOCK(0) with nothing pending returns SUCCESS with TIMED_OUT; BLOCK(t)
 *    for t = 1, 10, 100 and 300 ms returns TIMED_OUT, and no earlier than t
 *    of monotonic time after the call was made (VCPU-062);
 *  - a KICK of the caller, and a KICK of a running vCPU by another, is
 *    remembered: the next BLOCK (with a 30 s timeout) returns WOKEN at once
 *    and consumes it (a following BLOCK(0) times out); three KICKs are
 *    remembered as one (VCPU-061, VCPU-070);
 *  - vCPU 0 inside BLOCK(30 s), and inside BLOCK(HCABI_BLOCK_FOREVER) (a TIME
 *    timer 40 s out as a backstop), is reported BLOCKED by GET_STATUS from
 *    vCPU 1 and woken by vCPU 1's KICK: WOKEN, not by the backstop; and the
 *    other way round, vCPU 1 blocked, seen BLOCKED and kicked by vCPU 0
 *    (VCPU-060, VCPU-063, VCPU-070);
 *  - with interrupts disabled, an IPI.SEND interrupt that is already pending,
 *    one sent by vCPU 1 while vCPU 0 is blocked, and a TIME.SET_TIMER
 *    interrupt each end BLOCK(30 s) with WOKEN; the vector is then pending in
 *    the IRR and is taken once interrupts are enabled; with interrupts
 *    enabled, a timer interrupt also ends the wait (VCPU-060; a timer that
 *    came before BLOCK was entered, and was taken first, is told apart by
 *    when its handler ran and tried again further out);
 *  - 16 rounds each of vCPU 1's IPI and of a timer landing as vCPU 0 enters
 *    BLOCK(30 s): WOKEN, the interrupt taken once, and then BLOCK(0) finds
 *    nothing pending: TIMED_OUT (no wake-up left behind, VCPU-060, 062.3);
 *  - an IPI.SEND interrupt left pending in the IRR (interrupts disabled)
 *    after a BLOCK it ended: BLOCK(10 s), three times, and BLOCK(1 ms) each
 *    return WOKEN at once (well under 5 s), and the IPI is taken once when
 *    interrupts are enabled (VCPU-060.2); the same for one vector of each
 *    group of 32 the tests may take, left pending alone before BLOCK.
 * KICK's arguments are kick_args.c's.
 * Why: BLOCK/KICK is how an idle guest vCPU sleeps without losing wake-ups;
 * a lost kick hangs the guest, a spurious or early return burns the CPU.
 * Only lower bounds on time are checked: wake-up latency is not bounded
 * (nested virtualization is slow).
 */
#include "vcpu_common.h"

#define VEC_WAKE HCABI_TEST_VECTOR(1)
#define VEC_TIMER HCABI_TEST_VECTOR(2)
#define VEC_BACKSTOP HCABI_TEST_VECTOR(3)

HCABI_TEST(vcpu_block_zero, "VCPU.block_timeout_zero", "VCPU-062.3," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_VCPU_BLOCK_SINCE)
{
	vcpu_drain_kick();
	for (int i = 0; i < 3; i++)
		check_ret(hcabi_vcpu_block(0), HCABI_SUCCESS, HCABI_BLOCK_TIMED_OUT, "VCPU-062.3",
			  "BLOCK(0) with nothing pending (call %d)", i + 1);
}

HCABI_TEST(vcpu_block_timeout, "VCPU.block_timeout", "VCPU-062.1,VCPU-062.2," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_VCPU_BLOCK_SINCE)
{
	static const uint64_t timeouts[] = {HCABI_MS(1), HCABI_MS(10), HCABI_MS(100),
					    HCABI_MS(300)};

	if (!test_require_ext(HCABI_EID_TIME))
		return;
	vcpu_drain_kick();
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(timeouts); i++) {
		uint64_t t0 = hcabi_now_ns(), t1;
		struct hcabi_ret r = hcabi_vcpu_block(timeouts[i]);
		t1 = hcabi_now_ns();
		check_ret(r, HCABI_SUCCESS, HCABI_BLOCK_TIMED_OUT, "VCPU-062.2", "BLOCK(%llu ns)",
			  (unsigned long long)timeouts[i]);
		check_ge_u64(t1 - t0, timeouts[i], "VCPU-062.1",
			     "monotonic ns from before BLOCK(%llu ns) to its return",
			     (unsigned long long)timeouts[i]);
	}
}

/* ---- remembered kicks ---- */

static struct {
	uint64_t ready, kicked;
	struct hcabi_ret first, second;
} rk;

static void remembered_task(void *arg)
{
	(void)arg;
	vcpu_drain_kick();
	hcabi_atomic_store(&rk.ready, 1);
	if (!wait_for_u64(&rk.kicked, 1, HCABI_SEC(30)))
		return;
	rk.first = hcabi_vcpu_block(HCABI_SEC(30));
	rk.second = hcabi_vcpu_block(0);
}

HCABI_TEST(vcpu_kick_remembered, "VCPU.kick_remembered",
	   "VCPU-061.1,VCPU-061.2,VCPU-061.3,VCPU-070.3,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO
	   ",STATUS-004",
	   HCABI_FID_VCPU_KICK_SINCE)
{
	unsigned me = hcabi_cpu_index();

	vcpu_drain_kick();
	check_ret(hcabi_vcpu_kick(me), HCABI_SUCCESS, 0, "VCPU-070.3", "KICK(the caller)");
	check_ret(hcabi_vcpu_block(HCABI_SEC(30)), HCABI_SUCCESS, HCABI_BLOCK_WOKEN, "VCPU-061.1",
		  "BLOCK(30 s) after a KICK of the caller returns WOKEN");
	check_ret(hcabi_vcpu_block(0), HCABI_SUCCESS, HCABI_BLOCK_TIMED_OUT, "VCPU-061.2",
		  "the next BLOCK(0): the kick was consumed");
	for (int i = 0; i < 3; i++)
		check_ret(hcabi_vcpu_kick(me), HCABI_SUCCESS, 0, "VCPU-070.3",
			  "KICK(the caller) #%d", i + 1);
	check_ret(hcabi_vcpu_block(HCABI_SEC(30)), HCABI_SUCCESS, HCABI_BLOCK_WOKEN, "VCPU-061.1",
		  "BLOCK(30 s) after three KICKs returns WOKEN");
	check_ret(hcabi_vcpu_block(0), HCABI_SUCCESS, HCABI_BLOCK_TIMED_OUT, "VCPU-061.3",
		  "the next BLOCK(0): three kicks are remembered as one");

	if (hcabi_smp_count() < 2)
		return;
	memset(&rk, 0, sizeof(rk));
	if (!vcpu_start_task(1, remembered_task, 0)) {
		return;
	}
	if (check_true(wait_for_u64(&rk.ready, 1, HCABI_SEC(30)), "VCPU-024.2",
		       "vCPU 1, started, ran its task within 30 s"))
		check_ret(hcabi_vcpu_kick(1), HCABI_SUCCESS, 0, "VCPU-070.3",
			  "KICK(1) while vCPU 1 runs (not blocked)");
	hcabi_atomic_store(&rk.kicked, 1);
	if (!test_wait_cpu(1, HCABI_SEC(40))) {
		return;
	}
	check_ret(rk.first, HCABI_SUCCESS, HCABI_BLOCK_WOKEN, "VCPU-061.1",
		  "vCPU 1's next BLOCK(30 s) returns WOKEN");
	check_ret(rk.second, HCABI_SUCCESS, HCABI_BLOCK_TIMED_OUT, "VCPU-061.2",
		  "vCPU 1's BLOCK(0) after it: the kick was consumed");
}

/* ---- KICK ends a BLOCK; GET_STATUS sees BLOCKED ---- */

static struct {
	unsigned target;
	bool saw_blocked;
	struct hcabi_ret kick;
	uint64_t done;
} kicker;

static void kicker_task(void *arg)
{
	(void)arg;
	kicker.saw_blocked =
	    vcpu_wait_state(kicker.target, HCABI_VCPU_STATUS_BLOCKED, HCABI_SEC(20));
	kicker.kick = hcabi_vcpu_kick(kicker.target);
	hcabi_atomic_store(&kicker.done, 1);
}

static struct {
	uint64_t ready;
	struct hcabi_ret r;
} blocker;

static void blocker_task(void *arg)
{
	(void)arg;
	vcpu_drain_kick();
	hcabi_atomic_store(&blocker.ready, 1);
	blocker.r = hcabi_vcpu_block(HCABI_SEC(30));
}

/* vCPU 0 blocks with `timeout`; vCPU 1 waits for BLOCKED and kicks it. */
static void block_kicked_by_1(uint64_t timeout, const char *what)
{
	struct hcabi_ret r;
	memset(&kicker, 0, sizeof(kicker));
	kicker.target = hcabi_cpu_index();
	vcpu_drain_kick();
	if (!vcpu_start_task(1, kicker_task, 0)) {
		return;
	}
	r = hcabi_vcpu_block(timeout);
	if (!test_wait_cpu(1, HCABI_SEC(40))) {
		return;
	}
	check_true(kicker.saw_blocked, "VCPU-041.2",
		   "vCPU 1 saw vCPU 0 BLOCKED (GET_STATUS) while it was inside %s", what);
	check_ret(kicker.kick, HCABI_SUCCESS, 0, "VCPU-070.3", "KICK(0) from vCPU 1");
	check_ret(r, HCABI_SUCCESS, HCABI_BLOCK_WOKEN, "VCPU-060.1", "%s ended by vCPU 1's KICK",
		  what);
}

HCABI_TEST(vcpu_kick_wakes, "VCPU.kick_wakes_block",
	   "VCPU-060.1,VCPU-063,VCPU-041.1,VCPU-041.2,VCPU-070.3,TIME-021.1,VCPU-024.2,VCPU-030.2,"
	   HCABI_REQ_VALUE_ZERO ",STATUS-004",
	   HCABI_FID_VCPU_KICK_SINCE)
{
	if (!test_require_cpus(2))
		return;

	/* vCPU 0 blocked, vCPU 1 kicks */
	block_kicked_by_1(HCABI_SEC(30), "BLOCK(30 s)");

	/* vCPU 1 blocked, vCPU 0 kicks */
	memset(&blocker, 0, sizeof(blocker));
	if (!vcpu_start_task(1, blocker_task, 0)) {
		return;
	}
	(void)wait_for_u64(&blocker.ready, 1, HCABI_SEC(30));
	check_true(vcpu_wait_state(1, HCABI_VCPU_STATUS_BLOCKED, HCABI_SEC(20)), "VCPU-063",
		   "GET_STATUS(1) reports BLOCKED while vCPU 1 is inside BLOCK(30 s)");
	check_ret(hcabi_vcpu_kick(1), HCABI_SUCCESS, 0, "VCPU-070.3", "KICK(1)");
	if (!test_wait_cpu(1, HCABI_SEC(40))) {
		return;
	}
	check_ret(blocker.r, HCABI_SUCCESS, HCABI_BLOCK_WOKEN, "VCPU-060.1",
		  "vCPU 1's BLOCK(30 s) ended by vCPU 0's KICK");
	check_ret(hcabi_vcpu_get_status(1), HCABI_SUCCESS, HCABI_VCPU_STATUS_STOPPED, "VCPU-041.1",
		  "GET_STATUS(1) once vCPU 1 stopped");

	/* BLOCK_FOREVER, with a timer 40 s out as a backstop */
	if (!hcabi_has_ext(HCABI_EID_TIME)) {
		test_log("no TIME: BLOCK(HCABI_BLOCK_FOREVER) is not tried (no backstop)");
		return;
	}
	hcabi_irq_register(VEC_BACKSTOP, vcpu_irq_nop);
	if (!check_status(
		hcabi_time_set_timer(hcabi_now_ns() + HCABI_SEC(40), VEC_BACKSTOP), HCABI_SUCCESS,
		"TIME-021.1",
		"TIME.SET_TIMER(now + 40 s, vector 0x%02x), the backstop of BLOCK_FOREVER",
		VEC_BACKSTOP))
		return;
	block_kicked_by_1(HCABI_BLOCK_FOREVER, "BLOCK(HCABI_BLOCK_FOREVER)");
	check_true(!hcabi_intc_pending(VEC_BACKSTOP), "VCPU-060.1",
		   "the wake-up was the KICK, not the 40 s backstop timer");
	(void)hcabi_time_cancel_timer();
}

/* ---- interrupts end a BLOCK, whatever RFLAGS.IF ---- */

/* vCPU 1 sends VEC_WAKE to vCPU 0 `delay` ns after it first sees vCPU 0
 * BLOCKED. */
static struct {
	uint64_t delay;
	bool saw_blocked;
	struct hcabi_ret send;
} ipier;

static void ipi_task(void *arg)
{
	(void)arg;
	ipier.saw_blocked = vcpu_wait_state(0, HCABI_VCPU_STATUS_BLOCKED, HCABI_SEC(20));
	delay_ns(ipier.delay);
	ipier.send = hcabi_ipi_send(1, 0, VEC_WAKE);
}

/* The start of the tests where an interrupt ends vCPU 0's BLOCK: false
 * (after an error or a skip naming both extensions) when neither kind of
 * interrupt can be made; else VEC_WAKE and VEC_TIMER are handled and no
 * kick is left over. */
static bool block_irq_setup(bool ipi, bool time)
{
	if (hcabi_cpu_index() != 0) {
		test_error("the test runs on vCPU 0");
		return false;
	}
	if (!ipi && !time) {
		/* either makes an interrupt pending: the skip names both */
		test_require_ext(HCABI_EID_IPI);
		test_require_ext(HCABI_EID_TIME);
		return false;
	}
	hcabi_irq_register(VEC_WAKE, vcpu_irq_nop);
	hcabi_irq_register(VEC_TIMER, vcpu_irq_nop);
	vcpu_drain_kick();
	return true;
}

/* The vectors pending in the calling vCPU's interrupt controller, for a
 * failure's message: what ended a BLOCK that the expected interrupt did
 * not end. */
static const char *pending_vectors(char *buf, size_t n)
{
	size_t used = 0;

	buf[0] = 0;
	for (unsigned v = HCABI_IRQ_FIRST; v < HCABI_IRQ_VECTORS && used + 8 < n; v++)
		if (hcabi_intc_pending(v))
			used += (size_t)hcabi_snprintf(buf + used, n - used, " 0x%02x", v);
	return used ? buf : " none";
}

/* Enable interrupts until vector v was taken once more than `before`. */
static uint64_t take(unsigned v, uint64_t before)
{
	uint64_t t0 = hcabi_now_ns();
	hcabi_irq_enable();
	while (hcabi_irq_count(0, v) == before && hcabi_now_ns() - t0 < HCABI_SEC(10))
		hcabi_pause();
	delay_ns(HCABI_MS(10));
	hcabi_irq_disable();
	return hcabi_irq_count(0, v) - before;
}

/* When the timer's handler last ran (monotonic ns). */
static volatile uint64_t timer_taken_at;

static void timer_stamp(struct hcabi_frame *f, unsigned v)
{
	(void)f;
	(void)v;
	timer_taken_at = hcabi_now_ns();
}

/* A TIME.SET_TIMER interrupt ends BLOCK called with interrupts enabled
 * (VCPU-060.3). On a slow platform the timer can come before BLOCK is
 * entered: the guest then takes it first and BLOCK rightly waits its whole
 * timeout. Such an attempt is told apart by when the handler ran (before
 * the call: at least the timeout before BLOCK returned; a timer that BLOCK
 * failed to end on is taken as BLOCK returns) and made again with the timer
 * further out. */
static void block_timer_enabled(void)
{
	static const unsigned lead_ms[] = {20, 200, 2000};

	hcabi_irq_register(VEC_TIMER, timer_stamp);
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(lead_ms); i++) {
		uint64_t lead = HCABI_MS(lead_ms[i]), wait = lead + HCABI_SEC(5);
		uint64_t before = hcabi_irq_count(0, VEC_TIMER), returned;
		struct hcabi_ret r;

		timer_taken_at = 0;
		if (!check_ret(hcabi_time_set_timer(hcabi_now_ns() + lead, VEC_TIMER),
			       HCABI_SUCCESS, 0, "VCPU-060.3", "TIME.SET_TIMER(now + %u ms)",
			       lead_ms[i]))
			return;
		hcabi_irq_enable();
		r = hcabi_vcpu_block(wait);
		returned = hcabi_now_ns();
		hcabi_irq_disable();
		if (r.status == HCABI_SUCCESS && r.value == HCABI_BLOCK_TIMED_OUT &&
		    timer_taken_at != 0 && timer_taken_at < returned &&
		    returned - timer_taken_at > wait - HCABI_SEC(1)) {
			test_log("the timer (now + %u ms) was taken before BLOCK was entered: "
				 "again, further out",
				 lead_ms[i]);
			continue;
		}
		check_ret(r, HCABI_SUCCESS, HCABI_BLOCK_WOKEN, "VCPU-060.3",
			  "BLOCK(%u ms + 5 s) ended by the timer (now + %u ms), RFLAGS.IF = 1",
			  lead_ms[i], lead_ms[i]);
		check_eq_u64(take(VEC_TIMER, before), 1, "VCPU-060.3",
			     "the timer interrupt taken once");
		return;
	}
	test_error("the timer came before BLOCK was entered even 2 s out: "
		   "BLOCK with interrupts enabled could not be tried");
}

HCABI_TEST(vcpu_block_interrupt, "VCPU.block_woken_by_interrupt",
	   "VCPU-060.2,VCPU-060.3,VCPU-024.2,VCPU-030.2,VCPU-063," HCABI_REQ_VALUE_ZERO
	   ",STATUS-004",
	   HCABI_FID_VCPU_BLOCK_SINCE)
{
	bool ipi = hcabi_has_ext(HCABI_EID_IPI), time = hcabi_has_ext(HCABI_EID_TIME);
	uint64_t before, deadline;
	struct hcabi_ret r;

	if (!block_irq_setup(ipi, time))
		return;

	if (ipi) {
		/* already pending when BLOCK is called, interrupts disabled */
		before = hcabi_irq_count(0, VEC_WAKE);
		check_ret(hcabi_ipi_send(1, 0, VEC_WAKE), HCABI_SUCCESS, 0, "VCPU-060.2",
			  "IPI.SEND(the caller, vector 0x%02x)", VEC_WAKE);
		r = hcabi_vcpu_block(HCABI_SEC(30));
		check_ret(r, HCABI_SUCCESS, HCABI_BLOCK_WOKEN, "VCPU-060.2",
			  "BLOCK(30 s) with an IPI pending and RFLAGS.IF = 0");
		check_true(hcabi_intc_pending(VEC_WAKE), "VCPU-060.2",
			   "the IPI is still pending in the IRR");
		check_eq_u64(take(VEC_WAKE, before), 1, "VCPU-060.2", "the IPI taken once enabled");

		/* sent by vCPU 1 while vCPU 0 is blocked */
		if (hcabi_smp_count() >= 2) {
			memset(&ipier, 0, sizeof(ipier));
			before = hcabi_irq_count(0, VEC_WAKE);
			if (!vcpu_start_task(1, ipi_task, 0)) {
				return;
			}
			r = hcabi_vcpu_block(HCABI_SEC(30));
			if (!test_wait_cpu(1, HCABI_SEC(40))) {
				return;
			}
			check_ret(ipier.send, HCABI_SUCCESS, 0, "VCPU-060.2",
				  "IPI.SEND(vCPU 0) from vCPU 1");
			check_true(ipier.saw_blocked, "VCPU-063", "vCPU 1 saw vCPU 0 BLOCKED");
			check_ret(r, HCABI_SUCCESS, HCABI_BLOCK_WOKEN, "VCPU-060.2",
				  "BLOCK(30 s) ended by vCPU 1's IPI, RFLAGS.IF = 0");
			check_true(hcabi_intc_pending(VEC_WAKE), "VCPU-060.2",
				   "the IPI is pending in the IRR");
			check_eq_u64(take(VEC_WAKE, before), 1, "VCPU-060.2",
				     "the IPI taken once enabled");
		}
	}
	if (time) {
		/* a timer interrupt, interrupts disabled */
		before = hcabi_irq_count(0, VEC_TIMER);
		deadline = hcabi_now_ns() + HCABI_MS(20);
		check_ret(hcabi_time_set_timer(deadline, VEC_TIMER), HCABI_SUCCESS, 0, "VCPU-060.3",
			  "TIME.SET_TIMER(now + 20 ms, vector 0x%02x)", VEC_TIMER);
		r = hcabi_vcpu_block(HCABI_SEC(30));
		check_ret(r, HCABI_SUCCESS, HCABI_BLOCK_WOKEN, "VCPU-060.3",
			  "BLOCK(30 s) ended by the timer, RFLAGS.IF = 0");
		{
			/* what else is pending goes into the check's own text, so
			 * that a failure's one line in the summary names it */
			char pend[160];
			bool timer_pending = hcabi_intc_pending(VEC_TIMER);
			check_ge_u64(hcabi_now_ns(), deadline, "VCPU-060.3",
				     "the wake-up came after the deadline");
			check_true(timer_pending, "VCPU-060.3",
				   "the timer's vector is pending (pending:%s)",
				   pending_vectors(pend, sizeof(pend)));
		}
		check_eq_u64(take(VEC_TIMER, before), 1, "VCPU-060.3",
			     "the timer interrupt taken once");

		block_timer_enabled();
	}
}

/* ---- a wake-up is not left behind for a later BLOCK ---- */

/* A KICK and a pending interrupt are what end a BLOCK (VCPU-060); once the
 * interrupt that ended one has been taken, nothing is pending and BLOCK(0)
 * returns TIMED_OUT (VCPU-062.3). Each round lands the interrupt as vCPU 0
 * enters BLOCK, at a phase that moves from round to round (vCPU 1's IPI a
 * little after GET_STATUS first says BLOCKED; the timer a little after the
 * call): a hypervisor that records a wake-up apart from the interrupt
 * controller, and lets a BLOCK end on what the controller shows before the
 * record is written, leaves the record behind for the next BLOCK, which
 * then ends without a cause. */
#define WAKE_ROUNDS 16
#define WAKE_PHASE_US(i) (((i) % 8) * 50) /* the round's lag, 0 to 350 us */

/* The interrupt that ended round `i`'s BLOCK is taken once; then nothing is
 * left to end BLOCK(0). False once a check failed (the rounds stop). */
static bool wake_consumed(unsigned v, uint64_t before, const char *req, const char *what, int i)
{
	return check_eq_u64(take(v, before), 1, req,
			    "%s round %d: the interrupt taken once enabled", what, i) &&
	       check_ret(
		   hcabi_vcpu_block(0), HCABI_SUCCESS, HCABI_BLOCK_TIMED_OUT, "VCPU-062.3",
		   "%s round %d: BLOCK(0) once the interrupt that ended BLOCK(30 s) was taken: "
		   "nothing is pending",
		   what, i);
}

HCABI_TEST(vcpu_block_wake_not_left, "VCPU.block_wake_not_left_behind",
	   "VCPU-060.2,VCPU-060.3,VCPU-062.3,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO
	   ",STATUS-004",
	   HCABI_FID_VCPU_BLOCK_SINCE)
{
	bool ipi = hcabi_has_ext(HCABI_EID_IPI) && hcabi_smp_count() >= 2;
	bool time = hcabi_has_ext(HCABI_EID_TIME);
	uint64_t before;
	struct hcabi_ret r;

	if (!block_irq_setup(ipi, time))
		return;

	for (int i = 0; ipi && i < WAKE_ROUNDS; i++) {
		memset(&ipier, 0, sizeof(ipier));
		ipier.delay = (uint64_t)WAKE_PHASE_US(i) * 1000u;
		before = hcabi_irq_count(0, VEC_WAKE);
		if (!vcpu_start_task(1, ipi_task, 0))
			return;
		r = hcabi_vcpu_block(HCABI_SEC(30));
		if (!test_wait_cpu(1, HCABI_SEC(40)))
			return;
		if (!check_ret(ipier.send, HCABI_SUCCESS, 0, "VCPU-060.2",
			       "IPI round %d: IPI.SEND(vCPU 0) from vCPU 1", i) ||
		    !check_ret(r, HCABI_SUCCESS, HCABI_BLOCK_WOKEN, "VCPU-060.2",
			       "IPI round %d: BLOCK(30 s) ended by vCPU 1's IPI, RFLAGS.IF = 0",
			       i) ||
		    !wake_consumed(VEC_WAKE, before, "VCPU-060.2", "IPI", i))
			return;
	}
	for (int i = 0; time && i < WAKE_ROUNDS; i++) {
		before = hcabi_irq_count(0, VEC_TIMER);
		if (!check_ret(hcabi_time_set_timer(
				   hcabi_now_ns() + (uint64_t)WAKE_PHASE_US(i) * 1000u, VEC_TIMER),
			       HCABI_SUCCESS, 0, "VCPU-060.3",
			       "timer round %d: TIME.SET_TIMER(now + %d us)", i, WAKE_PHASE_US(i)))
			return;
		r = hcabi_vcpu_block(HCABI_SEC(30));
		if (!check_ret(r, HCABI_SUCCESS, HCABI_BLOCK_WOKEN, "VCPU-060.3",
			       "timer round %d: BLOCK(30 s) ended by the timer, RFLAGS.IF = 0",
			       i) ||
		    !wake_consumed(VEC_TIMER, before, "VCPU-060.3", "timer", i))
			return;
	}
}

/* ---- an interrupt still pending when BLOCK is called ---- */

/* The IPI.SEND interrupt of the first BLOCK stays pending in the caller's
 * LAPIC IRR while RFLAGS.IF = 0. The wake-up the first BLOCK reported does
 * not make it go away: every later BLOCK finds it pending at the call and
 * must return WOKEN at once (VCPU-060.2), whatever its timeout - TIMED_OUT
 * would mean the wait ended without the pending interrupt ending it. The
 * first BLOCK consumed whatever record of the send the hypervisor kept, so
 * the later ones can only look at the interrupt controller itself. The 1 ms
 * BLOCK checks the status only: TIMED_OUT there, however fast, is wrong.
 * Then the same for one vector of each group of 32 the tests may take (the
 * last of each, and the range's last), each sent before BLOCK and pending
 * alone: an interrupt controller keeps pending vectors in words of 32 (x86's
 * IRR), and a hypervisor that looks at some words, or at some bits of each,
 * misses the others. */
static unsigned spread_vectors(unsigned *out, unsigned max)
{
	const unsigned first = HCABI_TEST_VECTOR_FIRST;
	const unsigned last = HCABI_TEST_VECTOR_FIRST + HCABI_TEST_VECTORS - 1u;
	unsigned n = 0;

	for (unsigned v = first; v <= last && n < max; v++)
		if (v % 32u == 31u || v == last)
			out[n++] = v;
	return n;
}

static void block_each_vector_pending(void)
{
	unsigned vs[8], n = spread_vectors(vs, HCABI_ARRAY_SIZE(vs));

	for (unsigned k = 0; k < n; k++) {
		unsigned v = vs[k];
		uint64_t before, t0, t1;
		struct hcabi_ret r;

		hcabi_irq_register(v, vcpu_irq_nop);
		before = hcabi_irq_count(0, v);
		if (!check_ret(hcabi_ipi_send(1, 0, v), HCABI_SUCCESS, 0, "VCPU-060.2",
			       "IPI.SEND(the caller, vector 0x%02x)", v))
			return;
		t0 = hcabi_now_ns();
		r = hcabi_vcpu_block(HCABI_SEC(10));
		t1 = hcabi_now_ns();
		check_ret(r, HCABI_SUCCESS, HCABI_BLOCK_WOKEN, "VCPU-060.2",
			  "BLOCK(10 s) with vector 0x%02x pending before the call, RFLAGS.IF = 0", v);
		check_true(t1 - t0 < HCABI_SEC(5), "VCPU-060.2",
			   "BLOCK(10 s) with vector 0x%02x pending returned at once: after %llu ms", v,
			   (unsigned long long)((t1 - t0) / HCABI_MS(1)));
		check_eq_u64(take(v, before), 1, "VCPU-060.2", "vector 0x%02x taken once enabled", v);
	}
}

HCABI_TEST(vcpu_block_irr_pending, "VCPU.block_interrupt_still_pending",
	   "VCPU-060.2," HCABI_REQ_VALUE_ZERO, HCABI_FID_VCPU_BLOCK_SINCE)
{
	uint64_t before, t0, t1;
	struct hcabi_ret r;

	if (!test_require_ext(HCABI_EID_IPI))
		return;
	if (hcabi_cpu_index() != 0) {
		test_error("the test runs on vCPU 0");
		return;
	}
	hcabi_irq_register(VEC_WAKE, vcpu_irq_nop);
	vcpu_drain_kick();
	before = hcabi_irq_count(0, VEC_WAKE);
	if (!check_ret(hcabi_ipi_send(1, 0, VEC_WAKE), HCABI_SUCCESS, 0, "VCPU-060.2",
		       "IPI.SEND(the caller, vector 0x%02x)", VEC_WAKE))
		return;
	check_ret(hcabi_vcpu_block(HCABI_SEC(10)), HCABI_SUCCESS, HCABI_BLOCK_WOKEN, "VCPU-060.2",
		  "the first BLOCK(10 s) after the IPI, RFLAGS.IF = 0");
	if (!hcabi_intc_pending(VEC_WAKE)) {
		test_error("vector 0x%02x is not pending in the IRR after the first BLOCK "
			   "(interrupts were disabled)",
			   VEC_WAKE);
		return;
	}
	for (int i = 0; i < 3; i++) {
		t0 = hcabi_now_ns();
		r = hcabi_vcpu_block(HCABI_SEC(10));
		t1 = hcabi_now_ns();
		check_ret(r, HCABI_SUCCESS, HCABI_BLOCK_WOKEN, "VCPU-060.2",
			  "BLOCK(10 s) #%d with the IPI still pending in the IRR", i + 1);
		check_true(t1 - t0 < HCABI_SEC(5), "VCPU-060.2",
			   "BLOCK(10 s) #%d returned at once: after %llu ms, not near its timeout",
			   i + 1, (unsigned long long)((t1 - t0) / HCABI_MS(1)));
	}
	check_ret(hcabi_vcpu_block(HCABI_MS(1)), HCABI_SUCCESS, HCABI_BLOCK_WOKEN, "VCPU-060.2",
		  "BLOCK(1 ms) with the IPI still pending in the IRR");
	check_true(hcabi_intc_pending(VEC_WAKE), "VCPU-060.2",
		   "the IPI is still pending in the IRR after the BLOCKs");
	check_eq_u64(take(VEC_WAKE, before), 1, "VCPU-060.2", "the IPI taken once enabled");
	block_each_vector_pending();
}
