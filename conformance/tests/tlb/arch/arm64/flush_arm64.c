/* SPDX-License-Identifier: MIT */
/*
 * TLB.FLUSH on arm64: ARM64-032 (gva is an EL1&0 virtual address),
 * ARM64-033 (running targets invalidate the named addresses, or all, for
 * every ASID, global entries included), ARM64-034 (canonical: bits 63:48
 * all equal), with TLB-002 and TLB-003.2.
 *
 * What:
 *  - self: the caller maps a page of its own (hcabi_arm64_map_page) to
 *    frame A, reads it, points the level-3 entry at frame B without any TLB
 *    maintenance and flushes itself; its next read must return B's
 *    contents. Rounds: a global entry by page and with npages 0 (through
 *    base), and a non-global one (nG) read under ASID 5 while the caller
 *    runs with ASID 0, by page and with npages 0;
 *  - remote: vCPU 1 reads the page over and over (its TLB holding the
 *    translation); vCPU 0 changes the entry, calls FLUSH naming vCPU 1 (by
 *    page) or vCPU 1 and itself (npages 0) and raises a flag; vCPU 1's next
 *    read must return the new frame. The same four rounds, the non-global
 *    ones with vCPU 1 under ASID 5;
 *  - canonical: ranges holding an address whose bits 63:48 are not all
 *    equal are INVALID_PARAM (ARM64-034); what a range that is canonical on
 *    arm64 but outside x86-64's 48-bit halves (2^47, 0xFFFF000000000000)
 *    gets is only logged: the requirement names what must be refused.
 * Each flush round logs whether the stale translation was still seen
 * between the change and the flush: where it was not (a CPU may drop an
 * entry at any time), the round checks the required outcome only.
 * Why: a guest frees a page after a shootdown; a vCPU that still reaches
 * it through a stale entry, of any ASID, corrupts memory.
 */
#include "../../tlb_common.h"

#define A64_VA 0x7F00000000ull /* GiB 508: an unused device block */
#define A64_VA_SELF A64_VA
#define A64_VA_REMOTE (A64_VA + (2ull << 20))
#define A64_ASID 5ull
#define A64_ROUNDS 4u

static const struct a64_round {
	bool global, all; /* a global entry; npages 0 */
	const char *req, *what;
} a64_rounds[A64_ROUNDS] = {
    {true, false, "TLB-002.1", "a global entry, by page"},
    {true, true, "TLB-002.2", "a global entry, npages 0"},
    {false, false, "ARM64-033", "a non-global entry of ASID 5, by page"},
    {false, true, "ARM64-033", "a non-global entry of ASID 5, npages 0"},
};

static void a64_asid(uint64_t asid)
{
	uint64_t ttbr = hcabi_read_sysreg(ttbr0_el1) & ~(0xFFFFull << 48);
	hcabi_write_sysreg(ttbr0_el1, ttbr | asid << 48);
	hcabi_isb();
}

/* Point *pte at frame pa, with the TLB maintenance a guest would do (the
 * mapping every round starts from). */
static void a64_set_clean(volatile uint64_t *pte, uint64_t va, uint64_t pa, bool global)
{
	*pte = hcabi_arm64_page_desc(pa, global);
	__asm__ __volatile__("dsb ishst\n\ttlbi vaae1is, %0\n\tdsb ish\n\tisb" ::"r"(va >> 12)
			     : "memory");
}

/* ... and without any (what FLUSH must make visible). */
static void a64_set_stale(volatile uint64_t *pte, uint64_t pa, bool global)
{
	*pte = hcabi_arm64_page_desc(pa, global);
	__asm__ __volatile__("dsb ish\n\tisb" ::: "memory");
}

static uint64_t a64_read_many(uint64_t va)
{
	uint64_t v = 0;
	for (int k = 0; k < 1000; k++)
		v = tlb_read(va);
	return v;
}

