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
#include "hcabi_test.h"
#include "hcabi_calls.h"

/* Status and value of r, each checked exactly under its own requirement. */
static void check_exact(struct hcabi_ret r, int64_t status, uint64_t value, const char *what)
{
	check_eq_u64((uint64_t)r.status, (uint64_t)status, "RV64-006", "%s: a0 (status)", what);
	if (status == HCABI_SUCCESS)
		check_eq_u64(r.value, value, "RV64-007", "%s: a1 (value)", what);
	else
		check_eq_u64(r.value, 0, "RV64-008", "%s: a1 (0 with an error status)", what);
}

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
			hcabi_snprintf(what, sizeof(what), "a6=0x%016llx (%s.%s)",
				       (unsigned long long)word, fn->ext, fn->name);
			check_eq_u64((uint64_t)r.status, (uint64_t)(int64_t)HCABI_ERR_INVALID_PARAM,
				     "RV64-002", "%s: status", what);
			if (r.status < 0)
				check_eq_u64(r.value, 0, "RV64-008", "%s: a1 after the error",
					     what);
		}
	}
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
	uint64_t a[6];

	/* a0: the EID of PROBE_EXTENSION; poison in every other argument register */
	for (unsigned i = 0; i < 6; i++)
		a[i] = 0xDEAD0000DEAD0000ull + i;
	a[0] = HCABI_EID_BASE;
	{
		struct hcabi_ret r = hcabi_raw_call(HCABI_FID_BASE_PROBE_EXTENSION, a, false);
		check_true(r.status == HCABI_SUCCESS &&
			       r.value == hcabi_ext_version(HCABI_EID_BASE),
			   "RV64-005",
			   "PROBE_EXTENSION(BASE) with a1..a5 poisoned: status %lld value 0x%llx",
			   (long long)r.status, (unsigned long long)r.value);
	}
	a[0] = 1ull << 16;
	a[1] = HCABI_EID_BASE;
	{
		struct hcabi_ret r = hcabi_raw_call(HCABI_FID_BASE_PROBE_EXTENSION, a, false);
		check_eq_u64((uint64_t)r.status, (uint64_t)(int64_t)HCABI_ERR_INVALID_PARAM,
			     "RV64-004",
			     "PROBE_EXTENSION: the EID is a0 (invalid), not a1 (valid)");
	}

	/* functions ignore the argument registers past their count */
	for (size_t i = 0; i < hcabi_num_fns; i++) {
		const struct hcabi_fn *fn = &hcabi_fns[i];
		struct hcabi_ret r1, r2;
		if (!hcabi_call_clean_and_dirty(fn, &r1, &r2))
			continue;
		check_true(r1.status == r2.status && r1.value == r2.value, "RV64-005",
			   "%s.%s: a%u..a5 zero, then poisoned: status %lld/%lld value "
			   "0x%llx/0x%llx",
			   fn->ext, fn->name, fn->argc, (long long)r1.status, (long long)r2.status,
			   (unsigned long long)r1.value, (unsigned long long)r2.value);
	}

	/* a1: CONSOLE.WRITE's length */
	if (hcabi_has_ext(HCABI_EID_CONSOLE)) {
		static const char line[] =
		    "riscv64 argument registers: CONSOLE.WRITE, length in a1\n";
		uint64_t w[6] = {(uint64_t)(uintptr_t)line, sizeof(line) - 1, 1, 2, 3, 4};
		check_exact(hcabi_raw_call(HCABI_FID_CONSOLE_WRITE, w, false), HCABI_SUCCESS,
			    sizeof(line) - 1, "CONSOLE.WRITE(line, length in a1)");
		check_true(true, "RV64-004", "CONSOLE.WRITE took its length from a1");
	}
	/* a2: IPI.SEND's vector (mask 0 sends nothing, but the vector is checked:
	 * 1 is valid on riscv64, 0x40 is not, RV64-018) */
	if (hcabi_has_ext(HCABI_EID_IPI)) {
		uint64_t s[6] = {0, 0, HCABI_RISCV64_VECTOR_MIN, 0x40, 0x40, 0x40};
		check_exact(hcabi_raw_call(HCABI_FID_IPI_SEND, s, false), HCABI_SUCCESS, 0,
			    "IPI.SEND(mask 0, base 0, vector 1 in a2; 0x40 in a3, a4, a5)");
		s[2] = 0x40;
		s[3] = s[4] = s[5] = HCABI_RISCV64_VECTOR_MIN;
		struct hcabi_ret r = hcabi_raw_call(HCABI_FID_IPI_SEND, s, false);
		check_eq_u64((uint64_t)r.status, (uint64_t)(int64_t)HCABI_ERR_INVALID_PARAM,
			     "RV64-004", "IPI.SEND(vector 0x40 in a2; 1 in a3, a4, a5)");
	} else if (hcabi_has_ext(HCABI_EID_TIME) &&
		   hcabi_spec() >= HCABI_FID_TIME_SET_PERIODIC_SINCE) {
		/* without IPI (the core profile): TIME.SET_PERIODIC's vector; its
		 * first tick at 2^64 - 1 ns never comes */
		uint64_t p[6] = {
		    ~0ull, HCABI_TIMER_MIN_PERIOD, HCABI_RISCV64_VECTOR_MIN, 0x40, 0x40, 0x40};
		check_exact(hcabi_raw_call(HCABI_FID_TIME_SET_PERIODIC, p, false), HCABI_SUCCESS, 0,
			    "TIME.SET_PERIODIC(never, minimum period, vector 1 in a2)");
		struct hcabi_ret c = hcabi_time_cancel_timer();
		check_true(c.status == HCABI_SUCCESS && c.value == 1, "RV64-004",
			   "CANCEL_TIMER finds that periodic timer armed (status %lld value %llu)",
			   (long long)c.status, (unsigned long long)c.value);
		p[2] = 0x40;
		p[3] = p[4] = p[5] = HCABI_RISCV64_VECTOR_MIN;
		struct hcabi_ret r = hcabi_raw_call(HCABI_FID_TIME_SET_PERIODIC, p, false);
		check_eq_u64((uint64_t)r.status, (uint64_t)(int64_t)HCABI_ERR_INVALID_PARAM,
			     "RV64-004", "TIME.SET_PERIODIC(vector 0x40 in a2; 1 in a3, a4, a5)");
	} else {
		test_log(
		    "neither IPI nor TIME.SET_PERIODIC: a2 as the third argument is not shown");
	}
	/* a3: TLB.FLUSH's page count (0: every address, the misaligned gva ignored) */
	if (hcabi_has_ext(HCABI_EID_TLB)) {
		uint64_t t[6] = {0, 0, 0x1001, 0, 1, 1};
		check_exact(hcabi_raw_call(HCABI_FID_TLB_FLUSH, t, false), HCABI_SUCCESS, 0,
			    "TLB.FLUSH(mask 0, gva 0x1001, npages 0 in a3; 1 in a4, a5)");
		t[3] = 1;
		t[4] = t[5] = 0;
		struct hcabi_ret r = hcabi_raw_call(HCABI_FID_TLB_FLUSH, t, false);
		check_eq_u64((uint64_t)r.status, (uint64_t)(int64_t)HCABI_ERR_INVALID_PARAM,
			     "RV64-004", "TLB.FLUSH(mask 0, gva 0x1001, npages 1 in a3)");
	} else {
		test_log("TLB not provided: a3 as the fourth argument is not shown");
	}
}

