/* SPDX-License-Identifier: MIT */
/*
 * IPI.SEND all_but_self from the second group of 64 vCPUs (HCABI 1.1):
 * IPI-004 (and VCPU-024, VCPU-030 for the starts).
 *
 * What: in a VM of 66 vCPUs, two rounds. In the first, vCPU 0 starts vCPUs
 * 65 (a receiver) and 64 (the caller) with the VCPU tests' raw boot states;
 * every other vCPU is stopped. With interrupts disabled everywhere, the
 * caller calls SEND(mask 0, base 0, all_but_self | W_VEC): it returns SUCCESS
 * with 0 and nothing is pending in the caller's interrupt controller; once
 * the caller's "sent" flag is seen, vCPU 0 (first group) and the receiver
 * (the caller's group) each have W_VEC pending (before-return semantics). Then each enables
 * interrupts for 100 ms: vCPU 0 and the receiver take it exactly once, the
 * caller never. Both stop; the second round swaps the roles (caller 65,
 * receiver 64), so the caller is in turn the first and the second vCPU of
 * its group; the third has the first group's last vCPU call (caller 63,
 * receiver 65).
 * Why: all_but_self works in groups of 64 vCPUs; a hypervisor that finds the
 * caller's bit with the group's base added instead of subtracted (the
 * survivor `vcpu - b < 64` -> `vcpu + b < 64` of docs/mutation.md), or that
 * only looks at the first group, interrupts the caller or misses a group,
 * and only a VM of more than 64 vCPUs shows it. The two rounds tell apart
 * mistakes about where the group starts: one that finds the caller only at
 * the group's first index (`vcpu > b`), and one that starts the second group
 * one vCPU late (`b += 65`: vCPU 64 is in no group), each pass one round;
 * one that takes a group for 63 vCPUs when it looks for the caller
 * (`vcpu - b < 63`) interrupts caller 63. A broadcast that reaches its
 * sender breaks a guest's TLB shootdown and stop-the-world code on big VMs.
 * Latency is never bounded; only statuses, pending bits and counts are
 * compared.
 */
#include "../vcpu/vcpu_common.h"

#define W_BIT HCABI_IPI_SEND_VECTOR_ALL_BUT_SELF_MASK
#define W_VEC HCABI_TEST_VECTOR(0)
#define W_LOW 64u  /* the second group's first vCPU */
#define W_HIGH 65u /* and its second */
#define W_LAST 63u /* the first group's last */
#define W_WAIT HCABI_SEC(20)

/* data[] of each raw context */
enum {
	D_READY,  /* the vCPU runs, its interrupt controller enabled */
	D_STATUS, /* the sender: SEND's status */
	D_VALUE,  /* the sender: SEND's value */
	D_SENT,	  /* the sender: SEND returned */
	D_IRR,	  /* W_VEC pending here (after SEND returned) */
	D_TAKEN,  /* interrupts of W_VEC taken in the 100 ms watch */
	D_DONE,	  /* the watch is over */
};

static struct vcpu_raw w_sender, w_receiver;
static unsigned w_sender_cpu, w_receiver_cpu; /* this round's roles */
static vcpu_bs w_bs[2] __attribute__((aligned(64)));

/* Deliveries of W_VEC passed to the handler, per vCPU taking part: the
 * runtime passes none of the platform's replays (hcabi_irq_replays), so
 * this counts what the hypervisor sent. */
static volatile uint64_t w_taken[3];

static unsigned w_slot(void)
{
	unsigned cpu = hcabi_cpu_index();
	return cpu == w_sender_cpu ? 1 : cpu == w_receiver_cpu ? 2 : 0;
}

static void w_handler(struct hcabi_frame *f, unsigned vector)
{
	(void)f;
	if (vector == W_VEC)
		hcabi_atomic_add(&w_taken[w_slot()], 1);
}

/* With interrupts enabled for 100 ms, the vector's deliveries to this vCPU. */
static uint64_t w_watch(void)
{
	uint64_t before = hcabi_atomic_load(&w_taken[w_slot()]);
	hcabi_irq_enable();
	delay_ns(HCABI_MS(100));
	hcabi_irq_disable();
	return hcabi_atomic_load(&w_taken[w_slot()]) - before;
}

static void w_send(struct vcpu_raw *ctx)
{
	struct hcabi_ret r;

	hcabi_intc_enable();
	hcabi_atomic_store(&ctx->data[D_READY], 1);
	vcpu_raw_wait_release(ctx);
	r = hcabi_ipi_send(0, 0, W_BIT | W_VEC);
	ctx->data[D_STATUS] = (uint64_t)r.status;
	ctx->data[D_VALUE] = r.value;
	ctx->data[D_IRR] = hcabi_intc_pending(W_VEC);
	hcabi_atomic_store(&ctx->data[D_SENT], 1);
	ctx->data[D_TAKEN] = w_watch();
	hcabi_atomic_store(&ctx->data[D_DONE], 1);
}

static void w_receive(struct vcpu_raw *ctx)
{
	hcabi_intc_enable();
	hcabi_atomic_store(&ctx->data[D_READY], 1);
	vcpu_raw_wait_release(ctx); /* released once the sender's SEND returned */
	ctx->data[D_IRR] = hcabi_intc_pending(W_VEC);
	ctx->data[D_TAKEN] = w_watch();
	hcabi_atomic_store(&ctx->data[D_DONE], 1);
}

