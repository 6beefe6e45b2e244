/* SPDX-License-Identifier: MIT */
/*
 * Status rules: STATUS-001 .. STATUS-004.
 *
 * What:
 *  - STATUS-001: every function of a provided extension, called with
 *    harmless arguments and with invalid ones (reserved bits, bad
 *    addresses, out-of-range indexes), returns SUCCESS or a status its
 *    table lists at the exposed version (HCABI_FID_*_STATUSES without the
 *    statuses added later, e.g. FAILED before 1.2) or INVALID_PARAM (common
 *    to all);
 *  - STATUS-002: calls of every function of an extension that is not
 *    provided, and of FIDs 0, 1 and 0xFFFF of unassigned EIDs in the
 *    standard, experimental and vendor ranges (those PROBE_EXTENSION calls
 *    absent), return NOT_SUPPORTED;
 *  - STATUS-003: FIDs the registry does not define in a provided extension
 *    return NOT_SUPPORTED (the FIDs an extension reserves, whose result is
 *    unspecified, are never called);
 *  - STATUS-004: failed calls have no effect, where a guest can see one: an
 *    invalid SET_TIMER arms nothing, an invalid MEM.RELEASE leaves the page's
 *    contents, an oversized BATCH.EXECUTE table is not executed, an invalid
 *    STEAL.SET_SHMEM writes no record.
 * Why: guests branch on the exact status; a status outside the table, or a
 * "failed" call that did something, defeats error handling.
 */
#include "hcabi_test.h"
#include "hcabi_calls.h"
#include "hcabi_vectors.h"

#define NOT_IN_RAM (1ull << 46)

/* Invalid arguments for each function (one variant), or false. */
static bool invalid_args(uint32_t id, uint64_t a[6])
{
	uint64_t buf = (uint64_t)(uintptr_t)hcabi_scratch;
	memset(a, 0, 6 * sizeof(*a));
	switch (id) {
	case HCABI_FID_BASE_PROBE_EXTENSION:
		a[0] = 1ull << 20;
		return true;
	case HCABI_FID_BASE_PROBE_FUNCTION:
		a[0] = 1ull << 40;
		return true;
	case HCABI_FID_CONSOLE_WRITE:
	case HCABI_FID_CONSOLE_READ:
		a[0] = NOT_IN_RAM;
		a[1] = 16;
		return true;
	case HCABI_FID_CONSOLE_WRITE_BYTE:
		a[0] = 1ull << 62;
		return true;
	case HCABI_FID_TIME_SET_TIMER:
		a[0] = ~0ull;
		a[1] = 3;
		return true;
	case HCABI_FID_VCPU_START:
		a[0] = 1u << 20;
		a[1] = buf;
		return true;
	case HCABI_FID_VCPU_GET_STATUS:
	case HCABI_FID_VCPU_KICK:
		a[0] = 1u << 20;
		return true;
	case HCABI_FID_VCPU_YIELD:
		a[0] = 1u << 20;
		return true;
	case HCABI_FID_IPI_SEND:
		a[0] = 1;
		a[1] = 0;
		a[2] = 5;
		return true;
	case HCABI_FID_TLB_FLUSH:
		a[0] = 0;
		a[2] = 0x1001;
		a[3] = 1;
		return true;
	case HCABI_FID_MEM_RELEASE:
		a[0] = buf;
		a[1] = 0;
		return true;
	case HCABI_FID_MEM_GET_LAYOUT:
		a[0] = NOT_IN_RAM;
		a[1] = 4;
		return true;
	case HCABI_FID_STEAL_SET_SHMEM:
		a[0] = buf + 8;
		return true;
	case HCABI_FID_BATCH_EXECUTE:
		a[0] = buf;
		a[1] = HCABI_BATCH_MAX_ENTRIES + 1;
		return true;
	default:
		return false;
	}
}

