/* SPDX-License-Identifier: MIT */
/*
 * CONSOLE.WRITE's count is what reached the console, since HCABI 1.2:
 * CONSOLE-024.
 *
 * What: 6000 bytes of an announced stream (`out-resume`, as in output.c) go
 * out by WRITEs each of the whole rest, each continuing after the count the
 * one before returned, as a guest relying on CONSOLE-024 writes: SUCCESS
 * with c means exactly the first c bytes were written, IO means none was
 * (so the same rest is tried again, at most 16 calls in all). On a host
 * that never fails that is two calls (4096, the HCABI_CONSOLE_MAX_XFER cap,
 * then 1904). The runner compares the console's bytes with the stream
 * (a difference fails CONSOLE-024); then each call must have returned
 * SUCCESS with 1 to min(rest, 4096), or IO, and the loop must have got
 * through all 6000 bytes.
 * Why: a guest cannot make the host fail, so this cannot force a partial
 * write; it checks what a guest can see, that the count returned is the
 * count written (a host that returns IO after writing part of a buffer, the
 * reading 1.1 also allowed, makes this loop repeat bytes; the reference's
 * core test, check_decisions' console_partial_write, makes its sink fail).
 */
#include "console_expect.h"

#define TOTAL 6000u
#define MAX_CALLS 16u

static uint8_t data[TOTAL];

HCABI_TEST(console_write_count_is_written, "CONSOLE.write_count_is_written", "CONSOLE-024",
	   HCABI_VERSION_1_2)
{
	struct hcabi_ret r[MAX_CALLS];
	uint64_t rest[MAX_CALLS];
	size_t off = 0;
	unsigned calls = 0;

	hcabi_console_bytes("out-resume", data, TOTAL);
	/* no protocol line (a check) between console-expect and console-end */
	console_expect("out-resume", data, TOTAL, "pieces", "CONSOLE-024");
	while (off < TOTAL && calls < MAX_CALLS) {
		rest[calls] = TOTAL - off;
		r[calls] = hcabi_console_write((uint64_t)(uintptr_t)(data + off), rest[calls]);
		if (r[calls].status == HCABI_SUCCESS && r[calls].value >= 1 &&
		    r[calls].value <= rest[calls])
			off += (size_t)r[calls].value;
		else if (r[calls].status != HCABI_ERR_IO) {
			calls++;
			break;
		}
		calls++;
	}
	console_expect_end("out-resume");

	for (unsigned i = 0; i < calls; i++) {
		uint64_t most = rest[i] < HCABI_CONSOLE_MAX_XFER ? rest[i] : HCABI_CONSOLE_MAX_XFER;
		bool counted = r[i].status == HCABI_SUCCESS && r[i].value >= 1 && r[i].value <= most;
		check_true(counted || (r[i].status == HCABI_ERR_IO && r[i].value == 0), "CONSOLE-024",
			   "WRITE %u of the rest, %llu bytes: SUCCESS with 1 to %llu, or IO with 0 "
			   "(got status %lld value %llu)",
			   i, (unsigned long long)rest[i], (unsigned long long)most,
			   (long long)r[i].status, (unsigned long long)r[i].value);
	}
	check_true(off == TOTAL, "CONSOLE-024",
		   "%u announced bytes written by %u WRITEs, each continuing after the count the one "
		   "before returned (got through %llu)",
		   TOTAL, calls, (unsigned long long)off);
}
