/* SPDX-License-Identifier: MIT */
/*
 * check_config.c - the embedder's side of the library: function and status
 * names, and what hcabi_ref_create refuses (a missing platform callback,
 * one needed only from a version on, bad vCPU counts and CPUID bases).
 */
#include <stddef.h>

#include "harness.h"

/* ---- names ------------------------------------------------------------------------- */

START_TEST(names)
{
	for (int i = 0; i < HX_NFNS; i++)
		ck_assert_str_eq(hcabi_ref_function_name(hx_fns[i].id), hx_fns[i].name);
	ck_assert_ptr_null(hcabi_ref_function_name(0xC0000000));
	ck_assert_str_eq(hcabi_ref_status_name(HCABI_SUCCESS), "SUCCESS");
	ck_assert_str_eq(hcabi_ref_status_name(HCABI_ERR_INVALID_STATE), "INVALID_STATE");
	ck_assert_str_eq(hcabi_ref_status_name(HCABI_ERR_RETRY), "RETRY");
	ck_assert_ptr_null(hcabi_ref_status_name(1));
	ck_assert_ptr_null(hcabi_ref_status_name(-17));
}
END_TEST

/* ---- configuration ---------------------------------------------------------------- */

static const size_t op_offsets[] = {
    offsetof(struct hcabi_platform_ops, mem_read),
    offsetof(struct hcabi_platform_ops, mem_write),
    offsetof(struct hcabi_platform_ops, mem_release),
    offsetof(struct hcabi_platform_ops, vcpu_start),
    offsetof(struct hcabi_platform_ops, vcpu_block),
    offsetof(struct hcabi_platform_ops, vcpu_kick),
    offsetof(struct hcabi_platform_ops, vcpu_yield),
    offsetof(struct hcabi_platform_ops, inject_irq),
    offsetof(struct hcabi_platform_ops, timer_arm),
    offsetof(struct hcabi_platform_ops, timer_cancel),
    offsetof(struct hcabi_platform_ops, timer_arm_periodic), /* at the newest version */
    offsetof(struct hcabi_platform_ops, tlb_flush),
    offsetof(struct hcabi_platform_ops, clock_monotonic_ns),
    offsetof(struct hcabi_platform_ops, clock_wall_ns),
    offsetof(struct hcabi_platform_ops, steal_ns),
    offsetof(struct hcabi_platform_ops, console_write),
    offsetof(struct hcabi_platform_ops, console_read),
};
START_TEST(config_missing_op)
{
	struct hcabi_platform_ops ops = fake_ops;
	struct hcabi_ref_config cfg;
	const char *err = NULL;
	memset((char *)&ops + op_offsets[_i], 0, sizeof(void (*)(void)));
	hx_config(&cfg, 2);
	cfg.ops = &ops;
	ck_assert_ptr_null(hcabi_ref_create(&cfg, &err));
	ck_assert_ptr_nonnull(strstr(err, "ops"));
}
END_TEST

/* timer_arm_periodic is needed only at a version with TIME.SET_PERIODIC:
 * a VMM pinned to 1.0 may leave it NULL; at 1.1 it may not. */
START_TEST(config_periodic_op_by_version)
{
	struct hcabi_platform_ops ops = fake_ops;
	struct hcabi_ref_config cfg;
	struct hcabi_ref *ref;
	const char *err = NULL;
	ops.timer_arm_periodic = NULL;
	hx_config(&cfg, 2);
	cfg.ops = &ops;
	cfg.spec_version = HCABI_VERSION_1_0;
	ref = hcabi_ref_create(&cfg, &err);
	ck_assert_msg(ref != NULL, "pinned 1.0 without timer_arm_periodic: %s", err ? err : "?");
	hcabi_ref_destroy(ref);
	cfg.spec_version = HCABI_VERSION_1_1;
	ck_assert_ptr_null(hcabi_ref_create(&cfg, &err));
	ck_assert_ptr_nonnull(strstr(err, "timer_arm_periodic"));
	cfg.spec_version = 0;
	ck_assert_ptr_null(hcabi_ref_create(&cfg, &err));
	ck_assert_ptr_nonnull(strstr(err, "timer_arm_periodic"));
}
END_TEST

START_TEST(config_checks)
{
	struct hcabi_ref_config cfg;
	struct hcabi_ref *ref;
	const char *err = NULL;
	static const uint32_t bad_bases[] = {0x40000001, 0x3FFFFF00, 0x40010000, 0x40000080,
					     0x80000000};
	ck_assert_ptr_null(hcabi_ref_create(NULL, &err));
	ck_assert_ptr_nonnull(err);
	ck_assert_ptr_null(hcabi_ref_create(NULL, NULL));
	hx_config(&cfg, 2);
	cfg.ops = NULL;
	ck_assert_ptr_null(hcabi_ref_create(&cfg, &err));
	hx_config(&cfg, 2);
	cfg.vcpu_count = 0;
	ck_assert_ptr_null(hcabi_ref_create(&cfg, &err));
	ck_assert_ptr_nonnull(strstr(err, "vcpu_count"));
	cfg.vcpu_count = HCABI_REF_MAX_VCPUS + 1;
	ck_assert_ptr_null(hcabi_ref_create(&cfg, &err));
	cfg.vcpu_count = HCABI_REF_MAX_VCPUS;
	ref = hcabi_ref_create(&cfg, &err);
	ck_assert_ptr_nonnull(ref);
	ck_assert_ptr_null(err);
	hcabi_ref_destroy(ref);
	for (unsigned i = 0; i < sizeof(bad_bases) / sizeof(bad_bases[0]); i++) {
		hx_config(&cfg, 2);
		cfg.cpuid_base = bad_bases[i];
		ck_assert_ptr_null(hcabi_ref_create(&cfg, &err));
		ck_assert_ptr_nonnull(strstr(err, "cpuid_base"));
	}
	cfg.cpuid_base = 0x4000FF00;
	ref = hcabi_ref_create(&cfg, &err);
	ck_assert_ptr_nonnull(ref);
	hcabi_ref_destroy(ref);
	hcabi_ref_destroy(NULL);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = hx_tcase(s, "names_config", 10);
	tcase_add_test(tc, names);
	tcase_add_loop_test(tc, config_missing_op, 0,
			    (int)(sizeof(op_offsets) / sizeof(op_offsets[0])));
	tcase_add_test(tc, config_periodic_op_by_version);
	tcase_add_test(tc, config_checks);
	return s;
}

int main(void)
{
	return hx_run(config_suite());
}