HCABI_TEST(tlb_a64_self, "TLB.arm64_flush_self",
	   "ARM64-032,ARM64-033,TLB-002.1,TLB-002.2,TLB-003.2," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_TLB_FLUSH_SINCE)
{
	unsigned me = hcabi_cpu_index();
	volatile uint64_t *pte;
	uint64_t fr[2], stale = 0;

	if (!tlb_frames(&fr[0], &fr[1]) || !(pte = hcabi_arm64_map_page(A64_VA_SELF, fr[0], true))) {
		test_error("out of pages for the test mapping");
		return;
	}
	for (unsigned i = 0; i < A64_ROUNDS; i++) {
		const struct a64_round *R = &a64_rounds[i];
		uint64_t old = fr[i & 1], new_ = fr[!(i & 1)], v;

		a64_set_clean(pte, A64_VA_SELF, old, R->global);
		if (!R->global)
			a64_asid(A64_ASID);
		v = a64_read_many(A64_VA_SELF);
		a64_asid(0);
		if (v != tlb_read(old)) {
			test_error("%s: the page does not read as the old frame", R->what);
			return;
		}
		a64_set_stale(pte, new_, R->global);
		if (!R->global)
			a64_asid(A64_ASID);
		if (tlb_read(A64_VA_SELF) == tlb_read(old))
			stale++;
		a64_asid(0);
		check_ret(R->all ? hcabi_tlb_flush(1, me, 0x1234, 0)
				 : hcabi_tlb_flush(1ull << me, 0, A64_VA_SELF, 1),
			  HCABI_SUCCESS, 0, "TLB-003.2", "FLUSH(the caller: %s)", R->what);
		if (!R->global)
			a64_asid(A64_ASID);
		v = tlb_read(A64_VA_SELF);
		a64_asid(0);
		check_eq_u64(v, tlb_read(new_), R->req,
			     "%s: the caller reads the new frame after FLUSH", R->what);
		if (!R->all)
			check_eq_u64(v, tlb_read(new_), "ARM64-032",
				     "%s: gva named the EL1&0 virtual address", R->what);
	}
	test_log("the stale translation was still seen before the flush in %llu of %u rounds",
		 (unsigned long long)stale, A64_ROUNDS);
}

/* ---- remote ---- */

static struct {
	volatile uint64_t *pte;
	uint64_t frames[2];
	uint64_t round, ready, flushed, done, timed_out;
	uint64_t seen[A64_ROUNDS], stale[A64_ROUNDS];
} rm;

/* On vCPU 1: each round, read the page (under ASID 5 for a non-global
 * entry) until vCPU 0 has flushed, then once more. */
static void rm_task(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < A64_ROUNDS; i++) {
		uint64_t old = rm.frames[i & 1], v;

		if (!wait_for_u64(&rm.round, i + 1, HCABI_SEC(30))) {
			rm.timed_out = 1;
			return;
		}
		if (!a64_rounds[i].global)
			a64_asid(A64_ASID);
		(void)a64_read_many(A64_VA_REMOTE);
		hcabi_atomic_store(&rm.ready, i + 1);
		v = tlb_read(A64_VA_REMOTE);
		while (hcabi_atomic_load(&rm.flushed) < i + 1) {
			v = tlb_read(A64_VA_REMOTE);
			hcabi_pause();
		}
		rm.stale[i] = v == tlb_read(old);
		rm.seen[i] = tlb_read(A64_VA_REMOTE);
		a64_asid(0);
		hcabi_atomic_store(&rm.done, i + 1);
	}
}