HCABI_TEST(rv_result_registers, "RV64.result_registers",
	   "RV64-006,RV64-007,RV64-008,STATUS-002,STATUS-003", HCABI_VERSION_1_0)
{
	uint64_t a[6] = {1ull << 16, 0, 0, 0, 0, 0};
	struct hcabi_ret r = hcabi_raw_call(HCABI_FID_BASE_PROBE_EXTENSION, a, false);

	check_eq_u64((uint64_t)r.status, 0xFFFFFFFFFFFFFFFDull, "RV64-006",
		     "a0 after an INVALID_PARAM call (sign-extended -3)");
	a[0] = 0;
	r = hcabi_raw_call(HCABI_FID_BASE_GET_SPEC_VERSION, a, false);
	check_exact(r, HCABI_SUCCESS, hcabi_disc.spec, "GET_SPEC_VERSION: a0 0, a1 the version");
	a[0] = HCABI_FID_BASE_PROBE_FUNCTION;
	check_exact(hcabi_raw_call(HCABI_FID_BASE_PROBE_FUNCTION, a, false), HCABI_SUCCESS, 1,
		    "PROBE_FUNCTION(PROBE_FUNCTION): a0 0, a1 1");

	/* unknown functions through the HCABI extension ID: NOT_SUPPORTED
	 * (sign-extended -2), a1 = 0 whatever the argument registers held */
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
			     "STATUS-002", "a6=0x%08x (EID not provided): a0", id);
		check_eq_u64(r.value, 0, "RV64-008", "a6=0x%08x: a1 with the error status", id);
	}
	{
		uint64_t p[6] = {0xFFFFFFFFFFFFFFFFull, 0xDEADBEEF, 1, 2, 3, 4};
		uint32_t id = HCABI_FUNCTION_ID(HCABI_EID_BASE, 0xFFFF);
		r = hcabi_raw_call(id, p, false);
		check_eq_u64((uint64_t)r.status, (uint64_t)(int64_t)HCABI_ERR_NOT_SUPPORTED,
			     "STATUS-003", "a6=0x%08x (BASE has no FID 0xffff): a0", id);
		check_eq_u64(r.value, 0, "RV64-008", "a6=0x%08x: a1 with the error status", id);
	}
}
