/* SPDX-License-Identifier: MIT */
/*
 * Registers in and out: X86-002 .. X86-005.
 *
 * What:
 *  - X86-002: RAX with any of bits 63:32 set is INVALID_PARAM for every
 *    function (VCPU.STOP included; not the SYSTEM functions, which would end
 *    the VM if the rule were broken), whatever RAX[31:0] names, and has no
 *    effect
 *    (checked where an effect is visible: TIME.SET_TIMER with a deadline in
 *    the past must not fire); for an unknown function either
 *    INVALID_PARAM or NOT_SUPPORTED before 1.2, and from 1.2 the check is
 *    precedence.c's (X86-010);
 *  - X86-003: arguments come from RDI, RSI, RDX, R10 in that order (each
 *    shown by a call whose result depends on that register alone: RDX by
 *    IPI.SEND, or TIME.SET_PERIODIC without IPI as under the core profile;
 *    R10 by TLB.FLUSH, so not under the core profile), and the
 *    registers past a function's argument count are ignored: poisoning them
 *    changes nothing;
 *  - X86-004: the status is a signed 64-bit value in RAX (an error status
 *    is sign-extended: INVALID_PARAM is 0xFFFFFFFFFFFFFFFD, not
 *    0x00000000FFFFFFFD) and the value is in RDX;
 *  - X86-005: with any error status RDX is 0, even when RDX held an argument
 *    or garbage on entry.
 * Why: these are the rules every wrapper in every guest relies on; an
 * implementation that takes RCX for the fourth argument (the C ABI's
 * choice) or leaves an error status zero-extended breaks them all.
 */
#include "hcabi_test.h"
#include "hcabi_calls.h"

#define TIMER_VECTOR 0x47u

static volatile uint64_t timer_hits;

static void on_timer(struct hcabi_frame *f, unsigned v)
{
	(void)f;
	(void)v;
	timer_hits++;
}

HCABI_TEST(x86_rax_upper, "X86.rax_upper_bits", "X86-002.1,X86-002.2,STATUS-002," HCABI_REQ_VALUE_ZERO,
	   HCABI_VERSION_1_0)
{
	const uint64_t *highs = hcabi_upper_halves;

	for (size_t i = 0; i < hcabi_num_fns; i++) {
		const struct hcabi_fn *fn = &hcabi_fns[i];
		uint64_t args[6];
		if (!hcabi_fn_rejectable(fn))
			continue;
		hcabi_harmless_args(fn->id, args, 0);
		for (size_t h = 0; h < HCABI_ARRAY_SIZE(hcabi_upper_halves); h++)
			check_status(hcabi_raw_call(highs[h] | fn->id, args, h & 1),
				     HCABI_ERR_INVALID_PARAM, "X86-002.1", "RAX=0x%016llx (%s.%s)",
				     (unsigned long long)(highs[h] | fn->id), fn->ext, fn->name);
	}
	/* an unknown function ID with high bits: X86-002 says INVALID_PARAM
	 * and STATUS-002 NOT_SUPPORTED, and before 1.2 neither wins, so either
	 * is accepted here; from 1.2 X86-010 decides (INVALID_PARAM), which
	 * precedence.c checks */
	if (hcabi_spec() < HCABI_VERSION(1, 2)) {
		uint64_t args[6] = {0};
		struct hcabi_ret r = hcabi_raw_call((1ull << 40) | 0x7FFF0000u, args, false);
		if (r.status != HCABI_ERR_NOT_SUPPORTED)
			check_status(r, HCABI_ERR_INVALID_PARAM, "X86-002.1",
				     "RAX=0x%016llx (unknown function: INVALID_PARAM or, before "
				     "1.2, NOT_SUPPORTED)",
				     (unsigned long long)((1ull << 40) | 0x7FFF0000u));
		else
			check_status(r, HCABI_ERR_NOT_SUPPORTED, "STATUS-002",
				     "RAX=0x%016llx (unknown function: NOT_SUPPORTED, accepted "
				     "before 1.2)",
				     (unsigned long long)((1ull << 40) | 0x7FFF0000u));
	}
	if (!hcabi_has_ext(HCABI_EID_TIME)) {
		test_log("TIME not provided: the no-effect check (a timer that must not fire) is "
			 "not made");
		return;
	}
	/* no effect: a timer whose deadline has passed would fire at once */
	hcabi_irq_register(TIMER_VECTOR, on_timer);
	timer_hits = 0;
	{
		uint64_t args[6] = {0, TIMER_VECTOR, 0, 0, 0, 0};
		check_status(hcabi_raw_call((1ull << 32) | HCABI_FID_TIME_SET_TIMER, args, false),
			     HCABI_ERR_INVALID_PARAM, "X86-002.1",
			     "TIME.SET_TIMER(deadline 0, vector 0x%x) with RAX[32] set",
			     TIMER_VECTOR);
	}
	hcabi_irq_enable();
	delay_ns(HCABI_MS(500));
	hcabi_irq_disable();
	check_eq_u64(timer_hits, 0, "X86-002.2",
		     "interrupts from that call within 500 ms (it must have had no effect)");
	check_ret(hcabi_time_cancel_timer(), HCABI_SUCCESS, 0, "X86-002.2",
		  "CANCEL_TIMER finds no timer armed by it");
}

