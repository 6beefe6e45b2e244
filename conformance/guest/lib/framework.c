/* SPDX-License-Identifier: MIT */
/*
 * framework.c - the test runner of a conformance image.
 *
 *   hello -> discovery -> for each linked test: test-begin, checks,
 *   test-end -> suite-end -> exit
 *
 * (docs/internals.md, "The serial result protocol"). Without HCABI the
 * image runs no test and makes no hypercall: it reports present=0 and ends.
 * A test runs only if the implementation's exposed version has it; a test
 * of an extension the implementation does not advertise is skipped.
 *
 * A test runs on vCPU 0 with interrupts disabled, inside an abort context:
 * an unexpected exception ends the test as an error and the image goes on
 * with the next test. After each test the runner cleans up what a test may
 * leave behind: interrupt handlers, an armed timer, started vCPUs, pending
 * interrupts.
 */
#include "hcabi_test.h"
#include "hcabi_internal.h"

extern const struct hcabi_test __hcabi_tests_start[], __hcabi_tests_end[];

#define REASON_MAX 240
#define NEEDS_MAX 120

static struct {
	struct hcabi_spinlock lock;
	const struct hcabi_test *cur;
	unsigned checks, fails;
	bool skipped, errored;
	char reason[REASON_MAX];
	char needs[NEEDS_MAX]; /* extensions it needed and found not advertised */
} st;

static struct {
	unsigned pass, fail, skip, error;
} totals;

/* ---- recording ---- */

static void set_reason(const char *fmt, va_list ap)
{
	hcabi_vsnprintf(st.reason, sizeof(st.reason), fmt, ap);
}

static void error_str(const char *fmt, ...) HCABI_PRINTF(1, 2);

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
	uint64_t f = hcabi_spin_lock_irqsave(&st.lock);
	cur = st.cur;
	if (cur) {
		st.checks++;
		if (!ok)
			st.fails++;
	}
	hcabi_spin_unlock_irqrestore(&st.lock, f);
	uncited = cur && named && !reqs_cite(cur->reqs, req);
	hcabi_proto("check result=%s req=%s msg=%s", ok ? "pass" : "fail",
		    named && !uncited ? req : "-", text);
	if (uncited)
		error_str("check names %s, which the test does not cite (suite bug)", req);
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
enum { SHOWN_RDX_ZERO = 1u << 0, SHOWN_VCPU_START = 1u << 1, SHOWN_VCPU_STOP = 1u << 2 };
static struct {
	const struct hcabi_test *test;
	unsigned mask;
} shown;

static void show_pass_once(unsigned bit, const char *req, const char *text)
{
	bool first;
	uint64_t f = hcabi_spin_lock_irqsave(&st.lock);
	if (shown.test != st.cur) {
		shown.test = st.cur;
		shown.mask = 0;
	}
	first = st.cur && !(shown.mask & bit);
	shown.mask |= bit;
	hcabi_spin_unlock_irqrestore(&st.lock, f);
	if (first)
		record_check(true, req, text);
}

/* X86-005: every error status comes with RDX = 0; a violation is its own
 * failed check, so the failure names the right rule. */
static void check_rdx_zero(struct hcabi_ret r, const char *what)
{
	char text[320];

	if (r.status == HCABI_SUCCESS)
		return;
	if (r.value != 0) {
		hcabi_snprintf(text, sizeof(text),
			       "%s: RDX=0x%llx with error status %lld (must be 0)", what,
			       (unsigned long long)r.value, (long long)r.status);
		record_check(false, HCABI_REQ_RDX_ZERO, text);
	} else {
		hcabi_snprintf(text, sizeof(text),
			       "%s: RDX=0 with error status %lld (first error of the test; later "
			       "ones are reported only if RDX is not 0)",
			       what, (long long)r.status);
		show_pass_once(SHOWN_RDX_ZERO, HCABI_REQ_RDX_ZERO, text);
	}
}

