/* SPDX-License-Identifier: MIT */
/*
 * common.h - what the files of hcabi-stress.elf share (stress.c says what
 * the guest does): the limits, the per-vCPU record, the run's counters,
 * and each file's entry points.
 */
#ifndef HCABI_STRESS_COMMON_H
#define HCABI_STRESS_COMMON_H

#include "hcabi_guest.h"
#include "hcabi_ram.h"

#ifndef HCABI_STRESS_SECONDS
#define HCABI_STRESS_SECONDS 20
#endif

#define MAXC HCABI_MAX_CPUS
#define VEC_IPI 0x40u	 /* + sender: IPI.SEND with a mask */
#define VEC_ABS 0x60u	 /* + sender: IPI.SEND all_but_self */
#define VEC_TIMER 0x90u	 /* TIME.SET_TIMER, every vCPU */
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
extern const char *const op_names[OP__COUNT];

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

/* The run's state (common.c). */
extern struct percpu pc[MAXC];
extern unsigned ncpu, nham; /* vCPUs; hammers are 0 .. nham-1, the pool nham .. ncpu-1 */
extern bool have_abs, have_tlb;
/* parts that the command line can turn off (name=0), to narrow a failure down;
 * lapic=1: the masked IPIs go through the xAPIC ICR instead of IPI.SEND (the
 * same counting: a reference that involves no HCABI call) */
struct part {
	const char *name;
	bool on;
};
extern struct part parts[8];
enum { P_ABS, P_TLB, P_POOL, P_BATCH, P_TIMER, P_BLOCK, P_KICK, P_LAPIC };
#define ON(p) (parts[p].on)

/* Interrupts that came more often than they were sent, as the handler saw
 * them: what the vCPU was doing, where it was interrupted, and whether the
 * local APIC had accepted it (irq.c, redelivered()). */
#define MAX_DUPS 4u
struct dup {
	unsigned vector, op;
	bool redelivery;
	uint64_t rip, rflags, when;
};
extern struct dup dups[MAXC][MAX_DUPS];
extern volatile uint64_t ndups[MAXC];
/* Deliveries that no local APIC made: counted apart, per vCPU, and not as
 * receptions. strict=1 makes them failures. */
extern volatile uint64_t redeliveries[MAXC];
extern uint64_t total_redeliveries;
extern bool strict;
extern uint64_t duration_ns;
extern uint64_t seed;

/* IPI counters: [sender][target] */
extern volatile uint64_t ipi_sent[MAXC][MAXC], ipi_recv[MAXC][MAXC];
extern volatile uint64_t abs_sent[MAXC], abs_recv[MAXC][MAXC];
extern volatile uint64_t timer_spurious[MAXC];

/* phases */
extern volatile uint64_t up_count, go, stop, abort_run;
extern uint64_t run_start;
extern volatile uint64_t n_fail;

/* pool */
extern volatile uint64_t pool_owner[MAXC];   /* claimer + 1, 0 = free */
extern volatile uint64_t pool_ready[MAXC];   /* the burst is over */
extern volatile uint64_t pool_release[MAXC]; /* the claimer lets it stop */
extern volatile uint64_t bogus_starts;	     /* START of a running vCPU that started it */

static inline uint64_t rnd(struct percpu *p)
{
	/* xorshift64* */
	uint64_t x = p->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	p->rng = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static inline unsigned me(void)
{
	return hcabi_cpu_index();
}

static inline bool is_hammer(unsigned c)
{
	return c < nham;
}

/* common.c: a failure (the first MAX_FAIL_LINES are printed); what this
 * vCPU is doing now (for the watchdog); SUCCESS with value v (v = ~0: any
 * value) or a failure naming what; a busy wait of ns */
void fail(const char *fmt, ...) HCABI_PRINTF(1, 2);
void set_op(enum op o);
bool expect_ok(struct hcabi_ret r, uint64_t v, const char *what);
void stress_delay(uint64_t ns);

/* watchdog.c: vCPU 0 watches the hammers, vCPU 1 watches vCPU 0; a bounded
 * wait step that keeps the watchdog running */
void watchdog(void);
void pause_a_bit(void);

/* irq.c: the handlers of the masked IPIs, all_but_self IPIs and timers */
void on_ipi(struct hcabi_frame *f, unsigned v);
void on_abs(struct hcabi_frame *f, unsigned v);
void on_timer(struct hcabi_frame *f, unsigned v);

/* ops.c: one operation each */
void serve_kicks(void);
void kick_round(void);
/* Targets among `cand` (bit t: hammer t) with no IPI of sender s pending. */
uint64_t ipi_ready(unsigned s, uint64_t cand);
void ipi_op(struct percpu *p);
void abs_op(struct percpu *p);
void bad_ipi_op(struct percpu *p);
void timer_op(struct percpu *p);
void timer_settle(struct percpu *p);
void random_status(struct percpu *p);
void stray_kick(struct percpu *p);
void short_block(struct percpu *p);
void tlb_op(struct percpu *p);

/* batch.c: one BATCH.EXECUTE of a random table */
void batch_op(struct percpu *p);

/* hammer.c: a hammer's life (vCPU 0 runs it too), the task of the other
 * hammers */
void hammer(void);
void hammer_task(void *arg);

#endif /* HCABI_STRESS_COMMON_H */
