/* SPDX-License-Identifier: MIT */
/*
 * CONSOLE.READ of supplied input, end to end: the parts of CONSOLE-020 and
 * CONSOLE-021, and CONSOLE-022; since HCABI 1.2 also CONSOLE-025 to -027.
 *
 * The runner feeds every boot's console input (refvmm --console-input, the
 * `{console_input}` file of --target cmd) and says how many bytes on the
 * command line (`hcabi.console_input=N`); the bytes are derived from this
 * boot's key (console_data.c), so the guest knows what it must read without
 * trusting the VMM. Without the word the target cannot supply input: the
 * test skips and says so.
 *
 * What:
 *  - CONSOLE-020.2, .3: READ of len 0 returns SUCCESS 0 and consumes
 *    nothing; READs of different lengths (1, 7, 30, 2, 64, ...) each return
 *    SUCCESS with at most len bytes, and together return exactly the
 *    supplied bytes in order, none lost or repeated (a READ may return fewer
 *    than are pending, so the guest polls, up to a bound of empty READs,
 *    until all have arrived); CONSOLE-020.1: once they are all read, READ
 *    returns SUCCESS 0 at once (twice);
 *  - CONSOLE-021.1, .2: a READ at a bad address (straddling the end of RAM;
 *    end overflowing 2^64) in the middle of the input returns
 *    INVALID_ADDRESS, and CONSOLE-021.3: it consumes nothing: the next good
 *    READ still gets the next byte;
 *  - CONSOLE-022: the bytes past each READ's count keep their poison;
 *  - READ's buffer may start at any address (its gpa's alignment is 1):
 *    every other READ goes to an odd address, and CONSOLE-020.2/.3 hold
 *    there too (the byte before such a buffer keeps its poison).
 * Why: a READ that never returns pending input, loses or repeats bytes, or
 * consumes input before rejecting a bad buffer passes every test that runs
 * without input.
 *
 * Since 1.2, CONSOLE.read_pending_input runs first (file order) and takes
 * the first PENDING_TAKE bytes; CONSOLE.read_input then checks the rest. The
 * runner supplies the whole input before the VM starts, so all of it is
 * pending since before the first READ (CONSOLE-025's condition).
 *  - CONSOLE-026: a READ of len 0 before every READ returns SUCCESS 0 and
 *    consumes nothing: the next READ's first byte is the next supplied one;
 *  - CONSOLE-025: every READ of len 1, 2, 3, 5 or 8 returns at least one
 *    byte (and at most len) until PENDING_TAKE bytes are read: no empty
 *    READ is tolerated, unlike in 1.0/1.1, whose "up to" allowed one;
 *  - CONSOLE-027: the bytes read are exactly the supplied ones, in order,
 *    none lost or repeated.
 */
#include "hcabi_test.h"

#define POISON 0xA5
#define MAX_INPUT 4096
#define EMPTY_POLLS 20000

#define PENDING_TAKE 40

static uint8_t want[MAX_INPUT];
static uint8_t got[MAX_INPUT];
static uint8_t buf[128];
static size_t taken; /* input bytes CONSOLE.read_pending_input consumed (1.2) */

/* The supplied input's length (hcabi.console_input=), or -1 after a skip or
 * an error; fills want[] with the bytes. */
static long long supplied_input(void)
{
	long long supplied = hcabi_cmdline_number("hcabi.console_input");

	if (supplied < 0) {
		test_skip("no console input was supplied (no hcabi.console_input= on the command "
			  "line): this target cannot feed CONSOLE.READ");
		return -1;
	}
	if (supplied > MAX_INPUT) {
		test_error("hcabi.console_input=%lld is more than this test handles (%u)", supplied,
			   MAX_INPUT);
		return -1;
	}
	hcabi_console_bytes("console-input", want, (size_t)supplied);
	return supplied;
}

HCABI_TEST(console_read_pending_input, "CONSOLE.read_pending_input",
	   "CONSOLE-025,CONSOLE-026,CONSOLE-027," HCABI_REQ_VALUE_ZERO, HCABI_VERSION_1_2)
{
	static const uint64_t lens[] = {1, 2, 3, 1, 5, 8};
	long long supplied = supplied_input();
	size_t n, first, step = 0, reads = 0;

	if (supplied < 0)
		return;
	n = (size_t)supplied < PENDING_TAKE ? (size_t)supplied : PENDING_TAKE;
	while (taken < n) {
		uint64_t len = lens[step++ % HCABI_ARRAY_SIZE(lens)];
		struct hcabi_ret r;

		/* CONSOLE-026: nothing read, nothing consumed, nothing written */
		memset(buf, POISON, sizeof(buf));
		r = hcabi_console_read((uint64_t)(uintptr_t)buf, 0);
		if (!check_ret(r, HCABI_SUCCESS, 0, "CONSOLE-026",
			       "READ(buffer, 0) with input pending after %llu byte(s)",
			       (unsigned long long)taken) ||
		    !check_true(buf[0] == POISON, "CONSOLE-026",
				"READ(buffer, 0) left the buffer alone (byte 0: 0x%02x)", buf[0]))
			return;
		r = hcabi_console_read((uint64_t)(uintptr_t)buf, len);
		reads++;
		if (!check_status(r, HCABI_SUCCESS, "CONSOLE-025",
				  "READ(buffer, %llu) with input pending since boot, after %llu byte(s)",
				  (unsigned long long)len, (unsigned long long)taken) ||
		    !check_true(r.value >= 1 && r.value <= len, "CONSOLE-025",
				"READ(buffer, %llu) with input pending since boot, after %llu "
				"byte(s), returned %llu byte(s)",
				(unsigned long long)len, (unsigned long long)taken,
				(unsigned long long)r.value))
			return;
		if (!check_true(taken + r.value <= (size_t)supplied, "CONSOLE-027",
				"READ returned %llu byte(s) after %llu: more than the %lld supplied",
				(unsigned long long)r.value, (unsigned long long)taken, supplied))
			return;
		/* CONSOLE-026: the len-0 READ before did not take this byte */
		if (!check_true(buf[0] == want[taken], "CONSOLE-026",
				"the READ after READ(buffer, 0) starts with input byte %llu: 0x%02x, "
				"supplied 0x%02x",
				(unsigned long long)taken, buf[0], want[taken]))
			return;
		memcpy(got + taken, buf, (size_t)r.value);
		taken += (size_t)r.value;
	}
	for (first = 0; first < n && got[first] == want[first]; first++)
		;
	check_true(first == n, "CONSOLE-027",
		   "the first %llu supplied input bytes, read in %llu READs, in order and each once "
		   "(first difference at byte %llu: read 0x%02x, supplied 0x%02x)",
		   (unsigned long long)n, (unsigned long long)reads, (unsigned long long)first,
		   first < n ? got[first] : 0, first < n ? want[first] : 0);
}

