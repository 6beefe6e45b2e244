/* SPDX-License-Identifier: MIT */
/*
 * check_dispatch.c - the dispatcher: the binding's rules (X86-002, X86-003,
 * X86-005, X86-009), unknown functions (STATUS-002/003), reserved bits
 * (GEN-002) from abi.h's tables, status enforcement (STATUS-001) against
 * buggy handlers, and concurrent dispatch. The version pin is
 * check_versions.c's, fault injection check_faults.c's, names and
 * configuration check_config.c's.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "harness.h"
#include "hcabi_ref_internal.h"

/* ---- X86-009 ---------------------------------------------------------------- */

static const uint64_t ud_fns[] = {
    HCABI_FID_BASE_GET_SPEC_VERSION,
    HCABI_FID_CONSOLE_WRITE_BYTE,
    HCABI_FID_SYSTEM_SHUTDOWN,
    HCABI_FID_VCPU_STOP,
    HCABI_FID_MEM_RELEASE,
    (1ull << 32) | 5,
    0xC0000000,
};
START_TEST(cpl_raises_ud)
{
	for (uint8_t cpl = 1; cpl <= 3; cpl++) {
		struct hcabi_ref_ret r;
		hx_start(0, 1);
		fake_clear(hx.fake);
		r = hx_call_cpl(1, cpl, (const uint64_t[7]){ud_fns[_i], 'x', 1});
		ck_assert_int_eq(r.action, HCABI_REF_ACTION_RAISE_UD);
		ck_assert_int_eq(r.status, 0);
		ck_assert_uint_eq(r.value, 0);
		ck_assert_uint_eq(r.action_arg, 0);
		/* no effect of any function */
		ck_assert_uint_eq(fake_effects(hx.fake), 0);
		ck_assert_uint_eq(hx.fake->nout, 0);
		r = CALL(0, HCABI_FID_VCPU_GET_STATUS, 1);
		CK_OK(r, HCABI_VCPU_STATUS_RUNNING);
		hcabi_ref_set_vcpu_running(hx.ref, 1, false);
	}
}
END_TEST

/* ---- X86-002 ---------------------------------------------------------------- */

static const uint64_t high_bits[] = {1ull << 32, 1ull << 63, 0xFFFFFFFF00000000ull};
START_TEST(rax_high_bits)
{
	hx_start(0, 1);
	for (unsigned h = 0; h < 3; h++) {
		struct hcabi_ref_ret r;
		fake_clear(hx.fake);
		/* arguments that would do something if the call ran */
		r = CALL(1, hx_fns[_i].id | high_bits[h], 0, 1, 0x40, 0, 0, 0);
		CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
		ck_assert_uint_eq(r.action_arg, 0);
		ck_assert_uint_eq(fake_effects(hx.fake), 0);
	}
}
END_TEST

/* ---- STATUS-002, STATUS-003 --------------------------------------------------- */

START_TEST(unknown_function)
{
	struct hcabi_ref_ret r = CALL(0, hx_unused_fns[_i], 1, 2, 3, 4, 5, 6);
	CK_REFUSED(r, HCABI_ERR_NOT_SUPPORTED);
	r = CALL(0, HCABI_FID_BASE_PROBE_FUNCTION, hx_unused_fns[_i]);
	CK_OK(r, 0);
}
END_TEST

/* VER-001: every function of the registry has a handler (a probe says 1, a
 * call never says NOT_SUPPORTED), with all-zero arguments. */
START_TEST(every_function_handled)
{
	struct hcabi_ref_ret r = CALL(0, hx_fns[_i].id);
	ck_assert_msg(r.status != HCABI_ERR_NOT_SUPPORTED, "%s answers NOT_SUPPORTED: no handler",
		      hx_fns[_i].name);
	ck_assert_msg(r.action == HCABI_REF_ACTION_RESUME ||
			  (hx_fns[_i].flags & HCABI_FN_NO_RETURN),
		      "%s ended the call with an action", hx_fns[_i].name);
	r = CALL(0, HCABI_FID_BASE_PROBE_FUNCTION, hx_fns[_i].id);
	CK_OK(r, 1);
}
END_TEST

/* X86-003: registers beyond the argument count are ignored: the same call
 * with garbage there gives the same result. */