HCABI_TEST(status_tables, "STATUS.function_status_tables", "STATUS-001," HCABI_REQ_VALUE_ZERO,
	   HCABI_VERSION_1_0)
{
	for (size_t i = 0; i < hcabi_num_fns; i++) {
		const struct hcabi_fn *fn = &hcabi_fns[i];
		uint64_t a[6];
		if ((fn->flags & HCABI_FN_NO_RETURN) ||
		    !hcabi_has_ext(HCABI_FUNCTION_EID(fn->id)) || fn->since > hcabi_spec())
			continue;
		hcabi_harmless_args(fn->id, a, 0);
		check_status_allowed(hcabi_raw_call(fn->id, a, false),
				     hcabi_fn_statuses_at(fn, hcabi_spec()), "STATUS-001",
				     "%s.%s (harmless arguments)", fn->ext, fn->name);
		if (invalid_args(fn->id, a))
			check_status_allowed(hcabi_raw_call(fn->id, a, false),
					     hcabi_fn_statuses_at(fn, hcabi_spec()),
					     "STATUS-001", "%s.%s (invalid arguments)", fn->ext,
					     fn->name);
	}
	/* undo what a wrongly accepted invalid call may have set up */
	if (hcabi_has_ext(HCABI_EID_TIME))
		hcabi_time_cancel_timer();
	if (hcabi_has_ext(HCABI_EID_STEAL))
		hcabi_steal_set_shmem(HCABI_STEAL_DISABLE);
}

HCABI_TEST(status_unknown_eid, "STATUS.unknown_extension", "STATUS-002," HCABI_REQ_VALUE_ZERO,
	   HCABI_VERSION_1_0)
{
	static const uint32_t eids[] = {0x00FF, 0x0100, 0x7FFF, 0x8000, 0xA5A5,
					0xBFFF, 0xC000, 0xE123, 0xFFFF};
	static const uint32_t fids[] = {0, 1, 0xFFFF};

	for (size_t i = 0; i < hcabi_num_fns; i++) {
		const struct hcabi_fn *fn = &hcabi_fns[i];
		uint64_t a[6];
		if (hcabi_has_ext(HCABI_FUNCTION_EID(fn->id)))
			continue;
		hcabi_harmless_args(fn->id, a, 0);
		check_status(hcabi_raw_call(fn->id, a, false), HCABI_ERR_NOT_SUPPORTED,
			     "STATUS-002", "%s.%s of an extension that is not provided", fn->ext,
			     fn->name);
	}
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(eids); i++) {
		struct hcabi_ret p = hcabi_base_probe_extension(eids[i]);
		if (p.status != HCABI_SUCCESS || p.value != 0) {
			test_log("EID 0x%04x is provided (or its probe failed): not used", eids[i]);
			continue;
		}
		for (size_t k = 0; k < HCABI_ARRAY_SIZE(fids); k++) {
			uint64_t a[6] = {0, 0, 0, 0, 0, 0};
			check_status(hcabi_raw_call(HCABI_FUNCTION_ID(eids[i], fids[k]), a, k & 1),
				     HCABI_ERR_NOT_SUPPORTED, "STATUS-002",
				     "function 0x%08x (EID not provided)",
				     HCABI_FUNCTION_ID(eids[i], fids[k]));
		}
	}
}

HCABI_TEST(status_unknown_fid, "STATUS.unknown_function", "STATUS-003," HCABI_REQ_VALUE_ZERO,
	   HCABI_VERSION_1_0)
{
	static const uint32_t eids[] = {
#define EXT(name, eid, since) eid,
	    HCABI_FOREACH_EXTENSION(EXT)
#undef EXT
	};

	for (size_t i = 0; i < HCABI_ARRAY_SIZE(eids); i++) {
		int max = hcabi_max_fid(eids[i]);
		const uint32_t fids[] = {(uint32_t)(max + 1), 0x100, 0x8000, 0xFFFF};
		if (!hcabi_has_ext(eids[i]))
			continue;
		for (size_t k = 0; k < HCABI_ARRAY_SIZE(fids); k++) {
			uint32_t id = HCABI_FUNCTION_ID(eids[i], fids[k]);
			uint64_t a[6] = {0, 0, 0, 0, 0, 0};
			if (hcabi_fid_reserved(id))
				continue; /* reserved: result unspecified */
			if (hcabi_spec() > HCABI_VERSION_NEWEST &&
			    hcabi_base_probe_function(id).value == 1)
				continue; /* defined by a version newer than this suite */
			check_status(hcabi_raw_call(id, a, false), HCABI_ERR_NOT_SUPPORTED,
				     "STATUS-003",
				     "%s FID 0x%x, which the registry does not define",
				     hcabi_ext_name(eids[i]), fids[k]);
		}
	}
}

