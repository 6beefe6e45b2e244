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
#define ENTRY_WORDS (ENTRY_SIZE / 8u)
_Static_assert(sizeof(struct hcabi_batch_entry) == ENTRY_SIZE, "hcabi_batch_entry");
#define ENTRY_STATUS_OFFSET 56u
_Static_assert(ENTRY_STATUS_OFFSET == 8u + 8u * HCABI__CORE_NARGS, "status after the arguments");

/* The table is read once into 64-bit words and each entry's function ID and
 * arguments are used in place, and each result goes back as one 16-byte
 * write: per entry, the batch costs little more than the core's dispatch
 * (docs/performance.md, (b)). A big-endian host converts the words once. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define LE_WORDS_ARE_NATIVE 1
#else
#define LE_WORDS_ARE_NATIVE 0
#endif

static void words_from_le(uint64_t *w, size_t n)
{
	for (size_t i = 0; !LE_WORDS_ARE_NATIVE && i < n; i++)
		w[i] = hcabi__core_get_le((const uint8_t *)&w[i], 8);
}

static void words_to_le(uint64_t *w, size_t n)
{
	for (size_t i = 0; !LE_WORDS_ARE_NATIVE && i < n; i++) {
		uint64_t v = w[i];
		hcabi__core_put_le((uint8_t *)&w[i], v, 8);
	}
}

static int64_t batch_handler(const struct hcabi__core_req *req, struct hcabi__core_res *res)
{
	struct hcabi_ref *ref = req->ref;

	switch (req->fid) {
	case HCABI_FID_BATCH_EXECUTE: {
		uint64_t gpa = req->args[0], count = req->args[1], done = 0;
		uint64_t table[HCABI_BATCH_MAX_ENTRIES * ENTRY_WORDS];
		uint64_t late[HCABI_BATCH_MAX_ENTRIES][2];
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
		words_from_le(table, (size_t)(count * ENTRY_WORDS));
		for (uint64_t i = 0; i < count; i++) {
			const uint64_t *e = table + i * ENTRY_WORDS;
			struct hcabi__core_res er;
			uint64_t out[2];

			/* BATCH-002, BATCH-004: the same path as a direct call
			 * (which reads only the function's own arguments). */
			hcabi__core_call_entry(ref, req->vcpu, e, &er);
			/* BATCH-002.4, BATCH-007: status and value into the
			 * entry before the next entry runs; nothing else of the
			 * entry is written. */
			out[0] = (uint64_t)er.status;
			out[1] = er.value;
			words_to_le(out, 2);
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
