/* SPDX-License-Identifier: MIT */
/*
 * CONSOLE.READ with len 0 and a bad address, since HCABI 1.2: CONSOLE-023.
 *
 * What: READ with len 0 returns SUCCESS with 0 for a gpa that is past the
 * end of RAM, at 2^63, and 16 bytes below 2^64 (CONSOLE-023).
 * Why: WRITE has this rule (CONSOLE-003) and READ did not: 1.0 and 1.1 let
 * READ return INVALID_ADDRESS there, so read.c only tests len 0 with a
 * valid buffer. A driver that polls with an empty buffer must not fail.
 */
#include "hcabi_test.h"
#include "hcabi_ram.h"

HCABI_TEST(console_read_len_zero, "CONSOLE.read_len_zero_any_address",
	   "CONSOLE-023," HCABI_REQ_VALUE_ZERO, HCABI_VERSION_1_2)
{
	const uint64_t gpas[] = {hcabi_ram_top(), 1ull << 63, 0xFFFFFFFFFFFFFFF0ull};

	for (size_t i = 0; i < HCABI_ARRAY_SIZE(gpas); i++)
		check_ret(hcabi_console_read(gpas[i], 0), HCABI_SUCCESS, 0, "CONSOLE-023",
			  "READ(gpa 0x%llx, len 0)", (unsigned long long)gpas[i]);
}
