/* SPDX-License-Identifier: MIT */
/*
 * Registers in and out, shared by the arm64 and riscv64 bindings
 * (binding_regs.h): every message names the binding's registers, every
 * check cites the requirement its caller passes.
 */
#include "binding_regs.h"

void binding_check_exact(const struct binding_names *n, const struct binding_result_reqs *q,
			 struct hcabi_ret r, int64_t status, uint64_t value, const char *what)
{
	check_eq_u64((uint64_t)r.status, (uint64_t)status, q->status, "%s: %s (status)", what,
		     n->status);
	if (status == HCABI_SUCCESS)
		check_eq_u64(r.value, value, q->value, "%s: %s (value)", what, n->value);
	else
		check_eq_u64(r.value, 0, q->zero, "%s: %s (0 with an error status)", what,
			     n->value);
}

void binding_upper_bits_each_fn(const struct binding_names *n, const struct binding_upper_reqs *q)
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
			hcabi_snprintf(what, sizeof(what), "%s=0x%016llx (%s.%s)", n->id,
				       (unsigned long long)word, fn->ext, fn->name);
			check_eq_u64((uint64_t)r.status, (uint64_t)(int64_t)HCABI_ERR_INVALID_PARAM,
				     q->invalid, "%s: status", what);
			if (r.status < 0) /* the value rule is for an error status */
				check_eq_u64(r.value, 0, q->zero, "%s: %s after the error", what,
					     n->value);
		}
	}
}

/* The third argument register, with IPI.SEND's vector, else (the core
 * profile, no IPI) TIME.SET_PERIODIC's: vector_min is valid, 0x40 is not. */
static void third_argument(const struct binding_names *n, const struct binding_arg_reqs *q)
{
	const char *const *a = n->arg;
	unsigned long long vmin = (unsigned long long)n->vector_min;
	char what[96];

	if (hcabi_has_ext(HCABI_EID_IPI)) {
		/* mask 0 sends nothing, but the vector is checked */
		uint64_t s[6] = {0, 0, n->vector_min, 0x40, 0x40, 0x40};
		hcabi_snprintf(what, sizeof(what),
			       "IPI.SEND(mask 0, base 0, vector %llu in %s; 0x40 in %s, %s, %s)",
			       vmin, a[2], a[3], a[4], a[5]);
		binding_check_exact(n, &q->result, hcabi_raw_call(HCABI_FID_IPI_SEND, s, false),
				    HCABI_SUCCESS, 0, what);
		s[2] = 0x40;
		s[3] = s[4] = s[5] = n->vector_min;
		struct hcabi_ret r = hcabi_raw_call(HCABI_FID_IPI_SEND, s, false);
		check_eq_u64((uint64_t)r.status, (uint64_t)(int64_t)HCABI_ERR_INVALID_PARAM,
			     q->order, "IPI.SEND(vector 0x40 in %s; %llu in %s, %s, %s)", a[2],
			     vmin, a[3], a[4], a[5]);
	} else if (hcabi_has_ext(HCABI_EID_TIME) &&
		   hcabi_spec() >= HCABI_FID_TIME_SET_PERIODIC_SINCE) {
		/* its first tick at 2^64 - 1 ns never comes */
		uint64_t p[6] = {~0ull, HCABI_TIMER_MIN_PERIOD, n->vector_min, 0x40, 0x40, 0x40};
		hcabi_snprintf(what, sizeof(what),
			       "TIME.SET_PERIODIC(never, minimum period, vector %llu in %s)", vmin,
			       a[2]);
		binding_check_exact(n, &q->result,
				    hcabi_raw_call(HCABI_FID_TIME_SET_PERIODIC, p, false),
				    HCABI_SUCCESS, 0, what);
		struct hcabi_ret c = hcabi_time_cancel_timer();
		check_true(c.status == HCABI_SUCCESS && c.value == 1, q->order,
			   "CANCEL_TIMER finds that periodic timer armed (status %lld value %llu)",
			   (long long)c.status, (unsigned long long)c.value);
		p[2] = 0x40;
		p[3] = p[4] = p[5] = n->vector_min;
		struct hcabi_ret r = hcabi_raw_call(HCABI_FID_TIME_SET_PERIODIC, p, false);
		check_eq_u64((uint64_t)r.status, (uint64_t)(int64_t)HCABI_ERR_INVALID_PARAM,
			     q->order, "TIME.SET_PERIODIC(vector 0x40 in %s; %llu in %s, %s, %s)",
			     a[2], vmin, a[3], a[4], a[5]);
	} else {
		test_log("neither IPI nor TIME.SET_PERIODIC: %s as the third argument is not shown",
			 a[2]);
	}
}

