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
#include "binding_regs.h"

/* The arm64 binding's registers, as the shared tests' messages name them. */
static const struct binding_names a64_names = {
    .arch = "arm64",
    .status = "x0",
    .value = "x1",
    .id = "x1",
    .arg = {"x2", "x3", "x4", "x5", "x6", "x7"},
    .arg0 = 2,
    .vector_min = HCABI_ARM64_VECTOR_MIN,
};

/* Status and value of r, each checked exactly under its own requirement. */
static const struct binding_result_reqs a64_result = {"ARM64-007", "ARM64-008", "ARM64-009"};

static void check_exact(struct hcabi_ret r, int64_t status, uint64_t value, const char *what)
{
	binding_check_exact(&a64_names, &a64_result, r, status, value, what);
}

HCABI_TEST(a64_fid_upper, "ARM64.function_id_upper_bits",
	   "ARM64-003,ARM64-004,ARM64-007,ARM64-008,ARM64-009", HCABI_VERSION_1_0)
{
	static const struct binding_upper_reqs each = {"ARM64-003", "ARM64-009"};

	binding_upper_bits_each_fn(&a64_names, &each);
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
	static const struct binding_arg_reqs reqs = {
	    {"ARM64-007", "ARM64-008", "ARM64-009"}, "ARM64-005", "ARM64-006"};

	binding_arg_registers(&a64_names, &reqs);
}

HCABI_TEST(a64_result_registers, "ARM64.result_registers",
	   "ARM64-007,ARM64-008,ARM64-009,STATUS-002,STATUS-003", HCABI_VERSION_1_0)
{
	static const struct binding_unknown_reqs reqs = {
	    {"ARM64-007", "ARM64-008", "ARM64-009"}, "STATUS-002", "STATUS-003"};

	binding_result_registers(&a64_names, &reqs);
}
