/* SPDX-License-Identifier: MIT */
/*
 * The TLB.FLUSH rounds the arm64 and riscv64 tests share (flush_rounds.h).
 * Each round logs whether the stale translation was still seen between
 * the change and the flush: where it was not (a CPU may drop an entry at
 * any time), the round checks the required outcome only.
 */
#include "flush_rounds.h"

static uint64_t tlb_read_many(uint64_t va)
{
	uint64_t v = 0;
	for (int k = 0; k < 1000; k++)
		v = tlb_read(va);
	return v;
}

void tlb_rounds_self(const struct tlb_rounds_arch *A, uint64_t va, const char *req_flush)
{
	unsigned me = hcabi_cpu_index();
	volatile uint64_t *pte;
	uint64_t fr[2], stale = 0;

	if (!tlb_frames(&fr[0], &fr[1]) || !(pte = A->map(va, fr[0]))) {
		test_error("out of pages for the test mapping");
		return;
	}
	for (unsigned i = 0; i < TLB_ROUNDS; i++) {
		const struct tlb_round *R = &A->rounds[i];
		uint64_t old = fr[i & 1], new_ = fr[!(i & 1)], v;

		A->set_clean(pte, va, old, R->global);
		if (!R->global)
			A->set_asid(A->asid);
		v = tlb_read_many(va);
		A->set_asid(0);
		if (v != tlb_read(old)) {
			test_error("%s: the page does not read as the old frame", R->what);
			return;
		}
		A->set_stale(pte, va, new_, R->global);
		if (!R->global)
			A->set_asid(A->asid);
		if (tlb_read(va) == tlb_read(old))
			stale++;
		A->set_asid(0);
		check_ret(R->all ? A->flush(1, me, 0x1234, 0) : A->flush(1ull << me, 0, va, 1),
			  HCABI_SUCCESS, 0, req_flush, "FLUSH(the caller: %s)", R->what);
		if (!R->global)
			A->set_asid(A->asid);
		v = tlb_read(va);
		A->set_asid(0);
		check_eq_u64(v, tlb_read(new_), R->req,
			     "%s: the caller reads the new frame after FLUSH", R->what);
		if (!R->all)
			check_eq_u64(v, tlb_read(new_), A->req_gva, "%s: %s", R->what,
				     A->gva_named);
	}
	test_log("the stale translation was still seen before the flush in %llu of %u rounds",
		 (unsigned long long)stale, TLB_ROUNDS);
}

/* ---- remote ---- */

static struct {
	const struct tlb_rounds_arch *A;
	uint64_t va;
	uint64_t frames[2];
	uint64_t round, ready, flushed, done, timed_out;
	uint64_t seen[TLB_ROUNDS], stale[TLB_ROUNDS];
} tlb_rm;

/* On vCPU 1: each round, read the page (under the ASID for a non-global
 * entry) until vCPU 0 has flushed, then once more. */
static void tlb_rm_rounds(void)
{
	const struct tlb_rounds_arch *A = tlb_rm.A;
	uint64_t va = tlb_rm.va;

	for (unsigned i = 0; i < TLB_ROUNDS; i++) {
		uint64_t old = tlb_rm.frames[i & 1], v;

		if (!wait_for_u64(&tlb_rm.round, i + 1, HCABI_SEC(30))) {
			tlb_rm.timed_out = 1;
			return;
		}
		if (!A->rounds[i].global)
			A->set_asid(A->asid);
		(void)tlb_read_many(va);
		hcabi_atomic_store(&tlb_rm.ready, i + 1);
		v = tlb_read(va);
		while (hcabi_atomic_load(&tlb_rm.flushed) < i + 1) {
			v = tlb_read(va);
			hcabi_pause();
		}
		tlb_rm.stale[i] = v == tlb_read(old);
		tlb_rm.seen[i] = tlb_read(va);
		A->set_asid(0);
		hcabi_atomic_store(&tlb_rm.done, i + 1);
	}
}

static void tlb_rm_task(void *arg)
{
	(void)arg;
	if (tlb_rm.A->remote_enter)
		tlb_rm.A->remote_enter();
	tlb_rm_rounds();
	if (tlb_rm.A->remote_leave)
		tlb_rm.A->remote_leave();
}

void tlb_rounds_remote(const struct tlb_rounds_arch *A, uint64_t va)
{
	volatile uint64_t *pte;
	uint64_t stale = 0;

	memset(&tlb_rm, 0, sizeof(tlb_rm));
	tlb_rm.A = A;
	tlb_rm.va = va;
	if (!tlb_frames(&tlb_rm.frames[0], &tlb_rm.frames[1]) ||
	    !(pte = A->map(va, tlb_rm.frames[0]))) {
		test_error("out of pages for the test mapping");
		return;
	}
	if (!test_start_on_cpu(1, tlb_rm_task, 0))
		return;
	for (unsigned i = 0; i < TLB_ROUNDS && !tlb_rm.timed_out; i++) {
		const struct tlb_round *R = &A->rounds[i];
		uint64_t old = tlb_rm.frames[i & 1], new_ = tlb_rm.frames[!(i & 1)];

		A->set_clean(pte, va, old, R->global);
		hcabi_atomic_store(&tlb_rm.round, i + 1);
		if (!wait_for_u64(&tlb_rm.ready, i + 1, HCABI_SEC(30))) {
			test_error("round %u: vCPU 1 did not read the page within 30 s", i);
			break;
		}
		A->set_stale(pte, va, new_, R->global);
		delay_ns(HCABI_MS(5)); /* vCPU 1 keeps reading through its TLB */
		/* npages 0 names the caller too: two running targets */
		check_ret(R->all ? A->flush(3, 0, 0x1234, 0) : A->flush(1ull << 1, 0, va, 1),
			  HCABI_SUCCESS, 0, R->req, "FLUSH(%s: %s)",
			  R->all ? "the caller and vCPU 1" : "vCPU 1", R->what);
		hcabi_atomic_store(&tlb_rm.flushed, i + 1);
		if (!wait_for_u64(&tlb_rm.done, i + 1, HCABI_SEC(30))) {
			test_error("round %u: vCPU 1 did not read again within 30 s", i);
			break;
		}
		stale += tlb_rm.stale[i];
		check_eq_u64(tlb_rm.seen[i], tlb_read(new_), R->req,
			     "%s: vCPU 1 reads the new frame after FLUSH", R->what);
		if (!R->all)
			check_eq_u64(tlb_rm.seen[i], tlb_read(new_), A->req_gva, "%s: %s", R->what,
				     A->gva_named);
		else
			check_eq_u64(tlb_rm.seen[i], tlb_read(new_), A->req_all,
				     "%s: every address flushed on vCPU 1", R->what);
	}
	hcabi_atomic_store(&tlb_rm.round, TLB_ROUNDS + 1);
	hcabi_atomic_store(&tlb_rm.flushed, TLB_ROUNDS + 1);
	(void)test_wait_cpu(1, HCABI_SEC(30));
	test_log("vCPU 1 still saw the stale translation until the flush in %llu of %u rounds",
		 (unsigned long long)stale, TLB_ROUNDS);
}