void binding_arg_registers(const struct binding_names *n, const struct binding_arg_reqs *q)
{
	const char *const *a = n->arg;
	uint64_t v[6];
	char what[96];

	/* the first: the EID of PROBE_EXTENSION; poison in every other one */
	for (unsigned i = 0; i < 6; i++)
		v[i] = 0xDEAD0000DEAD0000ull + i;
	v[0] = HCABI_EID_BASE;
	{
		struct hcabi_ret r = hcabi_raw_call(HCABI_FID_BASE_PROBE_EXTENSION, v, false);
		check_true(r.status == HCABI_SUCCESS &&
			       r.value == hcabi_ext_version(HCABI_EID_BASE),
			   q->ignored,
			   "PROBE_EXTENSION(BASE) with %s..%s poisoned: status %lld value 0x%llx",
			   a[1], a[5], (long long)r.status, (unsigned long long)r.value);
	}
	v[0] = 1ull << 16;
	v[1] = HCABI_EID_BASE;
	{
		struct hcabi_ret r = hcabi_raw_call(HCABI_FID_BASE_PROBE_EXTENSION, v, false);
		check_eq_u64((uint64_t)r.status, (uint64_t)(int64_t)HCABI_ERR_INVALID_PARAM,
			     q->order, "PROBE_EXTENSION: the EID is %s (invalid), not %s (valid)",
			     a[0], a[1]);
	}

	/* functions ignore the argument registers past their count */
	for (size_t i = 0; i < hcabi_num_fns; i++) {
		const struct hcabi_fn *fn = &hcabi_fns[i];
		struct hcabi_ret r1, r2;
		if (!hcabi_call_clean_and_dirty(fn, &r1, &r2))
			continue;
		check_true(r1.status == r2.status && r1.value == r2.value, q->ignored,
			   "%s.%s: %c%u..%s zero, then poisoned: status %lld/%lld value "
			   "0x%llx/0x%llx",
			   fn->ext, fn->name, a[0][0], n->arg0 + fn->argc, a[5],
			   (long long)r1.status, (long long)r2.status, (unsigned long long)r1.value,
			   (unsigned long long)r2.value);
	}

	/* the second: CONSOLE.WRITE's length */
	if (hcabi_has_ext(HCABI_EID_CONSOLE)) {
		static char line[96];
		size_t len = (size_t)hcabi_snprintf(
		    line, sizeof(line), "%s argument registers: CONSOLE.WRITE, length in %s\n",
		    n->arch, a[1]);
		uint64_t w[6] = {(uint64_t)(uintptr_t)line, len, 1, 2, 3, 4};
		hcabi_snprintf(what, sizeof(what), "CONSOLE.WRITE(line, length in %s)", a[1]);
		binding_check_exact(n, &q->result,
				    hcabi_raw_call(HCABI_FID_CONSOLE_WRITE, w, false),
				    HCABI_SUCCESS, len, what);
		check_true(true, q->order, "CONSOLE.WRITE took its length from %s", a[1]);
	}
	third_argument(n, q);
	/* the fourth: TLB.FLUSH's page count (0: every address, the misaligned
	 * gva ignored) */
	if (hcabi_has_ext(HCABI_EID_TLB)) {
		uint64_t t[6] = {0, 0, 0x1001, 0, 1, 1};
		hcabi_snprintf(what, sizeof(what),
			       "TLB.FLUSH(mask 0, gva 0x1001, npages 0 in %s; 1 in %s, %s)", a[3],
			       a[4], a[5]);
		binding_check_exact(n, &q->result, hcabi_raw_call(HCABI_FID_TLB_FLUSH, t, false),
				    HCABI_SUCCESS, 0, what);
		t[3] = 1;
		t[4] = t[5] = 0;
		struct hcabi_ret r = hcabi_raw_call(HCABI_FID_TLB_FLUSH, t, false);
		check_eq_u64((uint64_t)r.status, (uint64_t)(int64_t)HCABI_ERR_INVALID_PARAM,
			     q->order, "TLB.FLUSH(mask 0, gva 0x1001, npages 1 in %s)", a[3]);
	} else {
		test_log("TLB not provided: %s as the fourth argument is not shown", a[3]);
	}
}

