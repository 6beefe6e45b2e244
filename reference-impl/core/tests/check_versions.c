/* SPDX-License-Identifier: MIT */
/*
 * check_versions.c - the version pin (VER-001, VER-002): parsing versions,
 * the newest version, a pinned implementation being exactly that version
 * (GET_SPEC_VERSION, probes, functions, reserved bits), what 1.1 added, and
 * versions the library does not implement.
 */
#include <stdio.h>

#include "harness.h"

/* ---- versions (VER-001, VER-002) ------------------------------------------------ */

START_TEST(parse_version_good)
{
	char buf[32];
	uint32_t v = 0;
	snprintf(buf, sizeof(buf), "%u.%u", HCABI_VERSION_MAJOR(hx_versions[_i]),
		 HCABI_VERSION_MINOR(hx_versions[_i]));
	ck_assert(hcabi_ref_parse_version(buf, &v));
	ck_assert_uint_eq(v, hx_versions[_i]);
}
END_TEST

static const char *const bad_version_strings[] = {
    "",	    "1",    "1.",  ".0",   "01.0",    "1.00",	 "1.0.0", "a.b",  " 1.0", "1.0 ",
    "+1.0", "-1.0", "0.0", "1.0x", "65536.0", "1.65536", "99.0",  "1.99", "1,0",
};
START_TEST(parse_version_bad)
{
	uint32_t v = 0xDEAD;
	ck_assert(!hcabi_ref_parse_version(bad_version_strings[_i], &v));
	ck_assert_uint_eq(v, 0xDEAD);
}
END_TEST

START_TEST(newest_version)
{
	uint32_t newest = 0;
	for (int i = 0; i < HX_NVERSIONS; i++)
		if (hx_versions[i] > newest)
			newest = hx_versions[i];
	ck_assert_uint_eq(hcabi_ref_newest_version(), newest);
	ck_assert_uint_eq(hcabi_ref_newest_version(), HCABI_VERSION_NEWEST);
	ck_assert(!hcabi_ref_parse_version(NULL, NULL));
}
END_TEST

/* A pinned implementation is that version: GET_SPEC_VERSION, probes,
 * functions and reserved bits. */
START_TEST(version_pin)
{
	uint32_t v = hx_versions[_i];
	struct hcabi_ref_ret r;
	static const uint32_t eids[] = {
#define X(NAME, EID, SINCE) (EID),
	    HCABI_FOREACH_EXTENSION(X)
#undef X
	};
	hx_close();
	hx_open(2, v);
	ck_assert_uint_eq(hcabi_ref_spec_version(hx.ref), v);
	r = CALL(1, HCABI_FID_BASE_GET_SPEC_VERSION);
	CK_OK(r, v);
	for (unsigned e = 0; e < sizeof(eids) / sizeof(eids[0]); e++) {
		r = CALL(0, HCABI_FID_BASE_PROBE_EXTENSION, eids[e]);
		CK_OK(r, hx_ext_version(eids[e], v));
	}
	for (int f = 0; f < HX_NFNS; f++) {
		bool defined = hx_fns[f].since <= v &&
			       hx_ext_version(HCABI_FUNCTION_EID(hx_fns[f].id), v) != 0;
		r = CALL(0, HCABI_FID_BASE_PROBE_FUNCTION, hx_fns[f].id);
		CK_OK(r, defined ? 1 : 0);
		if (!defined) {
			r = CALL(0, hx_fns[f].id);
			CK_STATUS(r, HCABI_ERR_NOT_SUPPORTED);
		}
		/* reserved bits of this version: bits of later fields are
		 * reserved while the argument exists */
		for (unsigned a = 0; a < hx_fns[f].nargs && defined; a++) {
			bool has;
			uint64_t valid = hx_arg_valid(hx_fns[f].id, a, v, &has);
			uint64_t later = hx_arg_valid(hx_fns[f].id, a, UINT32_MAX, &has) & ~valid;
			uint64_t args[7] = {hx_fns[f].id};
			if (!has || valid == 0 || later == 0)
				continue;
			/* the same call is accepted without the later bits */
			hx_baseline_args(hx_fns[f].id, args);
			args[1 + a] = valid;
			r = hx_callv(0, args);
			ck_assert_msg(r.status != HCABI_ERR_INVALID_PARAM,
				      "%s arg %u: field bits of %u.%u rejected", hx_fns[f].name, a,
				      HCABI_VERSION_MAJOR(v), HCABI_VERSION_MINOR(v));
			args[1 + a] = valid | later;
			fake_clear(hx.fake);
			r = hx_callv(0, args);
			CK_REFUSED(r, HCABI_ERR_INVALID_PARAM);
		}
	}
}
END_TEST

