/* SPDX-License-Identifier: MIT */
/*
 * stress.c - hcabi-stress.elf: every vCPU of the VM hammers the
 * hypervisor at once for a bounded time, then the guest checks that
 * nothing was lost, duplicated, early or stuck. Not part of the
 * conformance suite (no HCABI_TEST, not in tests.json): a robustness test
 * of an implementation's concurrency, run by CTest as stress.nested_8vcpu.
 *
 * The vCPUs (VCPU.GET_COUNT, all of them, at most HCABI_MAX_CPUS):
 *  - "hammers" 0 .. H-1 run from the start barrier to the end barrier;
 *  - a "pool" H .. N-1 (N/4 of them, none with 2 vCPUs) is started and
 *    stopped over and over: a hammer claims an idle pool vCPU, starts it
 *    (VCPU.START through the runtime's hcabi_smp_start), the pool vCPU runs a
 *    short burst of calls and stops itself (VCPU.STOP).
 *
 * What each hammer does, in random order, until the end of the run:
 *  - IPI.SEND of its own vector (0x40 + sender) to a random subset of the
 *    hammers, through a random base; IPI.SEND with all_but_self (HCABI 1.1)
 *    of its second vector (0x60 + sender); deliberately invalid sends
 *    (a target index >= N, a vector < 32), which must send nothing;
 *  - TIME.SET_TIMER one-shots, some with a deadline already passed, some
 *    cancelled at once with interrupts disabled (CANCEL_TIMER's 1 or 0 must
 *    match whether the interrupt is pending); the handler reads
 *    GET_MONOTONIC and counts a timer that fired before its deadline;
 *  - KICK/BLOCK rounds on a ring (hammer b's kicker is b + 1 mod H), stray
 *    KICKs, short BLOCKs, YIELD, GET_STATUS;
 *  - BATCH.EXECUTE of 4..64 mixed entries (GET_SPEC_VERSION, GET_MONOTONIC,
 *    GET_ID, GET_COUNT, GET_STATUS, PROBE_EXTENSION, YIELD, KICK, IPI.SEND),
 *    sometimes ending in an entry that fails (DENIED or INVALID_PARAM)
 *    followed by entries that must stay untouched;
 *  - START/STOP of a pool vCPU, with a second START of the running vCPU
 *    (ALREADY_STARTED), GET_STATUS, and once it stopped KICK (INVALID_STATE)
 *    and an IPI.SEND to it (SUCCESS, nothing delivered);
 *  - TLB.FLUSH of random subsets (running, blocked and stopped targets).
 *
 * Exactness of the IPI count. Two interrupts of one vector sent to one
 * vCPU while the first is still pending in its IRR merge into one: that is
 * the LAPIC, not a lost IPI. So every sender has its own vectors, and it
 * sends its vector to a target again only once the target's handler has
 * counted every earlier one (recv[s][t] == sent[s][t]): no two interrupts
 * of one (sender, vector) are ever pending at one target, and at the end,
 * after every sender stopped and every target drained, recv must equal
 * sent exactly for every (sender, target) pair: a lost IPI leaves it
 * below, a duplicated (or misdirected) one above. all_but_self interrupts
 * are counted the same way at every hammer (the hammers run from the
 * first send to the last); at a pool vCPU, which may be stopped when one
 * is sent, they are only bounded (at most one per send).
 *
 * Exactness of the kick check. Hammer b publishes a request, then
 * BLOCK(300 ms); its kicker KICKs it and records the monotonic time at
 * which KICK returned. A BLOCK that returns TIMED_OUT although the kick
 * returned before the block's deadline lost the kick (VCPU-060/061); a
 * kick that came after a TIMED_OUT must be remembered: the next BLOCK(0)
 * returns WOKEN (VCPU-061).
 *
 * Replayed deliveries. A fixed interrupt from a local APIC (where IPI.SEND
 * and the timers put theirs) is only ever taken by code running with
 * RFLAGS.IF = 1. A handler that finds IF = 0 in the interrupted frame was
 * entered by an injection no LAPIC made: under nested KVM on QEMU's TCG the
 * virtualization layer below the VMM sometimes delivers an interrupt a
 * second time, nested at the first instruction of the first delivery's
 * handler (pure xAPIC ICR IPIs, lapic=1, show it as well:
 * docs/performance.md). Such a delivery is counted apart and reported, not
 * as a reception; strict=1 makes it a failure (use it where the platform is
 * expected to be exact, e.g. on hardware).
 *
 * Deadlocks. Every wait is bounded. vCPU 0 is the watchdog: each vCPU
 * counts its progress and says what it is doing; a vCPU whose count has not
 * moved for 30 s is reported (which vCPU, in which operation, for how
 * long) and the run fails at once. vCPU 1 watches vCPU 0 the same way.
 *
 * Command line (PVH): `duration=SECONDS` of monotonic time (default
 * HCABI_STRESS_SECONDS, 20); `seed=N` fixes the random choices (printed at
 * the start); `strict=1`; `NAME=0` turns a part off to narrow a failure down
 * (abs, tlb, pool, batch, timer, block, kick) and `lapic=1` sends the masked
 * IPIs through the xAPIC ICR instead of IPI.SEND (a control that involves no
 * HCABI call). The last line is "hcabi-stress: PASS ..." or
 * "hcabi-stress: FAIL ...", then isa-debug-exit 0 (PASS, VMM status 1),
 * 1 (FAIL, status 3) or 0x7f from the runtime (status 255).
 */
#include "hcabi_guest.h"
#include "ext_helpers_ram.h"

#ifndef HCABI_STRESS_SECONDS
#define HCABI_STRESS_SECONDS 20
#endif

#define MAXC HCABI_MAX_CPUS
#define VEC_IPI 0x40u	 /* + sender: IPI.SEND with a mask */
#define VEC_ABS 0x60u	 /* + sender: IPI.SEND all_but_self */
#define VEC_TIMER 0x90u	 /* TIME.SET_TIMER, every vCPU */
#define IPI_ALL_BUT_SELF 0x100u
#define WATCHDOG HCABI_SEC(30)
#define WAIT_LONG HCABI_SEC(60)
#define KICK_BLOCK_NS HCABI_MS(300)
#define TIMER_LOST_NS HCABI_SEC(30)
#define MAX_FAIL_LINES 40u
#define EXIT_FAIL 1u

_Static_assert(VEC_IPI + MAXC <= VEC_ABS && VEC_ABS + MAXC <= 0x80u, "vectors");

/* What a vCPU is doing, for the watchdog. */
enum op {
	OP_IDLE,
	OP_IPI,
	OP_ABS,
	OP_IPI_BAD,
	OP_TIMER,
	OP_KICK,
	OP_KICK_ROUND,
	OP_BLOCK,
	OP_BATCH,
	OP_POOL_START,
	OP_POOL_REAP,
	OP_STATUS,
	OP_TLB,
	OP_YIELD,
	OP_WAIT_GO,
	OP_DRAIN,
	OP_POOL_BURST,
	OP_POOL_WAIT_RELEASE,
	OP_DONE,
	OP__COUNT
};
static const char *const op_names[OP__COUNT] = {
    "idle",	    "IPI.SEND(mask)", "IPI.SEND(all_but_self)", "IPI.SEND(invalid)",
    "TIME.SET_TIMER/CANCEL_TIMER", "VCPU.KICK", "KICK/BLOCK round", "VCPU.BLOCK",
    "BATCH.EXECUTE", "VCPU.START of a pool vCPU", "waiting for a pool vCPU to stop",
    "VCPU.GET_STATUS", "TLB.FLUSH", "VCPU.YIELD", "the start barrier", "the final drain",
    "a pool burst", "a pool vCPU waiting for release", "done",
};