/* The function id, which the implementation does not provide (why):
 * NOT_SUPPORTED under req, the value 0 under req_zero. */
static void unknown_call(const struct binding_names *n, const char *req_zero, uint32_t id,
			 const char *req, const char *why)
{
	uint64_t p[6] = {0xFFFFFFFFFFFFFFFFull, 0xDEADBEEF, 1, 2, 3, 4};
	struct hcabi_ret r = hcabi_raw_call(id, p, false);

	check_eq_u64((uint64_t)r.status, (uint64_t)(int64_t)HCABI_ERR_NOT_SUPPORTED, req,
		     "%s=0x%08x (%s): %s", n->id, id, why, n->status);
	check_eq_u64(r.value, 0, req_zero, "%s=0x%08x: %s with the error status", n->id, id,
		     n->value);
}

void binding_result_registers(const struct binding_names *n, const struct binding_unknown_reqs *q)
{
	uint64_t a[6] = {1ull << 16, 0, 0, 0, 0, 0};
	struct hcabi_ret r = hcabi_raw_call(HCABI_FID_BASE_PROBE_EXTENSION, a, false);
	char what[96];

	check_eq_u64((uint64_t)r.status, 0xFFFFFFFFFFFFFFFDull, q->result.status,
		     "%s after an INVALID_PARAM call (sign-extended -3)", n->status);
	a[0] = 0;
	r = hcabi_raw_call(HCABI_FID_BASE_GET_SPEC_VERSION, a, false);
	hcabi_snprintf(what, sizeof(what), "GET_SPEC_VERSION: %s 0, %s the version", n->status,
		       n->value);
	binding_check_exact(n, &q->result, r, HCABI_SUCCESS, hcabi_disc.spec, what);
	a[0] = HCABI_FID_BASE_PROBE_FUNCTION;
	hcabi_snprintf(what, sizeof(what), "PROBE_FUNCTION(PROBE_FUNCTION): %s 0, %s 1", n->status,
		       n->value);
	binding_check_exact(n, &q->result, hcabi_raw_call(HCABI_FID_BASE_PROBE_FUNCTION, a, false),
			    HCABI_SUCCESS, 1, what);

	/* unknown functions through the binding's call ID: NOT_SUPPORTED
	 * (sign-extended -2), value 0 whatever the argument registers held */
	static const uint32_t eids[] = {0x7FFF, 0xBFFF, 0xFFFF};
	for (size_t i = 0; i < HCABI_ARRAY_SIZE(eids); i++) {
		struct hcabi_ret pr = hcabi_base_probe_extension(eids[i]);
		if (pr.status != HCABI_SUCCESS || pr.value != 0) {
			test_log("EID 0x%04x is provided (or its probe failed): not used", eids[i]);
			continue;
		}
		unknown_call(n, q->result.zero, HCABI_FUNCTION_ID(eids[i], 0x1234), q->unknown_ext,
			     "EID not provided");
	}
	unknown_call(n, q->result.zero, HCABI_FUNCTION_ID(HCABI_EID_BASE, 0xFFFF), q->unknown_fn,
		     "BASE has no FID 0xffff");
}
