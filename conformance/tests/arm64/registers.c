/* SPDX-License-Identifier: MIT */
/*
 * Registers in and out: ARM64-003 .. ARM64-009, and unknown function IDs
 * through HCABI_ARM64_CALL_ID (STATUS-002, STATUS-003).
 *
 * What:
 *  - ARM64-003/004: x1 with any of bits 63:32 set is INVALID_PARAM for
 *    every function (VCPU.STOP included; not the SYSTEM functions, which
 *    would end the VM if the rule were broken), also when x1[31:0] names no
 *    function, and has no effect (TIME.SET_TIMER to a deadline a minute
 *    away must leave no timer armed: CANCEL_TIMER returns 0);
 *  - ARM64-005: arguments come from x2, x3, x4, x5 in that order (each shown
 *    by a call whose result depends on that register alone), ARM64-006:
 *    the registers past a function's argument count are ignored;
 *  - ARM64-007: the status is a signed 64-bit value in x0 (INVALID_PARAM is
 *    0xFFFFFFFFFFFFFFFD, not 0x00000000FFFFFFFD); ARM64-008: the value is
 *    in x1; ARM64-009: with any error status x1 is 0, whatever x1 held;
 *  - STATUS-002, STATUS-003: an unknown extension (standard, experimental
 *    and vendor ranges) or function number through the call ID is
 *    NOT_SUPPORTED, with x1 = 0 whatever x1..x7 held.
 * Why: these are the rules every wrapper in every guest relies on; an
 * implementation that reads the function ID from w1 only, or leaves an
 * error status zero-extended, breaks them all.
 */
#include "hcabi_test.h"
#include "hcabi_calls.h"

/* Status and value of r, each checked exactly under its own requirement. */
static void check_exact(struct hcabi_ret r, int64_t status, uint64_t value, const char *what)
{
	check_eq_u64((uint64_t)r.status, (uint64_t)status, "ARM64-007", "%s: x0 (status)", what);
	if (status == HCABI_SUCCESS)
		check_eq_u64(r.value, value, "ARM64-008", "%s: x1 (value)", what);
	else
		check_eq_u64(r.value, 0, "ARM64-009", "%s: x1 (0 with an error status)", what);
}

HCABI_TEST(a64_fid_upper, "ARM64.function_id_upper_bits",
	   "ARM64-003,ARM64-004,ARM64-007,ARM64-008,ARM64-009", HCABI_VERSION_1_0)
{
	char what[96];

	for (size_t i = 0; i < hcabi_num_fns; i++) {
		const struct hcabi_fn *fn = &hcabi_fns[i];
		uint64_t args[6];
		if (!hcabi_fn_rejectable(fn))
			continue;
		hcabi_harmless_args(fn->id, args, 0);
		for (size_t h = 0; h < HCABI_ARRAY_SIZE(hcabi_upper_halves); h++) {
			uint64_t word = hcabi_upper_halves[h] | fn->id;
			struct hcabi_ret r = hcabi_raw_call(word, args, false);
			hcabi_snprintf(what, sizeof(what), "x1=0x%016llx (%s.%s)",
				       (unsigned long long)word, fn->ext, fn->name);
			check_eq_u64((uint64_t)r.status, (uint64_t)(int64_t)HCABI_ERR_INVALID_PARAM,
				     "ARM64-003", "%s: status", what);
			check_eq_u64(r.value, 0, "ARM64-009", "%s: x1 after the error", what);
		}
	}
	{
		uint64_t args[6] = {0};
		struct hcabi_ret r = hcabi_raw_call((1ull << 40) | 0x7FFF0000u, args, false);
		check_exact(r, HCABI_ERR_INVALID_PARAM, 0,
			    "x1=0x000001007fff0000 (no such function, bits 63:32 set)");
	}
	if (!hcabi_has_ext(HCABI_EID_TIME)) {
		test_log("TIME not provided: the no-effect check (a timer left armed) is not made");
		return;
	}
	{
		struct hcabi_ret now = hcabi_time_get_monotonic();
		uint64_t args[6] = {
		    now.value + HCABI_MS(60000), HCABI_ARM64_VECTOR_MIN, 0, 0, 0, 0};
		check_exact(hcabi_raw_call((1ull << 32) | HCABI_FID_TIME_SET_TIMER, args, false),
			    HCABI_ERR_INVALID_PARAM, 0,
			    "TIME.SET_TIMER(in 60 s, vector 16) with x1[32] set");
		struct hcabi_ret c = hcabi_time_cancel_timer();
		check_true(c.status == HCABI_SUCCESS && c.value == 0, "ARM64-004",
			   "CANCEL_TIMER after it: status %lld value %llu (0: it armed nothing)",
			   (long long)c.status, (unsigned long long)c.value);
	}
}