struct percpu {
	uint64_t rng;
	volatile uint64_t progress; /* bumped by the vCPU at every step */
	volatile uint32_t op;	    /* enum op */
	volatile uint64_t op_since; /* monotonic ns */
	/* timer: armed count (expect) vs handler count (fired) */
	volatile uint64_t t_deadline, t_expect, t_fired, t_armed_at, t_early;
	volatile uint64_t t_early_worst;
	bool t_lost_reported;
	/* this vCPU as a kickee: a request and its kicker's answer */
	volatile uint64_t kick_req, kick_served, kick_served_at;
	/* pool claim of a hammer */
	int claim; /* pool vCPU, -1 none */
	bool claim_released, claim_stuck;
	uint64_t claim_at;
	/* the end */
	volatile uint64_t sending_done, drained;
	/* statistics */
	uint64_t n_ipi, n_ipi_targets, n_abs, n_bad, n_timer, n_cancel, n_kick, n_round,
	    n_block, n_batch, n_entries, n_start, n_reap, n_status, n_tlb, n_yield;
} __attribute__((aligned(64)));

static struct percpu pc[MAXC];
static unsigned ncpu, nham; /* vCPUs; hammers are 0 .. nham-1, the pool nham .. ncpu-1 */
static bool have_abs, have_tlb;
/* parts that the command line can turn off (name=0), to narrow a failure down */
static struct {
	const char *name;
	bool on;
} parts[] = {{"abs", true},   {"tlb", true},   {"pool", true}, {"batch", true},
	     {"timer", true}, {"block", true}, {"kick", true}, {"lapic", false}};
/* lapic=1: the masked IPIs go through the xAPIC ICR instead of IPI.SEND (the
 * same counting: a reference that involves no HCABI call) */
enum { P_ABS, P_TLB, P_POOL, P_BATCH, P_TIMER, P_BLOCK, P_KICK, P_LAPIC };
#define ON(p) (parts[p].on)

/* Interrupts that came more often than they were sent, as the handler saw
 * them: what the vCPU was doing, where it was interrupted, and whether the
 * local APIC had accepted it (see redelivered()). */
#define MAX_DUPS 4u
struct dup {
	unsigned vector, op;
	bool redelivery;
	uint64_t rip, rflags, when;
};
static struct dup dups[MAXC][MAX_DUPS];
static volatile uint64_t ndups[MAXC];
/* Deliveries that no local APIC made (redelivered()): counted apart, per
 * vCPU, and not as receptions. strict=1 makes them failures. */
static volatile uint64_t redeliveries[MAXC];
static uint64_t total_redeliveries;
static bool strict;
static uint64_t duration_ns = HCABI_SEC(HCABI_STRESS_SECONDS);
static uint64_t seed;

/* IPI counters: [sender][target] */
static volatile uint64_t ipi_sent[MAXC][MAXC], ipi_recv[MAXC][MAXC];
static volatile uint64_t abs_sent[MAXC], abs_recv[MAXC][MAXC];
static volatile uint64_t timer_spurious[MAXC];

/* phases */
static volatile uint64_t up_count, go, stop, abort_run;
static uint64_t run_start;
static volatile uint64_t n_fail;

/* pool */
static volatile uint64_t pool_owner[MAXC];   /* claimer + 1, 0 = free */
static volatile uint64_t pool_ready[MAXC];   /* the burst is over */
static volatile uint64_t pool_release[MAXC]; /* the claimer lets it stop */
static volatile uint64_t bogus_starts;
static uint8_t bogus_stack[MAXC][1024] __attribute__((aligned(16)));
static struct hcabi_vcpu_boot_state bogus_bs[MAXC] __attribute__((aligned(64)));

static struct hcabi_batch_entry batch_tab[MAXC][HCABI_BATCH_MAX_ENTRIES]
    __attribute__((aligned(64)));

/* ---- helpers ----------------------------------------------------------------- */

