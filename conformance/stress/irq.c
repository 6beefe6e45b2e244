/* SPDX-License-Identifier: MIT */
/*
 * irq.c - the stress run's interrupt handlers: each counts what it
 * received, and tells a replayed delivery from a real one.
 */
#include "common.h"

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
 * interrupted RIP is then in the runtime's interrupt entry code, and the first
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

void on_ipi(struct hcabi_frame *f, unsigned v)
{
	unsigned s = v - VEC_IPI, t = me();
	if (redelivered(f, v))
		return;
	/* sent is counted before SEND: more received than sent is a duplicate */
	if (hcabi_atomic_add(&ipi_recv[s][t], 1) > hcabi_atomic_load(&ipi_sent[s][t]))
		note_dup(f, v, false);
}

void on_abs(struct hcabi_frame *f, unsigned v)
{
	unsigned s = v - VEC_ABS, t = me();
	if (redelivered(f, v))
		return;
	if (hcabi_atomic_add(&abs_recv[s][t], 1) > hcabi_atomic_load(&abs_sent[s]) || s == t)
		note_dup(f, v, false);
}

void on_timer(struct hcabi_frame *f, unsigned v)
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