HCABI_TEST(a64_arg_registers, "ARM64.argument_registers",
	   "ARM64-005,ARM64-006,ARM64-007,ARM64-008,ARM64-009", HCABI_VERSION_1_0)
{
	uint64_t a[6];

	/* x2: the EID of PROBE_EXTENSION; poison in every other argument register */
	for (unsigned i = 0; i < 6; i++)
		a[i] = 0xDEAD0000DEAD0000ull + i;
	a[0] = HCABI_EID_BASE;
	{
		struct hcabi_ret r = hcabi_raw_call(HCABI_FID_BASE_PROBE_EXTENSION, a, false);
		check_true(r.status == HCABI_SUCCESS &&
			       r.value == hcabi_ext_version(HCABI_EID_BASE),
			   "ARM64-006",
			   "PROBE_EXTENSION(BASE) with x3..x7 poisoned: status %lld value 0x%llx",
			   (long long)r.status, (unsigned long long)r.value);
	}
	a[0] = 1ull << 16;
	a[1] = HCABI_EID_BASE;
	{
		struct hcabi_ret r = hcabi_raw_call(HCABI_FID_BASE_PROBE_EXTENSION, a, false);
		check_eq_u64((uint64_t)r.status, (uint64_t)(int64_t)HCABI_ERR_INVALID_PARAM,
			     "ARM64-005",
			     "PROBE_EXTENSION: the EID is x2 (invalid), not x3 (valid)");
	}

	/* functions ignore the argument registers past their count */
	for (size_t i = 0; i < hcabi_num_fns; i++) {
		const struct hcabi_fn *fn = &hcabi_fns[i];
		struct hcabi_ret r1, r2;
		if (!hcabi_call_clean_and_dirty(fn, &r1, &r2))
			continue;
		check_true(r1.status == r2.status && r1.value == r2.value, "ARM64-006",
			   "%s.%s: x%u..x7 zero, then poisoned: status %lld/%lld value "
			   "0x%llx/0x%llx",
			   fn->ext, fn->name, 2 + fn->argc, (long long)r1.status,
			   (long long)r2.status, (unsigned long long)r1.value,
			   (unsigned long long)r2.value);
	}

	/* x3: CONSOLE.WRITE's length */
	if (hcabi_has_ext(HCABI_EID_CONSOLE)) {
		static const char line[] =
		    "arm64 argument registers: CONSOLE.WRITE, length in x3\n";
		uint64_t w[6] = {(uint64_t)(uintptr_t)line, sizeof(line) - 1, 1, 2, 3, 4};
		check_exact(hcabi_raw_call(HCABI_FID_CONSOLE_WRITE, w, false), HCABI_SUCCESS,
			    sizeof(line) - 1, "CONSOLE.WRITE(line, length in x3)");
		check_true(true, "ARM64-005", "CONSOLE.WRITE took its length from x3");
	}
	/* x4: IPI.SEND's vector (mask 0 sends nothing, but the vector is checked:
	 * 16 is valid on arm64, 0x40 is not, ARM64-021) */
	if (hcabi_has_ext(HCABI_EID_IPI)) {
		uint64_t s[6] = {0, 0, HCABI_ARM64_VECTOR_MIN, 0x40, 0x40, 0x40};
		check_exact(hcabi_raw_call(HCABI_FID_IPI_SEND, s, false), HCABI_SUCCESS, 0,
			    "IPI.SEND(mask 0, base 0, vector 16 in x4; 0x40 in x5, x6, x7)");
		s[2] = 0x40;
		s[3] = s[4] = s[5] = HCABI_ARM64_VECTOR_MIN;
		struct hcabi_ret r = hcabi_raw_call(HCABI_FID_IPI_SEND, s, false);
		check_eq_u64((uint64_t)r.status, (uint64_t)(int64_t)HCABI_ERR_INVALID_PARAM,
			     "ARM64-005", "IPI.SEND(vector 0x40 in x4; 16 in x5, x6, x7)");
	} else if (hcabi_has_ext(HCABI_EID_TIME) &&
		   hcabi_spec() >= HCABI_FID_TIME_SET_PERIODIC_SINCE) {
		/* without IPI (the core profile): TIME.SET_PERIODIC's vector; its
		 * first tick at 2^64 - 1 ns never comes */
		uint64_t p[6] = {~0ull, HCABI_TIMER_MIN_PERIOD, HCABI_ARM64_VECTOR_MIN, 0x40, 0x40,
				 0x40};
		check_exact(hcabi_raw_call(HCABI_FID_TIME_SET_PERIODIC, p, false), HCABI_SUCCESS, 0,
			    "TIME.SET_PERIODIC(never, minimum period, vector 16 in x4)");
		struct hcabi_ret c = hcabi_time_cancel_timer();
		check_true(c.status == HCABI_SUCCESS && c.value == 1, "ARM64-005",
			   "CANCEL_TIMER finds that periodic timer armed (status %lld value %llu)",
			   (long long)c.status, (unsigned long long)c.value);
		p[2] = 0x40;
		p[3] = p[4] = p[5] = HCABI_ARM64_VECTOR_MIN;
		struct hcabi_ret r = hcabi_raw_call(HCABI_FID_TIME_SET_PERIODIC, p, false);
		check_eq_u64((uint64_t)r.status, (uint64_t)(int64_t)HCABI_ERR_INVALID_PARAM,
			     "ARM64-005", "TIME.SET_PERIODIC(vector 0x40 in x4; 16 in x5, x6, x7)");
	} else {
		test_log(
		    "neither IPI nor TIME.SET_PERIODIC: x4 as the third argument is not shown");
	}
	/* x5: TLB.FLUSH's page count (0: every address, the misaligned gva ignored) */
	if (hcabi_has_ext(HCABI_EID_TLB)) {
		uint64_t t[6] = {0, 0, 0x1001, 0, 1, 1};
		check_exact(hcabi_raw_call(HCABI_FID_TLB_FLUSH, t, false), HCABI_SUCCESS, 0,
			    "TLB.FLUSH(mask 0, gva 0x1001, npages 0 in x5; 1 in x6, x7)");
		t[3] = 1;
		t[4] = t[5] = 0;
		struct hcabi_ret r = hcabi_raw_call(HCABI_FID_TLB_FLUSH, t, false);
		check_eq_u64((uint64_t)r.status, (uint64_t)(int64_t)HCABI_ERR_INVALID_PARAM,
			     "ARM64-005", "TLB.FLUSH(mask 0, gva 0x1001, npages 1 in x5)");
	} else {
		test_log("TLB not provided: x5 as the fourth argument is not shown");
	}
}

