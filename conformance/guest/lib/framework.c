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

static struct {
	unsigned pass, fail, skip, error;
} totals;

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
		hcabi__test_error("cannot run a task on vCPU %u here (no VCPU or no such vCPU): suite bug",
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
		hcabi__test_error("cannot run a task on vCPU %u: it still runs the last one", cpu);
		return false;
	}
	status = hcabi_smp_start(cpu, fn, arg);
	if (status == HCABI_SUCCESS) {
		hcabi__show_pass_once(HCABI__SHOWN_VCPU_START, HCABI_REQ_VCPU_START,
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
		hcabi__show_pass_once(HCABI__SHOWN_VCPU_STOP, HCABI_REQ_VCPU_STOP,
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
		hcabi__test_error("vCPU %u did not finish its part of the test within %llu ms", cpu,
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

void test_expect_end(const char *event, const char *const end_reqs[], uint64_t code,
		     const char *code_req)
{
	char reqs[128];
	size_t n = 0;

	reqs[0] = 0;
	for (size_t i = 0; end_reqs && end_reqs[i] && n < sizeof(reqs); i++)
		n += (size_t)hcabi_snprintf(reqs + n, sizeof(reqs) - n, "%s%s", i ? "," : "",
					    end_reqs[i]);
	if (n >= sizeof(reqs)) { /* the suite's own mistake: nothing to judge by */
		test_error("test_expect_end: the requirement list is longer than %u bytes",
			   (unsigned)sizeof(reqs) - 1);
		return;
	}
	if (code_req)
		hcabi_proto("expect event=%s%s%s code=0x%llx code_req=%s", event, n ? " req=" : "",
			    reqs, (unsigned long long)code, code_req);
	else
		hcabi_proto("expect event=%s%s%s", event, n ? " req=" : "", reqs);
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
				hcabi__test_error("vCPU %u still runs its task 10 s after the test ended",
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
	for (unsigned v = HCABI_IRQ_FIRST; v < HCABI_IRQ_VECTORS; v++)
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
	char msg[HCABI__REASON_MAX + 40];

	hcabi_proto("test-begin name=%s reqs=%s", t->name, t->reqs);
	memset(&hcabi__rec.reason, 0, sizeof(hcabi__rec.reason));
	memset(&hcabi__rec.needs, 0, sizeof(hcabi__rec.needs));
	hcabi__rec.checks = hcabi__rec.fails = 0;
	hcabi__rec.skipped = hcabi__rec.errored = false;
	hcabi_barrier();
	hcabi__rec.cur = t;

	if (eid >= 0 && !hcabi_has_ext((uint32_t)eid)) {
		hcabi__note_need(t->name, (size_t)(dot - t->name));
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
	hcabi__rec.cur = 0;
	drain_interrupts();
	if (hcabi__rec.errored) {
		verdict = "error";
		totals.error++;
		hcabi_snprintf(msg, sizeof(msg), "%s", hcabi__rec.reason);
	} else if (hcabi__rec.fails) {
		verdict = "fail";
		totals.fail++;
		hcabi_snprintf(msg, sizeof(msg), "%u of %u checks failed", hcabi__rec.fails, hcabi__rec.checks);
	} else if (hcabi__rec.skipped) {
		verdict = "skip";
		totals.skip++;
		hcabi_snprintf(msg, sizeof(msg), "%s", hcabi__rec.reason);
	} else if (hcabi__rec.checks == 0) {
		verdict = "error";
		totals.error++;
		hcabi_snprintf(msg, sizeof(msg), "the test made no check");
	} else {
		verdict = "pass";
		totals.pass++;
		hcabi_snprintf(msg, sizeof(msg), "%u checks passed", hcabi__rec.checks);
	}
	if (!strcmp(verdict, "skip") && hcabi__rec.needs[0])
		hcabi_proto("test-end name=%s verdict=skip needs=%s msg=%s", t->name, hcabi__rec.needs, msg);
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
				     "(no interrupt controller made it: hcabi_arch.h; not counted, "
				     "not passed to handlers)",
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
	hcabi_run_discovery();
	if (!hcabi_disc.present) {
		hcabi_printf("no HCABI signature (the binding's discovery): no test runs");
		hcabi_test_suite_end();
	}
	if (hcabi_smp_count() < hcabi_image.vcpus)
		hcabi_printf("note: the VM has %u vCPU(s), this image wants %u: tests that need "
			     "more skip",
			     hcabi_smp_count(), hcabi_image.vcpus);
	hcabi_test_run_all();
	hcabi_test_suite_end();
}
