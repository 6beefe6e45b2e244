/* SPDX-License-Identifier: MIT */
/* check_tlb.c - TLB.FLUSH. */
#include "harness.h"

/* TLB-002, TLB-003: each running target once, the caller included; the
 * range passed on as given. */
START_TEST(flush_running_targets)
{
	struct hcabi_ref_ret r;
	const struct fake_event *e;
	hx_start(0, 2);
	fake_clear(hx.fake);
	r = CALL(0, HCABI_FID_TLB_FLUSH, 0xF, 0, 0x7F0000001000ull, 3);
	CK_OK(r, 0);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_TLB_FLUSH, UINT32_MAX), 2);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_TLB_FLUSH, 0), 1);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_TLB_FLUSH, 2), 1);
	e = fake_last(hx.fake, FOP_TLB_FLUSH);
	ck_assert_uint_eq(e->a, 0x7F0000001000ull);
	ck_assert_uint_eq(e->b, 3);
}
END_TEST

/* npages 0: everything; gva ignored (and passed as 0). */
START_TEST(flush_all)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_TLB_FLUSH, 1, 0, 0x8000000000000123ull, 0);
	const struct fake_event *e;
	CK_OK(r, 0);
	e = hx_last(FOP_TLB_FLUSH);
	ck_assert_uint_eq(e->a, 0);
	ck_assert_uint_eq(e->b, 0);
}
END_TEST

/* TLB-003 */
START_TEST(flush_empty_mask)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_TLB_FLUSH, 0, ~0ull, 0x1000, 1);
	CK_OK(r, 0);
	ck_assert_uint_eq(fake_effects(hx.fake), 0);
}
END_TEST

/* TLB-001: the range, for npages != 0. */
struct range {
	uint64_t gva, npages;
};
static const struct range bad_ranges[] = {
    {0x1001, 1},		       /* misaligned */
    {0x1800, 1},		       /* misaligned */
    {0xFFFFFFFFFFFFF800ull, 1},	       /* misaligned */
    {0x0000800000000000ull, 1},	       /* not canonical */
    {0x8000000000000000ull, 1},	       /* not canonical */
    {0xFFFF7FFFFFFFF000ull, 1},	       /* not canonical */
    {0x00007FFFFFFFF000ull, 2},	       /* runs out of the lower half */
    {0xFFFF7FFFFFFFF000ull, 0x100000}, /* starts in the hole */
    {0xFFFFFFFFFFFFF000ull, 2},	       /* wraps past 2^64 */
    {0, 1ull << 52},		       /* npages * 4096 overflows */
    {0, ~0ull},			       /* npages * 4096 overflows */
    {0x1000, (1ull << 52) - 1},	       /* end overflows */
    {0, (1ull << 35) + 1},	       /* beyond the lower half */
};
START_TEST(flush_bad_range)
{
	const struct range *c = &bad_ranges[_i];
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_TLB_FLUSH, 1, 0, c->gva, c->npages);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
	r = CALL(0, HCABI_FID_TLB_FLUSH, 0, 0, c->gva, c->npages); /* mask 0 too */
	CK_REFUSED(r, HCABI_ERR_INVALID_PARAM);
}
END_TEST

static const struct range good_ranges[] = {
    {0, 1},
    {0x00007FFFFFFFF000ull, 1},		 /* last lower page */
    {0, 1ull << 35},			 /* the whole lower half */
    {0xFFFF800000000000ull, 1},		 /* first upper page */
    {0xFFFFFFFFFFFFF000ull, 1},		 /* last page: ends at 2^64 exactly */
    {0xFFFF800000000000ull, 1ull << 35}, /* the whole upper half */
};
START_TEST(flush_good_range)
{
	const struct range *c = &good_ranges[_i];
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_TLB_FLUSH, 1, 0, c->gva, c->npages);
	CK_OK(r, 0);
	ck_assert_uint_eq(fake_count(hx.fake, FOP_TLB_FLUSH, 0), 1);
}
END_TEST

/* TLB-001: targets as IPI.SEND. */
static const uint64_t bad_masks[][2] = {
    {1ull << 4, 0}, {1, 4}, {1, ~0ull}, {2, ~0ull}, {~0ull, 0}, {0x8000000000000001ull, 0},
};
START_TEST(flush_bad_targets)
{
	struct hcabi_ref_ret r =
	    CALL(0, HCABI_FID_TLB_FLUSH, bad_masks[_i][0], bad_masks[_i][1], 0, 0);
	CK_REFUSED(r, HCABI_ERR_INVALID_PARAM);
}
END_TEST

START_TEST(flush_host_failure)
{
	struct hcabi_ref_ret r;
	struct hcabi_ref_stats st;
	hx.fake->fail_tlb_flush = HCABI_REF_PERR_STATE; /* target stopped meanwhile */
	r = CALL(0, HCABI_FID_TLB_FLUSH, 1, 0, 0, 0);
	CK_OK(r, 0);
	hx.fake->fail_tlb_flush = HCABI_REF_PERR_HOST;
	r = CALL(0, HCABI_FID_TLB_FLUSH, 1, 0, 0, 0);
	CK_STATUS(r, HCABI_ERR_FAILED); /* STATUS-005, since 1.2 */
	hcabi_ref_get_stats(hx.ref, &st);
	ck_assert_uint_eq(st.internal_bugs, 0); /* FAILED is permitted from 1.2 */
}
END_TEST

static Suite *tlb_suite(void)
{
	Suite *s = suite_create("tlb");
	TCase *tc = hx_tcase(s, "flush", 10);
	tcase_add_test(tc, flush_running_targets);
	tcase_add_test(tc, flush_all);
	tcase_add_test(tc, flush_empty_mask);
	tcase_add_loop_test(tc, flush_bad_range, 0,
			    (int)(sizeof(bad_ranges) / sizeof(bad_ranges[0])));
	tcase_add_loop_test(tc, flush_good_range, 0,
			    (int)(sizeof(good_ranges) / sizeof(good_ranges[0])));
	tcase_add_loop_test(tc, flush_bad_targets, 0,
			    (int)(sizeof(bad_masks) / sizeof(bad_masks[0])));
	tcase_add_test(tc, flush_host_failure);
	return s;
}

int main(void)
{
	return hx_run(tlb_suite());
}
