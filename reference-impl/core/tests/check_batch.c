/* SPDX-License-Identifier: MIT */
/* check_batch.c - BATCH.EXECUTE. */
#include "harness.h"

#define TBL 0x7000ull
#define ENT 72u

static void entry(unsigned i, uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2)
{
	uint64_t e = TBL + i * ENT;
	fake_put64(hx.fake, e, fid);
	fake_put64(hx.fake, e + 8, a0);
	fake_put64(hx.fake, e + 16, a1);
	fake_put64(hx.fake, e + 24, a2);
	for (unsigned k = 3; k < 6; k++)
		fake_put64(hx.fake, e + 8 + 8 * k, 0);
	fake_put64(hx.fake, e + 56, 0x5151515151515151ull); /* status sentinel */
	fake_put64(hx.fake, e + 64, 0x6161616161616161ull); /* value sentinel */
}

static int64_t st_of(unsigned i)
{
	return (int64_t)fake_get64(hx.fake, TBL + i * ENT + 56);
}

static uint64_t val_of(unsigned i)
{
	return fake_get64(hx.fake, TBL + i * ENT + 64);
}

/* BATCH-002: in order, each as a direct call, status and value written. */
START_TEST(execute_ok)
{
	struct hcabi_ref_ret r;
	entry(0, HCABI_FID_BASE_GET_SPEC_VERSION, 0, 0, 0);
	entry(1, HCABI_FID_VCPU_GET_ID, 0, 0, 0);
	entry(2, HCABI_FID_CONSOLE_WRITE_BYTE, 'x', 0, 0);
	entry(3, HCABI_FID_CONSOLE_WRITE_BYTE, 'y', 0, 0);
	entry(4, HCABI_FID_BASE_PROBE_EXTENSION, HCABI_EID_BATCH, 0, 0);
	r = CALL(2, HCABI_FID_BATCH_EXECUTE, TBL, 5);
	CK_OK(r, 5);
	ck_assert_int_eq(st_of(0), 0);
	ck_assert_uint_eq(val_of(0), HCABI_VERSION_NEWEST);
	ck_assert_int_eq(st_of(1), 0);
	ck_assert_uint_eq(val_of(1), 2);
	ck_assert_int_eq(st_of(2), 0);
	ck_assert_uint_eq(val_of(2), 0);
	ck_assert_uint_eq(val_of(4), 1);
	ck_assert_uint_eq(hx.fake->nout, 2);
	ck_assert_mem_eq(hx.fake->out, "xy", 2);
	/* the rest of each entry is not written */
	ck_assert_uint_eq(fake_get64(hx.fake, TBL + 2 * ENT), HCABI_FID_CONSOLE_WRITE_BYTE);
	ck_assert_uint_eq(fake_get64(hx.fake, TBL + 2 * ENT + 8), 'x');
}
END_TEST

/* BATCH-003: stop after the first failure; later entries untouched. */
START_TEST(execute_stops_at_failure)
{
	struct hcabi_ref_ret r;
	entry(0, HCABI_FID_CONSOLE_WRITE_BYTE, 'a', 0, 0);
	entry(1, HCABI_FID_CONSOLE_WRITE_BYTE, 0x100, 0, 0); /* GEN-002 */
	entry(2, HCABI_FID_CONSOLE_WRITE_BYTE, 'c', 0, 0);
	r = CALL(0, HCABI_FID_BATCH_EXECUTE, TBL, 3);
	CK_OK(r, 2);
	ck_assert_int_eq(st_of(0), 0);
	ck_assert_int_eq(st_of(1), HCABI_ERR_INVALID_PARAM);
	ck_assert_uint_eq(val_of(1), 0); /* X86-005 for the entry too */
	ck_assert_int_eq(st_of(2), 0x5151515151515151ll);
	ck_assert_uint_eq(val_of(2), 0x6161616161616161ull);
	ck_assert_uint_eq(hx.fake->nout, 1);
}
END_TEST

