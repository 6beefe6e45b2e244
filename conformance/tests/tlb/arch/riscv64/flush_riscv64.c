/* SPDX-License-Identifier: MIT */
/*
 * TLB.FLUSH on riscv64: RV64-028 (gva is a virtual address translated
 * through satp), RV64-029 (running targets invalidate the named addresses,
 * or all, for every ASID, global mappings included), RV64-030 (canonical:
 * bits 63:47 all equal), with TLB-002 and TLB-003.2.
 *
 * What:
 *  - the runtime runs without translation; these tests turn Sv39 on
 *    (hcabi_riscv64_sv39.h's identity map, in which everything keeps its
 *    address) on each vCPU taking part, and map two pages of their own at
 *    RV_VA_SELF and RV_VA_REMOTE (GiB 255, which the identity map leaves
 *    out, through a level-1 and a level-0 table); translation is off again
 *    when a test ends;
 *  - self: the caller maps its page to frame A, reads it, points the leaf
 *    at frame B with no SFENCE.VMA and flushes itself; its next read must
 *    return B's contents. Rounds: a global leaf by page and with npages 0
 *    (through base), and a non-global one read under ASID 5 while the
 *    caller runs with ASID 0, by page and with npages 0. Around each FLUSH
 *    a2..a7 hold patterns and satp and sstatus are compared: the call
 *    changes none of them (RV64-009, RV64-012);
 *  - remote: vCPU 1 reads the page over and over (its TLB holding the
 *    translation); vCPU 0 changes the leaf, calls FLUSH naming vCPU 1 (by
 *    page) or vCPU 1 and itself (npages 0) and raises a flag; vCPU 1's next
 *    read must return the new frame. The same four rounds, the non-global
 *    ones with vCPU 1 under ASID 5;
 *  - canonical: ranges holding an address whose bits 63:47 are not all
 *    equal are INVALID_PARAM, canonical Sv39 and Sv48 addresses of both
 *    halves are accepted (RV64-030).
 * Each flush round logs whether the stale translation was still seen
 * between the change and the flush: where it was not (a hart may drop an
 * entry at any time, and QEMU's drops them at every satp write), the round
 * checks the required outcome only.
 * Why: a guest frees a page after a shootdown; a vCPU that still reaches
 * it through a stale entry, of any ASID, corrupts memory.
 */
#include "../../flush_rounds.h"

#include "hcabi_riscv64_sv39.h"

#define RV_GIB 255u /* the root entry the test pages hang from */
#define RV_VA_SELF ((uint64_t)RV_GIB << 30)
#define RV_VA_REMOTE (RV_VA_SELF + 0x1000)
#define RV_PAT 0xA5A5A5A500000000ull

static uint64_t rv_root[HCABI_SV39_ENTRIES] __attribute__((aligned(4096)));
static uint64_t rv_l1[HCABI_SV39_ENTRIES] __attribute__((aligned(4096)));
static uint64_t rv_l0[HCABI_SV39_ENTRIES] __attribute__((aligned(4096)));

/* The tables: the identity map, and GiB RV_GIB through rv_l1 and rv_l0
 * (the two test pages, invalid until a round maps them). */
static void rv_tables(void)
{
	hcabi_sv39_identity(rv_root);
	memset(rv_l1, 0, sizeof(rv_l1));
	memset(rv_l0, 0, sizeof(rv_l0));
	rv_l1[0] = hcabi_sv39_pte(hcabi_gpa(rv_l0), HCABI_PTE_V);
	rv_root[RV_GIB] = hcabi_sv39_pte(hcabi_gpa(rv_l1), HCABI_PTE_V);
	hcabi_mb();
}

/* The leaf of va (the rounds map it; a round's first write makes it valid). */
static volatile uint64_t *rv_leaf(uint64_t va, uint64_t pa)
{
	(void)pa;
	return &rv_l0[(va >> 12) & 511];
}