#define TIMER_VECTOR HCABI_TEST_VECTOR(0)
static volatile uint64_t timer_hits;
static void on_timer(struct hcabi_frame *f, unsigned v)
{
	(void)f;
	(void)v;
	timer_hits++;
}

HCABI_TEST(status_no_effect, "STATUS.failed_calls_no_effect", "STATUS-004," HCABI_REQ_VALUE_ZERO,
	   HCABI_VERSION_1_0)
{
	bool any = false;

	if (hcabi_has_ext(HCABI_EID_TIME)) {
		any = true;
		hcabi_irq_register(TIMER_VECTOR, on_timer);
		timer_hits = 0;
		hcabi_time_cancel_timer();
		check_status(hcabi_time_set_timer(0, (1ull << 8) | TIMER_VECTOR),
			     HCABI_ERR_INVALID_PARAM, "STATUS-004",
			     "SET_TIMER(deadline 0, vector with bit 8 set)");
		hcabi_irq_enable();
		delay_ns(HCABI_MS(300));
		hcabi_irq_disable();
		check_eq_u64(timer_hits, 0, "STATUS-004", "interrupts from the failed SET_TIMER");
		check_ret(hcabi_time_cancel_timer(), HCABI_SUCCESS, 0, "STATUS-004",
			  "CANCEL_TIMER after the failed SET_TIMER: nothing armed");
	}
	if (hcabi_has_ext(HCABI_EID_MEM)) {
		uint64_t page = hcabi_alloc_page();
		any = true;
		if (!page) {
			test_error("no free page");
			return;
		}
		memset((void *)(uintptr_t)page, 0xA7, 4096);
		check_status(hcabi_mem_release(page, 0), HCABI_ERR_INVALID_PARAM, "STATUS-004",
			     "MEM.RELEASE(page, 0 pages)");
		check_status(hcabi_mem_release(page + 8, 1), HCABI_ERR_INVALID_ADDRESS,
			     "STATUS-004", "MEM.RELEASE(page + 8, 1): misaligned");
		bool intact = true;
		for (unsigned i = 0; i < 4096; i++)
			intact &= ((volatile uint8_t *)(uintptr_t)page)[i] == 0xA7;
		check_true(intact, "STATUS-004",
			   "the page keeps its contents after the failed RELEASEs");
	}
	if (hcabi_has_ext(HCABI_EID_BATCH)) {
		static struct hcabi_batch_entry table[HCABI_BATCH_MAX_ENTRIES + 1]
		    __attribute__((aligned(64)));
		any = true;
		for (unsigned i = 0; i < HCABI_ARRAY_SIZE(table); i++) {
			table[i].function_id = HCABI_FID_BASE_GET_SPEC_VERSION;
			memset(table[i].args, 0, sizeof(table[i].args));
			table[i].status = 0x5A5A;
			table[i].value = 0xA5A5;
		}
		check_status(
		    hcabi_batch_execute((uint64_t)(uintptr_t)table, HCABI_ARRAY_SIZE(table)),
		    HCABI_ERR_INVALID_PARAM, "STATUS-004",
		    "BATCH.EXECUTE of %u entries (one too many)",
		    (unsigned)HCABI_ARRAY_SIZE(table));
		bool untouched = true;
		for (unsigned i = 0; i < HCABI_ARRAY_SIZE(table); i++)
			untouched &= table[i].status == 0x5A5A && table[i].value == 0xA5A5;
		check_true(untouched, "STATUS-004", "no entry of the refused table was executed");
	}
	if (hcabi_has_ext(HCABI_EID_STEAL)) {
		uint8_t *rec = hcabi_scratch + 2 * 4096;
		any = true;
		memset(rec, 0xCD, 128);
		check_status(hcabi_steal_set_shmem((uint64_t)(uintptr_t)rec + 32),
			     HCABI_ERR_INVALID_ADDRESS, "STATUS-004",
			     "STEAL.SET_SHMEM(record 32 bytes off 64-byte alignment)");
		hcabi_vcpu_get_id(); /* a registered record would be updated on return */
		hcabi_base_get_spec_version();
		bool untouched = true;
		for (unsigned i = 0; i < 128; i++)
			untouched &= rec[i] == 0xCD;
		check_true(untouched, "STATUS-004", "no steal-time record was written");
	}
	if (!any)
		test_skip(
		    "none of TIME, MEM, BATCH, STEAL is provided: no visible effect to check");
}
