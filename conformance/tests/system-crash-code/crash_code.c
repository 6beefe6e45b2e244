/* SPDX-License-Identifier: MIT */
/*
 * SYSTEM.CRASH reports all 64 bits of its code, since HCABI 1.2: SYSTEM-021.
 *
 * What: CRASH(0xF1E2D3C4B5A69788) - bit 63 set, every byte different and
 * none zero - does not return, and the VM ends with a crash report carrying
 * exactly that code: the test prints "@hcabi expect event=crash
 * code=0xf1e2d3c4b5a69788" and the runner compares the code the VMM
 * reported as a 64-bit value (a host that drops bit 63, keeps 8 or 32 bits,
 * or prints a signed number it cannot parse back is caught).
 * Why: system-crash's test (SYSTEM-020.4, since 1.0) keeps bit 63 clear, and
 * `code` has no reserved bits: 1.2 says the whole value is the code.
 */
#include "hcabi_test.h"

#define CRASH_CODE 0xF1E2D3C4B5A69788ull

HCABI_TEST(system_crash_code_all_bits, "SYSTEM.crash_code_all_bits", "SYSTEM-021",
	   HCABI_VERSION_1_2)
{
	struct hcabi_ret r;

	test_expect_end("crash", NULL, CRASH_CODE, "SYSTEM-021");
	r = hcabi_system_crash(CRASH_CODE);
	check_true(false, "SYSTEM-021", "CRASH(0x%llx) returned: status %lld value 0x%llx",
		   (unsigned long long)CRASH_CODE, (long long)r.status,
		   (unsigned long long)r.value);
}
