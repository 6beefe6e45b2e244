/* SPDX-License-Identifier: MIT */
/*
 * check_faults.c - test-only fault injection (hcabi_ref_inject_fault,
 * hcabi_ref_inject_fault_spec): the kinds, what they apply to, their
 * parameters, the behaviour faults the handlers ask for, and the spec
 * strings a VMM's --inject-fault passes.
 */
#include "harness.h"

/* ---- fault injection ---------------------------------------------------------- */

static struct hcabi_ref_ret raw_call(uint32_t vcpu, uint64_t fid)
{
	struct hcabi_ref_call c;
	struct hcabi_ref_ret r;
	memset(&c, 0, sizeof(c));
	c.function_id = fid;
	hcabi_ref_dispatch(hx.ref, vcpu, &c, &r);
	return r;
}

static int traced_faults;
static void count_faulted(void *arg, const struct hcabi_ref_trace_event *ev)
{
	(void)arg;
	traced_faults += ev->faulted;
}

START_TEST(fault_kinds)
{
	struct hcabi_ref_ret r;
	struct hcabi_ref_stats st;
	ck_assert_int_eq(hcabi_ref_inject_fault(hx.ref, HCABI_FID_BASE_GET_SPEC_VERSION,
						HCABI_REF_FAULT_STATUS,
						(uint64_t)HCABI_ERR_NOT_SUPPORTED),
			 0);
	r = raw_call(0, HCABI_FID_BASE_GET_SPEC_VERSION);
	ck_assert_int_eq(r.status, HCABI_ERR_NOT_SUPPORTED);
	/* replacing the same kind; adding another kind */
	ck_assert_int_eq(hcabi_ref_inject_fault(hx.ref, HCABI_FID_BASE_GET_SPEC_VERSION,
						HCABI_REF_FAULT_STATUS, 0),
			 0);
	ck_assert_int_eq(hcabi_ref_inject_fault(hx.ref, HCABI_FID_BASE_GET_SPEC_VERSION,
						HCABI_REF_FAULT_VALUE, 0x10001),
			 0);
	ck_assert_int_eq(hcabi_ref_inject_fault(hx.ref, HCABI_FID_BASE_GET_SPEC_VERSION,
						HCABI_REF_FAULT_CLOBBER, HCABI_REF_GPR_R11),
			 0);
	r = raw_call(0, HCABI_FID_BASE_GET_SPEC_VERSION);
	ck_assert_int_eq(r.status, 0);
	ck_assert_uint_eq(r.value, HCABI_VERSION_NEWEST ^ 0x10001); /* XOR, bits cleared too */
	ck_assert_uint_eq(r.clobber_gprs, 1u << HCABI_REF_GPR_R11);
	/* other functions untouched */
	r = raw_call(0, HCABI_FID_BASE_GET_IMPL_ID);
	ck_assert_uint_eq(r.value, HCABI_IMPL_ID_1);
	ck_assert_uint_eq(r.clobber_gprs, 0);
	/* NONE removes them all */
	ck_assert_int_eq(hcabi_ref_inject_fault(hx.ref, HCABI_FID_BASE_GET_SPEC_VERSION,
						HCABI_REF_FAULT_NONE, 0),
			 0);
	r = CALL(0, HCABI_FID_BASE_GET_SPEC_VERSION);
	CK_OK(r, HCABI_VERSION_NEWEST);
	/* faults are not internal bugs */
	hcabi_ref_get_stats(hx.ref, &st);
	ck_assert_uint_eq(st.internal_bugs, 0);
}
END_TEST

START_TEST(fault_scope)
{
	struct hcabi_ref_ret r;
	hcabi_ref_set_trace(hx.ref, count_faulted, NULL);
	traced_faults = 0;
	/* an unknown function can be made to answer SUCCESS */
	ck_assert(hcabi_ref_inject_fault_spec(hx.ref, "0x000A0000:status:0", NULL));
	r = raw_call(0, 0x000A0000);
	ck_assert_int_eq(r.status, 0);
	/* batch entries too, but no register clobbering there */
	ck_assert(hcabi_ref_inject_fault_spec(hx.ref, "VCPU.GET_ID:value:0x100", NULL));
	ck_assert(hcabi_ref_inject_fault_spec(hx.ref, "VCPU.GET_ID:clobber:rbx", NULL));
	fake_put64(hx.fake, 0x7000, HCABI_FID_VCPU_GET_ID);
	r = CALL(0, HCABI_FID_BATCH_EXECUTE, 0x7000, 1);
	CK_OK(r, 1);
	ck_assert_uint_eq(fake_get64(hx.fake, 0x7000 + 64), 0x100);
	/* a call that ends with an action is not faulted */
	hx_start(0, 1);
	ck_assert(hcabi_ref_inject_fault_spec(hx.ref, "VCPU.STOP:status:-3", NULL));
	r = raw_call(1, HCABI_FID_VCPU_STOP);
	ck_assert_int_eq(r.action, HCABI_REF_ACTION_STOP_VCPU);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(traced_faults, 2);
}
END_TEST

