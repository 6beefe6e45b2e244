/* SPDX-License-Identifier: MIT */
/*
 * Moving and unregistering the record: STEAL-005.1 (DISABLE), STEAL-005.2
 * (another address), and STEAL-002, STEAL-003 parts for the record that
 * replaces it and for the per-vCPU ownership.
 *
 * What:
 *  - after SET_SHMEM moves the record from A to B, A (poisoned right after
 *    the move) is never written again while the vCPU makes calls and time
 *    passes, and B is the live record (STEAL-005.2, STEAL-003.1, .3);
 *  - after SET_SHMEM(HCABI_STEAL_DISABLE) returns SUCCESS with 0, B
 *    (poisoned) is never written again; disabling again with nothing
 *    registered is SUCCESS with 0; registering A again brings it back to
 *    life (STEAL-005.1, STEAL-002.1 to .3);
 *  - records are per vCPU: vCPU 1 registers its own record, sees it
 *    updated by its calls, disables it, and it goes quiet, while vCPU 0's
 *    record stays registered and updated (STEAL-003.1, .3, STEAL-005.1);
 *  - VCPU.STOP unregisters the stopped vCPU's record: a record vCPU 1 left
 *    registered when it stopped is not written again, even after vCPU 1 is
 *    started again and makes calls. 1.0 and 1.1 say it only in STOP's
 *    description, so STEAL.stopped_vcpu_record checks it under "-" at every
 *    version; from 1.2 it is STEAL-006, checked by STEAL.stop_unregisters.
 *    Both run the same scenario (stopped_record_quiet), each on its own
 *    record.
 * Why: a guest moves or drops a record when it frees or reuses the memory
 * (a stopped vCPU's per-CPU memory among them); a hypervisor that still
 * writes the old place corrupts whatever the guest put there.
 */
#include "steal_common.h"

static struct steal_records recs;

/* Make calls for a while (every call is an occasion to update a record). */
static void calls_for(uint64_t ns)
{
	uint64_t t0 = hcabi_now_ns();
	unsigned n = 0;
	while (hcabi_now_ns() - t0 < ns || n < 50) {
		(void)hcabi_base_get_spec_version();
		n++;
	}
}

HCABI_TEST(steal_move_disable, "STEAL.move_and_disable",
	   "STEAL-005.1,STEAL-005.2,STEAL-002.1,STEAL-002.2,STEAL-002.3,STEAL-003.1,STEAL-003.3,"
	   HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_STEAL_SET_SHMEM_SINCE)
{
	volatile struct hcabi_steal_time *a = steal_rec(&recs, 0), *b = steal_rec(&recs, 1);
	uint32_t seq;

	steal_unregister();
	steal_poison(a);
	steal_poison(b);
	if (!check_ret(hcabi_steal_set_shmem(hcabi_gpa(a)), HCABI_SUCCESS, 0, "STEAL-002.1",
		       "SET_SHMEM(A)"))
		goto out;
	calls_for(HCABI_MS(10));
	check_ret(hcabi_steal_set_shmem(hcabi_gpa(b)), HCABI_SUCCESS, 0, "STEAL-005.2",
		  "SET_SHMEM(B): move the record");
	steal_poison(a);
	seq = b->sequence;
	calls_for(HCABI_MS(100));
	check_true(steal_is_poison(a), "STEAL-005.2",
		   "A, the record before the move, was not written again");
	check_true(steal_seq_delta(seq, b->sequence) >= 100, "STEAL-003.1",
		   "B is the live record: sequence %u -> %u", seq, b->sequence);
	check_true(!(b->sequence & 1), "STEAL-003.3", "B's sequence %u is even after a call",
		   b->sequence);

	check_ret(hcabi_steal_set_shmem(HCABI_STEAL_DISABLE), HCABI_SUCCESS, 0, "STEAL-005.1",
		  "SET_SHMEM(HCABI_STEAL_DISABLE)");
	steal_poison(b);
	calls_for(HCABI_MS(100));
	check_true(steal_is_poison(b), "STEAL-005.1", "B was not written after DISABLE");
	check_true(steal_is_poison(a), "STEAL-005.2", "A was not written either");
	check_ret(hcabi_steal_set_shmem(HCABI_STEAL_DISABLE), HCABI_SUCCESS, 0, "STEAL-005.1",
		  "SET_SHMEM(HCABI_STEAL_DISABLE) with nothing registered");

	/* A registered again */
	check_ret(hcabi_steal_set_shmem(hcabi_gpa(a)), HCABI_SUCCESS, 0, "STEAL-002.1",
		  "SET_SHMEM(A) again");
	check_true(!(a->sequence & 1), "STEAL-002.1", "A written again: sequence %u is even",
		   a->sequence);
	check_true(steal_reserved_zero(a), "STEAL-002.2",
		   "A written again: flags and reserved words are zero");
	check_true(a->steal_ns != STEAL_POISON_NS, "STEAL-002.3", "A written again: steal_ns");
	seq = a->sequence;
	calls_for(HCABI_MS(10));
	check_true(steal_seq_delta(seq, a->sequence) >= 2, "STEAL-003.1",
		   "A is updated again: sequence %u -> %u", seq, a->sequence);
	check_true(steal_is_poison(b), "STEAL-005.1", "B stays untouched");
	check_ret(hcabi_steal_set_shmem(HCABI_STEAL_DISABLE), HCABI_SUCCESS, 0, "STEAL-005.1",
		  "SET_SHMEM(HCABI_STEAL_DISABLE)");
	steal_poison(a);
	calls_for(HCABI_MS(50));
	check_true(steal_is_poison(a), "STEAL-005.1", "A was not written after the second DISABLE");
out:
	steal_unregister();
}