/* Translation on with ASID asid (no fence: a change of ASID must not drop
 * anything), or off. */
static void rv_asid(uint64_t asid)
{
	hcabi_csr_write(satp, hcabi_sv39_satp(hcabi_gpa(rv_root), asid));
}

static void rv_paging_on(void)
{
	rv_asid(0);
	__asm__ __volatile__("sfence.vma" ::: "memory");
}

static void rv_paging_off(void)
{
	hcabi_csr_write(satp, 0);
	__asm__ __volatile__("sfence.vma" ::: "memory");
}

/* Point the leaf of va at frame pa with the fence a guest would make (the
 * mapping every round starts from) ... */
static void rv_set_clean(volatile uint64_t *leaf, uint64_t va, uint64_t pa, bool global)
{
	*leaf = hcabi_sv39_pte(pa, HCABI_PTE_LEAF_RWX | (global ? HCABI_PTE_G : 0));
	__asm__ __volatile__("sfence.vma %0, zero" ::"r"(va) : "memory");
}

/* ... and without any (what FLUSH must make visible). */
static void rv_set_stale(volatile uint64_t *leaf, uint64_t va, uint64_t pa, bool global)
{
	(void)va;
	*leaf = hcabi_sv39_pte(pa, HCABI_PTE_LEAF_RWX | (global ? HCABI_PTE_G : 0));
	hcabi_mb();
}

/* TLB.FLUSH with a2..a7 as the call leaves them in out[0..5] (a4 and a5
 * carry patterns in). */
static struct hcabi_ret rv_flush(uint64_t mask, uint64_t base, uint64_t gva, uint64_t npages,
				 uint64_t out[6])
{
	register uint64_t a0 __asm__("a0") = mask;
	register uint64_t a1 __asm__("a1") = base;
	register uint64_t a2 __asm__("a2") = gva;
	register uint64_t a3 __asm__("a3") = npages;
	register uint64_t a4 __asm__("a4") = RV_PAT | 4;
	register uint64_t a5 __asm__("a5") = RV_PAT | 5;
	register uint64_t a6 __asm__("a6") = HCABI_FID_TLB_FLUSH;
	register uint64_t a7 __asm__("a7") = HCABI_RISCV64_SBI_EID;

	__asm__ __volatile__("ecall"
			     : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5), "+r"(a6),
			       "+r"(a7)
			     :
			     : "memory");
	out[0] = a2;
	out[1] = a3;
	out[2] = a4;
	out[3] = a5;
	out[4] = a6;
	out[5] = a7;
	return (struct hcabi_ret){.status = (int64_t)a0, .value = a1};
}

/* rv_flush, checking that a2..a7, satp and sstatus came back unchanged. */
static struct hcabi_ret rv_flush_checked(uint64_t mask, uint64_t base, uint64_t gva,
					 uint64_t npages)
{
	const uint64_t in[6] = {
	    gva, npages, RV_PAT | 4, RV_PAT | 5, HCABI_FID_TLB_FLUSH, HCABI_RISCV64_SBI_EID};
	uint64_t satp0 = hcabi_csr_read(satp), sstatus0 = hcabi_csr_read(sstatus), out[6];
	struct hcabi_ret r = rv_flush(mask, base, gva, npages, out);

	for (unsigned i = 0; i < 6; i++)
		check_eq_u64(out[i], in[i], "RV64-009", "a%u after FLUSH", 2 + i);
	check_eq_u64(hcabi_csr_read(satp), satp0, "RV64-012", "satp after FLUSH");
	check_eq_u64(hcabi_csr_read(sstatus), sstatus0, "RV64-012", "sstatus after FLUSH");
	return r;
}

static const struct tlb_round rv_rounds[TLB_ROUNDS] = {
    {true, false, "TLB-002.1", "a global leaf, by page"},
    {true, true, "TLB-002.2", "a global leaf, npages 0"},
    {false, false, "RV64-029", "a non-global leaf of ASID 5, by page"},
    {false, true, "RV64-029", "a non-global leaf of ASID 5, npages 0"},
};

