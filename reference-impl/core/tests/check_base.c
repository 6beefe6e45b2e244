/* SPDX-License-Identifier: MIT */
/* check_base.c - BASE (version, identity, probes) and CPUID discovery. */
#include "harness.h"

/* BASE-001, BASE-002: the exposed version on every vCPU, bits 63:32 zero. */
START_TEST(spec_version_every_vcpu)
{
	for (uint32_t v = 0; v < hx.nvcpus; v++) {
		struct hcabi_ref_ret r = CALL(v, HCABI_FID_BASE_GET_SPEC_VERSION);
		CK_OK(r, HCABI_VERSION_NEWEST);
		ck_assert_uint_ge(HCABI_VERSION_MAJOR(r.value), 1);
		ck_assert_uint_eq(r.value >> 32, 0);
	}
	ck_assert_uint_eq(hcabi_ref_spec_version(hx.ref), HCABI_VERSION_NEWEST);
}
END_TEST

/* BASE-010, BASE-020 */
START_TEST(impl_id_and_version)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_BASE_GET_IMPL_ID);
	CK_OK(r, HCABI_IMPL_ID_1);
	r = CALL(1, HCABI_FID_BASE_GET_IMPL_ID);
	CK_OK(r, HCABI_IMPL_ID_1);
	r = CALL(0, HCABI_FID_BASE_GET_IMPL_VERSION);
	CK_OK(r, 0x00020003); /* the harness's cfg.impl_version */
}
END_TEST

/* X86-003: registers beyond the argument count are ignored. */
START_TEST(extra_args_ignored)
{
	struct hcabi_ref_ret r =
	    CALL(0, HCABI_FID_BASE_GET_SPEC_VERSION, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull);
	CK_OK(r, HCABI_VERSION_NEWEST);
	r = CALL(0, HCABI_FID_BASE_PROBE_EXTENSION, HCABI_EID_BASE, ~0ull, ~0ull, ~0ull, ~0ull,
		 ~0ull);
	CK_OK(r, 1);
}
END_TEST

/* BASE-031, BASE-033: every extension answers the registry's number. */
START_TEST(probe_extension_each)
{
	const struct hx_ext *e = &hx_exts[_i];
	uint64_t want = hx_ext_version(e->eid, HCABI_VERSION_NEWEST);
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_BASE_PROBE_EXTENSION, e->eid);
	ck_assert_uint_ge(want, 1);
	CK_OK(r, want);
	/* BASE-033: the same answer every time, on every vCPU */
	r = CALL(3, HCABI_FID_BASE_PROBE_EXTENSION, e->eid);
	CK_OK(r, want);
}
END_TEST

/* BASE-032: EIDs not provided, in every range. */
static const uint64_t absent_eids[] = {
    0x000A,
    0x0100,
    HCABI_EID_STANDARD_LAST,
    HCABI_EID_EXPERIMENTAL_FIRST,
    0xBFFF,
    HCABI_EID_VENDOR_FIRST,
    0xFFFF,
};
START_TEST(probe_extension_absent)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_BASE_PROBE_EXTENSION, absent_eids[_i]);
	CK_OK(r, 0);
}
END_TEST

/* BASE-030: bits 63:16 of eid. */
static const uint64_t bad_eids[] = {
    0x10000, 0x10001, 1ull << 63, 0xFFFFFFFFFFFF0000ull, ~0ull,
};
START_TEST(probe_extension_reserved)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_BASE_PROBE_EXTENSION, bad_eids[_i]);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
}
END_TEST

/* BASE-041: every function of the registry is 1 at the newest version. */
START_TEST(probe_function_each)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_BASE_PROBE_FUNCTION, hx_fns[_i].id);
	CK_OK(r, 1);
}
END_TEST

START_TEST(probe_function_absent)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_BASE_PROBE_FUNCTION, hx_unused_fns[_i]);
	CK_OK(r, 0);
}
END_TEST

