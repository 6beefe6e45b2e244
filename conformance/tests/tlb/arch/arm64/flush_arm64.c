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
#include "../../flush_rounds.h"

#define A64_VA 0x7F00000000ull /* GiB 508: an unused device block */
#define A64_VA_SELF A64_VA
#define A64_VA_REMOTE (A64_VA + (2ull << 20))

static void a64_asid(uint64_t asid)
{
	uint64_t ttbr = hcabi_read_sysreg(ttbr0_el1) & ~(0xFFFFull << 48);
	hcabi_write_sysreg(ttbr0_el1, ttbr | asid << 48);
	hcabi_isb();
}

static volatile uint64_t *a64_map(uint64_t va, uint64_t pa)
{
	return hcabi_arm64_map_page(va, pa, true);
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
static void a64_set_stale(volatile uint64_t *pte, uint64_t va, uint64_t pa, bool global)
{
	(void)va;
	*pte = hcabi_arm64_page_desc(pa, global);
	__asm__ __volatile__("dsb ish\n\tisb" ::: "memory");
}

static const struct tlb_round a64_rounds[TLB_ROUNDS] = {
    {true, false, "TLB-002.1", "a global entry, by page"},
    {true, true, "TLB-002.2", "a global entry, npages 0"},
    {false, false, "ARM64-033", "a non-global entry of ASID 5, by page"},
    {false, true, "ARM64-033", "a non-global entry of ASID 5, npages 0"},
};

static const struct tlb_rounds_arch a64_arch = {
    .rounds = a64_rounds,
    .asid = 5,
    .map = a64_map,
    .set_asid = a64_asid,
    .set_clean = a64_set_clean,
    .set_stale = a64_set_stale,
    .flush = hcabi_tlb_flush,
    .req_gva = "ARM64-032",
    .gva_named = "gva named the EL1&0 virtual address",
    .req_all = "ARM64-033",
};

HCABI_TEST(tlb_a64_self, "TLB.arm64_flush_self",
	   "ARM64-032,ARM64-033,TLB-002.1,TLB-002.2,TLB-003.2," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_TLB_FLUSH_SINCE)
{
	tlb_rounds_self(&a64_arch, A64_VA_SELF, "TLB-003.2");
}

HCABI_TEST(tlb_a64_remote, "TLB.arm64_flush_remote",
	   "ARM64-032,ARM64-033,TLB-002.1,TLB-002.2,VCPU-024.2,VCPU-030.2,STATUS-004,"
	   HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_TLB_FLUSH_SINCE)
{
	if (!test_require_cpus(2))
		return;
	tlb_rounds_remote(&a64_arch, A64_VA_REMOTE);
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