START_TEST(fault_bad_params)
{
	ck_assert_int_eq(hcabi_ref_inject_fault(hx.ref, 0, HCABI_REF_FAULT_VALUE, 0), -1);
	ck_assert_int_eq(hcabi_ref_inject_fault(hx.ref, 0, HCABI_REF_FAULT_CLOBBER, 16), -1);
	ck_assert_int_eq(hcabi_ref_inject_fault(hx.ref, 0, (enum hcabi_ref_fault_kind)99, 0), -1);
	for (uint32_t i = 0; i < HCABI_REF_MAX_FAULTS; i++)
		ck_assert_int_eq(
		    hcabi_ref_inject_fault(hx.ref, 0x00100000 + i, HCABI_REF_FAULT_STATUS, 0), 0);
	ck_assert_int_eq(hcabi_ref_inject_fault(hx.ref, 0x00200000, HCABI_REF_FAULT_STATUS, 0), -1);
	/* replacing an existing one still works when full */
	ck_assert_int_eq(hcabi_ref_inject_fault(hx.ref, 0x00100000, HCABI_REF_FAULT_STATUS, 1), 0);
}
END_TEST

/* Behaviour faults (limits-races): IPI.SEND "twice" injects every
 * interrupt a second time; VCPU.START "reread" starts the vCPU from a
 * second read of the boot state, made after validation. */
START_TEST(fault_behaviour)
{
	struct hcabi_ref_ret r;
	ck_assert(hcabi_ref_inject_fault_spec(hx.ref, "IPI.SEND:twice:1", NULL));
	r = CALL(0, HCABI_FID_IPI_SEND, 1, 0, 0x40);
	CK_OK(r, 0);
	ck_assert_uint_eq(hx.fake->irqs[0][0x40], 2);
	ck_assert_int_eq(
	    hcabi_ref_inject_fault(hx.ref, HCABI_FID_IPI_SEND, HCABI_REF_FAULT_NONE, 0), 0);
	r = CALL(0, HCABI_FID_IPI_SEND, 1, 0, 0x40);
	CK_OK(r, 0);
	ck_assert_uint_eq(hx.fake->irqs[0][0x40], 3);
	/* kinds the handlers ask for are not applied to the result */
	ck_assert(hcabi_ref_inject_fault_spec(hx.ref, "BASE.GET_IMPL_ID:reread", NULL));
	r = CALL(0, HCABI_FID_BASE_GET_IMPL_ID);
	CK_OK(r, HCABI_IMPL_ID_1);
	ck_assert_int_eq(hcabi_ref_inject_fault(hx.ref, 0, HCABI_REF_FAULT_TWICE, 10000001), -1);
}
END_TEST

static const char *const good_specs[] = {
    "BASE.GET_SPEC_VERSION:status:-2",
    "base.get_spec_version:STATUS:not_supported",
    "0x00030000:value:0x10",
    "196608:value:16",
    "VCPU.GET_ID:value",
    "CONSOLE.WRITE:clobber:r11",
    "TIME.GET_MONOTONIC:clobber:3",
    "BASE.GET_IMPL_ID:none",
    "BASE.GET_IMPL_ID:status:0xffffffffffffffff",
    "BASE.GET_IMPL_ID:status:-9223372036854775808",
    "IPI.SEND:twice",
    "IPI.SEND:twice:1",
    "VCPU.START:reread:10000000",
    "VCPU.STOP:racy:100",
};
START_TEST(fault_spec_good)
{
	const char *err = "x";
	ck_assert_msg(hcabi_ref_inject_fault_spec(hx.ref, good_specs[_i], &err), "%s: %s",
		      good_specs[_i], err ? err : "?");
	ck_assert_ptr_null(err);
}
END_TEST

static const char *const bad_specs[] = {
    "",
    ":",
    "BASE.GET_SPEC_VERSION",
    "NOPE.X:status:0",
    "BASE.NOPE:status:0",
    "BASE.GET_SPEC_VERSION:bogus:1",
    "BASE.GET_SPEC_VERSION:status",
    "BASE.GET_SPEC_VERSION:status:abc",
    "BASE.GET_SPEC_VERSION:status:-",
    "BASE.GET_SPEC_VERSION:status:1x",
    "BASE.GET_SPEC_VERSION:status:-9223372036854775809",
    "BASE.GET_SPEC_VERSION:value:0",
    "BASE.GET_SPEC_VERSION:value:x",
    "BASE.GET_SPEC_VERSION:clobber:r16",
    "BASE.GET_SPEC_VERSION:clobber:16",
    "BASE.GET_SPEC_VERSION:clobber",
    "0x1ffffffff:status:0",
    "BASE.GET_SPEC_VERSION:none:1",
    "BASE.GET_SPEC_VERSION.:status:0",
    "-1:status:0",
    "IPI.SEND:twice:10000001",
    "VCPU.START:reread:x",
};
START_TEST(fault_spec_bad)
{
	const char *err = NULL;
	ck_assert_msg(!hcabi_ref_inject_fault_spec(hx.ref, bad_specs[_i], &err), "%s accepted",
		      bad_specs[_i]);
	ck_assert_ptr_nonnull(err);
	ck_assert(!hcabi_ref_inject_fault_spec(hx.ref, NULL, NULL));
	/* nothing was injected */
	struct hcabi_ref_ret r = CALL(0, HCABI_FID_BASE_GET_SPEC_VERSION);
	CK_OK(r, HCABI_VERSION_NEWEST);
}
END_TEST

static Suite *faults_suite(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = hx_tcase(s, "faults", 10);
	tcase_add_test(tc, fault_kinds);
	tcase_add_test(tc, fault_scope);
	tcase_add_test(tc, fault_bad_params);
	tcase_add_test(tc, fault_behaviour);
	tcase_add_loop_test(tc, fault_spec_good, 0,
			    (int)(sizeof(good_specs) / sizeof(good_specs[0])));
	tcase_add_loop_test(tc, fault_spec_bad, 0, (int)(sizeof(bad_specs) / sizeof(bad_specs[0])));
	return s;
}

int main(void)
{
	return hx_run(faults_suite());
}
