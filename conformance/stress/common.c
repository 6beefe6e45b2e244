/* SPDX-License-Identifier: MIT */
/*
 * common.c - the stress run's state, and the helpers every part uses.
 */
#include "common.h"

const char *const op_names[OP__COUNT] = {
    "idle",	    "IPI.SEND(mask)", "IPI.SEND(all_but_self)", "IPI.SEND(invalid)",
    "TIME.SET_TIMER/CANCEL_TIMER", "VCPU.KICK", "KICK/BLOCK round", "VCPU.BLOCK",
    "BATCH.EXECUTE", "VCPU.START of a pool vCPU", "waiting for a pool vCPU to stop",
    "VCPU.GET_STATUS", "TLB.FLUSH", "VCPU.YIELD", "the start barrier", "the final drain",
    "a pool burst", "a pool vCPU waiting for release", "done",
};

struct percpu pc[MAXC];
unsigned ncpu, nham; /* vCPUs; hammers are 0 .. nham-1, the pool nham .. ncpu-1 */
bool have_abs, have_tlb;
struct part parts[8] = {{"abs", true},   {"tlb", true},   {"pool", true}, {"batch", true},
			{"timer", true}, {"block", true}, {"kick", true}, {"lapic", false}};

struct dup dups[MAXC][MAX_DUPS];
volatile uint64_t ndups[MAXC];
volatile uint64_t redeliveries[MAXC];
uint64_t total_redeliveries;
bool strict;
uint64_t duration_ns = HCABI_SEC(HCABI_STRESS_SECONDS);
uint64_t seed;

/* IPI counters: [sender][target] */
volatile uint64_t ipi_sent[MAXC][MAXC], ipi_recv[MAXC][MAXC];
volatile uint64_t abs_sent[MAXC], abs_recv[MAXC][MAXC];
volatile uint64_t timer_spurious[MAXC];

/* phases */
volatile uint64_t up_count, go, stop, abort_run;
uint64_t run_start;
volatile uint64_t n_fail;

/* pool */
volatile uint64_t pool_owner[MAXC];   /* claimer + 1, 0 = free */
volatile uint64_t pool_ready[MAXC];   /* the burst is over */
volatile uint64_t pool_release[MAXC]; /* the claimer lets it stop */
volatile uint64_t bogus_starts;

void fail(const char *fmt, ...)
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

void set_op(enum op o)
{
	struct percpu *p = &pc[me()];
	p->op = o;
	p->op_since = hcabi_now_ns();
	hcabi_atomic_add(&p->progress, 1);
}

/* Expect SUCCESS with value v (v = ~0: any value). */
bool expect_ok(struct hcabi_ret r, uint64_t v, const char *what)
{
	if (r.status == HCABI_SUCCESS && (v == ~0ull || r.value == v))
		return true;
	fail("%s: status %s (%lld) value 0x%llx, expected SUCCESS%s", what, hcabi_status_name(r.status),
	     (long long)r.status, (unsigned long long)r.value, v == ~0ull ? "" : " with the value");
	return false;
}

void stress_delay(uint64_t ns)
{
	uint64_t start = hcabi_now_ns();
	while (hcabi_now_ns() - start < ns) {
		for (int i = 0; i < 64; i++)
			hcabi_pause();
	}
}
