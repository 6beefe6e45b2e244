/* SPDX-License-Identifier: MIT */
/*
 * BATCH.EXECUTE arguments: BATCH-001.1 (count), .2 (alignment), .3 (RAM), .4
 * (nothing executed), .5 (count 0).
 *
 * What:
 *  - count 0 returns SUCCESS with 0 without checking gpa (0, misaligned,
 *    the end of RAM, 2^64 - 1) and writes nothing (BATCH-001.5);
 *  - count HCABI_BATCH_MAX_ENTRIES (64) is accepted and all 64 entries run;
 *  - count 65, 128, 2^32, 2^63 and 2^64 - 1 are INVALID_PARAM with RDX = 0
 *    and execute nothing: every entry keeps its poisoned status and value,
 *    and the first entry, a VCPU.KICK of the caller, left no kick behind
 *    (BATCH-001.1, .4);
 *  - a gpa 1 or 4 bytes past 8-byte alignment, the end of RAM, a table
 *    that starts in RAM and ends past its top (one entry straddling the end;
 *    two entries of which the first is wholly in RAM, when the last page is
 *    free), a hole between RAM ranges (if any), 2^63 and 2^64 - 8 (the
 *    entry wraps) are INVALID_ADDRESS with RDX = 0, and nothing is executed
 *    or written (BATCH-001.2, .3, .4, GEN-001).
 * Why: the table is guest memory the hypervisor reads in one go; a bad one
 * must be refused as a whole before anything runs, or a guest cannot tell
 * what happened.
 */
#include "batch_common.h"

static struct hcabi_batch_entry table[HCABI_BATCH_MAX_ENTRIES + 8] __attribute__((aligned(64)));

static void fill_table(void)
{
	for (unsigned i = 0; i < HCABI_ARRAY_SIZE(table); i++)
		batch_set(&table[i], HCABI_FID_BASE_GET_SPEC_VERSION, 0, 0, 0, 0);
	batch_set_kick_self(&table[0]);
}

static bool table_untouched(void)
{
	for (unsigned i = 0; i < HCABI_ARRAY_SIZE(table); i++)
		if (!batch_untouched(&table[i]))
			return false;
	return true;
}

HCABI_TEST(batch_count_zero, "BATCH.execute_count_zero", "BATCH-001.5," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_BATCH_EXECUTE_SINCE)
{
	const uint64_t gpas[] = {hcabi_gpa(table), 0, hcabi_gpa(table) + 1, hcabi_ram_top(), ~0ull};

	(void)batch_kick_pending();
	fill_table();
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(gpas); i++)
		check_ret(hcabi_batch_execute(gpas[i], 0), HCABI_SUCCESS, 0, "BATCH-001.5",
			  "EXECUTE(gpa 0x%llx, count 0)", (unsigned long long)gpas[i]);
	check_true(table_untouched(), "BATCH-001.5", "count 0 wrote nothing into the table");
	check_true(!batch_kick_pending(), "BATCH-001.5", "count 0 executed nothing (no kick)");
}

HCABI_TEST(batch_count_max, "BATCH.execute_count_max",
	   "BATCH-001.1,BATCH-001.4," HCABI_REQ_VALUE_ZERO, HCABI_FID_BATCH_EXECUTE_SINCE)
{
	static const uint64_t counts[] = {HCABI_BATCH_MAX_ENTRIES + 1, 128, 1ull << 32, 1ull << 63,
					  ~0ull};
	struct hcabi_ret spec = hcabi_base_get_spec_version();
	unsigned bad = 0;

	(void)batch_kick_pending();
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(counts); i++) {
		fill_table();
		check_status(hcabi_batch_execute(hcabi_gpa(table), counts[i]),
			     HCABI_ERR_INVALID_PARAM, "BATCH-001.1", "EXECUTE(table, count %llu)",
			     (unsigned long long)counts[i]);
		check_true(table_untouched(), "BATCH-001.4",
			   "count %llu: no entry was executed or written",
			   (unsigned long long)counts[i]);
		check_true(!batch_kick_pending(), "BATCH-001.4",
			   "count %llu: the first entry (KICK of the caller) did not run",
			   (unsigned long long)counts[i]);
	}

	/* exactly the maximum */
	for (unsigned i = 0; i < HCABI_BATCH_MAX_ENTRIES; i++)
		batch_set(&table[i], HCABI_FID_BASE_GET_SPEC_VERSION, 0, 0, 0, 0);
	check_ret(hcabi_batch_execute(hcabi_gpa(table), HCABI_BATCH_MAX_ENTRIES), HCABI_SUCCESS,
		  HCABI_BATCH_MAX_ENTRIES, "BATCH-001.1", "EXECUTE(table, count %u)",
		  HCABI_BATCH_MAX_ENTRIES);
	for (unsigned i = 0; i < HCABI_BATCH_MAX_ENTRIES; i++)
		if (table[i].status != spec.status || table[i].value != spec.value)
			bad++;
	check_eq_u64(bad, 0, "BATCH-001.1",
		     "entries of the %u that did not get GET_SPEC_VERSION's result",
		     HCABI_BATCH_MAX_ENTRIES);
	check_true(batch_untouched(&table[HCABI_BATCH_MAX_ENTRIES]), "BATCH-001.1",
		   "the entry after the table is untouched");
}

