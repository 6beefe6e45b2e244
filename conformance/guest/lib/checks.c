/* SPDX-License-Identifier: MIT */
/*
 * checks.c - what the running test records: its checks (each a protocol
 * line citing one requirement), skips, errors and the extensions it needed,
 * and the runtime's hooks for what nothing expected (traps.c). framework.c
 * runs the tests and turns the record into the verdict.
 */
#include "hcabi_test.h"
#include "hcabi_internal.h"

struct hcabi__test_record hcabi__rec;

static void set_reason(const char *fmt, va_list ap)
{
	hcabi_vsnprintf(hcabi__rec.reason, sizeof(hcabi__rec.reason), fmt, ap);
}

/* Whether the comma-separated list `reqs` holds `req` as a whole item. */
static bool reqs_cite(const char *reqs, const char *req)
{
	size_t n = strlen(req);
	for (const char *p = reqs; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && memcmp(p, req, n) == 0)
			return true;
		p = end ? end + 1 : 0;
	}
	return false;
}

/* A check credits or blames exactly the requirement it names, so that
 * requirement must be one the running test cites (its HCABI_TEST header,
 * which the runner and the tests manifest read). A check naming another is
 * a bug of the suite: it is shown with req=- and the test ends `error`;
 * scripts/hcabi_tests_manifest.py rejects the same mistake at build time. */
static bool record_check(bool ok, const char *req, const char *text)
{
	const struct hcabi_test *cur;
	bool named = req && *req && strcmp(req, "-") != 0;
	bool uncited;
	uint64_t f = hcabi_spin_lock_irqsave(&hcabi__rec.lock);
	cur = hcabi__rec.cur;
	if (cur) {
		hcabi__rec.checks++;
		if (!ok)
			hcabi__rec.fails++;
	}
	hcabi_spin_unlock_irqrestore(&hcabi__rec.lock, f);
	uncited = cur && named && !reqs_cite(cur->reqs, req);
	hcabi_proto("check result=%s req=%s msg=%s", ok ? "pass" : "fail",
		    named && !uncited ? req : "-", text);
	if (uncited)
		hcabi__test_error("check names %s, which the test does not cite (suite bug)", req);
	return ok;
}

static bool vcheck(bool ok, const char *req, const char *suffix, const char *fmt, va_list ap)
{
	char text[320];
	int n = hcabi_vsnprintf(text, sizeof(text), fmt, ap);
	if (suffix && n >= 0 && (size_t)n < sizeof(text))
		hcabi_snprintf(text + n, sizeof(text) - (size_t)n, "%s", suffix);
	return record_check(ok, req, text);
}

bool check_true(bool ok, const char *req, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ok = vcheck(ok, req, 0, fmt, ap);
	va_end(ap);
	return ok;
}

static void describe_ret(char *buf, size_t size, struct hcabi_ret r)
{
	hcabi_snprintf(buf, size, "status=%lld(%s) value=0x%llx", (long long)r.status,
		       hcabi_status_name(r.status), (unsigned long long)r.value);
}

/* The requirements helpers check on a test's behalf (HCABI_IMPLIED_* in
 * hcabi_test.h) are shown passing once per test, the first time they hold,
 * so that a test's passing checks name every requirement it cites and
 * exercised; a violation is reported every time, as its own check. */
static struct {
	const struct hcabi_test *test;
	unsigned mask;
} shown;

void hcabi__show_pass_once(unsigned bit, const char *req, const char *text)
{
	bool first;
	uint64_t f = hcabi_spin_lock_irqsave(&hcabi__rec.lock);
	if (shown.test != hcabi__rec.cur) {
		shown.test = hcabi__rec.cur;
		shown.mask = 0;
	}
	first = hcabi__rec.cur && !(shown.mask & bit);
	shown.mask |= bit;
	hcabi_spin_unlock_irqrestore(&hcabi__rec.lock, f);
	if (first)
		record_check(true, req, text);
}

/* HCABI_REQ_VALUE_ZERO (the binding's requirement, binding_reqs.h): every
 * error status comes with the value 0 (RDX, x1, a1); a violation is its own
 * failed check, so the failure names the right rule. */