/* BATCH-004: functions that do not return or that wait: DENIED, no effect. */
static const uint64_t denied_fns[] = {
    HCABI_FID_VCPU_STOP,       HCABI_FID_VCPU_BLOCK,	HCABI_FID_BATCH_EXECUTE,
    HCABI_FID_SYSTEM_SHUTDOWN, HCABI_FID_SYSTEM_REBOOT, HCABI_FID_SYSTEM_CRASH,
};
START_TEST(execute_denied)
{
	struct hcabi_ref_ret r;
	hx_start(0, 1); /* so that a STOP would be allowed */
	entry(0, HCABI_FID_VCPU_GET_ID, 0, 0, 0);
	entry(1, denied_fns[_i], 0, 0, 0);
	/* a nested batch pointing at this very table */
	if (denied_fns[_i] == HCABI_FID_BATCH_EXECUTE)
		entry(1, denied_fns[_i], TBL, 2, 0);
	entry(2, HCABI_FID_VCPU_GET_ID, 0, 0, 0);
	fake_clear(hx.fake);
	r = CALL(0, HCABI_FID_BATCH_EXECUTE, TBL, 3);
	CK_OK(r, 2);
	ck_assert_int_eq(st_of(1), HCABI_ERR_DENIED);
	ck_assert_uint_eq(val_of(1), 0);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_VCPU_BLOCK, UINT32_MAX), 0);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_TIMER_CANCEL, UINT32_MAX), 0);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_MEM_READ, UINT32_MAX), 1);
	r = CALL(1, HCABI_FID_VCPU_GET_STATUS, 0);
	CK_OK(r, HCABI_VCPU_STATUS_RUNNING);
}
END_TEST

/* An entry is checked as a direct call: RAX[63:32], unknown functions,
 * reserved bits, the version. */
struct entry_case {
	uint64_t fid, a0;
	int64_t status;
};
static const struct entry_case entry_cases[] = {
    {(1ull << 32) | HCABI_FID_VCPU_GET_ID, 0, HCABI_ERR_INVALID_PARAM}, /* X86-002 */
    {~0ull, 0, HCABI_ERR_INVALID_PARAM},
#define X(WHERE, ID) {(ID), 0, HCABI_ERR_NOT_SUPPORTED}, /* STATUS-002, STATUS-003 */
    HCABI_FOREACH_UNUSED_EXTENSION_FUNCTION(X) HCABI_FOREACH_UNUSED_FUNCTION(X)
#undef X
    {HCABI_FID_BASE_PROBE_EXTENSION, 1ull << 16, HCABI_ERR_INVALID_PARAM}, /* GEN-002 */
    {HCABI_FID_VCPU_KICK, 2, HCABI_ERR_INVALID_STATE},
    {HCABI_FID_VCPU_START, 9, HCABI_ERR_INVALID_PARAM},
};
START_TEST(execute_entry_checks)
{
	const struct entry_case *c = &entry_cases[_i];
	struct hcabi_ref_ret r;
	entry(0, c->fid, c->a0, 0, 0);
	entry(1, HCABI_FID_CONSOLE_WRITE_BYTE, 'z', 0, 0);
	r = CALL(0, HCABI_FID_BATCH_EXECUTE, TBL, 2);
	CK_OK(r, 1);
	ck_assert_int_eq(st_of(0), c->status);
	ck_assert_uint_eq(val_of(0), 0);
	ck_assert_uint_eq(hx.fake->nout, 0);
}
END_TEST

/* BATCH-001 */
START_TEST(execute_count)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_BATCH_EXECUTE, FAKE_HOLE, 0);
	CK_OK(r, 0); /* count 0: gpa not checked */
	r = CALL(0, HCABI_FID_BATCH_EXECUTE, TBL, HCABI_BATCH_MAX_ENTRIES + 1);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
	r = CALL(0, HCABI_FID_BATCH_EXECUTE, TBL, ~0ull);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
	r = CALL(0, HCABI_FID_BATCH_EXECUTE, FAKE_HOLE + 1, 1000); /* count first */
	CK_REFUSED(r, HCABI_ERR_INVALID_PARAM);
	for (unsigned i = 0; i < HCABI_BATCH_MAX_ENTRIES; i++)
		entry(i, HCABI_FID_VCPU_GET_COUNT, 0, 0, 0);
	r = CALL(0, HCABI_FID_BATCH_EXECUTE, TBL, HCABI_BATCH_MAX_ENTRIES);
	CK_OK(r, HCABI_BATCH_MAX_ENTRIES);
	ck_assert_uint_eq(val_of(HCABI_BATCH_MAX_ENTRIES - 1), 4);
}
END_TEST

