/* SPDX-License-Identifier: MIT */
/* check_mem.c - MEM.RELEASE and MEM.GET_LAYOUT. */
#include "harness.h"

/* MEM-001, MEM-002 (the fake zeroes released pages, as a platform must) */
START_TEST(release_ok)
{
	struct hcabi_ref_ret r;
	const struct fake_event *e;
	memset(fake_ptr(hx.fake, 0x20000, 3 * 4096), 0xAA, 3 * 4096);
	r = CALL(0, HCABI_FID_MEM_RELEASE, 0x20000, 2);
	CK_OK(r, 2);
	e = hx_last(FOP_MEM_RELEASE);
	ck_assert_uint_eq(e->a, 0x20000);
	ck_assert_uint_eq(e->b, 2);
	ck_assert_uint_eq(fake_ptr(hx.fake, 0x20000, 1)[0], 0);
	ck_assert_uint_eq(fake_ptr(hx.fake, 0x21FFF, 1)[0], 0);
	ck_assert_uint_eq(fake_ptr(hx.fake, 0x22000, 1)[0], 0xAA);
	/* releasing again is allowed; so is the whole of a range */
	r = CALL(1, HCABI_FID_MEM_RELEASE, 0x20000, 2);
	CK_OK(r, 2);
	r = CALL(0, HCABI_FID_MEM_RELEASE, FAKE_R1_BASE, FAKE_R1_SIZE / 4096);
	CK_OK(r, FAKE_R1_SIZE / 4096);
}
END_TEST

/* MEM-001: npages 0 is INVALID_PARAM, whatever gpa is. */
START_TEST(release_zero_pages)
{
	static const uint64_t gpas[] = {0x20000, 0x20001, FAKE_HOLE, ~0ull};
	for (unsigned i = 0; i < 4; i++) {
		struct hcabi_ref_ret r = CALL(0, HCABI_FID_MEM_RELEASE, gpas[i], 0);
		CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
	}
	ck_assert_uint_eq(fake_effects(hx.fake), 0);
}
END_TEST

/* MEM-001, GEN-001 */
static const uint64_t bad_release[][2] = {
    {0x20001, 1},			       /* misaligned */
    {0x20800, 1},			       /* misaligned */
    {FAKE_HOLE, 1},			       /* in the hole */
    {FAKE_R0_SIZE - 0x1000, 2},		       /* into the hole */
    {FAKE_R1_BASE - 0x1000, 2},		       /* from the hole */
    {FAKE_R1_BASE + FAKE_R1_SIZE, 1},	       /* beyond */
    {0, (FAKE_R1_BASE + FAKE_R1_SIZE) / 4096}, /* spans the hole */
    {0, 1ull << 52},			       /* npages * 4096 overflows */
    {0x1000, ~0ull},			       /* overflows */
    {0xFFFFFFFFFFFFF000ull, 2},		       /* wraps to 0x1000 */
    {0xFFFFFFFFFFFFF000ull, 1},		       /* top page, not RAM */
};
START_TEST(release_bad)
{
	struct hcabi_ref_ret r =
	    CALL(0, HCABI_FID_MEM_RELEASE, bad_release[_i][0], bad_release[_i][1]);
	CK_REFUSED(r, HCABI_ERR_INVALID_ADDRESS);
}
END_TEST

START_TEST(release_host_failure)
{
	struct hcabi_ref_ret r;
	hx.fake->fail_mem_release = HCABI_REF_PERR_HOST;
	r = CALL(0, HCABI_FID_MEM_RELEASE, 0x20000, 1);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
}
END_TEST

static void check_entry(uint64_t gpa, uint64_t base, uint64_t size)
{
	ck_assert_uint_eq(fake_get64(hx.fake, gpa), base);
	ck_assert_uint_eq(fake_get64(hx.fake, gpa + 8), size);
	/* type RAM and reserved0 zero (GEN-003), written over 0xFF */
	ck_assert_uint_eq(fake_get64(hx.fake, gpa + 16), HCABI_MEM_RANGE_RAM);
}

/* MEM-010, MEM-011 */
START_TEST(layout_ok)
{
	struct hcabi_ref_ret r;
	memset(fake_ptr(hx.fake, 0x5000, 256), 0xFF, 256);
	r = CALL(0, HCABI_FID_MEM_GET_LAYOUT, 0x5000, 10);
	CK_OK(r, 2);
	check_entry(0x5000, FAKE_R0_BASE, FAKE_R0_SIZE);
	check_entry(0x5018, FAKE_R1_BASE, FAKE_R1_SIZE);
	ck_assert_uint_eq(fake_get64(hx.fake, 0x5030), ~0ull); /* nothing after */
	/* fewer entries than ranges: only those written, the total returned */
	memset(fake_ptr(hx.fake, 0x5000, 256), 0xFF, 256);
	r = CALL(0, HCABI_FID_MEM_GET_LAYOUT, 0x5000, 1);
	CK_OK(r, 2);
	check_entry(0x5000, FAKE_R0_BASE, FAKE_R0_SIZE);
	ck_assert_uint_eq(fake_get64(hx.fake, 0x5018), ~0ull);
	/* a huge max_entries needs only the entries it writes in RAM */
	r = CALL(0, HCABI_FID_MEM_GET_LAYOUT, FAKE_R1_BASE + FAKE_R1_SIZE - 48, ~0ull);
	CK_OK(r, 2);
}
END_TEST

