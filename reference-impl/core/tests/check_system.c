/* SPDX-License-Identifier: MIT */
/* check_system.c - SYSTEM.SHUTDOWN, REBOOT, CRASH. */
#include "harness.h"

/* SYSTEM-001: every code 0..255 ends the VM with that code. */
START_TEST(shutdown_codes)
{
	for (uint64_t code = 0; code < 256; code++) {
		struct hcabi_ref_ret r = CALL(0, HCABI_FID_SYSTEM_SHUTDOWN, code);
		ck_assert_int_eq(r.action, HCABI_REF_ACTION_SHUTDOWN);
		ck_assert_uint_eq(r.action_arg, code);
		ck_assert_int_eq(r.status, 0);
		ck_assert_uint_eq(r.value, 0);
	}
}
END_TEST

/* SYSTEM-001: bits 63:8 of code: INVALID_PARAM, and the VM goes on. */
static const uint64_t bad_codes[] = {0x100, 0x1FF, 1ull << 63, ~0ull};
START_TEST(shutdown_reserved)
{
	struct hcabi_ref_ret r = CALL(1, HCABI_FID_SYSTEM_SHUTDOWN, bad_codes[_i]);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
	ck_assert_uint_eq(r.action_arg, 0);
}
END_TEST

/* SYSTEM-010; arguments beyond the count are ignored (X86-003). */
START_TEST(reboot)
{
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_SYSTEM_REBOOT, ~0ull, ~0ull);
	ck_assert_int_eq(r.action, HCABI_REF_ACTION_REBOOT);
	ck_assert_int_eq(r.status, 0);
}
END_TEST

/* SYSTEM-020: the whole 64-bit code, told apart from a shutdown. */
static const uint64_t crash_codes[] = {0, 1, 0xDEADBEEFCAFEF00Dull, ~0ull};
START_TEST(crash)
{
	struct hcabi_ref_ret r = CALL(2, HCABI_FID_SYSTEM_CRASH, crash_codes[_i], 99);
	ck_assert_int_eq(r.action, HCABI_REF_ACTION_CRASH);
	ck_assert_uint_eq(r.action_arg, crash_codes[_i]);
	ck_assert_int_eq(r.status, 0);
	ck_assert_uint_eq(r.value, 0);
}
END_TEST

/* The actions need no callback: the VMM ends the VM. */
START_TEST(no_platform_effect)
{
	(void)CALL(0, HCABI_FID_SYSTEM_SHUTDOWN, 3);
	(void)CALL(0, HCABI_FID_SYSTEM_REBOOT);
	(void)CALL(0, HCABI_FID_SYSTEM_CRASH, 3);
	ck_assert_uint_eq(fake_effects(hx.fake), 0);
}
END_TEST

static Suite *system_suite(void)
{
	Suite *s = suite_create("system");
	TCase *tc = hx_tcase(s, "system", 10);
	tcase_add_test(tc, shutdown_codes);
	tcase_add_loop_test(tc, shutdown_reserved, 0,
			    (int)(sizeof(bad_codes) / sizeof(bad_codes[0])));
	tcase_add_test(tc, reboot);
	tcase_add_loop_test(tc, crash, 0, (int)(sizeof(crash_codes) / sizeof(crash_codes[0])));
	tcase_add_test(tc, no_platform_effect);
	return s;
}

int main(void)
{
	return hx_run(system_suite());
}
