/* SPDX-License-Identifier: MIT */
/*
 * IPI.SEND and the sender's memory, since HCABI 1.2: IPI-007.
 *
 * What: vCPU 1 runs with interrupts enabled. In each of 200 rounds vCPU 0
 * writes a round-specific pattern to eight words, one per cache line, then
 * calls SEND naming vCPU 1. vCPU 1's handler reads the eight words: every
 * one must hold the pattern of the round whose interrupt it is taking
 * (IPI-007), then acknowledges, and vCPU 0 waits for the acknowledgement
 * before the next round, so the words do not change while the handler
 * reads them. Each round's SEND must return SUCCESS with 0 (IPI-002.1).
 * Why: a kernel queues work for another CPU (Linux's call-function queue,
 * a TLB shootdown's range) in memory and then sends the IPI; the handler
 * reads the queue and finds nothing if the interrupt can overtake the
 * stores. On x86 the hypercall's exit orders the stores before anything
 * the hypervisor does, so this is expected to hold on every x86 host; the
 * test makes sure no implementation loses it, e.g. by delivering from a
 * stale copy of the caller's request.
 */
#include "ipi_common.h"

#define ST_VEC HCABI_TEST_VECTOR(0)
#define ST_ROUNDS 200u
#define ST_WORDS 8u

static struct {
	struct {
		uint64_t w;
		uint8_t pad[56];
	} line[ST_WORDS] __attribute__((aligned(64)));
	uint64_t acks, bad, bad_round, bad_word, bad_value, stop, ready;
} st;

static uint64_t st_pattern(uint64_t round, unsigned word)
{
	return 0x5354000000000000ull | (round << 8) | word;
}

/* vCPU 1: the handler of round acks + 1. */
static void st_handler(struct hcabi_frame *f, unsigned vector)
{
	uint64_t round = st.acks + 1;
	(void)f;
	(void)vector;
	for (unsigned i = 0; i < ST_WORDS; i++) {
		uint64_t v = *(volatile uint64_t *)&st.line[i].w;
		if (v != st_pattern(round, i) && !st.bad) {
			st.bad_round = round;
			st.bad_word = i;
			st.bad_value = v;
			st.bad = 1;
		}
	}
	hcabi_atomic_store(&st.acks, round);
}

static void st_task(void *arg)
{
	(void)arg;
	hcabi_irq_enable();
	hcabi_atomic_store(&st.ready, 1);
	while (!hcabi_atomic_load(&st.stop))
		hcabi_pause();
	hcabi_irq_disable();
}

HCABI_TEST(ipi_stores_visible, "IPI.send_stores_visible_to_handler",
	   "IPI-007,IPI-002.1,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO ",STATUS-004",
	   HCABI_VERSION_1_2)
{
	unsigned r;

	if (!test_require_cpus(2))
		return;
	memset(&st, 0, sizeof(st));
	hcabi_irq_register(ST_VEC, st_handler);
	if (!test_start_on_cpu(1, st_task, 0))
		return;
	/* START returns before vCPU 1 has enabled its local APIC, which drops a
	 * fixed interrupt until then (as on hardware): send once it runs the task */
	if (!wait_for_u64(&st.ready, 1, HCABI_SEC(30))) {
		test_error("vCPU 1 did not start the task within 30 s");
		hcabi_atomic_store(&st.stop, 1);
		(void)test_wait_cpu(1, HCABI_SEC(30));
		return;
	}
	for (r = 1; r <= ST_ROUNDS; r++) {
		for (unsigned i = 0; i < ST_WORDS; i++)
			st.line[i].w = st_pattern(r, i);
		if (!check_ret(hcabi_ipi_send(1, 1, ST_VEC), HCABI_SUCCESS, 0, "IPI-002.1",
			       "round %u: SEND(vCPU 1, vector 0x%02x)", r, ST_VEC))
			break;
		if (!wait_for_u64(&st.acks, r, HCABI_SEC(30))) {
			check_true(false, "IPI-002.1",
				   "round %u: vCPU 1 took no interrupt within 30 s of SEND", r);
			break;
		}
	}
	hcabi_atomic_store(&st.stop, 1);
	(void)test_wait_cpu(1, HCABI_SEC(30));
	if (st.bad)
		check_true(false, "IPI-007",
			   "round %llu: the handler read word %llu as 0x%llx, not the 0x%llx the "
			   "sender stored before SEND",
			   (unsigned long long)st.bad_round, (unsigned long long)st.bad_word,
			   (unsigned long long)st.bad_value,
			   (unsigned long long)st_pattern(st.bad_round, (unsigned)st.bad_word));
	else
		check_true(r > ST_ROUNDS, "IPI-007",
			   "the handler read every word as stored before SEND in %u of %u rounds",
			   r - 1, ST_ROUNDS);
}
