/* SPDX-License-Identifier: MIT */
/*
 * CONSOLE output, end to end: the bytes reach the hypervisor's console, in
 * order (CONSOLE-001.1 for WRITE, CONSOLE-010.1 for WRITE_BYTE) and rejected
 * calls write nothing (CONSOLE-003.3, CONSOLE-010.4).
 *
 * What: each region announces with a `console-expect` protocol line what it
 * will write (a stream derived from this boot's key, so a VMM cannot print a
 * canned answer: console_data.c), writes it through CONSOLE, and closes with
 * `console-end`; the runner compares the bytes that arrived between the two
 * lines with the announced ones, byte for byte, and fails the `req=` of the
 * expect line where they differ (docs/internals.md, "Console data paths").
 * Regions: WRITE of 1000 bytes in one call; 3000 bytes in pieces of unequal
 * lengths from an odd address across page boundaries; calls WRITE rejects
 * (bad addresses; len 0) between which nothing may appear; 150 bytes by
 * WRITE_BYTE, with rejected WRITE_BYTEs (bits 63:8 set) between them; then
 * rejected WRITE_BYTEs alone, between which nothing may appear.
 * Here the guest checks statuses and counts; the runner checks the bytes.
 * Why: an implementation that returns the right count but writes nothing,
 * or the bytes reversed, passes every check a guest can make by itself.
 */
#include "console_expect.h"

static uint8_t data[3 * 4096] __attribute__((aligned(4096)));

HCABI_TEST(console_write_output, "CONSOLE.write_output",
	   "CONSOLE-001.1,CONSOLE-001.2,CONSOLE-003.1,CONSOLE-003.2,CONSOLE-003.3,CONSOLE-003.4,"
	   HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_CONSOLE_WRITE_SINCE)
{
	static const unsigned pieces[] = {1, 7, 100, 513, 2, 1024, 33, 320};
	uint64_t end = hcabi_ram_end();
	uint8_t *p = data + 4096 - 5; /* odd, crosses page boundaries */
	size_t off = 0;
	struct hcabi_ret r, bad = {0, 0}, rj[3];

	/* No protocol line (a check) may come between console-expect and
	 * console-end: results are kept and checked after the region. */
	hcabi_console_bytes("out-write", data, 1000);
	console_expect("out-write", data, 1000, "write", "CONSOLE-001.1");
	r = hcabi_console_write((uint64_t)(uintptr_t)data, 1000);
	console_expect_end("out-write");
	check_ret(r, HCABI_SUCCESS, 1000, "CONSOLE-001.2", "WRITE of 1000 announced bytes in one call");

	hcabi_console_bytes("out-pieces", p, 3000);
	console_expect("out-pieces", p, 3000, "pieces", "CONSOLE-001.1");
	for (size_t i = 0; off < 3000; i = (i + 1) % HCABI_ARRAY_SIZE(pieces)) {
		size_t n = pieces[i] < 3000 - off ? pieces[i] : 3000 - off;
		r = hcabi_console_write((uint64_t)(uintptr_t)(p + off), n);
		if (r.status != HCABI_SUCCESS || r.value != n) {
			bad = r;
			break;
		}
		off += n;
	}
	console_expect_end("out-pieces");
	check_true(off == 3000, "CONSOLE-001.2",
		   "3000 announced bytes written by WRITEs of 1 to 1024 bytes (stopped at %llu: "
		   "status=%lld value=%llu)",
		   (unsigned long long)off, (long long)bad.status, (unsigned long long)bad.value);

	/* Rejected and empty writes: nothing may arrive between the lines. */
	console_expect("out-rejected", data, 0, "rejected", "CONSOLE-003.3");
	rj[0] = hcabi_console_write(end - 8, 16);
	rj[1] = hcabi_console_write(0xFFFFFFFFFFFFFFF0ull, 32);
	rj[2] = hcabi_console_write((uint64_t)(uintptr_t)data, 0);
	console_expect_end("out-rejected");
	check_status(rj[0], HCABI_ERR_INVALID_ADDRESS, "CONSOLE-003.1",
		     "WRITE straddling the end of RAM");
	check_status(rj[1], HCABI_ERR_INVALID_ADDRESS, "CONSOLE-003.2", "WRITE whose end overflows");
	check_ret(rj[2], HCABI_SUCCESS, 0, "CONSOLE-003.4", "WRITE of len 0");
}

HCABI_TEST(console_write_byte_output, "CONSOLE.write_byte_output",
	   "CONSOLE-010.1,CONSOLE-010.2,CONSOLE-010.3,CONSOLE-010.4," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_CONSOLE_WRITE_BYTE_SINCE)
{
	unsigned ok = 0, rejected = 0, tried = 0;
	struct hcabi_ret alone[3];

	hcabi_console_bytes("out-bytes", data, 150);
	console_expect("out-bytes", data, 150, "bytes", "CONSOLE-010.1");
	for (size_t i = 0; i < 150; i++) {
		struct hcabi_ret r = hcabi_console_write_byte(data[i]);
		ok += r.status == HCABI_SUCCESS && r.value == 0;
		if (i % 37 == 5) {
			/* bits 63:8 set: INVALID_PARAM and nothing written */
			r = hcabi_console_write_byte(0x100ull | 'X');
			tried++;
			rejected += r.status == HCABI_ERR_INVALID_PARAM;
		}
	}
	console_expect_end("out-bytes");
	/* rejected calls alone: a byte written by one fails CONSOLE-010.4 */
	console_expect("out-bytes-rejected", data, 0, "rejected", "CONSOLE-010.4");
	alone[0] = hcabi_console_write_byte(0x100ull | 'X');
	alone[1] = hcabi_console_write_byte((1ull << 63) | 'X');
	alone[2] = hcabi_console_write_byte(~0ull);
	console_expect_end("out-bytes-rejected");
	check_true(ok == 150, "CONSOLE-010.2", "%u of 150 WRITE_BYTE calls returned SUCCESS with 0",
		   ok);
	check_true(rejected == tried, "CONSOLE-010.3",
		   "%u of %u WRITE_BYTE(0x158) calls returned INVALID_PARAM", rejected, tried);
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(alone); i++)
		check_status(alone[i], HCABI_ERR_INVALID_PARAM, "CONSOLE-010.3",
			     "WRITE_BYTE with bits 63:8 set, in the rejected region (call %u)",
			     (unsigned)i);
}
