/* SPDX-License-Identifier: MIT */
/*
 * The table is read once: BATCH-005.
 *
 * What: entry 0 is a call that writes guest memory, pointed at entry 1:
 *  - MEM.GET_LAYOUT(&entry1.args[0], 1) overwrites entry 1's first three
 *    arguments with the first RAM range (base, size, type);
 *  - STEAL.SET_SHMEM(table + 64) puts the steal-time record over entry 1's
 *    function_id and arguments (entry 2 then disables it).
 * Entry 1 is BASE.PROBE_EXTENSION(E), with E chosen so that the call as
 * overwritten would give a different result than the call as first read.
 * After EXECUTE the table memory holds the overwritten entry (so the writer
 * did run), and entry 1's status and value must be those of the original
 * call: the hypervisor read the table before executing entry 0 (BATCH-005).
 * Why: a hypervisor that reads entries one at a time lets the batch rewrite
 * itself, and a guest (or another vCPU) racing with it could make it run a
 * call that was never in the table when EXECUTE was made - the double fetch
 * a hostile guest uses.
 * Each variant needs its writer's extension (MEM, STEAL); without either
 * the test is skipped: no other function of 1.0 writes guest memory at a
 * place of the caller's choosing without side effects.
 */
#include "batch_common.h"

static struct hcabi_batch_entry table[4] __attribute__((aligned(64)));
static struct hcabi_mem_range first[1] __attribute__((aligned(64)));

static struct hcabi_ret direct_probe(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
				     uint64_t a4, uint64_t a5, uint64_t fid)
{
	uint64_t args[6] = {a0, a1, a2, a3, a4, a5};
	return hcabi_raw_call(fid, args, false);
}

static bool same(struct hcabi_ret a, struct hcabi_ret b)
{
	return a.status == b.status && a.value == b.value;
}

static void variant_mem(void)
{
	static const uint64_t candidates[] = {0x7FFF, HCABI_EID_BASE, HCABI_EID_MEM, 0xC123};
	struct hcabi_ret r, orig = {0, 0}, mod;
	uint64_t e = 0, base, size;
	bool found = false;

	r = hcabi_mem_get_layout(hcabi_gpa(first), 1);
	if (!check_status(r, HCABI_SUCCESS, "MEM-010.2",
			  "MEM.GET_LAYOUT(buffer, 1), called directly"))
		return;
	base = first[0].base;
	size = first[0].size;
	/* entry 1 as entry 0 leaves it: PROBE_EXTENSION(base), args[1..2] = size, type */
	mod = direct_probe(base, size, HCABI_MEM_RANGE_RAM, BATCH_JUNK + 3, BATCH_JUNK + 4,
			   BATCH_JUNK + 5, HCABI_FID_BASE_PROBE_EXTENSION);
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(candidates) && !found; i++) {
		orig = direct_probe(candidates[i], BATCH_JUNK + 1, BATCH_JUNK + 2, BATCH_JUNK + 3,
				    BATCH_JUNK + 4, BATCH_JUNK + 5, HCABI_FID_BASE_PROBE_EXTENSION);
		if (!same(orig, mod)) {
			e = candidates[i];
			found = true;
		}
	}
	if (!found) {
		/* BASE answers non-zero and 0x7FFF (assigned by no version) 0,
		 * so one of them differs from any answer: unless PROBE_EXTENSION
		 * breaks BASE-032 or BASE-033, which these checks then show. */
		struct hcabi_ret b =
		    direct_probe(HCABI_EID_BASE, 0, 0, 0, 0, 0, HCABI_FID_BASE_PROBE_EXTENSION);
		check_ret(direct_probe(0x7FFF, 0, 0, 0, 0, 0, HCABI_FID_BASE_PROBE_EXTENSION),
			  HCABI_SUCCESS, 0, "BASE-032",
			  "PROBE_EXTENSION(0x7fff), an unassigned EID");
		check_true(b.status == HCABI_SUCCESS && b.value != 0, "BASE-033.1",
			   "PROBE_EXTENSION(BASE): status %lld value 0x%llx, want SUCCESS, not 0",
			   (long long)b.status, (unsigned long long)b.value);
		test_log("no PROBE_EXTENSION argument tells the two tables apart: the variant "
			 "is not tried");
		return;
	}
	batch_set(&table[0], HCABI_FID_MEM_GET_LAYOUT, hcabi_gpa(&table[1].args[0]), 1, 0, 2);
	batch_set(&table[1], HCABI_FID_BASE_PROBE_EXTENSION, e, 0, 0, 1);
	batch_set(&table[2], HCABI_FID_BASE_GET_SPEC_VERSION, 0, 0, 0, 0);
	r = hcabi_batch_execute(hcabi_gpa(table), 3);
	check_ret(r, HCABI_SUCCESS, 3, "BATCH-005",
		  "EXECUTE([GET_LAYOUT into entry 1, "
		  "PROBE_EXTENSION(0x%llx), GET_SPEC_VERSION])",
		  (unsigned long long)e);
	check_status(batch_result(&table[0]), HCABI_SUCCESS, "BATCH-005",
		     "entry 0: MEM.GET_LAYOUT");
	/* GET_LAYOUT in a batch writes what it writes when called directly */
	if (!check_true(table[1].args[0] == base && table[1].args[1] == size, "BATCH-002.2",
			"entry 0, MEM.GET_LAYOUT, wrote the first RAM range into entry 1 as the "
			"direct call does (args 0x%llx 0x%llx, want 0x%llx 0x%llx)",
			(unsigned long long)table[1].args[0], (unsigned long long)table[1].args[1],
			(unsigned long long)base, (unsigned long long)size))
		return;
	check_ret(batch_result(&table[1]), orig.status, orig.value, "BATCH-005",
		  "entry 1 ran as first read, PROBE_EXTENSION(0x%llx), not as overwritten, "
		  "PROBE_EXTENSION(0x%llx) (status %lld value 0x%llx)",
		  (unsigned long long)e, (unsigned long long)base, (long long)mod.status,
		  (unsigned long long)mod.value);
	check_status(batch_result(&table[2]), HCABI_SUCCESS, "BATCH-005", "entry 2");
}

