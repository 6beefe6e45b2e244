/* SPDX-License-Identifier: MIT */
/*
 * check_dispatch.c - the dispatcher: the binding's rules (X86-002, X86-003,
 * X86-005, X86-009), unknown functions (STATUS-002/003), reserved bits
 * (GEN-002) from abi.h's tables, the version pin (VER-001/002), status
 * enforcement (STATUS-001) against buggy handlers, fault injection, names,
 * configuration checks, and concurrent dispatch.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stddef.h>

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
	CK_STATUS(r, HCABI_ERR_NOT_SUPPORTED);
	ck_assert_uint_eq(fake_effects(hx.fake), 0);
	r = CALL(0, HCABI_FID_BASE_PROBE_FUNCTION, hx_unused_fns[_i]);
	CK_OK(r, 0);
}
END_TEST

/* VER-001: every function of the registry has a handler (a probe says 1, a
 * call never says NOT_SUPPORTED), with all-zero arguments. */
START_TEST(every_function_handled)
{
	struct hcabi_ref_ret r = CALL(0, hx_fns[_i].id);
	ck_assert_msg(r.status != HCABI_ERR_NOT_SUPPORTED, "%s is not implemented", hx_fns[_i].name);
	ck_assert_msg(r.action == HCABI_REF_ACTION_RESUME || (hx_fns[_i].flags & HCABI_FN_NO_RETURN),
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
		CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
		ck_assert_uint_eq(fake_effects(hx.fake), 0);
	}
}
END_TEST

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
		bool defined =
		    hx_fns[f].since <= v && hx_ext_version(HCABI_FUNCTION_EID(hx_fns[f].id), v) != 0;
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
			CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
			ck_assert_uint_eq(fake_effects(hx.fake), 0);
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
		CK_STATUS(r, HCABI_ERR_NOT_SUPPORTED);
		ck_assert_uint_eq(fake_effects(hx.fake), 0);
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
		CK_STATUS(r, HCABI_ERR_INVALID_PARAM);
		ck_assert_uint_eq(fake_effects(hx.fake), 0);
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
	struct hcabi__core_fn fn;
	memset(&fn, 0, sizeof(fn));
	fn.statuses = 1u | (1u << 1) | (1u << 3);
	ck_assert_int_eq(hcabi__core_fallback_status(&fn), HCABI_ERR_FAILED);
	fn.statuses = 1u | (1u << 3) | (1u << 5);
	ck_assert_int_eq(hcabi__core_fallback_status(&fn), HCABI_ERR_INVALID_PARAM);
	fn.statuses = 1u | (1u << 4);
	ck_assert_int_eq(hcabi__core_fallback_status(&fn), HCABI_ERR_DENIED);
	for (int i = 0; i < HX_NFNS; i++) {
		int64_t st;
		fn.statuses = hx_fns[i].statuses;
		st = hcabi__core_fallback_status(&fn);
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
	ck_assert_int_eq(hcabi_ref_inject_fault(hx.ref, HCABI_FID_IPI_SEND, HCABI_REF_FAULT_NONE, 0),
			 0);
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
	tc = hx_tcase(s, "version", 10);
	tcase_add_loop_test(tc, parse_version_good, 0, HX_NVERSIONS);
	tcase_add_loop_test(tc, parse_version_bad, 0,
			    (int)(sizeof(bad_version_strings) / sizeof(bad_version_strings[0])));
	tcase_add_test(tc, newest_version);
	tcase_add_loop_test(tc, version_pin, 0, HX_NVERSIONS);
	tcase_add_loop_test(tc, version_pin_1_1_features, 0, (int)(sizeof(pins) / sizeof(pins[0])));
	tcase_add_test(tc, version_unsupported);
	tc = hx_tcase(s, "enforcement", 10);
	tcase_add_loop_test(tc, enforce_statuses, 0,
			    (int)(sizeof(bug_cases) / sizeof(bug_cases[0])));
	tcase_add_test(tc, enforce_no_return);
	tcase_add_test(tc, fallback_rule);
	tcase_add_test(tc, vmm_bad_vcpu_index);
	tcase_add_test(tc, stats_count_calls);
	tc = hx_tcase(s, "faults", 10);
	tcase_add_test(tc, fault_kinds);
	tcase_add_test(tc, fault_scope);
	tcase_add_test(tc, fault_bad_params);
	tcase_add_test(tc, fault_behaviour);
	tcase_add_loop_test(tc, fault_spec_good, 0,
			    (int)(sizeof(good_specs) / sizeof(good_specs[0])));
	tcase_add_loop_test(tc, fault_spec_bad, 0, (int)(sizeof(bad_specs) / sizeof(bad_specs[0])));
	tc = hx_tcase(s, "names_config", 10);
	tcase_add_test(tc, names);
	tcase_add_loop_test(tc, config_missing_op, 0,
			    (int)(sizeof(op_offsets) / sizeof(op_offsets[0])));
	tcase_add_test(tc, config_periodic_op_by_version);
	tcase_add_test(tc, config_checks);
	tc = hx_tcase(s, "concurrency", 60);
	tcase_add_test(tc, concurrent_mix);
	return s;
}

int main(void)
{
	return hx_run(dispatch_suite());
}