/* BASE-040 */
static const uint64_t bad_fn_args[] = {
    1ull << 32,
    (1ull << 32) | HCABI_FID_BASE_GET_SPEC_VERSION,
    1ull << 63,
    ~0ull,
};
START_TEST(probe_function_reserved)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_BASE_PROBE_FUNCTION, bad_fn_args[_i]);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
}
END_TEST

/* ---- CPUID (DISC-002, DISC-003) ------------------------------------------- */

static void check_leaves(uint32_t base)
{
	uint32_t out[4];
	char sig[13];

	ck_assert(hcabi_ref_cpuid(hx.ref, base, 0, out));
	ck_assert_uint_eq(out[0], base + 1);
	for (int i = 0; i < 12; i++)
		sig[i] = (char)(out[1 + i / 4] >> (8 * (i % 4)));
	sig[12] = '\0';
	ck_assert_str_eq(sig, "HCABI-REFVMM");
	ck_assert(hcabi_ref_cpuid(hx.ref, base + 1, 0, out));
	ck_assert_uint_eq(out[0], HCABI_CPUID_INTERFACE_SIGNATURE);
	ck_assert_uint_eq(out[1], 0);
	ck_assert_uint_eq(out[2], 0);
	ck_assert_uint_eq(out[3], 0);
	ck_assert(!hcabi_ref_cpuid(hx.ref, base + 2, 0, out));
	ck_assert(!hcabi_ref_cpuid(hx.ref, 0, 0, out));
	ck_assert(!hcabi_ref_cpuid(hx.ref, 1, 0, out));
}

START_TEST(cpuid_default_base)
{
	check_leaves(HCABI_CPUID_BASE);
}
END_TEST

START_TEST(cpuid_other_base)
{
	struct hcabi_ref_config cfg;
	struct hcabi_ref *ref;
	uint32_t out[4];

	hx_config(&cfg, 1);
	cfg.cpuid_base = HCABI_CPUID_BASE + 2 * HCABI_CPUID_BASE_STRIDE;
	ref = hcabi_ref_create(&cfg, NULL);
	ck_assert_ptr_nonnull(ref);
	hcabi_ref_destroy(hx.ref);
	hx.ref = ref;
	hx.nvcpus = 1;
	check_leaves(0x40000200u);
	ck_assert(!hcabi_ref_cpuid(hx.ref, HCABI_CPUID_BASE, 0, out));
	ck_assert(!hcabi_ref_cpuid(hx.ref, HCABI_CPUID_BASE + 1, 0, out));
}
END_TEST

static Suite *base_suite(void)
{
	Suite *s = suite_create("base");
	TCase *tc = hx_tcase(s, "identity", 10);
	tcase_add_test(tc, spec_version_every_vcpu);
	tcase_add_test(tc, impl_id_and_version);
	tcase_add_test(tc, extra_args_ignored);
	tc = hx_tcase(s, "probe", 10);
	tcase_add_loop_test(tc, probe_extension_each, 0, HX_NEXTS);
	tcase_add_loop_test(tc, probe_extension_absent, 0,
			    (int)(sizeof(absent_eids) / sizeof(absent_eids[0])));
	tcase_add_loop_test(tc, probe_extension_reserved, 0,
			    (int)(sizeof(bad_eids) / sizeof(bad_eids[0])));
	tcase_add_loop_test(tc, probe_function_each, 0, HX_NFNS);
	tcase_add_loop_test(tc, probe_function_absent, 0, HX_NUNUSED);
	tcase_add_loop_test(tc, probe_function_reserved, 0,
			    (int)(sizeof(bad_fn_args) / sizeof(bad_fn_args[0])));
	tc = hx_tcase(s, "cpuid", 10);
	tcase_add_test(tc, cpuid_default_base);
	tcase_add_test(tc, cpuid_other_base);
	return s;
}

int main(void)
{
	return hx_run(base_suite());
}