START_TEST(extra_args_ignored)
{
	uint64_t a[7] = {hx_fns[_i].id}, b[7] = {hx_fns[_i].id};
	struct hcabi_ref_ret r1, r2;
	for (unsigned k = hx_fns[_i].nargs; k < 6; k++)
		b[1 + k] = 0xFFFFFFFFFFFFFFFFull - k;
	r1 = hx_callv(0, a);
	r2 = hx_callv(0, b);
	ck_assert_int_eq(r1.status, r2.status);
	ck_assert_uint_eq(r1.value, r2.value);
	ck_assert_int_eq(r1.action, r2.action);
	ck_assert_uint_eq(r1.action_arg, r2.action_arg);
}
END_TEST

/* GEN-002, from HCABI_FOREACH_ARG_FIELD: with every field bit set the call
 * is accepted; any reserved bit besides makes it INVALID_PARAM, with no
 * effect. (BASE-030, BASE-040, CONSOLE-010, TIME-020, IPI-001, SYSTEM-001) */
START_TEST(reserved_bits)
{
	const struct hx_field *f = &hx_fields[_i];
	bool has;
	uint64_t valid = hx_arg_valid(f->id, f->idx, HCABI_VERSION_NEWEST, &has);
	uint64_t reserved = ~valid;
	uint64_t args[7] = {f->id};
	struct hcabi_ref_ret r;

	ck_assert(has);
	hx_baseline_args(f->id, args);
	args[1 + f->idx] = valid;
	r = hx_callv(0, args);
	ck_assert_msg(r.status != HCABI_ERR_INVALID_PARAM || r.action != HCABI_REF_ACTION_RESUME,
		      "0x%08x arg %u: field bits alone rejected", f->id, f->idx);
	if (reserved == 0)
		return;
	for (int which = 0; which < 3; which++) {
		uint64_t bit = which == 0 ? (reserved & -reserved) /* lowest */
			       : which == 1
				   ? (1ull << (63 - __builtin_clzll(reserved))) /* highest */
				   : reserved;					/* all */
		args[1 + f->idx] = valid | bit;
		fake_clear(hx.fake);
		r = hx_callv(0, args);
		CK_REFUSED(r, HCABI_ERR_INVALID_PARAM);
	}
}
END_TEST

/* ---- STATUS-001, X86-005: a buggy handler cannot reach the guest ------------- */

static int buggy_mode;
static int64_t buggy_handler(const struct hcabi__core_req *req, struct hcabi__core_res *res)
{
	(void)req;
	switch (buggy_mode) {
	case 0:
		return HCABI_ERR_IO; /* not in BASE's tables */
	case 1:
		res->value = 7; /* error with a value */
		return HCABI_ERR_INVALID_PARAM;
	case 2:
		res->action = HCABI_REF_ACTION_STOP_VCPU; /* BASE returns */
		res->action_arg = 5;
		return HCABI_SUCCESS;
	case 3:
		return 5; /* not a status */
	case 4:
		return HCABI_ERR_NOT_SUPPORTED; /* a function it should have */
	case 5:
		res->value = 42;
		return HCABI_SUCCESS;
	case 6:
		return INT64_MIN;
	default:
		res->action = HCABI_REF_ACTION_RAISE_UD;
		return HCABI_SUCCESS;
	}
}
static const struct hcabi__ext buggy_base = {HCABI_EID_BASE, buggy_handler};

struct bug_case {
	int mode;
	int64_t status;
	uint64_t value;
	unsigned bugs;
};
static const struct bug_case bug_cases[] = {
    {0, HCABI_ERR_INVALID_PARAM, 0, 1}, {1, HCABI_ERR_INVALID_PARAM, 0, 0},
    {2, HCABI_ERR_INVALID_PARAM, 0, 1}, {3, HCABI_ERR_INVALID_PARAM, 0, 1},
    {4, HCABI_ERR_INVALID_PARAM, 0, 1}, {5, HCABI_SUCCESS, 42, 0},
    {6, HCABI_ERR_INVALID_PARAM, 0, 1}, {7, HCABI_ERR_INVALID_PARAM, 0, 1},
};
START_TEST(enforce_statuses)
{
	const struct bug_case *c = &bug_cases[_i];
	struct hcabi_ref_ret r;
	struct hcabi_ref_stats st;
	buggy_mode = c->mode;
	ck_assert(hcabi__core_test_set_ext(hx.ref, &buggy_base));
	r = CALL(0, HCABI_FID_BASE_GET_IMPL_ID);
	ck_assert_int_eq(r.action, HCABI_REF_ACTION_RESUME);
	ck_assert_int_eq(r.status, c->status);
	ck_assert_uint_eq(r.value, c->value);
	ck_assert_uint_eq(r.action_arg, 0);
	hcabi_ref_get_stats(hx.ref, &st);
	ck_assert_uint_eq(st.internal_bugs, c->bugs);
	/* the same in a batch entry */
	fake_put64(hx.fake, 0x7000, HCABI_FID_BASE_GET_IMPL_ID);
	r = CALL(0, HCABI_FID_BATCH_EXECUTE, 0x7000, 1);
	CK_OK(r, 1);
	ck_assert_int_eq((int64_t)fake_get64(hx.fake, 0x7000 + 56), c->status);
	ck_assert_uint_eq(fake_get64(hx.fake, 0x7000 + 64), c->value);
	hcabi_ref_get_stats(hx.ref, &st);
	ck_assert_uint_eq(st.internal_bugs, 2 * c->bugs);
}
END_TEST