static void variant_steal(void)
{
	struct hcabi_ret r, orig, mod;
	const struct hcabi_fn *fn;
	uint64_t args[6];

	(void)hcabi_steal_set_shmem(HCABI_STEAL_DISABLE);
	orig = direct_probe(HCABI_EID_BASE, BATCH_JUNK + 1, BATCH_JUNK + 2, BATCH_JUNK + 3,
			    BATCH_JUNK + 4, BATCH_JUNK + 5, HCABI_FID_BASE_PROBE_EXTENSION);
	batch_set(&table[0], HCABI_FID_STEAL_SET_SHMEM, hcabi_gpa(table) + 64, 0, 0, 1);
	batch_set(&table[1], HCABI_FID_BASE_PROBE_EXTENSION, HCABI_EID_BASE, 0, 0, 1);
	batch_set(&table[2], HCABI_FID_STEAL_SET_SHMEM, HCABI_STEAL_DISABLE, 0, 0, 1);
	r = hcabi_batch_execute(hcabi_gpa(table), 3);
	(void)hcabi_steal_set_shmem(HCABI_STEAL_DISABLE);
	check_ret(r, HCABI_SUCCESS, 3, "BATCH-005",
		  "EXECUTE([STEAL.SET_SHMEM over entry 1, PROBE_EXTENSION(BASE), DISABLE])");
	if (!check_status(batch_result(&table[0]), HCABI_SUCCESS, "BATCH-005",
			  "entry 0: STEAL.SET_SHMEM"))
		return;
	/* SET_SHMEM in a batch writes the record as the direct call does (STEAL-002) */
	if (!check_true(table[1].function_id != HCABI_FID_BASE_PROBE_EXTENSION ||
			    table[1].args[0] != HCABI_EID_BASE,
			"BATCH-002.2",
			"entry 0, STEAL.SET_SHMEM with SUCCESS, wrote its record over entry 1"))
		return;
	fn = hcabi_fn_by_id((uint32_t)table[1].function_id);
	if (fn && HCABI_FUNCTION_EID(fn->id) != HCABI_EID_BASE && table[1].function_id >> 32 == 0) {
		/* steal_ns named a real function with effects: do not call it */
		test_log("the overwritten entry 1 names %s.%s: this variant cannot tell", fn->ext,
			 fn->name);
		return;
	}
	for (unsigned i = 0; i < 6; i++)
		args[i] = table[1].args[i];
	mod = hcabi_raw_call(table[1].function_id, args, false);
	if (same(mod, orig)) {
		test_log(
		    "the overwritten entry 1 (function 0x%llx) would give the same result as the "
		    "original: this variant cannot tell",
		    (unsigned long long)table[1].function_id);
		return;
	}
	check_ret(batch_result(&table[1]), orig.status, orig.value, "BATCH-005",
		  "entry 1 ran as first read, PROBE_EXTENSION(BASE), not as overwritten (function "
		  "0x%llx: status %lld value 0x%llx)",
		  (unsigned long long)table[1].function_id, (long long)mod.status,
		  (unsigned long long)mod.value);
	check_ret(batch_result(&table[2]), HCABI_SUCCESS, 0, "BATCH-005", "entry 2: DISABLE");
}

HCABI_TEST(batch_read_once, "BATCH.table_read_once",
	   "BATCH-005,BATCH-002.2,MEM-010.2," HCABI_REQ_VALUE_ZERO ",BASE-032,BASE-033.1",
	   HCABI_FID_BATCH_EXECUTE_SINCE)
{
	bool mem = hcabi_has_ext(HCABI_EID_MEM), steal = hcabi_has_ext(HCABI_EID_STEAL);

	if (!mem && !steal) {
		/* either would do (their calls write into the table): the skip
		 * names both (test-end needs=MEM,STEAL) */
		test_require_ext(HCABI_EID_MEM);
		test_require_ext(HCABI_EID_STEAL);
		return;
	}
	if (mem)
		variant_mem();
	if (steal)
		variant_steal();
}
