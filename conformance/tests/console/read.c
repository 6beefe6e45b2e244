/* SPDX-License-Identifier: MIT */
/*
 * CONSOLE.READ: CONSOLE-020 .. CONSOLE-022.
 *
 * What:
 *  - CONSOLE-020: READ never waits and returns SUCCESS with a count of at
 *    most min(len, MAX_XFER); with no input pending (these run after
 *    input.c's test has read all the supplied input) that count is 0.
 *    Pending input is accepted, logged, and checked against the limits.
 *    len 0 returns 0.
 *  - CONSOLE-021: buffers partly or wholly outside RAM, in the LAPIC page,
 *    or whose end overflows return INVALID_ADDRESS (whether input was
 *    consumed is not visible without input);
 *  - CONSOLE-022: READ writes nothing outside [gpa, gpa + count): buffers
 *    poisoned with 0xA5 around and past the count keep every poisoned byte,
 *    also for a buffer crossing a page boundary and one whose first
 *    MAX_XFER bytes are the last bytes of RAM with len larger than that.
 * Why: a guest polls READ from its console driver; a READ that blocks
 * stalls the vCPU, and one that writes past its count corrupts memory.
 */
#include "hcabi_test.h"

#define MAX HCABI_CONSOLE_MAX_XFER
#define POISON 0xA5

static uint8_t area[3 * 4096] __attribute__((aligned(4096)));

/* First index in [from, to) that is not POISON, or -1. */
static long unpoisoned(const uint8_t *p, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (p[i] != POISON)
			return (long)i;
	return -1;
}

static void read_into(const char *what, uint8_t *p, uint64_t len, uint64_t guard)
{
	struct hcabi_ret r;
	uint64_t limit = len < MAX ? len : MAX;
	long bad;

	memset(p - guard, POISON, (size_t)(guard + len + guard));
	r = hcabi_console_read((uint64_t)(uintptr_t)p, len);
	if (!check_status(r, HCABI_SUCCESS, "CONSOLE-020.3", "READ(%s, %llu)", what,
			  (unsigned long long)len))
		return;
	check_true(r.value <= limit, "CONSOLE-020.2", "READ(%s, %llu) count %llu <= %llu", what,
		   (unsigned long long)len, (unsigned long long)r.value, (unsigned long long)limit);
	if (r.value)
		test_log("READ(%s) returned %llu byte(s) of pending input", what,
			 (unsigned long long)r.value);
	bad = unpoisoned(p - guard, 0, (size_t)guard);
	if (bad < 0 && r.value <= len)
		bad = unpoisoned(p, (size_t)r.value, (size_t)(len + guard));
	check_true(bad < 0, "CONSOLE-022",
		   "READ(%s, %llu): nothing written outside [gpa, gpa + %llu)%s", what,
		   (unsigned long long)len, (unsigned long long)r.value,
		   bad < 0 ? "" : " (a poisoned byte changed)");
}

HCABI_TEST(console_read, "CONSOLE.read_no_wait",
	   "CONSOLE-020.2,CONSOLE-020.3,CONSOLE-022," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_CONSOLE_READ_SINCE)
{
	uint64_t end = hcabi_ram_end();
	uint64_t t0 = hcabi_now_ns();

	check_ret(hcabi_console_read((uint64_t)(uintptr_t)area, 0), HCABI_SUCCESS, 0,
		  "CONSOLE-020.2", "READ(buffer, 0) reads nothing");
	read_into("64 bytes", area + 4096, 64, 64);
	read_into("across a page boundary", area + 4096 - 10, 20, 64);
	read_into("MAX_XFER + 100", area + 128, MAX + 100, 64);
	/* the last MAX_XFER bytes of RAM, with a len past the end: only
	 * min(len, MAX_XFER) bytes are the buffer */
	{
		uint8_t *p = (uint8_t *)(uintptr_t)(end - MAX);
		struct hcabi_ret r;
		memset(p, POISON, MAX);
		r = hcabi_console_read(end - MAX, MAX + 4096);
		if (check_status(r, HCABI_SUCCESS, "CONSOLE-020.3",
				 "READ(last MAX_XFER bytes of RAM, MAX_XFER + 4096)"))
			check_true(unpoisoned(p, (size_t)(r.value <= MAX ? r.value : MAX), MAX) < 0,
				   "CONSOLE-022",
				   "nothing written past the count at the end of RAM");
	}
	if (hcabi_has_ext(HCABI_EID_TIME))
		test_log("the READ calls took %llu ns in all (READ must never wait for input)",
			 (unsigned long long)(hcabi_now_ns() - t0));
}

HCABI_TEST(console_read_addresses, "CONSOLE.read_bad_addresses",
	   "CONSOLE-021.1,CONSOLE-021.2," HCABI_REQ_VALUE_ZERO, HCABI_FID_CONSOLE_READ_SINCE)
{
	uint64_t end = hcabi_ram_end();
	const struct {
		uint64_t gpa, len;
		const char *why, *req; /* outside RAM: CONSOLE-021.1; overflows: .2 */
	} bad[] = {
	    {end, 1, "first byte past the end of RAM", "CONSOLE-021.1"},
	    {end - 8, 16, "straddling the end of RAM", "CONSOLE-021.1"},
	    {end - 100, 200, "200 bytes from 100 before the end of RAM", "CONSOLE-021.1"},
	    {1ull << 46, 16, "64 TiB", "CONSOLE-021.1"},
	    {0xFEE00000ull, 16, "the LAPIC page", "CONSOLE-021.1"},
	    {0xFFFFFFFFFFFFFFF0ull, 32, "end overflows 2^64", "CONSOLE-021.2"},
	};
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(bad); i++)
		check_status(hcabi_console_read(bad[i].gpa, bad[i].len), HCABI_ERR_INVALID_ADDRESS,
			     bad[i].req, "READ(0x%llx, %llu): %s", (unsigned long long)bad[i].gpa,
			     (unsigned long long)bad[i].len, bad[i].why);
}