HCABI_TEST(batch_bad_address, "BATCH.execute_bad_address",
	   "BATCH-001.2,BATCH-001.3,BATCH-001.4," HCABI_REQ_VALUE_ZERO,
	   HCABI_FID_BATCH_EXECUTE_SINCE)
{
	uint64_t top = hcabi_ram_top(), hole = hcabi_ram_hole();
	uint64_t base = hcabi_gpa(table);
	struct addr_case {
		uint64_t gpa, count;
		const char *what;
		const char *req; /* misaligned: BATCH-001.2; not wholly in RAM: .3 */
	} cases[12];
	size_t k = 0;
	uint64_t hash;

	cases[k++] =
	    (struct addr_case){base + 4, 1, "gpa 4 bytes past 8-byte alignment", "BATCH-001.2"};
	cases[k++] =
	    (struct addr_case){base + 1, 2, "gpa 1 byte past 8-byte alignment", "BATCH-001.2"};
	cases[k++] =
	    (struct addr_case){base + 76, 3, "gpa 76: inside an entry, misaligned", "BATCH-001.2"};
	cases[k++] = (struct addr_case){top, 1, "gpa = the end of RAM", "BATCH-001.3"};
	cases[k++] =
	    (struct addr_case){top - 64, 1, "one entry straddling the end of RAM", "BATCH-001.3"};
	cases[k++] = (struct addr_case){1ull << 63, 1, "gpa 2^63", "BATCH-001.3"};
	cases[k++] = (struct addr_case){0xFFFFFFFFFFFFFFF8ull, 1, "gpa 2^64-8 (the entry wraps)",
					"BATCH-001.3"};
	cases[k++] = (struct addr_case){0xFFFFFFFFFFFFFFB8ull, 1, "gpa 2^64-72 (ends at 2^64)",
					"BATCH-001.3"};
	if (hole)
		cases[k++] = (struct addr_case){hole, 1, "a table in a hole between RAM ranges",
						"BATCH-001.3"};

	(void)batch_kick_pending();
	for (size_t i = 0; i < k; i++) {
		fill_table();
		hash = hcabi_hash(table, sizeof(table));
		check_status(hcabi_batch_execute(cases[i].gpa, cases[i].count),
			     HCABI_ERR_INVALID_ADDRESS, cases[i].req,
			     "EXECUTE(gpa 0x%llx, count %llu: %s)",
			     (unsigned long long)cases[i].gpa, (unsigned long long)cases[i].count,
			     cases[i].what);
		check_eq_u64(hcabi_hash(table, sizeof(table)), hash, "BATCH-001.4",
			     "%s: the test's table is unchanged", cases[i].what);
		check_true(!batch_kick_pending(), "BATCH-001.4",
			   "%s: nothing was executed (no kick)", cases[i].what);
	}

	/* two entries, the first wholly in RAM (at its very end), the second not */
	if (hcabi_top_page_free()) {
		volatile struct hcabi_batch_entry *last =
		    (volatile struct hcabi_batch_entry *)hcabi_gpa_ptr(top - sizeof(table[0]));
		batch_set_kick_self(last);
		check_status(hcabi_batch_execute(top - sizeof(table[0]), 2),
			     HCABI_ERR_INVALID_ADDRESS, "BATCH-001.3",
			     "EXECUTE(the last 72 bytes of RAM, count 2)");
		check_true(batch_untouched(last), "BATCH-001.4",
			   "the entry in RAM was not executed or written");
		check_true(!batch_kick_pending(), "BATCH-001.4", "no kick was left by it");
		batch_set_kick_self(last);
		check_ret(hcabi_batch_execute(top - sizeof(table[0]), 1), HCABI_SUCCESS, 1,
			  "BATCH-001.3",
			  "EXECUTE(the last 72 bytes of RAM, count 1): wholly in RAM");
		if (hcabi_has_ext(HCABI_EID_VCPU))
			check_ret(batch_result(last), HCABI_SUCCESS, 0, "BATCH-001.3",
				  "that entry's result (KICK)");
		else
			check_status(batch_result(last), HCABI_SUCCESS, "BATCH-001.3",
				     "that entry's result (GET_SPEC_VERSION)");
		(void)batch_kick_pending();
	} else {
		test_log(
		    "the last page of RAM is not free: the table at the end of RAM is not tried");
	}
}
