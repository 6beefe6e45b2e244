/* SPDX-License-Identifier: MIT */
/*
 * hammer.c - a hammer's life: random steps, the START/STOP pool it
 * drives, the final drain.
 */
#include "common.h"

static uint8_t bogus_stack[MAXC][1024] __attribute__((aligned(16)));
static struct hcabi_vcpu_boot_state bogus_bs[MAXC] __attribute__((aligned(64)));

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
			      hcabi_gpa(bogus_stack[p] + sizeof(bogus_stack[p]) - 8), 0, NULL, NULL);
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
		fail("VCPU.START of the stopped pool vCPU %u returned %s", t, hcabi_status_name(st));
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
	r = hcabi_vcpu_start(t, hcabi_gpa(&bogus_bs[t]));
	if (r.status != HCABI_ERR_ALREADY_STARTED || r.value != 0)
		fail("a second VCPU.START of the running pool vCPU %u returned %s, expected "
		     "ALREADY_STARTED (VCPU-023)",
		     t, hcabi_status_name(r.status));
	r = hcabi_vcpu_get_status(t);
	if (r.status != HCABI_SUCCESS ||
	    (r.value != HCABI_VCPU_STATUS_RUNNING && r.value != HCABI_VCPU_STATUS_BLOCKED))
		fail("GET_STATUS of the started pool vCPU %u: %s value %llu, expected RUNNING or "
		     "BLOCKED (VCPU-024)",
		     t, hcabi_status_name(r.status), (unsigned long long)r.value);
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
		     hcabi_status_name(r.status), (unsigned long long)r.value);
	r = hcabi_vcpu_kick(t);
	if (r.status != HCABI_ERR_INVALID_STATE || r.value != 0)
		fail("KICK of the stopped pool vCPU %u returned %s, expected INVALID_STATE "
		     "(VCPU-070)",
		     t, hcabi_status_name(r.status));
	expect_ok(hcabi_ipi_send(1, t, VEC_IPI + me()), 0, "IPI.SEND to a stopped pool vCPU");
	p->n_reap++;
	p->claim = -1;
	hcabi_atomic_store(&pool_owner[t], 0);
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

void hammer(void)
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

void hammer_task(void *arg)
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
