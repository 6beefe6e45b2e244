/* SPDX-License-Identifier: MIT */
/*
 * CONSOLE.WRITE: CONSOLE-001 .. CONSOLE-003.
 *
 * What:
 *  - CONSOLE-001: WRITE returns SUCCESS with n = min(len, MAX_XFER): for
 *    short buffers, exactly MAX_XFER, and lengths past it (MAX_XFER + 1,
 *    2 * MAX_XFER, 2^40, 2^64 - 1) return exactly MAX_XFER, provided the
 *    first MAX_XFER bytes are in RAM (only those are read);
 *  - CONSOLE-002: buffers at odd addresses crossing one and two page
 *    boundaries are accepted, as are the last bytes of RAM;
 *  - CONSOLE-003: len 0 returns SUCCESS 0 whatever gpa is (even one
 *    outside RAM or at 2^64 - 1); buffers partly or wholly outside RAM, in
 *    the LAPIC page, or whose end overflows 64 bits return INVALID_ADDRESS
 *    (RDX 0).
 * That the bytes reach the console in order is checked by output.c (with
 * the runner); here it is visible in the boot log only (lines starting
 * "hcabi-console-test:").
 * Why: WRITE is the first thing an early kernel uses; the exact count makes
 * a writer's loop correct, and the address checks keep a guest from making
 * the host read beyond its memory.
 */
#include "hcabi_test.h"

#define MAX HCABI_CONSOLE_MAX_XFER

static char buf[3 * 4096] __attribute__((aligned(4096)));

/* Fill [p, p + n) with 64-byte text lines "hcabi-console-test: TAG abc...\n",
 * the last byte a newline, so that the output is readable in the log. */
static void fill_text(char *p, size_t n, const char *tag)
{
	char head[48];
	size_t hl = (size_t)hcabi_snprintf(head, sizeof(head), "hcabi-console-test: %s ", tag);
	for (size_t i = 0; i < n; i++) {
		size_t col = i % 64;
		p[i] = col == 63 ? '\n' : col < hl ? head[col] : (char)('a' + col % 26);
	}
	if (n)
		p[n - 1] = '\n';
}

HCABI_TEST(console_write_counts, "CONSOLE.write_counts", "CONSOLE-001.2," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_CONSOLE_WRITE_SINCE)
{
	static const char line[] = "hcabi-console-test: one line through CONSOLE.WRITE\n";
	static const uint64_t lens[] = {MAX + 1, 2 * MAX, 1ull << 40, ~0ull};
	uint64_t gpa = (uint64_t)(uintptr_t)buf;

	check_ret(hcabi_console_write((uint64_t)(uintptr_t)line, sizeof(line) - 1), HCABI_SUCCESS,
		  sizeof(line) - 1, "CONSOLE-001.2", "WRITE of a %u-byte line",
		  (unsigned)(sizeof(line) - 1));
	fill_text(buf, MAX, "max");
	check_ret(hcabi_console_write(gpa, MAX), HCABI_SUCCESS, MAX, "CONSOLE-001.2",
		  "WRITE of exactly HCABI_CONSOLE_MAX_XFER (%u) bytes", MAX);
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(lens); i++) {
		fill_text(buf, MAX, "over");
		check_ret(hcabi_console_write(gpa, lens[i]), HCABI_SUCCESS, MAX, "CONSOLE-001.2",
			  "WRITE with len 0x%llx writes exactly MAX_XFER",
			  (unsigned long long)lens[i]);
	}
	/* only the first MAX_XFER bytes need to be in RAM */
	{
		uint64_t end = hcabi_ram_end();
		char *p = (char *)(uintptr_t)(end - MAX);
		fill_text(p, MAX, "ramend");
		check_ret(hcabi_console_write(end - MAX, MAX + 4096), HCABI_SUCCESS, MAX,
			  "CONSOLE-001.2",
			  "WRITE of the last MAX_XFER bytes of RAM with len MAX_XFER + 4096");
	}
}

HCABI_TEST(console_write_pages, "CONSOLE.write_page_crossing", "CONSOLE-002," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_CONSOLE_WRITE_SINCE)
{
	static const struct {
		unsigned off, len;
	} cases[] = {
	    {4096 - 13, 40},	    /* one boundary, odd start */
	    {4096 - 1, 2},	    /* one byte on each side */
	    {4096 - 7, 4096 + 100}, /* two boundaries */
	    {1, 3 * 4096 - 2},	    /* longer than MAX: MAX bytes, two boundaries */
	};
	uint64_t end = hcabi_ram_end();

	for (size_t i = 0; i < HCABI_ARRAY_SIZE(cases); i++) {
		uint64_t n = cases[i].len < MAX ? cases[i].len : MAX;
		fill_text(buf + cases[i].off, (size_t)n, "pages");
		check_ret(
		    hcabi_console_write((uint64_t)(uintptr_t)buf + cases[i].off, cases[i].len),
		    HCABI_SUCCESS, n, "CONSOLE-002",
		    "WRITE(buffer + 0x%x, %u) across page boundaries", cases[i].off, cases[i].len);
	}
	fill_text((char *)(uintptr_t)(end - 33), 33, "last");
	check_ret(hcabi_console_write(end - 33, 33), HCABI_SUCCESS, 33, "CONSOLE-002",
		  "WRITE of the last 33 bytes of RAM (0x%llx)", (unsigned long long)(end - 33));
}

HCABI_TEST(console_write_addresses, "CONSOLE.write_bad_addresses",
	   "CONSOLE-003.1,CONSOLE-003.2,CONSOLE-003.4," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_CONSOLE_WRITE_SINCE)
{
	uint64_t end = hcabi_ram_end();
	const struct {
		uint64_t gpa, len;
		const char *why, *req; /* outside RAM: CONSOLE-003.1; overflows: .2 */
	} bad[] = {
	    {end, 1, "first byte past the end of RAM", "CONSOLE-003.1"},
	    {end - 8, 16, "straddling the end of RAM", "CONSOLE-003.1"},
	    {end - 100, MAX, "MAX_XFER bytes from 100 before the end of RAM", "CONSOLE-003.1"},
	    {1ull << 46, 16, "64 TiB", "CONSOLE-003.1"},
	    {0xFEE00000ull, 16, "the LAPIC page", "CONSOLE-003.1"},
	    {0xFFFFFFFFFFFFFFF0ull, 32, "end overflows 2^64", "CONSOLE-003.2"},
	    {~0ull, 2, "end overflows 2^64 (gpa 2^64 - 1)", "CONSOLE-003.2"},
	};
	const uint64_t zero_len[] = {0, (uint64_t)(uintptr_t)buf, end, 1ull << 46, ~0ull};

	for (size_t i = 0; i < HCABI_ARRAY_SIZE(bad); i++)
		check_status(hcabi_console_write(bad[i].gpa, bad[i].len), HCABI_ERR_INVALID_ADDRESS,
			     bad[i].req, "WRITE(0x%llx, %llu): %s", (unsigned long long)bad[i].gpa,
			     (unsigned long long)bad[i].len, bad[i].why);
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(zero_len); i++)
		check_ret(hcabi_console_write(zero_len[i], 0), HCABI_SUCCESS, 0, "CONSOLE-003.4",
			  "WRITE(0x%llx, 0): len 0 succeeds without checking gpa",
			  (unsigned long long)zero_len[i]);
}