static void check_value_zero(struct hcabi_ret r, const char *what)
{
	char text[320];

	if (r.status == HCABI_SUCCESS)
		return;
	if (r.value != 0) {
		hcabi_snprintf(text, sizeof(text),
			       "%s: value=0x%llx with error status %lld (must be 0)", what,
			       (unsigned long long)r.value, (long long)r.status);
		record_check(false, HCABI_REQ_VALUE_ZERO, text);
	} else {
		hcabi_snprintf(text, sizeof(text),
			       "%s: value=0 with error status %lld (first error of the test; later "
			       "ones are reported only if the value is not 0)",
			       what, (long long)r.status);
		hcabi__show_pass_once(HCABI__SHOWN_VALUE_ZERO, HCABI_REQ_VALUE_ZERO, text);
	}
}

/* A check of a call's result: "WHAT: status=...(...) value=0x..." when ok,
 * "WHAT: got status=... value=..., want WANT" when not; then the
 * binding's rule for the value (check_value_zero). */
static bool check_call(struct hcabi_ret r, bool ok, const char *want, const char *req,
		       const char *fmt, va_list ap)
{
	char what[240], suffix[120];

	hcabi_vsnprintf(what, sizeof(what), fmt, ap);
	describe_ret(suffix, sizeof(suffix), r);
	if (ok)
		check_true(true, req, "%s: %s", what, suffix);
	else
		check_true(false, req, "%s: got %s, want %s", what, suffix, want);
	check_value_zero(r, what);
	return ok;
}

bool check_status(struct hcabi_ret r, int64_t status, const char *req, const char *fmt, ...)
{
	char want[80];
	bool ok;
	va_list ap;

	hcabi_snprintf(want, sizeof(want), "status=%lld(%s)", (long long)status,
		       hcabi_status_name(status));
	va_start(ap, fmt);
	ok = check_call(r, r.status == status, want, req, fmt, ap);
	va_end(ap);
	return ok;
}

bool check_ret(struct hcabi_ret r, int64_t status, uint64_t value, const char *req, const char *fmt,
	       ...)
{
	char want[100];
	bool ok;
	va_list ap;

	hcabi_snprintf(want, sizeof(want), "status=%lld(%s) value=0x%llx", (long long)status,
		       hcabi_status_name(status), (unsigned long long)value);
	va_start(ap, fmt);
	ok = check_call(r, r.status == status && r.value == value, want, req, fmt, ap);
	va_end(ap);
	return ok;
}

bool check_eq_u64(uint64_t got, uint64_t want, const char *req, const char *fmt, ...)
{
	char suffix[80];
	bool ok = got == want;
	va_list ap;

	if (ok)
		hcabi_snprintf(suffix, sizeof(suffix), ": 0x%llx", (unsigned long long)got);
	else
		hcabi_snprintf(suffix, sizeof(suffix), ": got 0x%llx, want 0x%llx",
			       (unsigned long long)got, (unsigned long long)want);
	va_start(ap, fmt);
	ok = vcheck(ok, req, suffix, fmt, ap);
	va_end(ap);
	return ok;
}

bool check_ge_u64(uint64_t got, uint64_t min, const char *req, const char *fmt, ...)
{
	char suffix[80];
	bool ok = got >= min;
	va_list ap;

	if (ok)
		hcabi_snprintf(suffix, sizeof(suffix), ": 0x%llx >= 0x%llx",
			       (unsigned long long)got, (unsigned long long)min);
	else
		hcabi_snprintf(suffix, sizeof(suffix), ": got 0x%llx, want at least 0x%llx",
			       (unsigned long long)got, (unsigned long long)min);
	va_start(ap, fmt);
	ok = vcheck(ok, req, suffix, fmt, ap);
	va_end(ap);
	return ok;
}