HCABI_TEST(x86_arg_registers, "X86.argument_registers", "X86-003.1,X86-003.2," HCABI_REQ_VALUE_ZERO,
	   HCABI_VERSION_1_0)
{
	uint64_t a[6];

	/* RDI: the EID of PROBE_EXTENSION; poison in every other register */
	for (unsigned i = 0; i < 6; i++)
		a[i] = 0xDEAD0000DEAD0000ull + i;
	a[0] = HCABI_EID_BASE;
	check_ret(hcabi_raw_call(HCABI_FID_BASE_PROBE_EXTENSION, a, false), HCABI_SUCCESS,
		  hcabi_ext_version(HCABI_EID_BASE), "X86-003.2",
		  "PROBE_EXTENSION(BASE) with RSI, RDX, R10, R8, R9 poisoned");
	a[0] = 1ull << 16;
	a[1] = HCABI_EID_BASE;
	check_status(hcabi_raw_call(HCABI_FID_BASE_PROBE_EXTENSION, a, false),
		     HCABI_ERR_INVALID_PARAM, "X86-003.1",
		     "PROBE_EXTENSION: the EID is RDI (invalid), not RSI (valid)");

	/* no-argument functions ignore all six */
	for (size_t i = 0; i < hcabi_num_fns; i++) {
		const struct hcabi_fn *fn = &hcabi_fns[i];
		struct hcabi_ret r1, r2;
		if (!hcabi_call_clean_and_dirty(fn, &r1, &r2))
			continue;
		check_true(r1.status == r2.status && r1.value == r2.value, "X86-003.2",
			   "%s.%s (%u argument%s): registers past the count zero or poisoned give "
			   "the same result (status %lld/%lld value 0x%llx/0x%llx)",
			   fn->ext, fn->name, fn->argc, fn->argc == 1 ? "" : "s",
			   (long long)r1.status, (long long)r2.status, (unsigned long long)r1.value,
			   (unsigned long long)r2.value);
	}

	/* RSI: CONSOLE.WRITE's length */
	if (hcabi_has_ext(HCABI_EID_CONSOLE)) {
		static const char line[] =
		    "x86 argument registers: CONSOLE.WRITE with its length in RSI\n";
		uint64_t w[6] = {(uint64_t)(uintptr_t)line, sizeof(line) - 1, 1, 2, 3, 4};
		check_ret(hcabi_raw_call(HCABI_FID_CONSOLE_WRITE, w, false), HCABI_SUCCESS,
			  sizeof(line) - 1, "X86-003.1", "CONSOLE.WRITE: the length is RSI");
	}
	/* RDX: IPI.SEND's vector (mask 0 sends nothing, but the vector is checked) */
	if (hcabi_has_ext(HCABI_EID_IPI)) {
		uint64_t s[6] = {0, 0, 0x40, 0x10, 0x10, 0x10};
		check_ret(hcabi_raw_call(HCABI_FID_IPI_SEND, s, false), HCABI_SUCCESS, 0, "X86-003.2",
			  "IPI.SEND(mask 0, base 0, vector 0x40 in RDX; 0x10 in R10, R8, R9)");
		s[2] = 0x10;
		s[3] = s[4] = s[5] = 0x40;
		check_status(hcabi_raw_call(HCABI_FID_IPI_SEND, s, false), HCABI_ERR_INVALID_PARAM,
			     "X86-003.1", "IPI.SEND(vector 0x10 in RDX; 0x40 in R10, R8, R9)");
	} else if (hcabi_has_ext(HCABI_EID_TIME) &&
		   hcabi_spec() >= HCABI_FID_TIME_SET_PERIODIC_SINCE) {
		/* without IPI (the core profile): TIME.SET_PERIODIC's vector; its
		 * first tick at 2^64 - 1 ns never comes */
		uint64_t p[6] = {~0ull, HCABI_TIMER_MIN_PERIOD, 0x40, 0x10, 0x10, 0x10};
		check_ret(hcabi_raw_call(HCABI_FID_TIME_SET_PERIODIC, p, false), HCABI_SUCCESS, 0,
			  "X86-003.2",
			  "TIME.SET_PERIODIC(never, minimum period, vector 0x40 in RDX; 0x10 in "
			  "R10, R8, R9)");
		check_ret(hcabi_time_cancel_timer(), HCABI_SUCCESS, 1, "X86-003.2",
			  "CANCEL_TIMER finds that periodic timer armed");
		p[2] = 0x10;
		p[3] = p[4] = p[5] = 0x40;
		check_status(hcabi_raw_call(HCABI_FID_TIME_SET_PERIODIC, p, false),
			     HCABI_ERR_INVALID_PARAM, "X86-003.1",
			     "TIME.SET_PERIODIC(vector 0x10 in RDX; 0x40 in R10, R8, R9)");
	} else {
		test_log("neither IPI nor TIME.SET_PERIODIC: RDX as the third argument is not shown");
	}
	/* R10: TLB.FLUSH's page count (0: every address, the misaligned gva ignored) */
	if (hcabi_has_ext(HCABI_EID_TLB)) {
		uint64_t t[6] = {0, 0, 0x1001, 0, 1, 1};
		check_ret(hcabi_raw_call(HCABI_FID_TLB_FLUSH, t, false), HCABI_SUCCESS, 0,
			  "X86-003.2", "TLB.FLUSH(mask 0, gva 0x1001, npages 0 in R10; 1 in R8, R9)");
		t[3] = 1;
		t[4] = t[5] = 0;
		check_status(hcabi_raw_call(HCABI_FID_TLB_FLUSH, t, false), HCABI_ERR_INVALID_PARAM,
			     "X86-003.1", "TLB.FLUSH(mask 0, gva 0x1001, npages 1 in R10)");
	} else {
		test_log("TLB not provided: R10 as the fourth argument is not shown");
	}
}

