/* SPDX-License-Identifier: MIT */
/*
 * The TLB.FLUSH rounds the arm64 and riscv64 tests share (self and
 * remote: arch/arm64/flush_arm64.c, arch/riscv64/flush_riscv64.c): one
 * definition of the rounds, each architecture's page-table writes, ASID
 * switch and FLUSH call passed in as hooks, its round table and the
 * requirement IDs its checks cite passed in as data (tables its tests name,
 * so the tests manifest still finds every ID a test checks).
 *
 * Each round maps a page to frame A, reads it (the TLB holding the
 * translation), points the entry at frame B without TLB maintenance and
 * calls FLUSH: the next read must return B's contents. Rounds: a global
 * entry by page and with npages 0, a non-global one read under another
 * ASID by page and with npages 0.
 */
#ifndef TLB_FLUSH_ROUNDS_H
#define TLB_FLUSH_ROUNDS_H

#include "tlb_common.h"

#define TLB_ROUNDS 4u

/* One round: a global entry or not; by page or npages 0; the requirement
 * the new frame's read checks; what the messages call it. */
struct tlb_round {
	bool global, all;
	const char *req, *what;
};

/* What an architecture does for the rounds. */
struct tlb_rounds_arch {
	const struct tlb_round *rounds; /* TLB_ROUNDS of them */
	uint64_t asid;			/* the non-global rounds' ASID */
	/* the page table entry of va, first mapped to frame pa; NULL: out of pages */
	volatile uint64_t *(*map)(uint64_t va, uint64_t pa);
	void (*set_asid)(uint64_t asid);
	/* point *pte (of va) at frame pa with the TLB maintenance a guest would do ... */
	void (*set_clean)(volatile uint64_t *pte, uint64_t va, uint64_t pa, bool global);
	/* ... and without any (what FLUSH must make visible) */
	void (*set_stale)(volatile uint64_t *pte, uint64_t va, uint64_t pa, bool global);
	struct hcabi_ret (*flush)(uint64_t mask, uint64_t base, uint64_t gva, uint64_t npages);
	/* on vCPU 1 before and after its rounds (NULL: nothing) */
	void (*remote_enter)(void), (*remote_leave)(void);
	const char *req_gva, *gva_named; /* the by-page rounds: gva named the address */
	const char *req_all;		 /* the remote npages 0 rounds: every address */
};

/* The rounds on the caller at va; req_flush: FLUSH's own status and value. */
void tlb_rounds_self(const struct tlb_rounds_arch *A, uint64_t va, const char *req_flush);

/* The rounds on vCPU 1 at va, vCPU 0 flushing (two vCPUs running). */
void tlb_rounds_remote(const struct tlb_rounds_arch *A, uint64_t va);

#endif /* TLB_FLUSH_ROUNDS_H */
