/* SPDX-License-Identifier: MIT */
/*
 * Registers in and out: RV64-001 .. RV64-008, and unknown function IDs
 * through HCABI_RISCV64_SBI_EID (STATUS-002, STATUS-003).
 *
 * What:
 *  - RV64-001: an ECALL with a7 = HCABI_RISCV64_SBI_EID is an HCABI call:
 *    GET_SPEC_VERSION, PROBE_FUNCTION and GET_IMPL_ID made by a raw ECALL
 *    return SUCCESS (SBI's answer to an extension it lacks is
 *    NOT_SUPPORTED), with what discovery found as the value (RV64-007);
 *    what a7 with bits 63:32 set gives is SBI's business, and logged;
 *  - RV64-002/003: a6 with any of bits 63:32 set is INVALID_PARAM for every
 *    function (VCPU.STOP included; not the SYSTEM functions, which would
 *    end the VM if the rule were broken), also when a6[31:0] names no
 *    function, and has no effect (TIME.SET_TIMER to a deadline a minute
 *    away must leave no timer armed: CANCEL_TIMER returns 0);
 *  - RV64-004: arguments come from a0, a1, a2, a3 in that order (each shown
 *    by a call whose result depends on that register alone; no function
 *    has a fifth or sixth argument), RV64-005: the registers past a
 *    function's argument count are ignored;
 *  - RV64-006: the status is a signed 64-bit value in a0 (INVALID_PARAM is
 *    0xFFFFFFFFFFFFFFFD, not 0x00000000FFFFFFFD); RV64-007: the value is in
 *    a1; RV64-008: with any error status a1 is 0, whatever a1 held;
 *  - STATUS-002, STATUS-003: an unknown extension (standard, experimental
 *    and vendor ranges) or function number through the HCABI extension ID
 *    is NOT_SUPPORTED, with a1 = 0 whatever a0..a5 held.
 * Why: these are the rules every wrapper in every guest relies on; an
 * implementation that reads the function ID from the low word of a6 only,
 * or leaves an error status zero-extended, breaks them all.
 */
#include "binding_regs.h"

/* The riscv64 binding's registers, as the shared tests' messages name them. */
static const struct binding_names rv_names = {
    .arch = "riscv64",
    .status = "a0",
    .value = "a1",
    .id = "a6",
    .arg = {"a0", "a1", "a2", "a3", "a4", "a5"},
    .arg0 = 0,
    .vector_min = HCABI_RISCV64_VECTOR_MIN,
};

/* An ECALL with a7 = a7 (all 64 bits), a6 = fid, a0..a5 = 0: the SBI
 * convention's a0 and a1. */
static struct hcabi_ret ecall_a7(uint64_t a7v, uint64_t fid)
{
	register uint64_t a0 __asm__("a0") = 0;
	register uint64_t a1 __asm__("a1") = 0;
	register uint64_t a6 __asm__("a6") = fid;
	register uint64_t a7 __asm__("a7") = a7v;
	struct hcabi_ret r;

	__asm__ __volatile__("ecall" : "+r"(a0), "+r"(a1), "+r"(a6), "+r"(a7) : : "memory");
	r.status = (int64_t)a0;
	r.value = a1;
	return r;
}

/* A call through a7 = HCABI_RISCV64_SBI_EID answered by HCABI: status 0
 * where SBI would say NOT_SUPPORTED (RV64-001), and the value (RV64-007). */
static void check_answered(struct hcabi_ret r, uint64_t value, const char *what)
{
	if (check_true(r.status == HCABI_SUCCESS, "RV64-001",
		       "%s through a7 = 0x%x answered by HCABI: a0 %lld", what,
		       (unsigned)HCABI_RISCV64_SBI_EID, (long long)r.status))
		check_eq_u64(r.value, value, "RV64-007", "%s: a1 (value)", what);
}