static uint64_t rnd(struct percpu *p)
{
	/* xorshift64* */
	uint64_t x = p->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	p->rng = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static unsigned me(void)
{
	return hcabi_cpu_index();
}

static bool is_hammer(unsigned c)
{
	return c < nham;
}

static void fail(const char *fmt, ...) HCABI_PRINTF(1, 2);
static void fail(const char *fmt, ...)
{
	uint64_t k = hcabi_atomic_add(&n_fail, 1);
	char msg[200];
	va_list ap;

	if (k > MAX_FAIL_LINES + 1)
		return;
	if (k == MAX_FAIL_LINES + 1) {
		hcabi_printf("hcabi-stress: further failures are counted, not shown");
		return;
	}
	va_start(ap, fmt);
	hcabi_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hcabi_printf("hcabi-stress: FAIL [vCPU %u] %s", me(), msg);
}

static void set_op(enum op o)
{
	struct percpu *p = &pc[me()];
	p->op = o;
	p->op_since = hcabi_now_ns();
	hcabi_atomic_add(&p->progress, 1);
}

static const char *status_name(int64_t st)
{
	return hcabi_status_name(st);
}

/* Expect SUCCESS with value v (v = ~0: any value). */
static bool expect_ok(struct hcabi_ret r, uint64_t v, const char *what)
{
	if (r.status == HCABI_SUCCESS && (v == ~0ull || r.value == v))
		return true;
	fail("%s: status %s (%lld) value 0x%llx, expected SUCCESS%s", what, status_name(r.status),
	     (long long)r.status, (unsigned long long)r.value, v == ~0ull ? "" : " with the value");
	return false;
}

static void watchdog(void);
static void stress_delay(uint64_t ns);

/* A bounded wait; the watchdog runs on vCPU 0 and 1 meanwhile. */
static void pause_a_bit(void)
{
	for (int i = 0; i < 64; i++)
		hcabi_pause();
	hcabi_atomic_add(&pc[me()].progress, 1);
	if (me() <= 1)
		watchdog();
}

/* ---- interrupt handlers ------------------------------------------------------- */

static void note_dup(struct hcabi_frame *f, unsigned v, bool redelivery)
{
	unsigned c = me();
	uint64_t k = ndups[c]++;
	if (k < MAX_DUPS) {
		dups[c][k].vector = v;
		dups[c][k].op = pc[c].op;
		dups[c][k].redelivery = redelivery;
		dups[c][k].rip = f->rip;
		dups[c][k].rflags = f->rflags;
		dups[c][k].when = hcabi_now_ns();
	}
}

/*
 * Whether this delivery of vector v is one that no local APIC made. A fixed
 * interrupt from the LAPIC (where IPI.SEND and the timers put theirs: they
 * can only set IRR bits) is taken only where RFLAGS.IF = 1. A delivery into
 * code running with IF = 0 was injected behind the LAPIC's back: the
 * virtualization layer replaying an event whose delivery had already
 * completed, nested inside the first delivery's entry path (seen with
 * nested KVM on QEMU's TCG, a few times a minute under this load; the
 * interrupted RIP is then the runtime's interrupt stub, and the first
 * delivery, resumed after it, finds the vector's ISR bit already cleared by
 * the replay's EOI: docs/performance.md). Such a replay is counted apart,
 * not as a reception (strict=1: a failure).
 */
static bool redelivered(struct hcabi_frame *f, unsigned v)
{
	if (f->rflags & HCABI_RFLAGS_IF)
		return false;
	hcabi_atomic_add(&redeliveries[me()], 1);
	note_dup(f, v, true);
	return true;
}

static void on_ipi(struct hcabi_frame *f, unsigned v)
{
	unsigned s = v - VEC_IPI, t = me();
	if (redelivered(f, v))
		return;
	/* sent is counted before SEND: more received than sent is a duplicate */
	if (hcabi_atomic_add(&ipi_recv[s][t], 1) > hcabi_atomic_load(&ipi_sent[s][t]))
		note_dup(f, v, false);
}

static void on_abs(struct hcabi_frame *f, unsigned v)
{
	unsigned s = v - VEC_ABS, t = me();
	if (redelivered(f, v))
		return;
	if (hcabi_atomic_add(&abs_recv[s][t], 1) > hcabi_atomic_load(&abs_sent[s]) || s == t)
		note_dup(f, v, false);
}

static void on_timer(struct hcabi_frame *f, unsigned v)
{
	struct percpu *p = &pc[me()];
	uint64_t now, deadline = p->t_deadline;
	if (redelivered(f, v))
		return;
	now = hcabi_now_ns();
	if (p->t_fired >= p->t_expect) {
		/* nothing armed: a duplicate or a timer that CANCEL said was gone */
		hcabi_atomic_add(&timer_spurious[me()], 1);
		note_dup(f, v, false);
		return;
	}
	if (now < deadline) {
		p->t_early++;
		if (deadline - now > p->t_early_worst)
			p->t_early_worst = deadline - now;
	}
	hcabi_atomic_add(&p->t_fired, 1);
}

/* ---- kicks --------------------------------------------------------------------- */

/* The kickee of `k` on the ring of hammers: k - 1. */
static void serve_kicks(void)
{
	unsigned k = me(), b;
	uint64_t req;
	struct percpu *pb;

	if (!is_hammer(k))
		return;
	b = (k + nham - 1) % nham;
	pb = &pc[b];
	req = hcabi_atomic_load(&pb->kick_req);
	if (req <= hcabi_atomic_load(&pb->kick_served))
		return;
	if (expect_ok(hcabi_vcpu_kick(b), 0, "KICK of the ring's kickee"))
		pc[k].n_kick++;
	pb->kick_served_at = hcabi_now_ns();
	hcabi_atomic_store(&pb->kick_served, req);
}

static void kick_round(void)
{
	struct percpu *p = &pc[me()];
	uint64_t req = p->kick_req + 1, t0, t1, start;
	struct hcabi_ret r, r0;
	bool timed_out;

	set_op(OP_KICK_ROUND);
	p->n_round++;
	hcabi_atomic_store(&p->kick_req, req);
	t0 = hcabi_now_ns();
	r = hcabi_vcpu_block(KICK_BLOCK_NS);
	t1 = hcabi_now_ns();
	if (!expect_ok(r, ~0ull, "BLOCK(300 ms) of a kick round"))
		return;
	timed_out = r.value == HCABI_BLOCK_TIMED_OUT;
	if (r.value != HCABI_BLOCK_TIMED_OUT && r.value != HCABI_BLOCK_WOKEN)
		fail("BLOCK returned value %llu", (unsigned long long)r.value);
	if (timed_out) {
		if (t1 - t0 < KICK_BLOCK_NS)
			fail("BLOCK(300 ms) returned TIMED_OUT after %llu ns (VCPU-062)",
			     (unsigned long long)(t1 - t0));
		if (hcabi_atomic_load(&p->kick_served) >= req &&
		    p->kick_served_at < t0 + KICK_BLOCK_NS)
			fail("lost kick: KICK from vCPU %u returned at %llu ns, before the deadline "
			     "of a BLOCK that began at %llu ns, yet BLOCK returned TIMED_OUT "
			     "(VCPU-060)",
			     (me() + 1) % nham, (unsigned long long)p->kick_served_at,
			     (unsigned long long)t0);
	}
	/* wait for the kick (serving our own kickee meanwhile: the ring) */
	start = hcabi_now_ns();
	while (hcabi_atomic_load(&p->kick_served) < req) {
		serve_kicks();
		pause_a_bit();
		if (hcabi_atomic_load(&abort_run))
			return;
		if (hcabi_now_ns() - start > WAIT_LONG) {
			fail("the kicker vCPU %u did not kick within 60 s", (me() + 1) % nham);
			return;
		}
	}
	/* after a TIMED_OUT the kick came later: it is remembered (VCPU-061) */
	r0 = hcabi_vcpu_block(0);
	if (expect_ok(r0, ~0ull, "BLOCK(0) after a kick round") && timed_out &&
	    r0.value != HCABI_BLOCK_WOKEN)
		fail("a KICK that came after BLOCK timed out was not remembered: BLOCK(0) returned "
		     "TIMED_OUT (VCPU-061)");
}

/* ---- IPIs ---------------------------------------------------------------------- */

/* Targets among `cand` (bit t: hammer t) with nothing of ours pending. */
static uint64_t ipi_ready(unsigned s, uint64_t cand)
{
	uint64_t ready = 0;
	for (unsigned t = 0; t < nham; t++)
		if (((cand >> t) & 1) &&
		    hcabi_atomic_load(&ipi_recv[s][t]) == hcabi_atomic_load(&ipi_sent[s][t]))
			ready |= 1ull << t;
	return ready;
}

static void ipi_op(struct percpu *p)
{
	unsigned s = me();
	uint64_t all = (nham >= 64 ? ~0ull : (1ull << nham) - 1);
	uint64_t ready = ipi_ready(s, rnd(p) & all), base = 0;
	struct hcabi_ret r;

	set_op(OP_IPI);
	if (!ready)
		return;
	if (rnd(p) & 1)
		base = (uint64_t)__builtin_ctzll(ready);
	for (unsigned t = 0; t < nham; t++)
		if ((ready >> t) & 1)
			hcabi_atomic_add(&ipi_sent[s][t], 1);
	if (ON(P_LAPIC)) {
		/* fixed, physical destination = APIC ID = index, edge, assert */
		for (unsigned t = 0; t < nham; t++) {
			uint64_t flags;
			if (!((ready >> t) & 1))
				continue;
			flags = hcabi_irq_save();
			hcabi_apic_write(HCABI_APIC_ICR_HI, t << 24);
			hcabi_apic_write(HCABI_APIC_ICR_LO, (VEC_IPI + s) | (1u << 14));
			hcabi_irq_restore(flags);
		}
		p->n_ipi++;
		return;
	}
	r = hcabi_ipi_send(ready >> base, base, VEC_IPI + s);
	if (!expect_ok(r, 0, "IPI.SEND with a mask")) {
		for (unsigned t = 0; t < nham; t++) /* a failed SEND sends nothing */
			if ((ready >> t) & 1)
				__atomic_sub_fetch(&ipi_sent[s][t], 1, __ATOMIC_SEQ_CST);
		return;
	}
	p->n_ipi++;
	for (uint64_t m = ready; m; m &= m - 1)
		p->n_ipi_targets++;
}

static void abs_op(struct percpu *p)
{
	unsigned s = me();
	uint64_t n = hcabi_atomic_load(&abs_sent[s]);

	set_op(OP_ABS);
	for (unsigned t = 0; t < nham; t++)
		if (t != s && hcabi_atomic_load(&abs_recv[s][t]) != n)
			return; /* one of ours still pending somewhere */
	hcabi_atomic_store(&abs_sent[s], n + 1);
	if (expect_ok(hcabi_ipi_send(0, 0, IPI_ALL_BUT_SELF | (VEC_ABS + s)), 0,
		      "IPI.SEND all_but_self"))
		p->n_abs++;
	else
		hcabi_atomic_store(&abs_sent[s], n);
}

/* Invalid sends: INVALID_PARAM and nothing sent (checked by the counts). */
static void bad_ipi_op(struct percpu *p)
{
	unsigned s = me();
	uint64_t ready = ipi_ready(s, rnd(p) & ((1ull << nham) - 1));
	struct hcabi_ret r;

	set_op(OP_IPI_BAD);
	p->n_bad++;
	if (rnd(p) & 1) {
		/* valid targets plus index ncpu: IPI-001 */
		uint64_t base = 0, mask = ready;
		if (ncpu < 64)
			mask |= 1ull << ncpu;
		else
			base = 1, mask = (ready >> 1) | (1ull << 63);
		r = hcabi_ipi_send(mask, base, VEC_IPI + s);
		if (r.status != HCABI_ERR_INVALID_PARAM || r.value != 0)
			fail("IPI.SEND(mask 0x%llx naming vCPU %u of %u) returned %s, expected "
			     "INVALID_PARAM (IPI-001)",
			     (unsigned long long)mask, ncpu, ncpu, status_name(r.status));
	} else {
		r = hcabi_ipi_send(ready, 0, 0x1f);
		if (r.status != HCABI_ERR_INVALID_PARAM || r.value != 0)
			fail("IPI.SEND(vector 0x1f) returned %s, expected INVALID_PARAM (IPI-001)",
			     status_name(r.status));
	}
}

/* ---- timers -------------------------------------------------------------------- */

static void timer_op(struct percpu *p)
{
	uint64_t now, deadline, flags = 0;
	bool cancel;
	struct hcabi_ret r;

	set_op(OP_TIMER);
	now = hcabi_now_ns();
	if (hcabi_atomic_load(&p->t_fired) != p->t_expect) {
		if (now - p->t_armed_at > TIMER_LOST_NS && !p->t_lost_reported) {
			p->t_lost_reported = true;
			fail("a timer armed %llu ms ago for deadline %llu has not fired (TIME-021)",
			     (unsigned long long)((now - p->t_armed_at) / 1000000),
			     (unsigned long long)p->t_deadline);
		}
		return;
	}
	deadline = now + rnd(p) % HCABI_MS(3);
	if ((rnd(p) & 7) == 0)
		deadline = now - HCABI_MS(1); /* already passed: at once (TIME-023) */
	cancel = (rnd(p) & 3) == 0;
	if (cancel)
		flags = hcabi_irq_save();
	p->t_deadline = deadline;
	p->t_armed_at = now;
	hcabi_atomic_add(&p->t_expect, 1);
	r = hcabi_time_set_timer(deadline, VEC_TIMER);
	if (!expect_ok(r, 0, "TIME.SET_TIMER")) {
		__atomic_sub_fetch(&p->t_expect, 1, __ATOMIC_SEQ_CST);
		hcabi_irq_restore(flags);
		return;
	}
	p->n_timer++;
	if (cancel) {
		bool pending;
		if (rnd(p) & 1)
			(void)hcabi_vcpu_get_id(); /* let it maybe fire */
		r = hcabi_time_cancel_timer();
		pending = hcabi_intc_pending(VEC_TIMER);
		p->n_cancel++;
		if (expect_ok(r, ~0ull, "TIME.CANCEL_TIMER")) {
			if (r.value == 1) {
				__atomic_sub_fetch(&p->t_expect, 1, __ATOMIC_SEQ_CST);
				if (pending)
					fail("CANCEL_TIMER returned 1 (armed, not fired) but the "
					     "timer's vector is pending (TIME-030)");
			} else if (r.value == 0) {
				if (!pending)
					fail("CANCEL_TIMER returned 0 (fired) but the vector is "
					     "not pending in the IRR (TIME-021/030)");
			} else {
				fail("CANCEL_TIMER returned value %llu",
				     (unsigned long long)r.value);
			}
		}
		hcabi_irq_restore(flags);
	}
}

/* Wait until this vCPU's timer has fired (or was cancelled). */
static void timer_settle(struct percpu *p)
{
	uint64_t start = hcabi_now_ns();
	while (hcabi_atomic_load(&p->t_fired) < p->t_expect) {
		serve_kicks();
		pause_a_bit();
		if (hcabi_now_ns() - start > TIMER_LOST_NS) {
			if (!p->t_lost_reported)
				fail("a timer armed for deadline %llu never fired (TIME-021)",
				     (unsigned long long)p->t_deadline);
			p->t_lost_reported = true;
			return;
		}
	}
}

/* ---- BATCH --------------------------------------------------------------------- */

enum bkind {
	BK_SPEC,
	BK_MONO,
	BK_ID,
	BK_COUNT,
	BK_STATUS,
	BK_PROBE,
	BK_YIELD,
	BK_KICK,
	BK_IPI,
	BK__N,
	BK_FAIL_KICK, /* INVALID_PARAM */
	BK_FAIL_BLOCK, /* DENIED */
	BK_FAIL_BATCH, /* DENIED */
};

#define SENT_STATUS 0x5a5a5a5a5a5aull
#define SENT_VALUE 0xa5a5a5a5a5a5ull

static void batch_op(struct percpu *p)
{
	unsigned s = me();
	struct hcabi_batch_entry *tab = batch_tab[s];
	uint8_t kind[HCABI_BATCH_MAX_ENTRIES];
	uint8_t target[HCABI_BATCH_MAX_ENTRIES];
	unsigned count = 4 + (unsigned)(rnd(p) % (HCABI_BATCH_MAX_ENTRIES - 3)), fail_at = count;
	uint64_t t_before, t_after, last_mono, want;
	struct hcabi_ret r;

	set_op(OP_BATCH);
	if ((rnd(p) & 3) == 0)
		fail_at = count - 1 - (unsigned)(rnd(p) % (count < 4 ? count : 4));
	for (unsigned i = 0; i < count; i++) {
		struct hcabi_batch_entry *e = &tab[i];
		unsigned k = (unsigned)(rnd(p) % BK__N);
		unsigned t = (unsigned)(rnd(p) % nham);
		memset(e, 0, sizeof(*e));
		e->status = (int64_t)SENT_STATUS;
		e->value = SENT_VALUE;
		if (i == fail_at)
			k = BK_FAIL_KICK + (unsigned)(rnd(p) % 3);
		else if (i > fail_at)
			k = BK_SPEC; /* must stay unexecuted */
		if (k == BK_IPI && ipi_ready(s, 1ull << t) == 0)
			k = BK_SPEC;
		kind[i] = (uint8_t)k;
		target[i] = (uint8_t)t;
		switch (k) {
		case BK_SPEC:
			e->function_id = HCABI_FID_BASE_GET_SPEC_VERSION;
			break;
		case BK_MONO:
			e->function_id = HCABI_FID_TIME_GET_MONOTONIC;
			break;
		case BK_ID:
			e->function_id = HCABI_FID_VCPU_GET_ID;
			break;
		case BK_COUNT:
			e->function_id = HCABI_FID_VCPU_GET_COUNT;
			break;
		case BK_STATUS:
			e->function_id = HCABI_FID_VCPU_GET_STATUS;
			e->args[0] = t;
			break;
		case BK_PROBE:
			e->function_id = HCABI_FID_BASE_PROBE_EXTENSION;
			e->args[0] = HCABI_EID_IPI;
			break;
		case BK_YIELD:
			e->function_id = HCABI_FID_VCPU_YIELD;
			e->args[0] = HCABI_VCPU_ANY;
			break;
		case BK_KICK:
			e->function_id = HCABI_FID_VCPU_KICK;
			e->args[0] = t;
			break;
		case BK_IPI:
			e->function_id = HCABI_FID_IPI_SEND;
			e->args[0] = 1;
			e->args[1] = t;
			e->args[2] = VEC_IPI + s;
			hcabi_atomic_add(&ipi_sent[s][t], 1);
			break;
		case BK_FAIL_KICK:
			e->function_id = HCABI_FID_VCPU_KICK;
			e->args[0] = ncpu;
			break;
		case BK_FAIL_BLOCK:
			e->function_id = HCABI_FID_VCPU_BLOCK;
			e->args[0] = HCABI_SEC(100);
			break;
		default:
			e->function_id = HCABI_FID_BATCH_EXECUTE;
			e->args[0] = ext_gpa(tab);
			e->args[1] = 1;
			break;
		}
	}
	want = fail_at < count ? fail_at + 1 : count;
	t_before = hcabi_now_ns();
	r = hcabi_batch_execute(ext_gpa(tab), count);
	t_after = hcabi_now_ns();
	p->n_batch++;
	p->n_entries += want;
	if (!expect_ok(r, want, "BATCH.EXECUTE")) {
		fail("  (a table of %u entries, entry %u failing: %llu executed)", count, fail_at,
		     (unsigned long long)r.value);
		return;
	}
	last_mono = t_before;
	for (unsigned i = 0; i < count; i++) {
		const struct hcabi_batch_entry *e = &tab[i];
		int64_t st = e->status;
		uint64_t v = e->value;
		bool ok = st == HCABI_SUCCESS;
		if (i >= want) {
			if ((uint64_t)st != SENT_STATUS || v != SENT_VALUE)
				fail("BATCH entry %u after the failing entry %u was written (BATCH-003)",
				     i, fail_at);
			continue;
		}
		switch (kind[i]) {
		case BK_SPEC:
			ok = ok && v == hcabi_disc.spec;
			break;
		case BK_MONO:
			ok = ok && v >= last_mono && v <= t_after;
			if (ok)
				last_mono = v;
			break;
		case BK_ID:
			ok = ok && v == s;
			break;
		case BK_COUNT:
			ok = ok && v == ncpu;
			break;
		case BK_STATUS:
			ok = ok && (target[i] == s ? v == HCABI_VCPU_STATUS_RUNNING
						   : (v == HCABI_VCPU_STATUS_RUNNING ||
						      v == HCABI_VCPU_STATUS_BLOCKED));
			break;
		case BK_PROBE:
			ok = ok && v == hcabi_ext_version(HCABI_EID_IPI);
			break;
		case BK_YIELD:
		case BK_KICK:
		case BK_IPI:
			ok = ok && v == 0;
			break;
		case BK_FAIL_KICK:
			ok = st == HCABI_ERR_INVALID_PARAM && v == 0;
			break;
		default:
			ok = st == HCABI_ERR_DENIED && v == 0;
			break;
		}
		if (!ok)
			fail("BATCH entry %u of %u (kind %u, function 0x%llx): status %lld value "
			     "0x%llx is wrong (BATCH-002)",
			     i, count, kind[i], (unsigned long long)e->function_id, (long long)st,
			     (unsigned long long)v);
	}
}

/* ---- the pool -------------------------------------------------------------------- */

/* Where a START of a pool vCPU that is running would send it: if START ever
 * succeeds there (it must return ALREADY_STARTED), the vCPU stops at once. */
static void bogus_entry(uint64_t arg)
{
	(void)arg;
	hcabi_atomic_add(&bogus_starts, 1);
	for (;;) {
		hcabi_vcpu_stop();
		__asm__ __volatile__("cli; hlt");
	}
}

static void make_bogus_bs(unsigned p)
{
	hcabi_boot_state_init(&bogus_bs[p], (uint64_t)(uintptr_t)bogus_entry,
			      ext_gpa(bogus_stack[p] + sizeof(bogus_stack[p]) - 8), 0, NULL, NULL);
}

static void pool_task(void *arg);

static void pool_start_op(struct percpu *p)
{
	unsigned c = me(), t;
	uint64_t zero = 0;
	int64_t st;
	struct hcabi_ret r;

	if (ncpu <= nham || p->claim >= 0)
		return;
	t = nham + (unsigned)(rnd(p) % (ncpu - nham));
	if (!hcabi_atomic_cas(&pool_owner[t], &zero, (uint64_t)c + 1))
		return; /* another hammer has it */
	set_op(OP_POOL_START);
	pool_ready[t] = 0;
	pool_release[t] = 0;
	st = hcabi_smp_start(t, pool_task, 0);
	if (st != HCABI_SUCCESS) {
		fail("VCPU.START of the stopped pool vCPU %u returned %s", t, status_name(st));
		hcabi_atomic_store(&pool_owner[t], 0);
		return;
	}
	p->n_start++;
	p->claim = (int)t;
	p->claim_released = false;
	p->claim_stuck = false;
	p->claim_at = hcabi_now_ns();
	/* running (it waits for our release before it stops): VCPU-023 */
	make_bogus_bs(t);
	r = hcabi_vcpu_start(t, ext_gpa(&bogus_bs[t]));
	if (r.status != HCABI_ERR_ALREADY_STARTED || r.value != 0)
		fail("a second VCPU.START of the running pool vCPU %u returned %s, expected "
		     "ALREADY_STARTED (VCPU-023)",
		     t, status_name(r.status));
	r = hcabi_vcpu_get_status(t);
	if (r.status != HCABI_SUCCESS ||
	    (r.value != HCABI_VCPU_STATUS_RUNNING && r.value != HCABI_VCPU_STATUS_BLOCKED))
		fail("GET_STATUS of the started pool vCPU %u: %s value %llu, expected RUNNING or "
		     "BLOCKED (VCPU-024)",
		     t, status_name(r.status), (unsigned long long)r.value);
}

/* Let the claimed pool vCPU stop once its burst is over; once it stopped,
 * check it and give it back. */
static void pool_reap(struct percpu *p, bool wait)
{
	unsigned t;
	uint64_t start = hcabi_now_ns();
	struct hcabi_ret r;

	if (p->claim < 0 || p->claim_stuck)
		return;
	t = (unsigned)p->claim;
	set_op(OP_POOL_REAP);
	for (;;) {
		uint64_t now = hcabi_now_ns();
		if (!p->claim_released && hcabi_atomic_load(&pool_ready[t])) {
			hcabi_atomic_store(&pool_release[t], 1);
			p->claim_released = true;
			p->claim_at = now;
		}
		if (p->claim_released && hcabi_smp_wait(t, 0))
			break;
		if (now - p->claim_at > WAIT_LONG) {
			fail("pool vCPU %u did not %s within 60 s", t,
			     p->claim_released ? "stop after its release" : "finish its burst");
			p->claim_stuck = true; /* keep it claimed: nobody starts it again */
			return;
		}
		if (!wait)
			return;
		serve_kicks();
		pause_a_bit();
		if (hcabi_atomic_load(&abort_run) || now - start > 2 * WAIT_LONG)
			return;
	}
	if (hcabi_smp_task_failed(t))
		fail("pool vCPU %u: its task ended by an unexpected exception", t);
	/* stopped and ours: VCPU-041, VCPU-070, IPI-003 */
	r = hcabi_vcpu_get_status(t);
	if (r.status != HCABI_SUCCESS || r.value != HCABI_VCPU_STATUS_STOPPED)
		fail("GET_STATUS of the stopped pool vCPU %u: %s value %llu", t,
		     status_name(r.status), (unsigned long long)r.value);
	r = hcabi_vcpu_kick(t);
	if (r.status != HCABI_ERR_INVALID_STATE || r.value != 0)
		fail("KICK of the stopped pool vCPU %u returned %s, expected INVALID_STATE "
		     "(VCPU-070)",
		     t, status_name(r.status));
	expect_ok(hcabi_ipi_send(1, t, VEC_IPI + me()), 0, "IPI.SEND to a stopped pool vCPU");
	p->n_reap++;
	p->claim = -1;
	hcabi_atomic_store(&pool_owner[t], 0);
}

/* ---- one random step --------------------------------------------------------------- */

static void random_status(struct percpu *p)
{
	unsigned t = (unsigned)(rnd(p) % ncpu), c = me();
	struct hcabi_ret r = hcabi_vcpu_get_status(t);

	set_op(OP_STATUS);
	p->n_status++;
	if (!expect_ok(r, ~0ull, "VCPU.GET_STATUS"))
		return;
	if (t == c && r.value != HCABI_VCPU_STATUS_RUNNING)
		fail("GET_STATUS of the caller returned %llu (VCPU-041)",
		     (unsigned long long)r.value);
	else if (is_hammer(t) && r.value != HCABI_VCPU_STATUS_RUNNING &&
		 r.value != HCABI_VCPU_STATUS_BLOCKED)
		fail("GET_STATUS(%u) of a running hammer returned %llu", t,
		     (unsigned long long)r.value);
	else if (r.value > HCABI_VCPU_STATUS_BLOCKED)
		fail("GET_STATUS(%u) returned %llu", t, (unsigned long long)r.value);
}

static void stray_kick(struct percpu *p)
{
	unsigned t = (unsigned)(rnd(p) % ncpu);
	struct hcabi_ret r;

	set_op(OP_KICK);
	r = hcabi_vcpu_kick(t);
	p->n_kick++;
	if (is_hammer(t) || t == me())
		expect_ok(r, 0, "KICK of a running vCPU");
	else if (!(r.status == HCABI_SUCCESS && r.value == 0) &&
		 !(r.status == HCABI_ERR_INVALID_STATE && r.value == 0))
		fail("KICK of pool vCPU %u returned %s", t, status_name(r.status));
}

static void short_block(struct percpu *p)
{
	uint64_t timeout = rnd(p) % HCABI_MS(2), t0, t1;
	struct hcabi_ret r;

	set_op(OP_BLOCK);
	p->n_block++;
	t0 = hcabi_now_ns();
	r = hcabi_vcpu_block(timeout);
	t1 = hcabi_now_ns();
	if (expect_ok(r, ~0ull, "VCPU.BLOCK") && r.value == HCABI_BLOCK_TIMED_OUT &&
	    t1 - t0 < timeout)
		fail("BLOCK(%llu ns) timed out after %llu ns (VCPU-062)",
		     (unsigned long long)timeout, (unsigned long long)(t1 - t0));
}

static void tlb_op(struct percpu *p)
{
	uint64_t all = (ncpu >= 64 ? ~0ull : (1ull << ncpu) - 1);
	set_op(OP_TLB);
	p->n_tlb++;
	expect_ok(hcabi_tlb_flush(rnd(p) & all, 0, 0, 0), 0, "TLB.FLUSH");
}

static void step(struct percpu *p, bool pool)
{
	unsigned x = (unsigned)(rnd(p) % 100);

	if (x < 30)
		ipi_op(p);
	else if (x < 36)
		have_abs && ON(P_ABS) ? abs_op(p) : ipi_op(p);
	else if (x < 38)
		bad_ipi_op(p);
	else if (x < 52)
		ON(P_TIMER) ? timer_op(p) : ipi_op(p);
	else if (x < 58)
		ON(P_KICK) ? stray_kick(p) : ipi_op(p);
	else if (x < 64)
		!ON(P_KICK) || !ON(P_BLOCK) ? ipi_op(p) : pool ? stray_kick(p) : kick_round();
	else if (x < 72)
		ON(P_BATCH) ? batch_op(p) : ipi_op(p);
	else if (x < 76)
		pool ? (ON(P_BLOCK) ? short_block(p) : ipi_op(p))
		     : (ON(P_POOL) ? pool_start_op(p) : ipi_op(p));
	else if (x < 82)
		random_status(p);
	else if (x < 86)
		have_tlb && ON(P_TLB) ? tlb_op(p) : random_status(p);
	else if (x < 90) {
		set_op(OP_YIELD);
		p->n_yield++;
		expect_ok(hcabi_vcpu_yield(rnd(p) & 1 ? HCABI_VCPU_ANY : rnd(p) % ncpu), 0,
			  "VCPU.YIELD");
	} else {
		ON(P_BLOCK) ? short_block(p) : ipi_op(p);
	}
}

static void pool_task(void *arg)
{
	unsigned c = me();
	struct percpu *p = &pc[c];
	unsigned steps;
	uint64_t start;

	(void)arg;
	hcabi_irq_enable();
	p->rng ^= hcabi_rdtsc() | 1;
	p->t_expect = p->t_fired; /* a fresh start: nothing armed */
	set_op(OP_POOL_BURST);
	steps = 4 + (unsigned)(rnd(p) % 16);
	for (unsigned i = 0; i < steps && !hcabi_atomic_load(&abort_run); i++)
		step(p, true);
	timer_settle(p);
	set_op(OP_POOL_WAIT_RELEASE);
	hcabi_atomic_store(&pool_ready[c], 1);
	start = hcabi_now_ns();
	while (!hcabi_atomic_load(&pool_release[c]) && !hcabi_atomic_load(&abort_run)) {
		pause_a_bit();
		if (hcabi_now_ns() - start > 2 * WAIT_LONG) {
			fail("pool vCPU %u was never released", c);
			break;
		}
	}
	set_op(OP_DONE);
	hcabi_irq_disable();
}

/* ---- the watchdog ------------------------------------------------------------------ */

static uint64_t wd_seen[MAXC], wd_at[MAXC], wd_next;
static bool wd_reported[MAXC];

static void watchdog(void)
{
	unsigned c = me();
	uint64_t now;

	if (c > 1 || !hcabi_atomic_load(&go))
		return;
	now = hcabi_now_ns();
	if (now < wd_next)
		return;
	wd_next = now + HCABI_SEC(1);
	for (unsigned t = 0; t < nham; t++) {
		uint64_t prog = hcabi_atomic_load(&pc[t].progress);
		if (t == c || (c == 1 && t != 0))
			continue; /* vCPU 0 watches every hammer, vCPU 1 watches vCPU 0 */
		if (hcabi_atomic_load(&pc[t].drained) == 2)
			continue; /* finished */
		if (prog != wd_seen[t] || !wd_at[t]) {
			wd_seen[t] = prog;
			wd_at[t] = now;
			continue;
		}
		if (now - wd_at[t] > WATCHDOG && !wd_reported[t]) {
			unsigned op = pc[t].op < OP__COUNT ? pc[t].op : OP_IDLE;
			wd_reported[t] = true;
			fail("watchdog: vCPU %u made no progress for %llu s; it is in %s since %llu "
			     "ms",
			     t, (unsigned long long)((now - wd_at[t]) / 1000000000ull), op_names[op],
			     (unsigned long long)((now - pc[t].op_since) / 1000000));
			hcabi_atomic_store(&abort_run, 1);
			hcabi_atomic_store(&stop, 1);
			if (c == 1) {
				/* vCPU 0 is the one stuck: end the VM from here */
				hcabi_printf("hcabi-stress: FAIL: vCPU 0 is stuck (watchdog on "
					     "vCPU 1)");
				hcabi_exit(EXIT_FAIL);
			}
		}
	}
}

/* ---- a hammer's life --------------------------------------------------------------- */

static bool wait_all(bool drained_field, uint64_t want, uint64_t timeout, const char *what)
{
	uint64_t start = hcabi_now_ns();
	for (;;) {
		bool all = true;
		for (unsigned t = 0; t < nham; t++) {
			volatile uint64_t *f = drained_field ? &pc[t].drained : &pc[t].sending_done;
			if (hcabi_atomic_load(f) < want)
				all = false;
		}
		if (all)
			return true;
		if (hcabi_atomic_load(&abort_run))
			return false;
		serve_kicks();
		pause_a_bit();
		if (hcabi_now_ns() - start > timeout) {
			fail("not every hammer reached %s within %llu s", what,
			     (unsigned long long)(timeout / 1000000000ull));
			return false;
		}
	}
}

/* Everything that was sent to this vCPU has arrived. */
static bool inbox_complete(unsigned t)
{
	for (unsigned s = 0; s < ncpu; s++) {
		if (hcabi_atomic_load(&ipi_recv[s][t]) != hcabi_atomic_load(&ipi_sent[s][t]))
			return false;
		if (s != t && is_hammer(t) &&
		    hcabi_atomic_load(&abs_recv[s][t]) != hcabi_atomic_load(&abs_sent[s]))
			return false;
	}
	return true;
}

static void hammer(void)
{
	unsigned c = me();
	struct percpu *p = &pc[c];
	uint64_t start, next_report = 0, end = 0;

	p->claim = -1;
	if (c == 0) {
		start = hcabi_now_ns();
		end = start + duration_ns;
		next_report = start + HCABI_SEC(5);
	}
	while (!hcabi_atomic_load(&stop)) {
		hcabi_atomic_add(&p->progress, 1);
		serve_kicks();
		pool_reap(p, false);
		step(p, false);
		if (c <= 1)
			watchdog();
		if (c == 0) {
			uint64_t now = hcabi_now_ns();
			if (now >= end)
				hcabi_atomic_store(&stop, 1);
			if (now >= next_report) {
				uint64_t ipis = 0, timers = 0, batches = 0, starts = 0;
				for (unsigned t = 0; t < ncpu; t++) {
					ipis += pc[t].n_ipi + pc[t].n_abs;
					timers += pc[t].n_timer;
					batches += pc[t].n_batch;
					starts += pc[t].n_start;
				}
				hcabi_printf("hcabi-stress: %llu s: %llu IPI.SEND, %llu timers, %llu "
					     "batches, %llu pool starts, %llu failures",
					     (unsigned long long)((now - start) / 1000000000ull),
					     (unsigned long long)ipis, (unsigned long long)timers,
					     (unsigned long long)batches, (unsigned long long)starts,
					     (unsigned long long)n_fail);
				next_report = now + HCABI_SEC(5);
			}
		}
	}
	if (hcabi_atomic_load(&abort_run))
		return;

	/* the drain: our pool vCPU stops, our timer settles, nobody sends any
	 * more, then everything sent to us arrives */
	set_op(OP_DRAIN);
	pool_reap(p, true);
	timer_settle(p);
	hcabi_atomic_store(&p->sending_done, 1);
	if (!wait_all(false, 1, WAIT_LONG, "the end of sending"))
		return;
	start = hcabi_now_ns();
	while (!inbox_complete(c)) {
		serve_kicks();
		pause_a_bit();
		if (hcabi_atomic_load(&abort_run))
			return;
		if (hcabi_now_ns() - start > HCABI_SEC(30)) {
			fail("IPIs sent to this vCPU are still missing 30 s after the last send");
			break;
		}
	}
	stress_delay(HCABI_MS(200)); /* a duplicate would arrive meanwhile */
	hcabi_atomic_store(&p->drained, 1);
	wait_all(true, 1, WAIT_LONG, "the end of the drain");
	hcabi_atomic_store(&p->drained, 2);
	set_op(OP_DONE);
}

static void hammer_task(void *arg)
{
	unsigned c = me();
	uint64_t start;

	(void)arg;
	pc[c].rng = seed ^ (0x9E3779B97F4A7C15ull * (c + 1));
	hcabi_irq_enable();
	set_op(OP_WAIT_GO);
	hcabi_atomic_add(&up_count, 1);
	start = hcabi_now_ns();
	while (!hcabi_atomic_load(&go)) {
		pause_a_bit();
		if (hcabi_atomic_load(&abort_run) || hcabi_now_ns() - start > WAIT_LONG)
			return;
	}
	hammer();
	hcabi_irq_disable();
}

/* ---- vCPU 0 ---------------------------------------------------------------------- */

static void stress_delay(uint64_t ns)
{
	uint64_t start = hcabi_now_ns();
	while (hcabi_now_ns() - start < ns) {
		for (int i = 0; i < 64; i++)
			hcabi_pause();
	}
}

static void parse_cmdline(void)
{
	const char *duration = hcabi_cmdline_value("duration");
	uint64_t v;

	hcabi_printf("hcabi-stress: command line '%s'", hcabi_command_line());
	if (duration) {
		if (hcabi_parse_u64(duration, &v) && v > 0 && v < 100000)
			duration_ns = HCABI_SEC(v);
		else
			hcabi_printf("hcabi-stress: bad duration= ignored");
	}
	strict = hcabi_parse_u64(hcabi_cmdline_value("strict"), &v) && v == 1;
	(void)hcabi_parse_u64(hcabi_cmdline_value("seed"), &seed);
	for (unsigned i = 0; i < HCABI_ARRAY_SIZE(parts); i++)
		if (hcabi_parse_u64(hcabi_cmdline_value(parts[i].name), &v) && v <= 1)
			parts[i].on = v == 1;
}

static HCABI_NORETURN void finish(const char *why)
{
	uint64_t f = hcabi_atomic_load(&n_fail);
	if (f == 0 && !why) {
		hcabi_printf("hcabi-stress: PASS vcpus=%u hammers=%u pool=%u duration=%llus seed=%llu "
			     "redeliveries=%llu",
			     ncpu, nham, ncpu - nham,
			     (unsigned long long)(duration_ns / 1000000000ull),
			     (unsigned long long)seed, (unsigned long long)total_redeliveries);
		hcabi_exit(0);
	}
	hcabi_printf("hcabi-stress: FAIL vcpus=%u failures=%llu%s%s", ncpu, (unsigned long long)f,
		     why ? ": " : "", why ? why : "");
	hcabi_exit(EXIT_FAIL);
}

static void final_checks(void)
{
	uint64_t tot_sent = 0, tot_abs = 0, early = 0, worst = 0, spurious = 0;
	struct percpu sum;

	for (unsigned s = 0; s < ncpu; s++) {
		for (unsigned t = 0; t < ncpu; t++) {
			uint64_t se = ipi_sent[s][t], re = ipi_recv[s][t];
			tot_sent += se;
			if (se != re)
				fail("IPI vector 0x%02x from vCPU %u to vCPU %u: sent %llu, received "
				     "%llu (%s, IPI-002)",
				     VEC_IPI + s, s, t, (unsigned long long)se,
				     (unsigned long long)re, re < se ? "lost" : "duplicated");
			if (t == s) {
				if (abs_recv[s][t])
					fail("all_but_self from vCPU %u reached the caller %llu "
					     "times (IPI-004)",
					     s, (unsigned long long)abs_recv[s][t]);
			} else if (is_hammer(t) ? abs_recv[s][t] != abs_sent[s]
						: abs_recv[s][t] > abs_sent[s]) {
				fail("all_but_self vector 0x%02x from vCPU %u at vCPU %u: %llu sent, "
				     "%llu received (IPI-004)",
				     VEC_ABS + s, s, t, (unsigned long long)abs_sent[s],
				     (unsigned long long)abs_recv[s][t]);
			}
		}
		tot_abs += abs_sent[s];
	}
	memset(&sum, 0, sizeof(sum));
	for (unsigned t = 0; t < ncpu; t++) {
		const struct percpu *p = &pc[t];
		for (unsigned k = 0; k < ndups[t] && k < MAX_DUPS; k++)
			hcabi_printf("hcabi-stress: vCPU %u: %s vector 0x%02x at rip=0x%llx (IF=%u) "
				     "during %s, %llu ms into the run",
				     t,
				     dups[t][k].redelivery
					 ? "a replayed delivery (no LAPIC made it; not counted) of"
					 : "one delivery more than was sent of",
				     dups[t][k].vector, (unsigned long long)dups[t][k].rip,
				     (unsigned)((dups[t][k].rflags & HCABI_RFLAGS_IF) != 0),
				     op_names[dups[t][k].op < OP__COUNT ? dups[t][k].op : 0],
				     (unsigned long long)((dups[t][k].when - run_start) / 1000000));
		early += p->t_early;
		if (p->t_early_worst > worst)
			worst = p->t_early_worst;
		spurious += timer_spurious[t];
		if (p->t_fired != p->t_expect)
			fail("vCPU %u: %llu timer interrupts expected, %llu taken", t,
			     (unsigned long long)p->t_expect, (unsigned long long)p->t_fired);
		sum.n_ipi += p->n_ipi;
		sum.n_ipi_targets += p->n_ipi_targets;
		sum.n_abs += p->n_abs;
		sum.n_bad += p->n_bad;
		sum.n_timer += p->n_timer;
		sum.n_cancel += p->n_cancel;
		sum.n_kick += p->n_kick;
		sum.n_round += p->n_round;
		sum.n_block += p->n_block;
		sum.n_batch += p->n_batch;
		sum.n_entries += p->n_entries;
		sum.n_start += p->n_start;
		sum.n_reap += p->n_reap;
		sum.n_status += p->n_status;
		sum.n_tlb += p->n_tlb;
		sum.n_yield += p->n_yield;
	}
	if (early)
		fail("%llu timer interrupts came before their deadline, the worst %llu ns early "
		     "(TIME-022)",
		     (unsigned long long)early, (unsigned long long)worst);
	for (unsigned t = 0; t < ncpu; t++)
		total_redeliveries += redeliveries[t];
	if (total_redeliveries && strict)
		fail("%llu interrupt deliveries were made by no local APIC (into code running with "
		     "IF=0: an already delivered interrupt injected again)",
		     (unsigned long long)total_redeliveries);
	else if (total_redeliveries)
		hcabi_printf("hcabi-stress: WARNING: %llu interrupt deliveries were made by no local "
			     "APIC (into code running with IF=0): the virtualization layer below "
			     "the VMM injected an interrupt it had already delivered; they are not "
			     "counted as IPI or timer receptions (strict=1 makes them failures; "
			     "docs/performance.md)",
			     (unsigned long long)total_redeliveries);
	if (spurious)
		fail("%llu timer interrupts came with no timer armed (TIME-021/024/030)",
		     (unsigned long long)spurious);
	if (bogus_starts)
		fail("a START of a running vCPU started it %llu times", (unsigned long long)bogus_starts);
	if (sum.n_start != sum.n_reap)
		fail("%llu pool starts, %llu pool vCPUs seen stopped",
		     (unsigned long long)sum.n_start, (unsigned long long)sum.n_reap);
	hcabi_printf("hcabi-stress: %s: %llu with a mask (%llu interrupts, each received "
		     "exactly once), %llu all_but_self, %llu invalid",
		     ON(P_LAPIC) ? "xAPIC ICR sends (lapic=1) and IPI.SEND" : "IPI.SEND",
		     (unsigned long long)sum.n_ipi, (unsigned long long)tot_sent,
		     (unsigned long long)sum.n_abs, (unsigned long long)sum.n_bad);
	hcabi_printf("hcabi-stress: timers: %llu armed, %llu cancelled at once, 0 early",
		     (unsigned long long)sum.n_timer, (unsigned long long)sum.n_cancel);
	hcabi_printf("hcabi-stress: KICK/BLOCK: %llu rounds, %llu kicks, %llu short blocks",
		     (unsigned long long)sum.n_round, (unsigned long long)sum.n_kick,
		     (unsigned long long)sum.n_block);
	hcabi_printf("hcabi-stress: BATCH: %llu tables, %llu entries executed",
		     (unsigned long long)sum.n_batch, (unsigned long long)sum.n_entries);
	hcabi_printf("hcabi-stress: pool: %llu START/STOP cycles; %llu GET_STATUS, %llu "
		     "TLB.FLUSH, %llu YIELD",
		     (unsigned long long)sum.n_start, (unsigned long long)sum.n_status,
		     (unsigned long long)sum.n_tlb, (unsigned long long)sum.n_yield);
	(void)tot_abs;
}

void hcabi_main(void)
{
	uint64_t start;

	hcabi_printf("hcabi-stress: starting");
	hcabi_irq_filter_replays(false); /* redelivered() counts and reports them */
	hcabi_hello("stress");
	hcabi_discover();
	seed = hcabi_rdtsc();
	parse_cmdline();
	if (!hcabi_disc.present)
		finish("no HCABI signature in CPUID");
	if (!hcabi_has_ext(HCABI_EID_VCPU) || !hcabi_has_ext(HCABI_EID_IPI) ||
	    !hcabi_has_ext(HCABI_EID_TIME) || !hcabi_has_ext(HCABI_EID_BATCH))
		finish("VCPU, IPI, TIME and BATCH are needed");
	have_abs = hcabi_ext_version(HCABI_EID_IPI) >= 2; /* all_but_self: IPI version 2 (1.1) */
	have_tlb = hcabi_has_ext(HCABI_EID_TLB);
	ncpu = hcabi_smp_count();
	if (ncpu < 2)
		finish("needs 2 vCPUs or more");
	nham = ncpu <= 2 ? ncpu : ncpu - (ncpu / 4 ? ncpu / 4 : 1);
	hcabi_printf("hcabi-stress: %u vCPUs: %u hammers, %u in the START/STOP pool; %llu s; "
		     "seed=%llu; all_but_self %s, TLB %s",
		     ncpu, nham, ncpu - nham, (unsigned long long)(duration_ns / 1000000000ull),
		     (unsigned long long)seed, have_abs ? "on" : "off (HCABI 1.0)",
		     have_tlb ? "on" : "off");

	for (unsigned s = 0; s < ncpu; s++) {
		hcabi_irq_register(VEC_IPI + s, on_ipi);
		hcabi_irq_register(VEC_ABS + s, on_abs);
		pc[s].rng = seed ^ (0x9E3779B97F4A7C15ull * (s + 1));
		pc[s].claim = -1;
	}
	hcabi_irq_register(VEC_TIMER, on_timer);
	hcabi_irq_enable();

	for (unsigned i = 0; i < HCABI_ARRAY_SIZE(parts); i++)
		if (!parts[i].on)
			hcabi_printf("hcabi-stress: %s off (command line)", parts[i].name);
	for (unsigned c = 1; c < nham; c++) {
		int64_t st = hcabi_smp_start(c, hammer_task, 0);
		if (st != HCABI_SUCCESS) {
			fail("VCPU.START of hammer vCPU %u returned %s", c, status_name(st));
			hcabi_atomic_store(&abort_run, 1);
			finish("cannot start the hammers");
		}
	}
	start = hcabi_now_ns();
	while (hcabi_atomic_load(&up_count) < nham - 1) {
		pause_a_bit();
		if (hcabi_now_ns() - start > WAIT_LONG) {
			hcabi_atomic_store(&abort_run, 1);
			finish("the hammers did not come up within 60 s");
		}
	}
	hcabi_printf("hcabi-stress: go");
	run_start = hcabi_now_ns();
	hcabi_atomic_store(&go, 1);
	hammer();
	if (hcabi_atomic_load(&abort_run))
		finish("the watchdog stopped the run");
	for (unsigned c = 1; c < nham; c++)
		if (!hcabi_smp_wait(c, WAIT_LONG))
			fail("hammer vCPU %u did not stop at the end", c);
	hcabi_irq_disable();
	final_checks();
	finish(NULL);
}