/* A function that does not return must not return SUCCESS to the guest. */
static int64_t lazy_system(const struct hcabi__core_req *req, struct hcabi__core_res *res)
{
	(void)req;
	(void)res;
	return HCABI_SUCCESS; /* forgot the action */
}
static const struct hcabi__ext lazy_system_ext = {HCABI_EID_SYSTEM, lazy_system};
START_TEST(enforce_no_return)
{
	struct hcabi_ref_ret r;
	struct hcabi_ref_stats st;
	ck_assert(hcabi__core_test_set_ext(hx.ref, &lazy_system_ext));
	r = CALL(0, HCABI_FID_SYSTEM_REBOOT);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
	hcabi_ref_get_stats(hx.ref, &st);
	ck_assert_uint_eq(st.internal_bugs, 1);
	ck_assert(
	    !hcabi__core_test_set_ext(hx.ref, &(const struct hcabi__ext){0x7777, lazy_system}));
}
END_TEST

/* The replacement rule itself: FAILED where permitted, else INVALID_PARAM,
 * else the first status listed; never a status the table lacks. */
START_TEST(fallback_rule)
{
	ck_assert_int_eq(hcabi__core_fallback_status_mask(1u | (1u << 1) | (1u << 3)),
			 HCABI_ERR_FAILED);
	ck_assert_int_eq(hcabi__core_fallback_status_mask(1u | (1u << 3) | (1u << 5)),
			 HCABI_ERR_INVALID_PARAM);
	ck_assert_int_eq(hcabi__core_fallback_status_mask(1u | (1u << 4)), HCABI_ERR_DENIED);
	for (int i = 0; i < HX_NFNS; i++) {
		int64_t st = hcabi__core_fallback_status_mask(hx_fns[i].statuses);
		ck_assert_int_lt(st, 0);
		ck_assert((hx_fns[i].statuses >> (unsigned)(-st)) & 1u);
	}
}
END_TEST

/* The VMM naming a vCPU that does not exist is its bug; the guest still
 * gets a permitted status. */
START_TEST(vmm_bad_vcpu_index)
{
	struct hcabi_ref_ret r = CALL(4, HCABI_FID_BASE_GET_SPEC_VERSION);
	struct hcabi_ref_stats st;
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
	r = CALL(UINT32_MAX, HCABI_FID_VCPU_GET_ID);
	CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
	hcabi_ref_get_stats(hx.ref, &st);
	ck_assert_uint_eq(st.internal_bugs, 2);
	ck_assert_uint_eq(st.calls, 2);
}
END_TEST

START_TEST(stats_count_calls)
{
	struct hcabi_ref_stats st;
	(void)CALL(0, HCABI_FID_BASE_GET_SPEC_VERSION);
	(void)CALL(0, 0xC0000000);
	(void)hx_call_cpl(0, 3, (const uint64_t[7]){HCABI_FID_BASE_GET_SPEC_VERSION});
	hcabi_ref_get_stats(hx.ref, &st);
	ck_assert_uint_eq(st.calls, 3);
	ck_assert_uint_eq(st.internal_bugs, 0);
	ck_assert_uint_eq(st.host_errors, 0);
}
END_TEST

/* ---- concurrency ---------------------------------------------------------------- */

/* Four vCPUs dispatching a mix of valid and invalid calls at once; every
 * status must be permitted (checked by the harness's trace over every call),
 * RDX 0 on errors, no internal bug, each vCPU's clock non-decreasing. */