/* ---- per vCPU ---- */

static struct {
	struct hcabi_ret reg, dis;
	uint32_t seq0, seq1;
	bool quiet;
} ap;

static void ap_own_record(void *arg)
{
	volatile struct hcabi_steal_time *c = steal_rec(&recs, 4);
	(void)arg;
	steal_poison(c);
	ap.reg = hcabi_steal_set_shmem(hcabi_gpa(c));
	ap.seq0 = c->sequence;
	calls_for(HCABI_MS(20));
	ap.seq1 = c->sequence;
	ap.dis = hcabi_steal_set_shmem(HCABI_STEAL_DISABLE);
	steal_poison(c);
	calls_for(HCABI_MS(50));
	ap.quiet = steal_is_poison(c);
}

HCABI_TEST(steal_per_vcpu, "STEAL.per_vcpu_records",
	   "STEAL-003.1,STEAL-003.3,STEAL-005.1,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO
	   ",STATUS-004",
	   HCABI_FID_STEAL_SET_SHMEM_SINCE)
{
	volatile struct hcabi_steal_time *a = steal_rec(&recs, 0);
	uint32_t seq;

	if (!test_require_cpus(2))
		return;
	steal_unregister();
	steal_poison(a);
	if (!check_ret(hcabi_steal_set_shmem(hcabi_gpa(a)), HCABI_SUCCESS, 0, "STEAL-003.1",
		       "SET_SHMEM(A) on vCPU 0"))
		goto out;
	memset(&ap, 0, sizeof(ap));
	if (!test_run_on_cpu(1, ap_own_record, 0))
		goto out;
	check_ret(ap.reg, HCABI_SUCCESS, 0, "STEAL-003.1", "SET_SHMEM(C) on vCPU 1");
	check_true(steal_seq_delta(ap.seq0, ap.seq1) >= 2, "STEAL-003.1",
		   "vCPU 1's calls update its record C: sequence %u -> %u", ap.seq0, ap.seq1);
	check_true(!(ap.seq1 & 1), "STEAL-003.3", "C's sequence %u is even after a call", ap.seq1);
	check_ret(ap.dis, HCABI_SUCCESS, 0, "STEAL-005.1", "SET_SHMEM(DISABLE) on vCPU 1");
	check_true(ap.quiet, "STEAL-005.1", "C was not written after vCPU 1 disabled it");
	seq = a->sequence;
	calls_for(HCABI_MS(10));
	check_true(steal_seq_delta(seq, a->sequence) >= 2, "STEAL-003.1",
		   "vCPU 0's record A is still registered and updated: sequence %u -> %u", seq,
		   a->sequence);
	check_true(!(a->sequence & 1), "STEAL-003.3", "A's sequence %u is even after a call",
		   a->sequence);
out:
	steal_unregister();
}