static const struct tlb_rounds_arch rv_arch = {
    .rounds = rv_rounds,
    .asid = 5,
    .map = rv_leaf,
    .set_asid = rv_asid,
    .set_clean = rv_set_clean,
    .set_stale = rv_set_stale,
    .flush = rv_flush_checked,
    .remote_enter = rv_paging_on,
    .remote_leave = rv_paging_off,
    .req_gva = "RV64-028",
    .gva_named = "gva named the virtual address, translated through satp",
    .req_all = "RV64-029",
};

HCABI_TEST(tlb_rv_self, "TLB.riscv64_flush_self",
	   "RV64-028,RV64-029,RV64-009,RV64-012,TLB-002.1,TLB-002.2,TLB-003.2," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_TLB_FLUSH_SINCE)
{
	rv_tables();
	rv_paging_on();
	tlb_rounds_self(&rv_arch, RV_VA_SELF, "TLB-003.2");
	rv_paging_off();
}

HCABI_TEST(tlb_rv_remote, "TLB.riscv64_flush_remote",
	   "RV64-028,RV64-029,RV64-009,RV64-012,TLB-002.1,TLB-002.2,VCPU-024.2,VCPU-030.2,"
	   "STATUS-004," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_TLB_FLUSH_SINCE)
{
	if (!test_require_cpus(2))
		return;
	rv_tables();
	rv_paging_on();
	tlb_rounds_remote(&rv_arch, RV_VA_REMOTE);
	rv_paging_off();
}

/* ---- canonical ---- */

HCABI_TEST(tlb_rv_canonical, "TLB.riscv64_flush_canonical", "RV64-030," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_TLB_FLUSH_SINCE)
{
	uint64_t self = 1ull << hcabi_cpu_index();
	static const struct {
		uint64_t gva, npages;
		const char *what;
	} bad[] =
	    {
		{0x0000800000000000ull, 1, "2^47: bits 63:47 = 0x00001"},
		{0x0001000000000000ull, 1, "2^48"},
		{0x8000000000000000ull, 1, "2^63"},
		{0xFFFF000000000000ull, 1, "bits 63:48 set, bit 47 clear"},
		{0x0000007FFFFFF000ull, 1ull << 35, "from below 2^39 across 2^47"},
		{0x00007FFFFFFFF000ull, 2, "the last page below 2^47 and the next"},
		{0xFFFF7FFFFFFFF000ull, 2, "from below the upper half into it"},
	    },
	  good[] = {
	      {0x0000003FFFFFF000ull, 1, "the last page of Sv39's lower half"},
	      {0xFFFFFFC000000000ull, 1, "the first page of Sv39's upper half"},
	      {0x00007FFFFFFFF000ull, 1, "the last page of Sv48's lower half"},
	      {0xFFFF800000000000ull, 1, "the first page of Sv48's upper half"},
	  };

	for (size_t i = 0; i < HCABI_ARRAY_SIZE(bad); i++)
		check_ret(
		    hcabi_tlb_flush(self, 0, bad[i].gva, bad[i].npages), HCABI_ERR_INVALID_PARAM, 0,
		    "RV64-030", "FLUSH(the caller, gva 0x%llx, npages 0x%llx: %s)",
		    (unsigned long long)bad[i].gva, (unsigned long long)bad[i].npages, bad[i].what);
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(good); i++)
		check_ret(hcabi_tlb_flush(self, 0, good[i].gva, good[i].npages), HCABI_SUCCESS, 0,
			  "RV64-030", "FLUSH(the caller, gva 0x%llx, npages %llu: %s)",
			  (unsigned long long)good[i].gva, (unsigned long long)good[i].npages,
			  good[i].what);
}