HCABI_TEST(tlb_a64_remote, "TLB.arm64_flush_remote",
	   "ARM64-032,ARM64-033,TLB-002.1,TLB-002.2,VCPU-024.2,VCPU-030.2,STATUS-004,"
	   HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_TLB_FLUSH_SINCE)
{
	uint64_t stale = 0;

	if (!test_require_cpus(2))
		return;
	memset(&rm, 0, sizeof(rm));
	if (!tlb_frames(&rm.frames[0], &rm.frames[1]) ||
	    !(rm.pte = hcabi_arm64_map_page(A64_VA_REMOTE, rm.frames[0], true))) {
		test_error("out of pages for the test mapping");
		return;
	}
	if (!test_start_on_cpu(1, rm_task, 0))
		return;
	for (unsigned i = 0; i < A64_ROUNDS && !rm.timed_out; i++) {
		const struct a64_round *R = &a64_rounds[i];
		uint64_t old = rm.frames[i & 1], new_ = rm.frames[!(i & 1)];

		a64_set_clean(rm.pte, A64_VA_REMOTE, old, R->global);
		hcabi_atomic_store(&rm.round, i + 1);
		if (!wait_for_u64(&rm.ready, i + 1, HCABI_SEC(30))) {
			test_error("round %u: vCPU 1 did not read the page within 30 s", i);
			break;
		}
		a64_set_stale(rm.pte, new_, R->global);
		delay_ns(HCABI_MS(5)); /* vCPU 1 keeps reading through its TLB */
		/* npages 0 names the caller too: two running targets */
		check_ret(R->all ? hcabi_tlb_flush(3, 0, 0x1234, 0)
				 : hcabi_tlb_flush(1ull << 1, 0, A64_VA_REMOTE, 1),
			  HCABI_SUCCESS, 0, R->req, "FLUSH(%s: %s)",
			  R->all ? "the caller and vCPU 1" : "vCPU 1", R->what);
		hcabi_atomic_store(&rm.flushed, i + 1);
		if (!wait_for_u64(&rm.done, i + 1, HCABI_SEC(30))) {
			test_error("round %u: vCPU 1 did not read again within 30 s", i);
			break;
		}
		stale += rm.stale[i];
		check_eq_u64(rm.seen[i], tlb_read(new_), R->req,
			     "%s: vCPU 1 reads the new frame after FLUSH", R->what);
		if (!R->all)
			check_eq_u64(rm.seen[i], tlb_read(new_), "ARM64-032",
				     "%s: gva named the EL1&0 virtual address", R->what);
		else
			check_eq_u64(rm.seen[i], tlb_read(new_), "ARM64-033",
				     "%s: every address flushed on vCPU 1", R->what);
	}
	hcabi_atomic_store(&rm.round, A64_ROUNDS + 1);
	hcabi_atomic_store(&rm.flushed, A64_ROUNDS + 1);
	(void)test_wait_cpu(1, HCABI_SEC(30));
	test_log("vCPU 1 still saw the stale translation until the flush in %llu of %u rounds",
		 (unsigned long long)stale, A64_ROUNDS);
}

/* ---- canonical ---- */

HCABI_TEST(tlb_a64_canonical, "TLB.arm64_flush_canonical", "ARM64-034," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_TLB_FLUSH_SINCE)
{
	uint64_t self = 1ull << hcabi_cpu_index();
	static const struct {
		uint64_t gva, npages;
		const char *what;
	} bad[] = {
	    {0x0001000000000000ull, 1, "2^48: bits 63:48 = 0x0001"},
	    {0x8000000000000000ull, 1, "2^63: bits 63:48 = 0x8000"},
	    {0xFFFE000000000000ull, 1, "bits 63:48 = 0xFFFE"},
	    {0x0000FFFFFFFFF000ull, 2, "the last page below 2^48 and the next"},
	    {0xFFFEFFFFFFFFF000ull, 2, "from below the upper half into it"},
	}, logged[] = {
	    {0x0000800000000000ull, 1, "2^47 (canonical on arm64, not in x86-64's 48 bits)"},
	    {0xFFFF000000000000ull, 1, "the first upper-half page (idem)"},
	};

	for (size_t i = 0; i < HCABI_ARRAY_SIZE(bad); i++)
		check_status(hcabi_tlb_flush(self, 0, bad[i].gva, bad[i].npages),
			     HCABI_ERR_INVALID_PARAM, "ARM64-034",
			     "FLUSH(the caller, gva 0x%llx, npages %llu: %s)",
			     (unsigned long long)bad[i].gva, (unsigned long long)bad[i].npages,
			     bad[i].what);
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(logged); i++) {
		struct hcabi_ret r = hcabi_tlb_flush(self, 0, logged[i].gva, logged[i].npages);
		test_log("FLUSH(the caller, gva 0x%llx, npages %llu: %s): status %lld, value %llu",
			 (unsigned long long)logged[i].gva, (unsigned long long)logged[i].npages,
			 logged[i].what, (long long)r.status, (unsigned long long)r.value);
	}
}
