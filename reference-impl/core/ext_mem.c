/* SPDX-License-Identifier: MIT */
/*
 * ext_mem.c - MEM: RELEASE (balloon) and GET_LAYOUT (the merged RAM ranges
 * of the configuration).
 */
#include <string.h>

#include "hcabi_ref_internal.h"

#define MEM_RANGE_SIZE 24u /* sizeof(struct hcabi_mem_range) */
_Static_assert(sizeof(struct hcabi_mem_range) == MEM_RANGE_SIZE, "hcabi_mem_range");

static int64_t mem_handler(const struct hcabi__core_req *req, struct hcabi__core_res *res)
{
	struct hcabi_ref *ref = req->ref;

	switch (req->fid) {
	case HCABI_FID_MEM_RELEASE: {
		uint64_t gpa = req->args[0], npages = req->args[1];
		int64_t st;
		int r;

		/* MEM-001: npages 0 first, then alignment and the range
		 * (GEN-001); nothing released on either error. */
		if (npages == 0)
			return HCABI_ERR_INVALID_PARAM;
		st = hcabi__core_check_gpa(ref, gpa, npages, HCABI_PAGE_SIZE, HCABI_PAGE_SIZE);
		if (st != HCABI_SUCCESS)
			return st;
		/* MEM-002, MEM-003: the platform makes them read as zero until
		 * written. */
		r = ref->ops->mem_release(ref->ctx, gpa, npages);
		if (r != HCABI_REF_POK) {
			hcabi__core_count_host_error(ref);
			return r == HCABI_REF_PERR_FAULT ? HCABI_ERR_INVALID_ADDRESS
							 : HCABI__CORE_INTERNAL_FAILURE;
		}
		res->value = npages;
		return HCABI_SUCCESS;
	}

	case HCABI_FID_MEM_GET_LAYOUT: {
		uint64_t gpa = req->args[0], max = req->args[1], k;
		uint8_t e[MEM_RANGE_SIZE];
		int64_t st;

		/* MEM-010: max_entries 0 writes nothing, gpa not checked. */
		if (max == 0) {
			res->value = ref->nram;
			return HCABI_SUCCESS;
		}
		k = max < ref->nram ? max : ref->nram;
		/* MEM-012, GEN-001: checked whole before anything is written;
		 * MEM-013 (since 1.2): only the k entries written. The
		 * test-only fault "other" checks the capacity up to 1024
		 * entries (a host buffer's worth), as 1.1 allowed; a capacity
		 * that overflows was already valid in 1.0 (MEM-010). */
		st = hcabi__core_check_gpa(
		    ref, gpa,
		    hcabi__core_fault_has(ref, req->fid, HCABI_REF_FAULT_OTHER_READING)
			? (max < 1024 ? max : 1024)
			: k,
		    MEM_RANGE_SIZE, 8);
		if (st != HCABI_SUCCESS)
			return st;
		for (uint64_t i = 0; i < k; i++) {
			/* MEM-011: sorted, merged, 4 KiB granular, type RAM;
			 * GEN-003: reserved0 written as zero. */
			memset(e, 0, sizeof(e));
			hcabi__core_put_le(e + 0, ref->ram[i].base, 8);
			hcabi__core_put_le(e + 8, ref->ram[i].size, 8);
			hcabi__core_put_le(e + 16, HCABI_MEM_RANGE_RAM, 4);
			if (ref->ops->mem_write(ref->ctx, gpa + i * MEM_RANGE_SIZE, e, sizeof(e)) !=
			    HCABI_REF_POK) {
				hcabi__core_count_host_error(ref);
				return HCABI__CORE_INTERNAL_FAILURE;
			}
		}
		res->value = ref->nram; /* MEM-010: the total */
		return HCABI_SUCCESS;
	}

	default:
		return HCABI_ERR_NOT_SUPPORTED;
	}
}

const struct hcabi__ext hcabi__ext_MEM = {
    .eid = HCABI_EID_MEM,
    .handler = mem_handler,
};
