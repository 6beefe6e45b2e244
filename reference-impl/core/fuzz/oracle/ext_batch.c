/* SPDX-License-Identifier: MIT */
/* oracle/ext_batch.c - BATCH.EXECUTE's status (mirrors core/ext_batch.c).
 * Its entries are checked as calls of their own (fz_oracle.c), and the
 * table in guest memory after the call by fz_call.c (BATCH-002/003). */
#include "fz_oracle.h"

static void batch_values(const struct fz_seg *s)
{
	const uint64_t *a = s->c->args;
	uint64_t v = s->ev->value;
	int64_t st = s->ev->status;

	if (s->f->id != HCABI_FID_BATCH_EXECUTE)
		return;
	if (a[1] > HCABI_BATCH_MAX_ENTRIES)
		CHECK(st == HCABI_ERR_INVALID_PARAM, "BATCH-001: count %llu returned %lld",
		      (unsigned long long)a[1], (long long)st);
	else if (a[1] == 0)
		CHECK(st == HCABI_SUCCESS && v == 0, "BATCH-001: count 0 returned %lld",
		      (long long)st);
	else if (a[0] % 8 != 0 || !fz_ram_has(a[0], a[1] * sizeof(struct hcabi_batch_entry)))
		CHECK(st == HCABI_ERR_INVALID_ADDRESS, "BATCH-001: bad table returned %lld",
		      (long long)st);
	else
		CHECK(st == HCABI_SUCCESS && v >= 1 && v <= a[1],
		      "BATCH: %llu entries returned %lld with %llu", (unsigned long long)a[1],
		      (long long)st, (unsigned long long)v);
}

const struct fz_ext_oracle fz_oracle_batch = {
    .eid = HCABI_EID_BATCH,
    .values = batch_values,
};
