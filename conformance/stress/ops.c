/* SPDX-License-Identifier: MIT */
/*
 * ops.c - the stress run's single operations: KICK/BLOCK rounds, IPIs,
 * timers, GET_STATUS, stray kicks, short blocks, TLB.FLUSH.
 */
#include "common.h"

/* ---- kicks --------------------------------------------------------------------- */

/* The kickee of `k` on the ring of hammers: k - 1. */
void serve_kicks(void)
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

void kick_round(void)
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
uint64_t ipi_ready(unsigned s, uint64_t cand)
{
	uint64_t ready = 0;
	for (unsigned t = 0; t < nham; t++)
		if (((cand >> t) & 1) &&
		    hcabi_atomic_load(&ipi_recv[s][t]) == hcabi_atomic_load(&ipi_sent[s][t]))
			ready |= 1ull << t;
	return ready;
}

void ipi_op(struct percpu *p)
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

void abs_op(struct percpu *p)
{
	unsigned s = me();
	uint64_t n = hcabi_atomic_load(&abs_sent[s]);

	set_op(OP_ABS);
	for (unsigned t = 0; t < nham; t++)
		if (t != s && hcabi_atomic_load(&abs_recv[s][t]) != n)
			return; /* one of ours still pending somewhere */
	hcabi_atomic_store(&abs_sent[s], n + 1);
	if (expect_ok(hcabi_ipi_send(0, 0, HCABI_IPI_SEND_VECTOR_ALL_BUT_SELF_MASK | (VEC_ABS + s)), 0,
		      "IPI.SEND all_but_self"))
		p->n_abs++;
	else
		hcabi_atomic_store(&abs_sent[s], n);
}

/* Invalid sends: INVALID_PARAM and nothing sent (checked by the counts). */
void bad_ipi_op(struct percpu *p)
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
			     (unsigned long long)mask, ncpu, ncpu, hcabi_status_name(r.status));
	} else {
		r = hcabi_ipi_send(ready, 0, 0x1f);
		if (r.status != HCABI_ERR_INVALID_PARAM || r.value != 0)
			fail("IPI.SEND(vector 0x1f) returned %s, expected INVALID_PARAM (IPI-001)",
			     hcabi_status_name(r.status));
	}
}

/* ---- timers -------------------------------------------------------------------- */

void timer_op(struct percpu *p)
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
void timer_settle(struct percpu *p)
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

/* ---- one random step --------------------------------------------------------------- */

void random_status(struct percpu *p)
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

void stray_kick(struct percpu *p)
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
		fail("KICK of pool vCPU %u returned %s", t, hcabi_status_name(r.status));
}

void short_block(struct percpu *p)
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

void tlb_op(struct percpu *p)
{
	uint64_t all = (ncpu >= 64 ? ~0ull : (1ull << ncpu) - 1);
	set_op(OP_TLB);
	p->n_tlb++;
	expect_ok(hcabi_tlb_flush(rnd(p) & all, 0, 0, 0), 0, "TLB.FLUSH");
}