#define MIX_THREADS 4
#define MIX_CALLS 3000
static atomic_uint mix_bad;
static void *mixer(void *arg)
{
	uint32_t v = (uint32_t)(uintptr_t)arg;
	uint64_t seed = 0x9E3779B97F4A7C15ull * (v + 1), last = 0;
	for (int i = 0; i < MIX_CALLS; i++) {
		struct hcabi_ref_ret r;
		uint64_t pick;
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		pick = seed % 12;
		switch (pick) {
		case 0:
			r = RAW(v, HCABI_FID_TIME_GET_MONOTONIC);
			if (r.value < last)
				atomic_fetch_add(&mix_bad, 1);
			last = r.value;
			break;
		case 1:
			r = RAW(v, HCABI_FID_IPI_SEND, seed & 0xF, 0, 32 + (seed >> 60));
			break;
		case 2:
			r = RAW(v, HCABI_FID_IPI_SEND, seed >> 8, seed >> 56, seed >> 32);
			break;
		case 3:
			r = RAW(v, HCABI_FID_VCPU_KICK, (seed >> 20) % 5);
			break;
		case 4:
			r = RAW(v, HCABI_FID_VCPU_GET_STATUS, (seed >> 20) % 5);
			break;
		case 5:
			r = RAW(v, HCABI_FID_TLB_FLUSH, seed & 0xF, 0, (seed >> 4) << 12,
				(seed >> 50) & 3);
			break;
		case 6:
			r = RAW(v, HCABI_FID_BASE_PROBE_FUNCTION, seed >> (seed & 31));
			break;
		case 7:
			r = RAW(v, HCABI_FID_STEAL_SET_SHMEM,
				(seed & 1) ? 0x6000 + 64 * v : HCABI_STEAL_DISABLE);
			break;
		case 8:
			r = RAW(v, HCABI_FID_CONSOLE_WRITE, 0x1000, seed & 63);
			break;
		case 9:
			r = RAW(v, HCABI_FID_VCPU_BLOCK, 0);
			break;
		case 10:
			r = RAW(v, seed & 0xFFFFFFFF);
			break;
		default:
			r = RAW(v, HCABI_FID_MEM_GET_LAYOUT, 0x3000 + 0x100 * v, seed & 3);
			break;
		}
		if (r.action != HCABI_REF_ACTION_RESUME)
			atomic_fetch_add(&mix_bad, 1);
	}
	return NULL;
}
START_TEST(concurrent_mix)
{
	pthread_t t[MIX_THREADS];
	struct hcabi_ref_stats st;
	hx.fake->log_enabled = false;
	atomic_store(&mix_bad, 0);
	for (uint32_t v = 1; v < MIX_THREADS; v++)
		hcabi_ref_set_vcpu_running(hx.ref, v, true);
	for (uintptr_t i = 0; i < MIX_THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, mixer, (void *)i), 0);
	for (int i = 0; i < MIX_THREADS; i++)
		pthread_join(t[i], NULL);
	unsigned bad = atomic_load(&mix_bad);
	ck_assert_uint_eq(bad, 0);
	hcabi_ref_get_stats(hx.ref, &st);
	ck_assert_uint_eq(st.internal_bugs, 0);
	ck_assert_uint_eq(st.calls, MIX_THREADS * MIX_CALLS);
}
END_TEST

static Suite *dispatch_suite(void)
{
	Suite *s = suite_create("dispatch");
	TCase *tc = hx_tcase(s, "binding", 10);
	tcase_add_loop_test(tc, cpl_raises_ud, 0, (int)(sizeof(ud_fns) / sizeof(ud_fns[0])));
	tcase_add_loop_test(tc, rax_high_bits, 0, HX_NFNS);
	tcase_add_loop_test(tc, unknown_function, 0, HX_NUNUSED);
	tcase_add_loop_test(tc, every_function_handled, 0, HX_NFNS);
	tcase_add_loop_test(tc, extra_args_ignored, 0, HX_NFNS);
	tcase_add_loop_test(tc, reserved_bits, 0, HX_NFIELDS);
	tc = hx_tcase(s, "enforcement", 10);
	tcase_add_loop_test(tc, enforce_statuses, 0,
			    (int)(sizeof(bug_cases) / sizeof(bug_cases[0])));
	tcase_add_test(tc, enforce_no_return);
	tcase_add_test(tc, fallback_rule);
	tcase_add_test(tc, vmm_bad_vcpu_index);
	tcase_add_test(tc, stats_count_calls);
	tc = hx_tcase(s, "concurrency", 60);
	tcase_add_test(tc, concurrent_mix);
	return s;
}

int main(void)
{
	return hx_run(dispatch_suite());
}
