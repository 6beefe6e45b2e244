/* SPDX-License-Identifier: MIT */
/* check_steal.c - STEAL.SET_SHMEM and the record's updates. */
#include "harness.h"

#define REC 0x6000ull

static uint32_t seq_at(uint64_t gpa)
{
	return (uint32_t)fake_get64(hx.fake, gpa);
}

/* STEAL-002: written whole before SUCCESS: sequence even, flags and reserved
 * zero (over a record full of garbage), steal_ns current. */
static void check_record(uint64_t gpa, uint64_t steal)
{
	uint8_t rec[64];
	fake_get(hx.fake, gpa, rec, 64);
	ck_assert_uint_eq(seq_at(gpa) % 2, 0);
	ck_assert_uint_eq(fake_get64(hx.fake, gpa) >> 32, 0); /* flags */
	ck_assert_uint_eq(fake_get64(hx.fake, gpa + 8), steal);
	for (int i = 16; i < 64; i++)
		ck_assert_uint_eq(rec[i], 0);
}

START_TEST(register_writes_whole_record)
{
	struct hcabi_ref_ret r;
	memset(fake_ptr(hx.fake, REC, 64), 0xFF, 64);
	hx.fake->steal[0] = 123456;
	r = CALL(0, HCABI_FID_STEAL_SET_SHMEM, REC);
	CK_OK(r, 0);
	check_record(REC, 123456);
}
END_TEST

/* STEAL-003: at each return the sequence goes odd, the fields are written,
 * then the next even value; steal_ns follows the platform. */
START_TEST(update_at_every_return)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_STEAL_SET_SHMEM, REC);
	uint32_t s0;
	CK_OK(r, 0);
	s0 = seq_at(REC);
	hx.fake->steal[0] = 500;
	fake_clear(hx.fake);
	r = CALL(0, HCABI_FID_BASE_GET_SPEC_VERSION);
	CK_STATUS(r, HCABI_SUCCESS);
	ck_assert_uint_eq(seq_at(REC), s0 + 2);
	check_record(REC, 500);
	/* the writes, in order: sequence (odd), the rest, sequence (even) */
	ck_assert_uint_eq(hx.fake->nlog >= 3, 1);
	const struct fake_event *e = hx.fake->log;
	unsigned w = 0;
	for (unsigned i = 0; i < hx.fake->nlog; i++) {
		if (e[i].op != FOP_MEM_WRITE)
			continue;
		if (w == 0) {
			ck_assert_uint_eq(e[i].a, REC);
			ck_assert_uint_eq(e[i].b, 4);
			ck_assert_uint_eq(e[i].c, s0 + 1);
		} else if (w == 1) {
			ck_assert_uint_eq(e[i].a, REC + 4);
			ck_assert_uint_eq(e[i].b, 60);
		} else if (w == 2) {
			ck_assert_uint_eq(e[i].a, REC);
			ck_assert_uint_eq(e[i].b, 4);
			ck_assert_uint_eq(e[i].c, s0 + 2);
		}
		w++;
	}
	ck_assert_uint_eq(w, 3);
	/* errors return too: updated */
	r = CALL(0, HCABI_FID_VCPU_GET_STATUS, 99);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
	ck_assert_uint_eq(seq_at(REC), s0 + 4);
	r = CALL(0, HCABI_FID_BASE_GET_SPEC_VERSION | (1ull << 40));
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
	ck_assert_uint_eq(seq_at(REC), s0 + 6);
	r = CALL(0, 0xC0000000u);
	CK_STATUS(r, HCABI_ERR_NOT_SUPPORTED);
	ck_assert_uint_eq(seq_at(REC), s0 + 8);
	/* X86-009: a call at CPL 3 performs nothing, no update */
	r = hx_call_cpl(0, 3, (const uint64_t[7]){HCABI_FID_BASE_GET_SPEC_VERSION});
	ck_assert_int_eq(r.action, HCABI_REF_ACTION_RAISE_UD);
	ck_assert_uint_eq(seq_at(REC), s0 + 8);
}
END_TEST

/* STEAL-004: never decreases, even if the platform's count does. */
START_TEST(steal_never_decreases)
{
	struct hcabi_ref_ret r;
	hx.fake->steal[0] = 1000;
	r = CALL(0, HCABI_FID_STEAL_SET_SHMEM, REC);
	CK_OK(r, 0);
	hx.fake->steal[0] = 10;
	r = CALL(0, HCABI_FID_VCPU_GET_ID);
	CK_OK(r, 0);
	ck_assert_uint_eq(fake_get64(hx.fake, REC + 8), 1000);
	hx.fake->steal[0] = 2000;
	r = CALL(0, HCABI_FID_VCPU_GET_ID);
	CK_OK(r, 0);
	ck_assert_uint_eq(fake_get64(hx.fake, REC + 8), 2000);
	/* a moved record continues from there */
	hx.fake->steal[0] = 5;
	r = CALL(0, HCABI_FID_STEAL_SET_SHMEM, REC + 0x40);
	CK_OK(r, 0);
	ck_assert_uint_eq(fake_get64(hx.fake, REC + 0x48), 2000);
}
END_TEST

