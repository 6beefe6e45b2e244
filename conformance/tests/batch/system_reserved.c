/* SPDX-License-Identifier: MIT */
/*
 * A denied entry with reserved bits set, since HCABI 1.2: BATCH-006. The
 * last file of the image (after system_denied.c): a SYSTEM.SHUTDOWN that
 * wrongly runs ends the VM, and the runner reports this test as crashed.
 *
 * What: in a table [GET_SPEC_VERSION, SYSTEM.SHUTDOWN(code 0x100 | 3),
 * GET_SPEC_VERSION], the second entry gets DENIED with value 0, not
 * INVALID_PARAM for the reserved bit 8 of `code`, the batch stops there
 * (count 2) and the third entry is untouched (BATCH-006).
 * Why: 1.0 and 1.1 give both BATCH-004 (DENIED) and GEN-002.1 (INVALID_PARAM)
 * for such an entry without saying which wins; from 1.2 an entry that can
 * never run in a batch is DENIED whatever its arguments.
 */
#include "batch_common.h"

static struct hcabi_batch_entry table[3] __attribute__((aligned(64)));

HCABI_TEST(batch_denied_reserved, "BATCH.denied_before_reserved_bits",
	   "BATCH-006," HCABI_REQ_VALUE_ZERO, HCABI_VERSION_1_2)
{
	struct hcabi_ret r;

	if (!test_require_ext(HCABI_EID_SYSTEM))
		return;
	batch_set(&table[0], HCABI_FID_BASE_GET_SPEC_VERSION, 0, 0, 0, 0);
	batch_set(&table[1], HCABI_FID_SYSTEM_SHUTDOWN, 0x103, 0, 0, 1);
	batch_set(&table[2], HCABI_FID_BASE_GET_SPEC_VERSION, 0, 0, 0, 0);
	r = hcabi_batch_execute(hcabi_gpa(table), 3);
	check_ret(r, HCABI_SUCCESS, 2, "BATCH-006",
		  "EXECUTE([GET_SPEC_VERSION, SHUTDOWN(0x103), GET_SPEC_VERSION])");
	check_ret(batch_result(&table[1]), HCABI_ERR_DENIED, 0, "BATCH-006",
		  "entry 1: SYSTEM.SHUTDOWN(0x103), reserved bit 8 of code set");
	check_true(batch_untouched(&table[2]), "BATCH-006", "entry 2 was not executed");
}