bool check_status(struct hcabi_ret r, int64_t status, const char *req, const char *fmt, ...)
{
	char what[240], suffix[120];
	bool ok = r.status == status;
	va_list ap;

	va_start(ap, fmt);
	hcabi_vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	describe_ret(suffix, sizeof(suffix), r);
	if (ok)
		check_true(true, req, "%s: %s", what, suffix);
	else
		check_true(false, req, "%s: got %s, want status=%lld(%s)", what, suffix,
			   (long long)status, hcabi_status_name(status));
	check_rdx_zero(r, what);
	return ok;
}

bool check_ret(struct hcabi_ret r, int64_t status, uint64_t value, const char *req, const char *fmt,
	       ...)
{
	char what[240], suffix[120];
	bool ok = r.status == status && r.value == value;
	va_list ap;

	va_start(ap, fmt);
	hcabi_vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	describe_ret(suffix, sizeof(suffix), r);
	if (ok)
		check_true(true, req, "%s: %s", what, suffix);
	else
		check_true(false, req, "%s: got %s, want status=%lld(%s) value=0x%llx", what,
			   suffix, (long long)status, hcabi_status_name(status),
			   (unsigned long long)value);
	check_rdx_zero(r, what);
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
	check_rdx_zero(r, what);
	return ok;
}

void test_skip(const char *fmt, ...)
{
	va_list ap;
	uint64_t f = hcabi_spin_lock_irqsave(&st.lock);
	if (!st.skipped && !st.errored) {
		va_start(ap, fmt);
		set_reason(fmt, ap);
		va_end(ap);
	}
	st.skipped = true;
	hcabi_spin_unlock_irqrestore(&st.lock, f);
}

static void vtest_error(const char *fmt, va_list ap)
{
	char text[REASON_MAX];
	uint64_t f;

	hcabi_vsnprintf(text, sizeof(text), fmt, ap);
	hcabi_printf("ERROR: %s", text);
	f = hcabi_spin_lock_irqsave(&st.lock);
	if (!st.errored)
		memcpy(st.reason, text, sizeof(text));
	st.errored = true;
	hcabi_spin_unlock_irqrestore(&st.lock, f);
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

bool test_failed(void)
{
	return st.fails != 0;
}

static void error_str(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vtest_error(fmt, ap);
	va_end(ap);
}

/* traps.c hooks */
void hcabi__on_unexpected_exception(const char *msg)
{
	if (st.cur)
		error_str("%s", msg);
	else
		hcabi_printf("%s (outside a test)", msg);
}

void hcabi__on_unexpected_irq(unsigned cpu, unsigned vector)
{
	if (st.cur)
		check_true(false, "-",
			   "unexpected interrupt: vector %u on vCPU %u, which nothing asked for",
			   vector, cpu);
	else
		hcabi_printf("unexpected interrupt vector %u on vCPU %u between tests", vector,
			     cpu);
}

/* ---- helpers ---- */

/* Remember that the test needed extension `name` (len chars), which is not
 * advertised: test-end says `needs=NAME,...` when the test skips, so the
 * runner can tell an acceptable skip from one that hides a missing
 * required extension. */
static void note_need(const char *name, size_t len)
{
	size_t used = strlen(st.needs);
	for (const char *p = st.needs; *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == len && !strncmp(p, name, len))
			return;
		p += n + (end ? 1 : 0);
	}
	if (used + len + 2 > sizeof(st.needs))
		return;
	if (used)
		st.needs[used++] = ',';
	memcpy(st.needs + used, name, len);
	st.needs[used + len] = 0;
}