/* BATCH-001, GEN-001 */
static const uint64_t bad_tables[][2] = {
    {TBL + 4, 1}, /* misaligned */
    {TBL + 1, 1},
    {FAKE_HOLE, 1},
    {FAKE_R0_SIZE - ENT, 2}, /* second entry in the hole */
    {FAKE_R1_BASE + FAKE_R1_SIZE - 8, 1},
    {0xFFFFFFFFFFFFFFF8ull, 1},	 /* wraps */
    {0xFFFFFFFFFFFFF000ull, 64}, /* wraps into low RAM */
};
START_TEST(execute_bad_table)
{
	struct hcabi_ref_ret r =
	    CALL(0, HCABI_FID_BATCH_EXECUTE, bad_tables[_i][0], bad_tables[_i][1]);
	CK_REFUSED(r, HCABI_ERR_INVALID_ADDRESS);
}
END_TEST

/* BATCH-005: the table is read once; an entry that rewrites a later entry
 * (here CONSOLE.READ into entry 1's function_id) does not change it. */
START_TEST(execute_reads_table_once)
{
	struct hcabi_ref_ret r;
	uint8_t impl_id[8] = {(uint8_t)HCABI_FID_BASE_GET_IMPL_ID, 0, 0, 0, 0, 0, 0, 0};
	fake_console_input(hx.fake, impl_id, 8);
	entry(0, HCABI_FID_CONSOLE_READ, TBL + ENT, 8, 0);
	entry(1, HCABI_FID_VCPU_GET_COUNT, 0, 0, 0);
	r = CALL(0, HCABI_FID_BATCH_EXECUTE, TBL, 2);
	CK_OK(r, 2);
	ck_assert_uint_eq(val_of(0), 8);
	/* the guest's table now names GET_IMPL_ID ... */
	ck_assert_uint_eq(fake_get64(hx.fake, TBL + ENT), HCABI_FID_BASE_GET_IMPL_ID);
	/* ... but the call made was GET_COUNT */
	ck_assert_uint_eq(val_of(1), 4);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_MEM_READ, UINT32_MAX), 1);
}
END_TEST

/* BATCH-002: the same effects, e.g. a STEAL registration; the record is
 * updated once more when the BATCH itself returns (STEAL-003). */
START_TEST(execute_effects)
{
	struct hcabi_ref_ret r;
	entry(0, HCABI_FID_STEAL_SET_SHMEM, 0x6000, 0, 0);
	entry(1, HCABI_FID_TIME_SET_TIMER, 777, 0x44, 0);
	r = CALL(3, HCABI_FID_BATCH_EXECUTE, TBL, 2);
	CK_OK(r, 2);
	ck_assert(hx.fake->timer_armed[3]);
	ck_assert_uint_eq(hx.fake->timer_deadline[3], 777);
	ck_assert_uint_eq((uint32_t)fake_get64(hx.fake, 0x6000), 4); /* 2 updates */
}
END_TEST

static Suite *batch_suite(void)
{
	Suite *s = suite_create("batch");
	TCase *tc = hx_tcase(s, "execute", 10);
	tcase_add_test(tc, execute_ok);
	tcase_add_test(tc, execute_stops_at_failure);
	tcase_add_loop_test(tc, execute_denied, 0,
			    (int)(sizeof(denied_fns) / sizeof(denied_fns[0])));
	tcase_add_loop_test(tc, execute_entry_checks, 0,
			    (int)(sizeof(entry_cases) / sizeof(entry_cases[0])));
	tcase_add_test(tc, execute_count);
	tcase_add_loop_test(tc, execute_bad_table, 0,
			    (int)(sizeof(bad_tables) / sizeof(bad_tables[0])));
	tcase_add_test(tc, execute_reads_table_once);
	tcase_add_test(tc, execute_effects);
	return s;
}

int main(void)
{
	return hx_run(batch_suite());
}
