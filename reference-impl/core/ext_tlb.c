/* SPDX-License-Identifier: MIT */
/*
 * ext_tlb.c - TLB.FLUSH: hypervisor-assisted remote TLB invalidation.
 * Targets and the linear-address range are validated before any flush.
 */
#include "hcabi_ref_internal.h"

/* The canonical halves with 57-bit linear addresses (5-level paging): only
 * the test-only fault "other" uses them; the binding's own rule is
 * hcabi__core_range_canonical's. */
#define LOWER_HALF_END_57 UINT64_C(0x0100000000000000)
#define UPPER_HALF_START_57 UINT64_C(0xFF00000000000000)

/* TLB-001: [gva, gva + npages * 4096) page aligned, wholly canonical (in one
 * half of the address space as the binding defines it: x86-64 48-bit,
 * whatever the caller's paging mode, TLB-006, since 1.2; arm64 ARM64-034;
 * riscv64 RV64-030) and not overflowing. A range that ends exactly at
 * 2^64 (its last byte 0xFFFF_FFFF_FFFF_FFFF) does not overflow. `other`:
 * the test-only fault's reading, which 1.1 allowed and 1.2 rejects (an end
 * at 2^64 overflows, and canonical means canonical in 57 bits). */
static bool range_valid(const struct hcabi_ref *ref, uint64_t gva, uint64_t npages, bool other)
{
	uint64_t size, last;

	if (gva & (HCABI_PAGE_SIZE - 1))
		return false;
	if (npages > UINT64_MAX / HCABI_PAGE_SIZE)
		return false;
	size = npages * HCABI_PAGE_SIZE;
	if (gva > UINT64_MAX - (size - 1))
		return false;
	last = gva + (size - 1);
	/* TLB-005 (since 1.2): ending at 2^64 is no overflow; the test-only
	 * fault "other" reads it as one. */
	if (other && last == UINT64_MAX)
		return false;
	if (other)
		return last < LOWER_HALF_END_57 || gva >= UPPER_HALF_START_57;
	return hcabi__core_range_canonical(ref, gva, last);
}

static int64_t tlb_handler(const struct hcabi__core_req *req, struct hcabi__core_res *res)
{
	struct hcabi_ref *ref = req->ref;

	switch (req->fid) {
	case HCABI_FID_TLB_FLUSH: {
		uint64_t mask = req->args[0], base = req->args[1];
		uint64_t gva = req->args[2], npages = req->args[3], running;
		bool failed = false;
		bool other = hcabi__core_fault_has(ref, req->fid, HCABI_REF_FAULT_OTHER_READING);

		/* TLB-001: targets, then (npages != 0) the range; gva is
		 * ignored when npages is 0. Checked even when the mask is 0
		 * (TLB-004, since 1.2; the fault "other" returns first). */
		if (other && mask == 0) {
			res->value = 0;
			return HCABI_SUCCESS;
		}
		if (!hcabi__core_targets_valid(ref, mask, base))
			return HCABI_ERR_INVALID_PARAM;
		if (npages != 0 && !range_valid(ref, gva, npages, other))
			return HCABI_ERR_INVALID_PARAM;
		if (npages == 0)
			gva = 0;
		res->value = 0;
		/* TLB-003: mask 0 flushes nothing; stopped targets are
		 * skipped; the caller may be a target. */
		running = mask ? hcabi__core_targets_running(ref, mask, base) : 0;
		for (unsigned i = 0; i < 64; i++) {
			int r;
			if (!((running >> i) & 1u))
				continue;
			/* TLB-002: flushed before FLUSH returns. */
			r = ref->ops->tlb_flush(ref->ctx, (uint32_t)(base + i), gva, npages);
			if (r != HCABI_REF_POK && r != HCABI_REF_PERR_STATE) {
				hcabi__core_count_host_error(ref);
				failed = true;
			}
		}
		return failed ? HCABI__CORE_INTERNAL_FAILURE : HCABI_SUCCESS;
	}

	default:
		return HCABI_ERR_NOT_SUPPORTED;
	}
}

const struct hcabi__ext hcabi__ext_TLB = {
    .eid = HCABI_EID_TLB,
    .handler = tlb_handler,
};