/* STEAL-005: after DISABLE, or a move, the old record is never written. */
START_TEST(disable_and_move)
{
	struct hcabi_ref_ret r;
	uint8_t before[64], after[64];
	r = CALL(0, HCABI_FID_STEAL_SET_SHMEM, REC);
	CK_OK(r, 0);
	r = CALL(0, HCABI_FID_STEAL_SET_SHMEM, REC + 0x1000);
	CK_OK(r, 0);
	fake_get(hx.fake, REC, before, 64);
	r = CALL(0, HCABI_FID_VCPU_GET_ID);
	CK_OK(r, 0);
	fake_get(hx.fake, REC, after, 64);
	ck_assert_mem_eq(before, after, 64);
	r = CALL(0, HCABI_FID_STEAL_SET_SHMEM, HCABI_STEAL_DISABLE);
	CK_OK(r, 0);
	fake_get(hx.fake, REC + 0x1000, before, 64);
	fake_clear(hx.fake);
	r = CALL(0, HCABI_FID_VCPU_GET_ID);
	CK_OK(r, 0);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_MEM_WRITE, UINT32_MAX), 0);
	fake_get(hx.fake, REC + 0x1000, after, 64);
	ck_assert_mem_eq(before, after, 64);
	/* disabling when nothing is registered is fine */
	r = CALL(1, HCABI_FID_STEAL_SET_SHMEM, HCABI_STEAL_DISABLE);
	CK_OK(r, 0);
}
END_TEST

/* STEAL-001: misaligned or not wholly in RAM; the registration is kept. */
static const uint64_t bad_gpas[] = {
    REC + 8,
    REC + 32,
    REC + 1,
    FAKE_HOLE,
    FAKE_R1_BASE + FAKE_R1_SIZE,
    0xFFFFFFFFFFFFFFC0ull,
    HCABI_STEAL_DISABLE - 1,
    0x8000000000000000ull,
};
START_TEST(register_bad)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_STEAL_SET_SHMEM, REC);
	uint32_t s0;
	CK_OK(r, 0);
	s0 = seq_at(REC);
	r = CALL(0, HCABI_FID_STEAL_SET_SHMEM, bad_gpas[_i]);
	CK_STATUS(r, HCABI_ERR_INVALID_ADDRESS);
	/* still registered: the failed call's return updated it */
	ck_assert_uint_eq(seq_at(REC), s0 + 2);
}
END_TEST

/* Per vCPU: one vCPU's calls do not touch another's record. */
START_TEST(per_vcpu)
{
	struct hcabi_ref_ret r;
	uint32_t s1;
	hx_start(0, 1);
	r = CALL(1, HCABI_FID_STEAL_SET_SHMEM, REC + 0x100);
	CK_OK(r, 0);
	s1 = seq_at(REC + 0x100);
	hx.fake->steal[1] = 77;
	for (int i = 0; i < 5; i++) {
		r = CALL(0, HCABI_FID_VCPU_GET_ID);
		CK_OK(r, 0);
	}
	ck_assert_uint_eq(seq_at(REC + 0x100), s1);
	r = CALL(1, HCABI_FID_VCPU_GET_ID);
	CK_OK(r, 1);
	ck_assert_uint_eq(seq_at(REC + 0x100), s1 + 2);
	ck_assert_uint_eq(fake_get64(hx.fake, REC + 0x108), 77);
}
END_TEST

/* A released page holding the record becomes RAM again when updated. */
START_TEST(record_in_released_page)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_STEAL_SET_SHMEM, REC);
	CK_OK(r, 0);
	hx.fake->steal[0] = 99;
	r = CALL(0, HCABI_FID_MEM_RELEASE, REC, 1);
	CK_OK(r, 1);
	check_record(REC, 99);
}
END_TEST

/* hcabi_ref_reset: no record registered any more. */
START_TEST(reset_unregisters)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_STEAL_SET_SHMEM, REC);
	CK_OK(r, 0);
	hx_start(0, 1);
	hcabi_ref_reset(hx.ref);
	fake_clear(hx.fake);
	r = CALL(0, HCABI_FID_VCPU_GET_ID);
	CK_OK(r, 0);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_MEM_WRITE, UINT32_MAX), 0);
	r = CALL(0, HCABI_FID_VCPU_GET_STATUS, 1);
	CK_OK(r, HCABI_VCPU_STATUS_STOPPED);
}
END_TEST

static Suite *steal_suite(void)
{
	Suite *s = suite_create("steal");
	TCase *tc = hx_tcase(s, "record", 10);
	tcase_add_test(tc, register_writes_whole_record);
	tcase_add_test(tc, update_at_every_return);
	tcase_add_test(tc, steal_never_decreases);
	tcase_add_test(tc, disable_and_move);
	tcase_add_loop_test(tc, register_bad, 0, (int)(sizeof(bad_gpas) / sizeof(bad_gpas[0])));
	tcase_add_test(tc, per_vcpu);
	tcase_add_test(tc, record_in_released_page);
	tcase_add_test(tc, reset_unregisters);
	return s;
}

int main(void)
{
	return hx_run(steal_suite());
}