HCABI_TEST(a64_result_registers, "ARM64.result_registers",
	   "ARM64-007,ARM64-008,ARM64-009,STATUS-002,STATUS-003", HCABI_VERSION_1_0)
{
	uint64_t a[6] = {1ull << 16, 0, 0, 0, 0, 0};
	struct hcabi_ret r = hcabi_raw_call(HCABI_FID_BASE_PROBE_EXTENSION, a, false);

	check_eq_u64((uint64_t)r.status, 0xFFFFFFFFFFFFFFFDull, "ARM64-007",
		     "x0 after an INVALID_PARAM call (sign-extended -3)");
	a[0] = 0;
	r = hcabi_raw_call(HCABI_FID_BASE_GET_SPEC_VERSION, a, false);
	check_exact(r, HCABI_SUCCESS, hcabi_disc.spec, "GET_SPEC_VERSION: x0 0, x1 the version");
	a[0] = HCABI_FID_BASE_PROBE_FUNCTION;
	check_exact(hcabi_raw_call(HCABI_FID_BASE_PROBE_FUNCTION, a, false), HCABI_SUCCESS, 1,
		    "PROBE_FUNCTION(PROBE_FUNCTION): x0 0, x1 1");

	/* unknown functions through the call ID: NOT_SUPPORTED (sign-extended
	 * -2), x1 = 0 whatever the argument registers held */
	static const uint32_t eids[] = {0x7FFF, 0xBFFF, 0xFFFF};
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(eids); i++) {
		uint64_t p[6] = {0xFFFFFFFFFFFFFFFFull, 0xDEADBEEF, 1, 2, 3, 4};
		uint32_t id = HCABI_FUNCTION_ID(eids[i], 0x1234);
		struct hcabi_ret pr = hcabi_base_probe_extension(eids[i]);
		if (pr.status != HCABI_SUCCESS || pr.value != 0) {
			test_log("EID 0x%04x is provided (or its probe failed): not used", eids[i]);
			continue;
		}
		r = hcabi_raw_call(id, p, false);
		check_eq_u64((uint64_t)r.status, (uint64_t)(int64_t)HCABI_ERR_NOT_SUPPORTED,
			     "STATUS-002", "x1=0x%08x (EID not provided): x0", id);
		check_eq_u64(r.value, 0, "ARM64-009", "x1=0x%08x: x1 with the error status", id);
	}
	{
		uint64_t p[6] = {0xFFFFFFFFFFFFFFFFull, 0xDEADBEEF, 1, 2, 3, 4};
		uint32_t id = HCABI_FUNCTION_ID(HCABI_EID_BASE, 0xFFFF);
		r = hcabi_raw_call(id, p, false);
		check_eq_u64((uint64_t)r.status, (uint64_t)(int64_t)HCABI_ERR_NOT_SUPPORTED,
			     "STATUS-003", "x1=0x%08x (BASE has no FID 0xffff): x0", id);
		check_eq_u64(r.value, 0, "ARM64-009", "x1=0x%08x: x1 with the error status", id);
	}
}