HCABI_TEST(x86_result_registers, "X86.result_registers", "X86-004.1,X86-004.2," HCABI_REQ_VALUE_ZERO,
	   HCABI_VERSION_1_0)
{
	uint64_t a[6] = {1ull << 16, 0, 0, 0, 0, 0};
	struct hcabi_ret r = hcabi_raw_call(HCABI_FID_BASE_PROBE_EXTENSION, a, false);

	check_eq_u64((uint64_t)r.status, 0xFFFFFFFFFFFFFFFDull, "X86-004.1",
		     "RAX after an INVALID_PARAM call (sign-extended -3)");
	a[0] = 0;
	r = hcabi_raw_call(HCABI_FUNCTION_ID(0x7FFF, 0), a, false);
	check_eq_u64((uint64_t)r.status, (uint64_t)(int64_t)HCABI_ERR_NOT_SUPPORTED, "X86-004.1",
		     "RAX after a call of an unknown function (sign-extended -2)");
	r = hcabi_raw_call(HCABI_FID_BASE_GET_SPEC_VERSION, a, false);
	check_ret(r, HCABI_SUCCESS, hcabi_disc.spec, "X86-004.2",
		  "GET_SPEC_VERSION: RAX 0, RDX the version");
	a[0] = HCABI_FID_BASE_PROBE_FUNCTION;
	check_ret(hcabi_raw_call(HCABI_FID_BASE_PROBE_FUNCTION, a, false), HCABI_SUCCESS, 1,
		  "X86-004.2", "PROBE_FUNCTION(PROBE_FUNCTION): RAX 0, RDX 1");
}

HCABI_TEST(x86_rdx_zero, "X86.rdx_zero_on_error", "X86-005", HCABI_VERSION_1_0)
{
	static const struct {
		uint64_t rax;
		uint64_t arg0;
		const char *what;
	} calls[] = {
	    {HCABI_FID_BASE_PROBE_EXTENSION, 1ull << 16, "PROBE_EXTENSION(1 << 16)"},
	    {HCABI_FID_BASE_PROBE_FUNCTION, 1ull << 32, "PROBE_FUNCTION(1 << 32)"},
	    {(1ull << 32) | HCABI_FID_BASE_GET_SPEC_VERSION, 0, "GET_SPEC_VERSION, RAX[32] set"},
	    {HCABI_FUNCTION_ID(0x7FFF, 0), 0, "unknown EID 0x7fff"},
	    {HCABI_FUNCTION_ID(HCABI_EID_BASE, 0xFFFF), 0, "unknown BASE FID 0xffff"},
	};
	static const uint64_t rdx_in[] = {0xFFFFFFFFFFFFFFFFull, 0x00000000DEADBEEFull, 1};

	for (size_t i = 0; i < HCABI_ARRAY_SIZE(calls); i++)
		for (size_t k = 0; k < HCABI_ARRAY_SIZE(rdx_in); k++) {
			uint64_t a[6] = {calls[i].arg0, 0, rdx_in[k], 0, 0, 0};
			struct hcabi_ret r = hcabi_raw_call(calls[i].rax, a, k & 1);
			check_true(r.status < 0 && r.value == 0, "X86-005",
				   "%s with RDX=0x%llx on entry: status=%lld RDX=0x%llx",
				   calls[i].what, (unsigned long long)rdx_in[k],
				   (long long)r.status, (unsigned long long)r.value);
		}
}