static bool w_start(struct vcpu_raw *ctx, vcpu_bs *bs, unsigned cpu,
		    void (*fn)(struct vcpu_raw *))
{
	vcpu_raw_prepare(ctx, cpu, fn);
	vcpu_raw_boot_state(bs, ctx, 0);
	if (!check_ret(vcpu_start_raw(cpu, bs), HCABI_SUCCESS, 0, "VCPU-024.2", "START(%u)", cpu))
		return false;
	return check_true(wait_for_u64(&ctx->data[D_READY], 1, W_WAIT), "VCPU-024.2",
			  "vCPU %u ran its entry point and enabled its interrupt controller", cpu);
}

/* One round: `sender` calls SEND all_but_self, `receiver` and vCPU 0 must
 * each take it exactly once, the sender never; both stop at the end.
 * Returns whether both are STOPPED again (a next round can start them). */
static bool w_round(unsigned sender, unsigned receiver)
{
	uint64_t irr0, taken0;
	bool started = false, stopped = true;

	w_sender_cpu = sender;
	w_receiver_cpu = receiver;
	if (!w_start(&w_receiver, &w_bs[1], receiver, w_receive))
		goto out;
	started = true;
	if (!w_start(&w_sender, &w_bs[0], sender, w_send))
		goto out;

	hcabi_atomic_store(&w_sender.release, 1);
	if (!check_true(wait_for_u64(&w_sender.data[D_SENT], 1, W_WAIT), "IPI-004.3",
			"SEND on vCPU %u returned within 20 s", sender))
		goto out;
	irr0 = hcabi_intc_pending(W_VEC);
	hcabi_atomic_store(&w_receiver.release, 1);
	taken0 = w_watch();
	if (!check_true(wait_for_u64(&w_sender.data[D_DONE], 1, W_WAIT) &&
			    wait_for_u64(&w_receiver.data[D_DONE], 1, W_WAIT),
			"IPI-004.4", "vCPUs %u and %u finished their 100 ms watch", sender, receiver))
		goto out;

	check_ret((struct hcabi_ret){(int64_t)w_sender.data[D_STATUS], w_sender.data[D_VALUE]},
		  HCABI_SUCCESS, 0, "IPI-004.3",
		  "SEND(mask 0, base 0, vector 0x100 | 0x%x) on vCPU %u of %llu", W_VEC, sender,
		  (unsigned long long)vcpu_count());
	check_true(!w_sender.data[D_IRR], "IPI-004.5",
		   "nothing pending in the caller's (vCPU %u) interrupt controller when SEND returned", sender);
	check_eq_u64(w_sender.data[D_TAKEN], 0, "IPI-004.5",
		     "interrupts the caller (vCPU %u) took: none", sender);
	check_true(irr0, "IPI-004.3",
		   "vCPU 0 had vector 0x%x pending once vCPU %u's SEND had returned", W_VEC, sender);
	check_eq_u64(taken0, 1, "IPI-004.4", "vCPU 0 took vCPU %u's IPI exactly once", sender);
	check_true(w_receiver.data[D_IRR], "IPI-004.3",
		   "vCPU %u had vector 0x%x pending once vCPU %u's SEND had returned", receiver,
		   W_VEC, sender);
	check_eq_u64(w_receiver.data[D_TAKEN], 1, "IPI-004.4",
		     "vCPU %u took vCPU %u's IPI exactly once", receiver, sender);
out:
	hcabi_atomic_store(&w_sender.release, 1);
	hcabi_atomic_store(&w_receiver.release, 1);
	if (started && !vcpu_raw_wait_stopped(&w_receiver, receiver, HCABI_SEC(30)))
		stopped = check_true(false, "VCPU-030.2",
				     "vCPU %u called VCPU.STOP and was not STOPPED", receiver);
	if (w_sender.entries && !vcpu_raw_wait_stopped(&w_sender, sender, HCABI_SEC(30)))
		stopped = check_true(false, "VCPU-030.2",
				     "vCPU %u called VCPU.STOP and was not STOPPED", sender);
	return stopped;
}

HCABI_TEST(ipi_all_but_self_wide, "IPI.send_all_but_self_second_group",
	   "IPI-004.3,IPI-004.4,IPI-004.5,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO,
	   HCABI_VERSION_1_1)
{
	/* not test_require_cpus: the runtime's hcabi_smp_count() stops at
	 * HCABI_MAX_CPUS (32); GET_COUNT gives the VM's count */
	if (!test_require_ext(HCABI_EID_VCPU))
		return;
	if (vcpu_count() < W_HIGH + 1) {
		test_skip("needs %u vCPUs, the VM has %llu", W_HIGH + 1,
			  (unsigned long long)vcpu_count());
		return;
	}
	if (hcabi_cpu_index() != 0) {
		test_error("the test runs on vCPU %u, not vCPU 0", hcabi_cpu_index());
		return;
	}
	for (unsigned cpu = 1; cpu < vcpu_count(); cpu++)
		if (!vcpu_wait_state(cpu, HCABI_VCPU_STATUS_STOPPED, HCABI_SEC(10))) {
			test_error("vCPU %u is not stopped at the start of the test", cpu);
			return;
		}
	hcabi_irq_register(W_VEC, w_handler);
	hcabi_irq_disable();
	if (w_round(W_LOW, W_HIGH) && w_round(W_HIGH, W_LOW))
		w_round(W_LAST, W_HIGH);
}