/* MEM-010: max_entries 0 writes nothing and does not check gpa. */
START_TEST(layout_count_only)
{
	static const uint64_t gpas[] = {0, 3, FAKE_HOLE, ~0ull};
	for (unsigned i = 0; i < 4; i++) {
		struct hcabi_ref_ret r = CALL(0, HCABI_FID_MEM_GET_LAYOUT, gpas[i], 0);
		CK_OK(r, 2);
	}
	ck_assert_uint_eq(fake_effects(hx.fake), 0);
}
END_TEST

/* MEM-012 */
static const uint64_t bad_layout[][2] = {
    {0x5004, 1}, /* misaligned */
    {0x5001, 2}, /* misaligned */
    {FAKE_HOLE, 1},
    {FAKE_R0_SIZE - 24, 2}, /* second entry in the hole */
    {FAKE_R0_SIZE - 16, 1},
    {FAKE_R1_BASE + FAKE_R1_SIZE - 24, 2}, /* second entry beyond RAM */
    {0xFFFFFFFFFFFFFFF8ull, 1},		   /* wraps */
};
START_TEST(layout_bad)
{
	struct hcabi_ref_ret r =
	    CALL(0, HCABI_FID_MEM_GET_LAYOUT, bad_layout[_i][0], bad_layout[_i][1]);
	CK_REFUSED(r, HCABI_ERR_INVALID_ADDRESS);
}
END_TEST

/* MEM-011: ranges that touch are reported as one; a buffer across the seam
 * is wholly in RAM. */
START_TEST(layout_merged)
{
	static const struct hcabi_ref_ram_range ram[3] = {
	    {0x0, 0x10000},
	    {0x10000, 0x20000},
	    {0x100000, 0x1000},
	};
	struct hcabi_ref_ret r;
	hx_close();
	hx_open_ram(2, 0, ram, 3);
	r = CALL(0, HCABI_FID_MEM_GET_LAYOUT, 0x8000, 8);
	CK_OK(r, 2);
	check_entry(0x8000, 0, 0x30000);
	check_entry(0x8018, 0x100000, 0x1000);
	fake_put(hx.fake, 0xFFF0, "0123456789abcdefXYZ", 19);
	r = CALL(0, HCABI_FID_CONSOLE_WRITE, 0xFFF0, 19);
	CK_OK(r, 19);
	ck_assert_mem_eq(hx.fake->out, "0123456789abcdefXYZ", 19);
	r = CALL(0, HCABI_FID_MEM_RELEASE, 0xF000, 2);
	CK_OK(r, 2);
}
END_TEST

/* The configuration is checked; bad RAM layouts are refused. */
struct cfg_case {
	struct hcabi_ref_ram_range ram[2];
	unsigned n;
};
static const struct cfg_case bad_cfgs[] = {
    {{{0x1000, 0}}, 1},			     /* empty */
    {{{0x1001, 0x1000}}, 1},		     /* misaligned base */
    {{{0x1000, 0x1001}}, 1},		     /* size not pages */
    {{{0xFFFFFFFFFFFFF000ull, 0x1000}}, 1},  /* ends at 2^64 */
    {{{0xFFFFFFFFFFFF0000ull, 0x20000}}, 1}, /* overflows */
    {{{0x10000, 0x1000}, {0x0, 0x1000}}, 2}, /* unsorted */
    {{{0x0, 0x2000}, {0x1000, 0x1000}}, 2},  /* overlapping */
    {{{0}}, 0},				     /* none */
};
START_TEST(config_bad_ram)
{
	struct hcabi_ref_config cfg;
	const char *err = NULL;
	hx_config(&cfg, 1);
	cfg.ram = bad_cfgs[_i].ram;
	cfg.ram_count = bad_cfgs[_i].n;
	ck_assert_ptr_null(hcabi_ref_create(&cfg, &err));
	ck_assert_ptr_nonnull(err);
	ck_assert_ptr_nonnull(strstr(err, "ram"));
}
END_TEST

static Suite *mem_suite(void)
{
	Suite *s = suite_create("mem");
	TCase *tc = hx_tcase(s, "release", 10);
	tcase_add_test(tc, release_ok);
	tcase_add_test(tc, release_zero_pages);
	tcase_add_loop_test(tc, release_bad, 0,
			    (int)(sizeof(bad_release) / sizeof(bad_release[0])));
	tcase_add_test(tc, release_host_failure);
	tc = hx_tcase(s, "layout", 10);
	tcase_add_test(tc, layout_ok);
	tcase_add_test(tc, layout_count_only);
	tcase_add_loop_test(tc, layout_bad, 0, (int)(sizeof(bad_layout) / sizeof(bad_layout[0])));
	tcase_add_test(tc, layout_merged);
	tcase_add_loop_test(tc, config_bad_ram, 0, (int)(sizeof(bad_cfgs) / sizeof(bad_cfgs[0])));
	return s;
}

int main(void)
{
	return hx_run(mem_suite());
}
