/* SPDX-License-Identifier: MIT */
/*
 * VCPU.START of a vCPU that stopped itself, again and again: VCPU-023,
 * VCPU-024, VCPU-032 (the register state a restart begins with is the
 * architecture's: arch/<arch>/).
 *
 * What:
 *  - restart_stress: 600 rounds on vCPU 2. vCPU 0 prepares round r's boot
 *    state while round r - 1 runs, spins on memory until vCPU 2 is a few
 *    instructions from its VCPU.STOP, then calls START(2) over and over:
 *    while vCPU 2 has not stopped, START must say ALREADY_STARTED with
 *    a value of 0 (VCPU-023); the first other answer must be SUCCESS with 0
 *    (VCPU-032: a vCPU stopped by STOP is startable, also while the
 *    hypervisor is still taking it down), and vCPU 2 must then run the
 *    round's entry point exactly once, report the round's number and its own
 *    index (GET_ID) (VCPU-024).
 * Why: a guest offlines and onlines CPUs (suspend, hotplug, a CPU parked by
 * its idle loop) and reuses the same CPU at once; a hypervisor whose START
 * fails while the stopped vCPU is still being taken down (the survivor
 * "START's wait for a parking thread gives up at once" of docs/mutation.md)
 * breaks that. Every START right after the target stopped is such a race;
 * the loop makes hundreds. Latency is never bounded; only statuses, counts
 * and values are compared.
 */
#include "vcpu_common.h"

/* ---- restart_stress --------------------------------------------------------------- */

/* Under nested KVM on TCG, a START timed this way caught a START that gives
 * up on a thread still parking (the mutant) in 4 of 5 boots of 300 rounds
 * and in 5 of 5 boots of 600 (at rounds 1, 17, 44, 59, 538); calling START
 * over and over while the target runs caught it in none of 5 boots, so the
 * trigger is the target's last store before STOP. */
#define RST_ROUNDS 600u
#define RST_CPU 2u

static struct vcpu_raw rst_ctx[2]; /* round r uses rst_ctx[r % 2] */
static vcpu_bs rst_bs[2] __attribute__((aligned(64)));

/* Report the round (data[1], set by vCPU 0) and GET_ID; vcpu_raw_main then
 * sets before_stop and calls VCPU.STOP a few instructions later. */
static void rst_report(struct vcpu_raw *ctx)
{
	struct hcabi_ret id = hcabi_vcpu_get_id();
	ctx->data[2] = id.status == HCABI_SUCCESS ? id.value : ~0ull;
	ctx->data[0] = ctx->data[1];
}

static void rst_prepare(unsigned r)
{
	struct vcpu_raw *c = &rst_ctx[r % 2];

	vcpu_raw_prepare(c, RST_CPU, rst_report);
	c->data[1] = r + 1;
	vcpu_raw_boot_state(&rst_bs[r % 2], c, 0);
}

/* Spin on memory (no hypercall per poll, so the START that follows comes
 * as soon as possible after the target's STOP) until *p is non-zero; the
 * clock is read every 4096 polls. */
static bool rst_spin(volatile uint64_t *p, uint64_t timeout_ns)
{
	uint64_t t0 = hcabi_now_ns();
	for (unsigned i = 1;; i++) {
		if (hcabi_atomic_load(p))
			return true;
		hcabi_pause();
		if (!(i & 4095) && hcabi_now_ns() - t0 > timeout_ns)
			return hcabi_atomic_load(p) != 0;
	}
}

HCABI_TEST(vcpu_restart_stress, "VCPU.restart_stress",
	   "VCPU-032,VCPU-023,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_VCPU_START_SINCE)
{
	uint64_t raced = 0, busy_max = 0;
	struct hcabi_ret ret;

	if (!test_require_cpus(RST_CPU + 1))
		return;
	if (!vcpu_wait_state(RST_CPU, HCABI_VCPU_STATUS_STOPPED, HCABI_SEC(10))) {
		test_error("vCPU %u is not stopped at the start of the test", RST_CPU);
		return;
	}
	rst_prepare(0);
	for (unsigned r = 0; r < RST_ROUNDS; r++) {
		struct vcpu_raw *c = &rst_ctx[r % 2];
		uint64_t busy = 0, t0 = hcabi_now_ns();

		/* START from the moment the previous round's vCPU is about to
		 * STOP: ALREADY_STARTED while it runs, then SUCCESS */
		for (;;) {
			ret = vcpu_start_raw(RST_CPU, &rst_bs[r % 2]);
			if (ret.status != HCABI_ERR_ALREADY_STARTED)
				break;
			if (ret.value != 0) {
				check_status(ret, HCABI_ERR_ALREADY_STARTED, "VCPU-023",
					     "round %u: START(%u) while it still runs", r, RST_CPU);
				return;
			}
			busy++;
			if (hcabi_now_ns() - t0 > HCABI_SEC(30)) {
				check_true(false, "VCPU-030.2",
					   "round %u: vCPU %u, which called VCPU.STOP, was still "
					   "not stopped (START said ALREADY_STARTED) after 30 s",
					   r, RST_CPU);
				return;
			}
		}
		if (busy) {
			raced++;
			if (busy > busy_max)
				busy_max = busy;
		}
		if (ret.status != HCABI_SUCCESS || ret.value != 0) {
			check_ret(ret, HCABI_SUCCESS, 0, "VCPU-032",
				  "round %u: START(%u) right after it stopped itself (after %llu "
				  "ALREADY_STARTED)",
				  r, RST_CPU, (unsigned long long)busy);
			return;
		}
		/* the next round's context last ran in round r - 1, which had
		 * stopped: START(r) succeeded */
		if (r + 1 < RST_ROUNDS)
			rst_prepare(r + 1);
		if (!rst_spin(&c->before_stop, HCABI_SEC(10))) {
			check_true(false, "VCPU-024.2",
				   "round %u: restarted vCPU %u did not run its entry point and "
				   "reach its STOP within 10 s (entries %llu)",
				   r, RST_CPU, (unsigned long long)hcabi_atomic_load(&c->entries));
			return;
		}
		if (c->entries != 1 || c->data[0] != r + 1 || c->data[2] != RST_CPU || c->faulted) {
			check_true(
			    false, "VCPU-024.2",
			    "round %u: vCPU %u entered %llu time(s) (want 1), reported round "
			    "%llu (want %u), GET_ID %lld (want %u), exception: %s",
			    r, RST_CPU, (unsigned long long)c->entries,
			    (unsigned long long)c->data[0], r + 1, (long long)c->data[2], RST_CPU,
			    c->faulted ? "yes" : "no");
			return;
		}
	}
	if (!vcpu_wait_state(RST_CPU, HCABI_VCPU_STATUS_STOPPED, HCABI_SEC(30))) {
		check_true(false, "VCPU-030.2", "vCPU %u did not stop after the last round", RST_CPU);
		return;
	}
	check_true(true, "VCPU-032",
		   "%u restarts of vCPU %u, each START made at once after it stopped itself, "
		   "returned SUCCESS with 0",
		   RST_ROUNDS, RST_CPU);
	check_true(true, "VCPU-023",
		   "in %llu of them START came while vCPU %u was still running and said "
		   "ALREADY_STARTED with RDX = 0 (up to %llu times in a row) until it stopped",
		   (unsigned long long)raced, RST_CPU, (unsigned long long)busy_max);
	check_true(true, "VCPU-024.2",
		   "each restart ran its entry point once, as vCPU %u, and reported its round",
		   RST_CPU);
}
