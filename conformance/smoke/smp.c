/* SPDX-License-Identifier: MIT */
/*
 * smp.c - hcabi-smoke-smp.elf (2 vCPUs): secondary vCPU bring-up and
 * interrupt delivery end to end.
 *
 * vCPU 0 starts vCPU 1 through VCPU.START (the runtime's hcabi_smp_start: vCPU 1
 * loads its TSS and the shared IDT and enables its LAPIC), sends it an
 * IPI.SEND interrupt, and vCPU 1 then arms TIME.SET_TIMER on itself and
 * waits for that interrupt. Both are reported; vCPU 0 exits with 0 (VMM
 * exit status 1) only if both arrived on vCPU 1 and nothing arrived on
 * vCPU 0. Failures (isa-debug-exit value -> exit status):
 *
 *   2  no HCABI signature                           -> 5
 *   3  VCPU, IPI or TIME not advertised             -> 7
 *   4  fewer than 2 vCPUs                           -> 9
 *   5  VCPU.START failed                            -> 11
 *   6  vCPU 1 never came up                         -> 13
 *   7  IPI.SEND failed                              -> 15
 *   8  the IPI did not arrive on vCPU 1             -> 17
 *   9  the timer did not fire on vCPU 1             -> 19
 *  10  an interrupt went to vCPU 0                  -> 21
 *  11  vCPU 1 did not finish / stop                 -> 23
 */
#include "hcabi_guest.h"

#define IPI_VECTOR 0x41u
#define TIMER_VECTOR 0x42u
#define WAIT HCABI_SEC(10)

enum {
	SMP_OK = 0,
	SMP_NO_SIGNATURE = 2,
	SMP_NO_EXTENSION = 3,
	SMP_ONE_VCPU = 4,
	SMP_START = 5,
	SMP_NOT_UP = 6,
	SMP_IPI_SEND = 7,
	SMP_NO_IPI = 8,
	SMP_NO_TIMER = 9,
	SMP_WRONG_VCPU = 10,
	SMP_NO_STOP = 11,
};

static volatile uint64_t ready, ipis, timers, timer_status = 1;
static volatile uint64_t timer_at, timer_deadline;

static HCABI_NORETURN void finish(uint8_t code, const char *what)
{
	hcabi_printf("hcabi-smoke-smp: %s: %s (isa-debug-exit %u)", code ? "FAIL" : "PASS", what,
		     code);
	hcabi_exit(code);
}

static void on_ipi(struct hcabi_frame *f, unsigned v)
{
	(void)f;
	(void)v;
	if (hcabi_cpu_index() == 1)
		hcabi_atomic_add(&ipis, 1);
}

static void on_timer(struct hcabi_frame *f, unsigned v)
{
	(void)f;
	(void)v;
	if (hcabi_cpu_index() == 1) {
		timer_at = hcabi_now_ns();
		hcabi_atomic_add(&timers, 1);
	}
}

static bool wait_until(volatile uint64_t *p, uint64_t want)
{
	uint64_t start = hcabi_now_ns();
	while (hcabi_atomic_load(p) < want) {
		if (hcabi_now_ns() - start > WAIT)
			return false;
		for (int i = 0; i < 100; i++)
			hcabi_pause();
	}
	return true;
}

/* vCPU 1 */
static void secondary(void *arg)
{
	struct hcabi_ret id = hcabi_vcpu_get_id();
	(void)arg;
	hcabi_printf("hcabi-smoke-smp: vCPU 1 up (VCPU.GET_ID status=%lld value=%llu)",
		     (long long)id.status, (unsigned long long)id.value);
	hcabi_irq_enable();
	hcabi_atomic_store(&ready, 1);
	if (!wait_until(&ipis, 1))
		return;
	timer_deadline = hcabi_now_ns() + HCABI_MS(10);
	timer_status = (uint64_t)hcabi_time_set_timer(timer_deadline, TIMER_VECTOR).status;
	if (timer_status == HCABI_SUCCESS)
		wait_until(&timers, 1);
	hcabi_irq_disable();
}

void hcabi_main(void)
{
	struct hcabi_ret r;
	int64_t st;

	hcabi_printf("hcabi-smoke-smp: starting");
	hcabi_hello("smoke-smp");
	hcabi_run_discovery();
	if (!hcabi_disc.present)
		finish(SMP_NO_SIGNATURE, "no HCABI signature in CPUID 0x40000000-0x4000FF00");
	if (!hcabi_has_ext(HCABI_EID_VCPU) || !hcabi_has_ext(HCABI_EID_IPI) ||
	    !hcabi_has_ext(HCABI_EID_TIME))
		finish(SMP_NO_EXTENSION, "VCPU, IPI and TIME are needed");
	if (hcabi_smp_count() < 2)
		finish(SMP_ONE_VCPU, "the VM has fewer than 2 vCPUs");

	hcabi_irq_register(IPI_VECTOR, on_ipi);
	hcabi_irq_register(TIMER_VECTOR, on_timer);
	hcabi_irq_enable();

	st = hcabi_smp_start(1, secondary, 0);
	hcabi_printf("hcabi-smoke-smp: VCPU.START(1) status=%lld", (long long)st);
	if (st != HCABI_SUCCESS)
		finish(SMP_START, "VCPU.START");
	if (!wait_until(&ready, 1))
		finish(SMP_NOT_UP, "vCPU 1 did not reach its task within 10 s");

	r = hcabi_ipi_send(1u << 1, 0, IPI_VECTOR);
	hcabi_printf("hcabi-smoke-smp: IPI.SEND(mask=0x2, vector=0x%x) status=%lld", IPI_VECTOR,
		     (long long)r.status);
	if (r.status != HCABI_SUCCESS)
		finish(SMP_IPI_SEND, "IPI.SEND");

	if (!hcabi_smp_wait(1, HCABI_SEC(30)))
		finish(SMP_NO_STOP, "vCPU 1 did not finish and stop within 30 s");
	hcabi_irq_disable();
	hcabi_printf(
	    "hcabi-smoke-smp: vCPU 1 saw %llu IPI(s) and %llu timer interrupt(s) "
	    "(SET_TIMER status=%lld, fired %lld ns after its deadline); vCPU 0 saw %llu and %llu",
	    (unsigned long long)ipis, (unsigned long long)timers, (long long)timer_status,
	    (long long)(timer_at - timer_deadline),
	    (unsigned long long)hcabi_irq_count(0, IPI_VECTOR),
	    (unsigned long long)hcabi_irq_count(0, TIMER_VECTOR));
	if (ipis != 1)
		finish(SMP_NO_IPI, "the IPI did not arrive exactly once on vCPU 1");
	if (timers != 1)
		finish(SMP_NO_TIMER, "the timer did not fire exactly once on vCPU 1");
	if (hcabi_irq_count(0, IPI_VECTOR) || hcabi_irq_count(0, TIMER_VECTOR))
		finish(SMP_WRONG_VCPU, "an interrupt was delivered to vCPU 0");
	finish(SMP_OK, "vCPU 1 received the IPI and its timer");
}