bool check_status_allowed(struct hcabi_ret r, uint32_t mask, const char *req, const char *fmt, ...)
{
	char what[240], suffix[120];
	bool ok;
	va_list ap;

	mask |= 1u << 0;			/* SUCCESS */
	mask |= 1u << -HCABI_ERR_INVALID_PARAM; /* every function (X86-002) */
	ok = r.status <= 0 && r.status > -32 && (mask >> -r.status) & 1;
	va_start(ap, fmt);
	hcabi_vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	describe_ret(suffix, sizeof(suffix), r);
	check_true(ok, req, "%s: %s%s (allowed mask 0x%x)", what, suffix,
		   ok ? " is allowed" : " is not in the function's status table", mask);
	check_value_zero(r, what);
	return ok;
}

void test_skip(const char *fmt, ...)
{
	va_list ap;
	uint64_t f = hcabi_spin_lock_irqsave(&hcabi__rec.lock);
	if (!hcabi__rec.skipped && !hcabi__rec.errored) {
		va_start(ap, fmt);
		set_reason(fmt, ap);
		va_end(ap);
	}
	hcabi__rec.skipped = true;
	hcabi_spin_unlock_irqrestore(&hcabi__rec.lock, f);
}

static void vtest_error(const char *fmt, va_list ap)
{
	char text[HCABI__REASON_MAX];
	uint64_t f;

	hcabi_vsnprintf(text, sizeof(text), fmt, ap);
	hcabi_printf("ERROR: %s", text);
	f = hcabi_spin_lock_irqsave(&hcabi__rec.lock);
	if (!hcabi__rec.errored)
		memcpy(hcabi__rec.reason, text, sizeof(text));
	hcabi__rec.errored = true;
	hcabi_spin_unlock_irqrestore(&hcabi__rec.lock, f);
}

void test_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vtest_error(fmt, ap);
	va_end(ap);
}

void test_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	hcabi_vprintf(fmt, ap);
	va_end(ap);
}

void hcabi__test_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vtest_error(fmt, ap);
	va_end(ap);
}

/* traps.c hooks */
void hcabi__on_unexpected_exception(const char *msg)
{
	if (hcabi__rec.cur)
		hcabi__test_error("%s", msg);
	else
		hcabi_printf("%s (outside a test)", msg);
}

void hcabi__on_unexpected_irq(unsigned cpu, unsigned vector)
{
	if (hcabi__rec.cur)
		check_true(false, "-",
			   "unexpected interrupt: vector %u on vCPU %u, which nothing asked for",
			   vector, cpu);
	else
		hcabi_printf("unexpected interrupt vector %u on vCPU %u between tests", vector,
			     cpu);
}

/* Remember that the test needed extension `name` (len chars), which is not
 * advertised: test-end says `needs=NAME,...` when the test skips, so the
 * runner can tell an acceptable skip from one that hides a missing
 * required extension. */
void hcabi__note_need(const char *name, size_t len)
{
	size_t used = strlen(hcabi__rec.needs);
	for (const char *p = hcabi__rec.needs; *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == len && !strncmp(p, name, len))
			return;
		p += n + (end ? 1 : 0);
	}
	if (used + len + 2 > sizeof(hcabi__rec.needs))
		return;
	if (used)
		hcabi__rec.needs[used++] = ',';
	memcpy(hcabi__rec.needs + used, name, len);
	hcabi__rec.needs[used + len] = 0;
}

bool test_require_ext(uint32_t eid)
{
	if (hcabi_has_ext(eid))
		return true;
	const char *name = hcabi_ext_name(eid);
	if (name) { /* an EID the registry does not name cannot be listed */
		uint64_t f = hcabi_spin_lock_irqsave(&hcabi__rec.lock);
		hcabi__note_need(name, strlen(name));
		hcabi_spin_unlock_irqrestore(&hcabi__rec.lock, f);
	}
	test_skip("extension %s not advertised", name ? name : "?");
	return false;
}

bool test_require_cpus(unsigned n)
{
	if (!test_require_ext(HCABI_EID_VCPU))
		return false;
	if (hcabi_smp_count() < n) {
		test_skip("needs %u vCPUs, the VM has %u", n, hcabi_smp_count());
		return false;
	}
	return true;
}
