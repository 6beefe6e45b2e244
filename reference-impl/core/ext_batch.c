/* SPDX-License-Identifier: MIT */
/*
 * ext_batch.c - BATCH.EXECUTE: a table of calls in one exit. The table is
 * copied once; each entry goes through hcabi__core_call exactly as a direct
 * call (X86-002, version, reserved bits, status table), except that
 * functions marked HCABI_FN_NO_BATCH get DENIED. BATCH.EXECUTE is itself
 * NO_BATCH, so batches never nest.
 */
#include <string.h>

#include "hcabi_ref_internal.h"

#define ENTRY_SIZE 72u
_Static_assert(sizeof(struct hcabi_batch_entry) == ENTRY_SIZE, "hcabi_batch_entry");
#define ENTRY_STATUS_OFFSET 56u

static int64_t batch_handler(const struct hcabi__core_req *req, struct hcabi__core_res *res)
{
	struct hcabi_ref *ref = req->ref;

	switch (req->fid) {
	case HCABI_FID_BATCH_EXECUTE: {
		uint64_t gpa = req->args[0], count = req->args[1], done = 0;
		uint8_t table[HCABI_BATCH_MAX_ENTRIES * ENTRY_SIZE];
		uint8_t late[HCABI_BATCH_MAX_ENTRIES][16];
		/* test-only fault "other": every result is written after the
		 * last entry ran, which 1.1 allowed and BATCH-007 does not */
		bool other = hcabi__core_fault_has(ref, req->fid, HCABI_REF_FAULT_OTHER_READING);
		int64_t st;

		/* BATCH-001: count first, then the table; count 0 executes
		 * nothing and does not check gpa. */
		if (count > HCABI_BATCH_MAX_ENTRIES)
			return HCABI_ERR_INVALID_PARAM;
		if (count == 0) {
			res->value = 0;
			return HCABI_SUCCESS;
		}
		st = hcabi__core_check_gpa(ref, gpa, count, ENTRY_SIZE, 8);
		if (st != HCABI_SUCCESS)
			return st;
		/* BATCH-005: the whole table, once, before the first entry. */
		if (ref->ops->mem_read(ref->ctx, gpa, table, (size_t)(count * ENTRY_SIZE)) !=
		    HCABI_REF_POK) {
			hcabi__core_count_host_error(ref);
			return HCABI_ERR_INVALID_ADDRESS;
		}
		for (uint64_t i = 0; i < count; i++) {
			const uint8_t *e = table + i * ENTRY_SIZE;
			uint64_t fid = hcabi__core_get_le(e, 8), args[HCABI__CORE_NARGS];
			struct hcabi__core_res er;
			uint8_t out[16];

			for (unsigned a = 0; a < HCABI__CORE_NARGS; a++)
				args[a] = hcabi__core_get_le(e + 8 + 8 * a, 8);
			/* BATCH-002, BATCH-004: the same path as a direct call. */
			int fn = hcabi__core_call(ref, req->vcpu, fid, args, true, &er);
			hcabi__core_finish(ref, req->vcpu, fid, fn, true, &er, NULL);
			/* BATCH-002.4, BATCH-007: status and value into the
			 * entry before the next entry runs; nothing else of the
			 * entry is written. */
			hcabi__core_put_le(out, (uint64_t)er.status, 8);
			hcabi__core_put_le(out + 8, er.value, 8);
			if (other)
				memcpy(late[i], out, sizeof(out));
			else if (ref->ops->mem_write(ref->ctx,
						     gpa + i * ENTRY_SIZE + ENTRY_STATUS_OFFSET,
						     out, sizeof(out)) != HCABI_REF_POK)
				hcabi__core_count_host_error(ref);
			done = i + 1;
			/* BATCH-003: stop after the first failure. */
			if (er.status != HCABI_SUCCESS)
				break;
		}
		for (uint64_t i = 0; other && i < done; i++)
			if (ref->ops->mem_write(ref->ctx,
						gpa + i * ENTRY_SIZE + ENTRY_STATUS_OFFSET,
						late[i], sizeof(late[i])) != HCABI_REF_POK)
				hcabi__core_count_host_error(ref);
		res->value = done;
		return HCABI_SUCCESS;
	}

	default:
		return HCABI_ERR_NOT_SUPPORTED;
	}
}

const struct hcabi__ext hcabi__ext_BATCH = {
    .eid = HCABI_EID_BATCH,
    .handler = batch_handler,
};
