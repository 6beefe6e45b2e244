/* SPDX-License-Identifier: MIT */
/*
 * SYSTEM functions in a batch: BATCH-004.1 (DENIED), BATCH-004.2 (no effect:
 * the VM goes on). The last file of the image: a SYSTEM function that wrongly
 * runs ends the VM, and the runner then reports this test as crashed (no test-end) rather than
 * losing others.
 *
 * What: in a table [GET_SPEC_VERSION, F, GET_SPEC_VERSION], F = SYSTEM.SHUTDOWN(0),
 * SYSTEM.REBOOT and SYSTEM.CRASH(code) each get DENIED with value 0, the
 * batch stops there (count 2, the third entry untouched), and the VM goes
 * on running (the test gets to its next line).
 * Why: these calls do not return; a batch must never end the VM halfway
 * through a table. Entries naming SYSTEM are tried only where SYSTEM is
 * provided (without it the entry would be NOT_SUPPORTED or DENIED; the text
 * does not say which).
 */
#include "batch_common.h"

static struct hcabi_batch_entry table[3] __attribute__((aligned(64)));

HCABI_TEST(batch_denied_system, "BATCH.denied_system",
	   "BATCH-004.1,BATCH-004.2,BATCH-003.1," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_BATCH_EXECUTE_SINCE)
{
	static const struct {
		uint32_t fn;
		uint64_t arg;
		const char *what;
	} fns[] = {
	    {HCABI_FID_SYSTEM_SHUTDOWN, 0, "SYSTEM.SHUTDOWN(0)"},
	    {HCABI_FID_SYSTEM_REBOOT, 0, "SYSTEM.REBOOT"},
	    {HCABI_FID_SYSTEM_CRASH, 0xBA7C4ull, "SYSTEM.CRASH(0xba7c4)"},
	};

	if (!test_require_ext(HCABI_EID_SYSTEM))
		return;
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(fns); i++) {
		struct hcabi_ret r;
		batch_set(&table[0], HCABI_FID_BASE_GET_SPEC_VERSION, 0, 0, 0, 0);
		batch_set(&table[1], fns[i].fn, fns[i].arg, 0, 0, 1);
		batch_set(&table[2], HCABI_FID_BASE_GET_SPEC_VERSION, 0, 0, 0, 0);
		r = hcabi_batch_execute(hcabi_gpa(table), 3);
		check_ret(
		    r, HCABI_SUCCESS, 2, "BATCH-004.2",
		    "EXECUTE([GET_SPEC_VERSION, %s, GET_SPEC_VERSION]) returned: the VM goes on",
		    fns[i].what);
		check_ret(batch_result(&table[1]), HCABI_ERR_DENIED, 0, "BATCH-004.1",
			  "entry 1: %s", fns[i].what);
		check_true(batch_untouched(&table[2]), "BATCH-003.1", "entry 2 was not executed");
	}
}