/* What HCABI 1.1 added, version by version (VER-001, VER-002, BASE-031,
 * BASE-041, GEN-002): pinned to 1.0 the implementation is exactly 1.0
 * (TIME.SET_PERIODIC absent, TIME and IPI at extension version 1, bit 8 of
 * IPI.SEND's vector reserved); at 1.1 they are there. */
static const struct {
	uint32_t version;
	uint64_t time_ext, ipi_ext;
	bool periodic, all_but_self;
} pins[] = {
    {HCABI_VERSION_1_0, 1, 1, false, false},
    {HCABI_VERSION_1_1, 2, 2, true, true},
    {0 /* newest */, 2, 2, true, true},
};
START_TEST(version_pin_1_1_features)
{
	struct hcabi_ref_ret r;
	hx_close();
	hx_open(3, pins[_i].version);
	hcabi_ref_set_vcpu_running(hx.ref, 1, true);
	hcabi_ref_set_vcpu_running(hx.ref, 2, true);
	r = CALL(0, HCABI_FID_BASE_GET_SPEC_VERSION);
	CK_OK(r, pins[_i].version ? pins[_i].version : HCABI_VERSION_NEWEST);
	r = CALL(0, HCABI_FID_BASE_PROBE_EXTENSION, HCABI_EID_TIME);
	CK_OK(r, pins[_i].time_ext);
	r = CALL(0, HCABI_FID_BASE_PROBE_EXTENSION, HCABI_EID_IPI);
	CK_OK(r, pins[_i].ipi_ext);
	r = CALL(0, HCABI_FID_BASE_PROBE_FUNCTION, HCABI_FID_TIME_SET_PERIODIC);
	CK_OK(r, pins[_i].periodic ? 1 : 0);
	/* the 1.0 functions are there either way */
	r = CALL(0, HCABI_FID_BASE_PROBE_FUNCTION, HCABI_FID_TIME_SET_TIMER);
	CK_OK(r, 1);

	fake_clear(hx.fake);
	r = CALL(0, HCABI_FID_TIME_SET_PERIODIC, 0, HCABI_TIMER_MIN_PERIOD, 0x40);
	if (pins[_i].periodic) {
		CK_OK(r, 0);
		ck_assert_uint_eq(fake_count(hx.fake, FOP_TIMER_ARM_PERIODIC, 0), 1);
	} else {
		CK_REFUSED(r, HCABI_ERR_NOT_SUPPORTED);
		/* NOT_SUPPORTED comes first, whatever the arguments */
		r = CALL(0, HCABI_FID_TIME_SET_PERIODIC, 0, 0, ~0ull);
		CK_STATUS(r, HCABI_ERR_NOT_SUPPORTED);
	}

	fake_clear(hx.fake);
	r = CALL(0, HCABI_FID_IPI_SEND, 0, 0, 0x100 | 0x40);
	if (pins[_i].all_but_self) {
		CK_OK(r, 0);
		ck_assert_uint_eq(hx.fake->irqs[0][0x40], 0);
		ck_assert_uint_eq(hx.fake->irqs[1][0x40], 1);
		ck_assert_uint_eq(hx.fake->irqs[2][0x40], 1);
	} else {
		CK_REFUSED(r, HCABI_ERR_INVALID_PARAM);
	}
	/* bit 9 and above are reserved at every version so far */
	r = CALL(0, HCABI_FID_IPI_SEND, 0, 0, 0x200 | 0x40);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
}
END_TEST

START_TEST(version_unsupported)
{
	static const uint32_t bad[] = {HCABI_VERSION(1, 99), HCABI_VERSION(0, 9),
				       HCABI_VERSION(99, 0), 1};
	for (unsigned i = 0; i < 4; i++) {
		struct hcabi_ref_config cfg;
		const char *err = NULL;
		hx_config(&cfg, 1);
		cfg.spec_version = bad[i];
		ck_assert_ptr_null(hcabi_ref_create(&cfg, &err));
		ck_assert_ptr_nonnull(strstr(err, "spec_version"));
	}
}
END_TEST

static Suite *versions_suite(void)
{
	Suite *s = suite_create("versions");
	TCase *tc = hx_tcase(s, "version", 10);
	tcase_add_loop_test(tc, parse_version_good, 0, HX_NVERSIONS);
	tcase_add_loop_test(tc, parse_version_bad, 0,
			    (int)(sizeof(bad_version_strings) / sizeof(bad_version_strings[0])));
	tcase_add_test(tc, newest_version);
	tcase_add_loop_test(tc, version_pin, 0, HX_NVERSIONS);
	tcase_add_loop_test(tc, version_pin_1_1_features, 0, (int)(sizeof(pins) / sizeof(pins[0])));
	tcase_add_test(tc, version_unsupported);
	return s;
}

int main(void)
{
	return hx_run(versions_suite());
}