/* ---- a stopped vCPU's record ---- */

static struct hcabi_ret left_reg;

/* On vCPU 1: register record `arg` (an index into recs) and return without
 * DISABLE, so that the runtime stops the vCPU (VCPU.STOP) with the record
 * still registered. */
static void ap_leave_registered(void *arg)
{
	volatile struct hcabi_steal_time *d = steal_rec(&recs, (unsigned)(uintptr_t)arg);
	steal_poison(d);
	left_reg = hcabi_steal_set_shmem(hcabi_gpa(d));
	calls_for(HCABI_MS(10));
}

static void ap_calls(void *arg)
{
	(void)arg;
	calls_for(HCABI_MS(100));
}

/* vCPU 1 stopped with record d registered (ap_leave_registered): d,
 * poisoned, is not written while vCPU 1 is stopped, nor after it is started
 * again and makes calls; `req` names the requirement checked. */
static void stopped_record_quiet(volatile struct hcabi_steal_time *d, const char *req)
{
	steal_poison(d);
	calls_for(HCABI_MS(100));
	check_true(steal_is_poison(d), req,
		   "vCPU 1's record is not written while vCPU 1 is stopped (VCPU.STOP "
		   "unregisters it)");
	if (!test_run_on_cpu(1, ap_calls, 0))
		return;
	check_true(steal_is_poison(d), req,
		   "vCPU 1's record is not written after vCPU 1 is started again and makes calls "
		   "(the record went with the STOP)");
}

#define STOP_REC_1_0 5u /* STEAL.stopped_vcpu_record */
#define STOP_REC_1_2 2u /* STEAL.stop_unregisters */

HCABI_TEST(steal_stop, "STEAL.stopped_vcpu_record",
	   "STEAL-002.1,STEAL-002.2,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO ",STATUS-004",
	   HCABI_FID_STEAL_SET_SHMEM_SINCE)
{
	volatile struct hcabi_steal_time *d = steal_rec(&recs, STOP_REC_1_0);

	if (!test_require_cpus(2))
		return;
	if (!test_run_on_cpu(1, ap_leave_registered, (void *)(uintptr_t)STOP_REC_1_0))
		return;
	if (!check_ret(left_reg, HCABI_SUCCESS, 0, "STEAL-002.1", "SET_SHMEM(D) on vCPU 1"))
		return;
	check_true(!(d->sequence & 1), "STEAL-002.1", "vCPU 1's record D was in use (sequence %u)",
		   d->sequence);
	check_true(steal_reserved_zero(d), "STEAL-002.2",
		   "vCPU 1's record D has zero flags and reserved words");
	/* 1.0 and 1.1 say it in STOP's description only: no requirement ID */
	stopped_record_quiet(d, "-");
}

HCABI_TEST(steal_stop_unregisters, "STEAL.stop_unregisters",
	   "STEAL-006,VCPU-024.2,VCPU-030.2," HCABI_REQ_VALUE_ZERO ",STATUS-004", HCABI_VERSION_1_2)
{
	volatile struct hcabi_steal_time *d = steal_rec(&recs, STOP_REC_1_2);

	if (!test_require_cpus(2))
		return;
	if (!test_run_on_cpu(1, ap_leave_registered, (void *)(uintptr_t)STOP_REC_1_2))
		return;
	if (left_reg.status != HCABI_SUCCESS || (d->sequence & 1)) {
		test_error("vCPU 1 could not register a record (status %lld, sequence %u)",
			   (long long)left_reg.status, d->sequence);
		return;
	}
	stopped_record_quiet(d, "STEAL-006");
}