bool test_require_ext(uint32_t eid)
{
	if (hcabi_has_ext(eid))
		return true;
	const char *name = hcabi_ext_name(eid);
	if (name) { /* an EID the registry does not name cannot be listed */
		uint64_t f = hcabi_spin_lock_irqsave(&st.lock);
		note_need(name, strlen(name));
		hcabi_spin_unlock_irqrestore(&st.lock, f);
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

/* What the hypervisor did wrong is a failed check naming the requirement it
 * broke (HCABI_REQ_VCPU_START, HCABI_REQ_VCPU_STOP, HCABI_REQ_NO_EFFECT,
 * which every caller cites: HCABI_IMPLIED_test_start_on_cpu); only what no
 * requirement covers (no VCPU, too few vCPUs, a task still running, a task
 * that hangs) is an error of the test. */
bool test_start_on_cpu(unsigned cpu, void (*fn)(void *), void *arg)
{
	int64_t status;
	int state;
	struct hcabi_ret r;

	if (!hcabi_has_ext(HCABI_EID_VCPU) || cpu == 0 || cpu >= HCABI_MAX_CPUS ||
	    cpu >= hcabi_smp_count()) {
		error_str("cannot run a task on vCPU %u here (no VCPU or no such vCPU): suite bug",
			  cpu);
		return false;
	}
	state = hcabi_atomic_load(&hcabi__cpus[cpu].task_state);
	if (state == HCABI__TASK_DONE) {
		/* its last task returned and called STOP; the runtime waited */
		check_true(false, HCABI_REQ_VCPU_STOP,
			   "vCPU %u called VCPU.STOP after its last task, and GET_STATUS still "
			   "does not report it STOPPED",
			   cpu);
		return false;
	}
	if (state != HCABI__TASK_IDLE) {
		error_str("cannot run a task on vCPU %u: it still runs the last one", cpu);
		return false;
	}
	status = hcabi_smp_start(cpu, fn, arg);
	if (status == HCABI_SUCCESS) {
		show_pass_once(SHOWN_VCPU_START, HCABI_REQ_VCPU_START,
			       "VCPU.START of a stopped vCPU with a valid boot state, to run the "
			       "test's task: SUCCESS (first start of the test)");
		return true;
	}
	check_true(false, HCABI_REQ_VCPU_START,
		   "VCPU.START(%u) of a stopped vCPU with a valid boot state, to run the test's "
		   "task: status %lld(%s), want SUCCESS",
		   cpu, (long long)status, hcabi_status_name(status));
	/* A START that failed and yet started the vCPU breaks STATUS-004 too;
	 * the vCPU then runs the task, so the test goes on and waits for it
	 * (else the task would outlive the test). */
	r = hcabi_vcpu_get_status(cpu);
	if (r.status == HCABI_SUCCESS && r.value != HCABI_VCPU_STATUS_STOPPED) {
		int idle = HCABI__TASK_IDLE;
		check_true(false, HCABI_REQ_NO_EFFECT,
			   "VCPU.START(%u) returned %s, yet GET_STATUS says the vCPU runs "
			   "(status %llu): the failed call had an effect",
			   cpu, hcabi_status_name(status), (unsigned long long)r.value);
		(void)hcabi_atomic_cas(&hcabi__cpus[cpu].task_state, &idle, HCABI__TASK_STARTING);
		return true;
	}
	return false;
}

bool test_wait_cpu(unsigned cpu, uint64_t timeout_ns)
{
	int state;

	if (hcabi_smp_wait(cpu, timeout_ns)) {
		show_pass_once(SHOWN_VCPU_STOP, HCABI_REQ_VCPU_STOP,
			       "a vCPU that ran the test's task and called VCPU.STOP is reported "
			       "STOPPED (first of the test)");
		return true;
	}
	state = hcabi_atomic_load(&hcabi__cpus[cpu].task_state);
	if (state == HCABI__TASK_STARTING)
		check_true(false, HCABI_REQ_VCPU_START,
			   "vCPU %u, started with SUCCESS, did not begin executing at the boot "
			   "state's rip within %llu ms",
			   cpu, (unsigned long long)(timeout_ns / 1000000));
	else if (state == HCABI__TASK_DONE)
		check_true(
		    false, HCABI_REQ_VCPU_STOP,
		    "vCPU %u called VCPU.STOP at the end of its task, but GET_STATUS did not "
		    "report it STOPPED within %llu ms",
		    cpu, (unsigned long long)(timeout_ns / 1000000));
	else
		error_str("vCPU %u did not finish its part of the test within %llu ms", cpu,
			  (unsigned long long)(timeout_ns / 1000000));
	return false;
}

bool test_run_on_cpu(unsigned cpu, void (*fn)(void *), void *arg)
{
	if (!test_start_on_cpu(cpu, fn, arg) || !test_wait_cpu(cpu, HCABI_SEC(30)))
		return false;
	if (hcabi_smp_task_failed(cpu))
		return false; /* the unexpected exception is already reported */
	return true;
}

bool wait_for_u64(volatile uint64_t *counter, uint64_t want, uint64_t timeout_ns)
{
	uint64_t start = hcabi_now_ns();
	for (;;) {
		if (hcabi_atomic_load(counter) >= want)
			return true;
		if (hcabi_now_ns() - start > timeout_ns)
			return hcabi_atomic_load(counter) >= want;
		for (int i = 0; i < 100; i++)
			hcabi_pause();
	}
}

void delay_ns(uint64_t ns)
{
	uint64_t start = hcabi_now_ns();
	while (hcabi_now_ns() - start < ns)
		for (int i = 0; i < 100; i++)
			hcabi_pause();
}

void test_expect_end(const char *event, int64_t code)
{
	if (code < 0)
		hcabi_proto("expect event=%s", event);
	else
		hcabi_proto("expect event=%s code=%lld", event, (long long)code);
}

/* ---- the runner ---- */

static bool test_before(const struct hcabi_test *a, const struct hcabi_test *b)
{
	int c = strcmp(a->file, b->file);
	return c < 0 || (c == 0 && a->line < b->line);
}

static void cleanup_after_test(void)
{
	struct hcabi_cpu *c = hcabi_this_cpu();

	hcabi_irq_disable();
	exception_end(0);
	c->user_ctx = 0;
	for (unsigned cpu = 1; cpu < HCABI_MAX_CPUS; cpu++) {
		if (hcabi_atomic_load(&hcabi__cpus[cpu].task_state) == HCABI__TASK_IDLE)
			continue;
		if (!hcabi_smp_wait(cpu, HCABI_SEC(10))) {
			/* A task that returned and called STOP is the hypervisor's to
			 * stop: test_wait_cpu/test_start_on_cpu fail VCPU-030 for it. */
			if (hcabi_atomic_load(&hcabi__cpus[cpu].task_state) == HCABI__TASK_DONE)
				hcabi_printf(
				    "vCPU %u called VCPU.STOP after its task, but GET_STATUS "
				    "does not report it STOPPED",
				    cpu);
			else
				error_str("vCPU %u still runs its task 10 s after the test ended",
					  cpu);
		} else if (hcabi_smp_task_failed(cpu))
			hcabi_printf("vCPU %u: its task ended by an unexpected exception", cpu);
	}
	if (hcabi_has_ext(HCABI_EID_TIME))
		hcabi_time_cancel_timer();
}

/* Let interrupts a test left pending arrive while no test runs. */
static void drain_interrupts(void)
{
	for (unsigned v = 32; v < 256; v++)
		hcabi_irq_unregister(v);
	hcabi_irq_enable();
	for (int i = 0; i < 1000; i++)
		hcabi_pause();
	hcabi_irq_disable();
}

static void run_test(const struct hcabi_test *t)
{
	const char *dot = strchr(t->name, '.');
	int64_t eid = dot ? hcabi_ext_eid(t->name, (size_t)(dot - t->name)) : -1;
	struct hcabi_jmpbuf jb;
	const char *verdict;
	char msg[REASON_MAX + 40];

	hcabi_proto("test-begin name=%s reqs=%s", t->name, t->reqs);
	memset(&st.reason, 0, sizeof(st.reason));
	memset(&st.needs, 0, sizeof(st.needs));
	st.checks = st.fails = 0;
	st.skipped = st.errored = false;
	hcabi_barrier();
	st.cur = t;

	if (eid >= 0 && !hcabi_has_ext((uint32_t)eid)) {
		note_need(t->name, (size_t)(dot - t->name));
		test_skip("extension %.*s not advertised", (int)(dot - t->name), t->name);
	} else {
		hcabi_irq_disable();
		hcabi_this_cpu()->abort_ctx = &jb;
		if (hcabi_setjmp(&jb) == 0)
			t->fn();
		hcabi_this_cpu()->abort_ctx = 0;
		cleanup_after_test();
	}

	hcabi_barrier();
	st.cur = 0;
	drain_interrupts();
	if (st.errored) {
		verdict = "error";
		totals.error++;
		hcabi_snprintf(msg, sizeof(msg), "%s", st.reason);
	} else if (st.fails) {
		verdict = "fail";
		totals.fail++;
		hcabi_snprintf(msg, sizeof(msg), "%u of %u checks failed", st.fails, st.checks);
	} else if (st.skipped) {
		verdict = "skip";
		totals.skip++;
		hcabi_snprintf(msg, sizeof(msg), "%s", st.reason);
	} else if (st.checks == 0) {
		verdict = "error";
		totals.error++;
		hcabi_snprintf(msg, sizeof(msg), "the test made no check");
	} else {
		verdict = "pass";
		totals.pass++;
		hcabi_snprintf(msg, sizeof(msg), "%u checks passed", st.checks);
	}
	if (!strcmp(verdict, "skip") && st.needs[0])
		hcabi_proto("test-end name=%s verdict=skip needs=%s msg=%s", t->name, st.needs, msg);
	else
		hcabi_proto("test-end name=%s verdict=%s msg=%s", t->name, verdict, msg);
}

void hcabi_test_run_all(void)
{
	const struct hcabi_test *begin = __hcabi_tests_start, *end = __hcabi_tests_end;
	static const struct hcabi_test *order[512];
	uint32_t version = hcabi_spec();
	size_t n = 0;

	if (hcabi_disc.present && HCABI_VERSION_MAJOR(version) == 0) {
		/* No usable version: run what this suite knows, so that the BASE
		 * tests report exactly what is wrong. */
		hcabi_printf("no usable spec version (GET_SPEC_VERSION status %lld value 0x%x): "
			     "selecting the tests of HCABI %u.%u",
			     (long long)hcabi_disc.spec_status, version,
			     HCABI_VERSION_MAJOR(HCABI_VERSION_NEWEST),
			     HCABI_VERSION_MINOR(HCABI_VERSION_NEWEST));
		version = HCABI_VERSION_NEWEST;
	}

	/* file and line order, whatever order the linker chose */
	for (const struct hcabi_test *t = begin; t < end && n < HCABI_ARRAY_SIZE(order); t++) {
		size_t i = n++;
		while (i > 0 && test_before(t, order[i - 1])) {
			order[i] = order[i - 1];
			i--;
		}
		order[i] = t;
	}
	for (size_t i = 0; i < n; i++) {
		if (order[i]->since > version) {
			hcabi_printf(
			    "%s: needs HCABI %u.%u, the implementation exposes %u.%u: not run",
			    order[i]->name, HCABI_VERSION_MAJOR(order[i]->since),
			    HCABI_VERSION_MINOR(order[i]->since), HCABI_VERSION_MAJOR(version),
			    HCABI_VERSION_MINOR(version));
			continue;
		}
		run_test(order[i]);
	}
}

HCABI_NORETURN void hcabi_test_suite_end(void)
{
	for (unsigned cpu = 0; cpu < HCABI_MAX_CPUS; cpu++)
		if (hcabi_irq_replays(cpu))
			hcabi_printf("note: vCPU %u took %llu platform replay(s) of an interrupt "
				     "(delivered into IF = 0 code; not passed to handlers)",
				     cpu, (unsigned long long)hcabi_irq_replays(cpu));
	hcabi_proto("suite-end pass=%u fail=%u skip=%u error=%u", totals.pass, totals.fail,
		    totals.skip, totals.error);
	hcabi_exit(HCABI_EXIT_OK);
}

__attribute__((weak)) void hcabi_main(void)
{
	unsigned count = (unsigned)(__hcabi_tests_end - __hcabi_tests_start);

	hcabi_printf("HCABI conformance image %s: %u test(s), wants %u vCPU(s) and %u MiB",
		     hcabi_image.name, count, hcabi_image.vcpus, hcabi_image.memory_mib);
	hcabi_hello(hcabi_image.name);
	hcabi_discover();
	if (!hcabi_disc.present) {
		hcabi_printf("no HCABI signature in CPUID 0x40000000-0x4000FF00: no test runs");
		hcabi_test_suite_end();
	}
	if (hcabi_smp_count() < hcabi_image.vcpus)
		hcabi_printf("note: the VM has %u vCPU(s), this image wants %u: tests that need "
			     "more skip",
			     hcabi_smp_count(), hcabi_image.vcpus);
	hcabi_test_run_all();
	hcabi_test_suite_end();
}