HCABI_TEST(rv_extension_id, "RV64.extension_id", "RV64-001,RV64-007", HCABI_VERSION_1_0)
{
	uint64_t a[6] = {0};
	struct hcabi_ret r;

	check_answered(ecall_a7(HCABI_RISCV64_SBI_EID, HCABI_FID_BASE_GET_SPEC_VERSION),
		       hcabi_disc.spec, "GET_SPEC_VERSION (a raw ECALL)");
	a[0] = HCABI_FID_BASE_PROBE_FUNCTION;
	check_answered(hcabi_raw_call(HCABI_FID_BASE_PROBE_FUNCTION, a, false), 1,
		       "PROBE_FUNCTION(PROBE_FUNCTION)");
	check_answered(hcabi_raw_call(HCABI_FID_BASE_GET_IMPL_ID, a, false), hcabi_disc.impl_id,
		       "GET_IMPL_ID");
	/* a7 with bits 63:32 set is not HCABI's ID: SBI's answer, not judged */
	r = ecall_a7((1ull << 32) | HCABI_RISCV64_SBI_EID, HCABI_FID_BASE_GET_SPEC_VERSION);
	test_log("ECALL a7=0x0000000108484341 (not HCABI's ID) a6=GET_SPEC_VERSION: a0=0x%llx "
		 "a1=0x%llx (SBI's NOT_SUPPORTED is a0 = -2)",
		 (unsigned long long)r.status, (unsigned long long)r.value);
}

HCABI_TEST(rv_fid_upper, "RV64.function_id_upper_bits", "RV64-002,RV64-003,RV64-008",
	   HCABI_VERSION_1_0)
{
	static const struct binding_upper_reqs each = {"RV64-002", "RV64-008"};

	binding_upper_bits_each_fn(&rv_names, &each);
	{
		uint64_t args[6] = {0};
		struct hcabi_ret r = hcabi_raw_call((1ull << 40) | 0x7FFF0000u, args, false);
		check_eq_u64((uint64_t)r.status, (uint64_t)(int64_t)HCABI_ERR_INVALID_PARAM,
			     "RV64-002",
			     "a6=0x000001007fff0000 (no such function, bits 63:32 set)");
		if (r.status < 0)
			check_eq_u64(r.value, 0, "RV64-008",
				     "a6=0x000001007fff0000: a1 after the error");
	}
	if (!hcabi_has_ext(HCABI_EID_TIME)) {
		test_log("TIME not provided: the no-effect check (a timer left armed) is not made");
		return;
	}
	{
		struct hcabi_ret now = hcabi_time_get_monotonic();
		uint64_t args[6] = {
		    now.value + HCABI_MS(60000), HCABI_RISCV64_VECTOR_MIN, 0, 0, 0, 0};
		hcabi_time_cancel_timer();
		struct hcabi_ret r =
		    hcabi_raw_call((1ull << 32) | HCABI_FID_TIME_SET_TIMER, args, false);
		check_eq_u64((uint64_t)r.status, (uint64_t)(int64_t)HCABI_ERR_INVALID_PARAM,
			     "RV64-002", "TIME.SET_TIMER(in 60 s, vector 1) with a6[32] set");
		struct hcabi_ret c = hcabi_time_cancel_timer();
		check_true(c.status == HCABI_SUCCESS && c.value == 0, "RV64-003",
			   "CANCEL_TIMER after it: status %lld value %llu (0: it armed nothing)",
			   (long long)c.status, (unsigned long long)c.value);
	}
}

HCABI_TEST(rv_arg_registers, "RV64.argument_registers",
	   "RV64-004,RV64-005,RV64-006,RV64-007,RV64-008", HCABI_VERSION_1_0)
{
	static const struct binding_arg_reqs reqs = {
	    {"RV64-006", "RV64-007", "RV64-008"}, "RV64-004", "RV64-005"};

	binding_arg_registers(&rv_names, &reqs);
}

HCABI_TEST(rv_result_registers, "RV64.result_registers",
	   "RV64-006,RV64-007,RV64-008,STATUS-002,STATUS-003", HCABI_VERSION_1_0)
{
	static const struct binding_unknown_reqs reqs = {
	    {"RV64-006", "RV64-007", "RV64-008"}, "STATUS-002", "STATUS-003"};

	binding_result_registers(&rv_names, &reqs);
}