HCABI_TEST(console_read_input, "CONSOLE.read_input",
	   "CONSOLE-020.1,CONSOLE-020.2,CONSOLE-020.3,CONSOLE-021.1,CONSOLE-021.2,CONSOLE-021.3,"
	   "CONSOLE-022," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_CONSOLE_READ_SINCE)
{
	static const uint64_t lens[] = {1, 7, 30, 2, 64, 13, 100};
	long long supplied = supplied_input();
	uint64_t end = hcabi_ram_end();
	size_t n, have = 0, step = 0, bad_at = 0, off = 0;
	unsigned empty = 0;
	bool bad_done = false;

	if (supplied < 0)
		return;
	/* what CONSOLE.read_pending_input read (1.2) is not read again */
	n = (size_t)supplied - taken;

	check_ret(hcabi_console_read((uint64_t)(uintptr_t)buf, 0), HCABI_SUCCESS, 0, "CONSOLE-020.2",
		  "READ(buffer, 0) reads nothing");
	while (have < n && empty < EMPTY_POLLS) {
		uint64_t len = lens[step++ % HCABI_ARRAY_SIZE(lens)];
		struct hcabi_ret r;

		if (!bad_done && have >= n / 3 && have > 0) {
			/* CONSOLE-021: rejected, and nothing consumed (checked by
			 * the next good READ continuing at byte `have`) */
			check_status(hcabi_console_read(end - 8, 16), HCABI_ERR_INVALID_ADDRESS,
				     "CONSOLE-021.1", "READ straddling the end of RAM after %llu of "
				     "%llu input bytes", (unsigned long long)have,
				     (unsigned long long)n);
			check_status(hcabi_console_read(0xFFFFFFFFFFFFFFF0ull, 32),
				     HCABI_ERR_INVALID_ADDRESS, "CONSOLE-021.2",
				     "READ whose end overflows, after %llu input bytes",
				     (unsigned long long)have);
			bad_done = true;
			bad_at = have;
		}
		/* every other READ into an odd address: any alignment is valid */
		off = step & 1;
		memset(buf, POISON, sizeof(buf));
		r = hcabi_console_read((uint64_t)(uintptr_t)(buf + off), len);
		if (!check_status(r, HCABI_SUCCESS, "CONSOLE-020.3", "READ(buffer%s, %llu) after %llu "
				  "input bytes", off ? " at an odd address" : "", (unsigned long long)len,
				  (unsigned long long)have))
			return;
		if (!check_true(r.value <= len, "CONSOLE-020.2", "READ(buffer, %llu) count %llu <= len",
				(unsigned long long)len, (unsigned long long)r.value))
			return;
		for (size_t i = 0; i < sizeof(buf); i++) {
			if ((i < off || i >= off + (size_t)r.value) && buf[i] != POISON) {
				check_true(false, "CONSOLE-022", "READ(buffer+%u, %llu) returned %llu but "
					   "changed byte %u of the buffer",
					   (unsigned)off, (unsigned long long)len,
					   (unsigned long long)r.value, (unsigned)i);
				return;
			}
		}
		if (!r.value) {
			empty++;
			continue;
		}
		if (!check_true(have + r.value <= n, "CONSOLE-020.2",
				"READ returned %llu byte(s) after %llu: more than the %llu supplied",
				(unsigned long long)r.value, (unsigned long long)have,
				(unsigned long long)n))
			return;
		memcpy(got + have, buf + off, (size_t)r.value);
		have += (size_t)r.value;
	}
	for (size_t i = 0; i < have; i++) {
		if (got[i] != want[taken + i]) {
			bool after_bad = bad_done && i == bad_at;
			check_true(false, after_bad ? "CONSOLE-021.3" : "CONSOLE-020.2",
				   "input byte %u read as 0x%02x, supplied 0x%02x (lost, repeated or "
				   "reordered input)%s",
				   (unsigned)(taken + i), got[i], want[taken + i],
				   after_bad ? ": a rejected READ consumed input" : "");
			return;
		}
	}
	check_true(have == n, "CONSOLE-020.2",
		   "all %llu supplied input bytes left read, in order (got %llu; %u empty READs)",
		   (unsigned long long)n, (unsigned long long)have, empty);
	check_ret(hcabi_console_read((uint64_t)(uintptr_t)buf, sizeof(buf)), HCABI_SUCCESS, 0,
		  "CONSOLE-020.1", "READ after the input is exhausted returns 0");
	check_ret(hcabi_console_read((uint64_t)(uintptr_t)buf, 1), HCABI_SUCCESS, 0, "CONSOLE-020.1",
		  "READ(1) after the input is exhausted returns 0");
}
