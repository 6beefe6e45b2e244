/* SPDX-License-Identifier: MIT */
/*
 * BATCH.EXECUTE writes each entry's result before the next entry runs, since
 * HCABI 1.2: BATCH-007.
 *
 * What: a table of three pairs of CONSOLE.WRITE entries. The first of a pair
 * writes m bytes of an announced console stream (stream `batch-results`,
 * docs/internals.md, "Console data paths"), so its value is m; the second
 * writes one byte from the first one's `value` field, the low byte of m as
 * the field holds it when the second entry runs. Each m (1 to 4096) is
 * chosen so that that byte is the stream's next byte; the field is
 * poisoned before (0xA5, never a stream byte). So the console shows the
 * stream exactly when each value was written before the next entry ran,
 * and the runner compares it byte for byte (a difference fails BATCH-007).
 * After the region: the batch returned SUCCESS with 6 (BATCH-003.3), and
 * each entry holds SUCCESS with its count (BATCH-002.4).
 * Only `value` can be shown this way: the status of an entry that lets the
 * batch go on is SUCCESS, 0, whose bytes no console stream holds, and a
 * failing entry ends the batch. A host writing the two fields of a result
 * at different times is not caught.
 * Why: 1.0 and 1.1 said it in EXECUTE's description only. An entry whose
 * call reads guest memory sees the results of the entries before it, as a
 * sequence of direct calls would.
 */
#include "batch_common.h"
#include "../console/console_expect.h"

#define PAIRS 3
#define MAX_M HCABI_CONSOLE_MAX_XFER
#define STREAM (PAIRS * (MAX_M + 1))

static uint8_t stream[STREAM];
static struct hcabi_batch_entry table[2 * PAIRS] __attribute__((aligned(64)));

HCABI_TEST(batch_results_before_next_entry, "BATCH.results_before_next_entry",
	   "BATCH-002.4,BATCH-003.3,BATCH-007," HCABI_REQ_VALUE_ZERO, HCABI_VERSION_1_2)
{
	uint64_t m[PAIRS];
	size_t pos = 0;
	struct hcabi_ret r;

	if (!test_require_ext(HCABI_EID_CONSOLE))
		return;
	hcabi_console_bytes("batch-results", stream, STREAM);
	for (unsigned k = 0; k < PAIRS; k++) {
		/* the first m whose low byte is the stream's byte after m bytes */
		for (m[k] = 1; m[k] <= MAX_M && stream[pos + m[k]] != (uint8_t)m[k]; m[k]++)
			;
		if (m[k] > MAX_M) {
			test_error("stream batch-results has no byte equal to its offset's low byte "
				   "within %u bytes of %llu: the test cannot build its table",
				   MAX_M, (unsigned long long)pos);
			return;
		}
		batch_set(&table[2 * k], HCABI_FID_CONSOLE_WRITE, (uint64_t)(uintptr_t)(stream + pos),
			  m[k], 0, 2);
		batch_set(&table[2 * k + 1], HCABI_FID_CONSOLE_WRITE,
			  (uint64_t)(uintptr_t)&table[2 * k].value, 1, 0, 2);
		pos += (size_t)m[k] + 1;
	}

	/* no protocol line between console-expect and console-end */
	console_expect("batch-results", stream, pos, "pieces", "BATCH-007");
	r = hcabi_batch_execute((uint64_t)(uintptr_t)table, 2 * PAIRS);
	console_expect_end("batch-results");

	check_ret(r, HCABI_SUCCESS, 2 * PAIRS, "BATCH-003.3", "EXECUTE of %u CONSOLE.WRITE entries",
		  2 * PAIRS);
	for (unsigned k = 0; k < PAIRS; k++) {
		check_ret(batch_result(&table[2 * k]), HCABI_SUCCESS, m[k], "BATCH-002.4",
			  "entry %u: CONSOLE.WRITE of %llu stream bytes", 2 * k,
			  (unsigned long long)m[k]);
		check_ret(batch_result(&table[2 * k + 1]), HCABI_SUCCESS, 1, "BATCH-002.4",
			  "entry %u: CONSOLE.WRITE of entry %u's value byte", 2 * k + 1, 2 * k);
	}
}
