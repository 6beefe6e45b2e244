/* SPDX-License-Identifier: MIT */
/*
 * CONSOLE.WRITE_BYTE: CONSOLE-010.
 *
 * What: WRITE_BYTE of each byte of a short line returns SUCCESS with 0 (the
 * line shows in the boot log: "hcabi-console-test: byte by byte");
 * arguments with any of bits 63:8 set (bit 8, bit 31, bit 63, all ones) are
 * INVALID_PARAM with RDX 0 (that nothing is written, and that the bytes
 * arrive, is checked by output.c with the runner).
 * Why: the one-byte form is what a panic path or an early boot stub uses;
 * its reserved bits are where a later version could add flags.
 */
#include "hcabi_test.h"

HCABI_TEST(console_write_byte, "CONSOLE.write_byte",
	   "CONSOLE-010.2,CONSOLE-010.3," HCABI_REQ_VALUE_ZERO, HCABI_FID_CONSOLE_WRITE_BYTE_SINCE)
{
	static const char line[] = "hcabi-console-test: byte by byte\n";
	static const uint64_t bad[] = {0x100 | 'X', (1ull << 31) | 'X', (1ull << 63) | 'X', ~0ull,
				       0xFFFFFFFFFFFFFF00ull | '\n'};
	unsigned ok = 0;
	struct hcabi_ret first_bad = {0, 0};

	for (size_t i = 0; i < sizeof(line) - 1; i++) {
		struct hcabi_ret r = hcabi_console_write_byte((uint8_t)line[i]);
		if (r.status == HCABI_SUCCESS && r.value == 0)
			ok++;
		else if (!first_bad.status)
			first_bad = r;
	}
	check_true(ok == sizeof(line) - 1, "CONSOLE-010.2",
		   "%u of %u WRITE_BYTE calls returned SUCCESS with 0 (first other: status=%lld "
		   "value=0x%llx)",
		   ok, (unsigned)(sizeof(line) - 1), (long long)first_bad.status,
		   (unsigned long long)first_bad.value);
	check_ret(hcabi_console_write_byte(0xFF), HCABI_SUCCESS, 0, "CONSOLE-010.2",
		  "WRITE_BYTE(0xff): every value of bits 7:0 is a byte");
	check_ret(hcabi_console_write_byte('\n'), HCABI_SUCCESS, 0, "CONSOLE-010.2",
		  "WRITE_BYTE('\\n')");
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(bad); i++)
		check_status(hcabi_console_write_byte(bad[i]), HCABI_ERR_INVALID_PARAM,
			     "CONSOLE-010.3", "WRITE_BYTE(0x%llx): bits 63:8 not zero",
			     (unsigned long long)bad[i]);
}
