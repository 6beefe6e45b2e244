/* SPDX-License-Identifier: MIT */
/*
 * smp.c - tasks on secondary vCPUs through VCPU.START.
 *
 * hcabi_smp_start() starts the target through the architecture
 * (hcabi_arch_vcpu_start: the binding's boot state, on the target's own
 * stack, sharing vCPU 0's address space and tables). The target sets itself
 * up (hcabi__cpu_init), runs the task, and stops itself with VCPU.STOP,
 * which also cancels its timer: every task starts from a freshly started
 * vCPU, and no state (pending kick, armed timer) leaks from one task into
 * the next.
 */
#include "hcabi_guest.h"
#include "hcabi_internal.h"

unsigned hcabi_smp_count(void)
{
	static unsigned count;
	if (!count) {
		struct hcabi_ret r = {HCABI_ERR_NOT_SUPPORTED, 0};
		if (hcabi_has_ext(HCABI_EID_VCPU))
			r = hcabi_vcpu_get_count();
		count = (r.status == HCABI_SUCCESS && r.value >= 1) ? (unsigned)r.value : 1;
		if (count > HCABI_MAX_CPUS)
			count = HCABI_MAX_CPUS;
	}
	return count;
}

int64_t hcabi_smp_start(unsigned cpu, void (*fn)(void *), void *arg)
{
	struct hcabi_cpu *c;
	int64_t st;

	if (!hcabi_has_ext(HCABI_EID_VCPU))
		return HCABI_ERR_NOT_SUPPORTED;
	if (cpu == 0 || cpu >= HCABI_MAX_CPUS || cpu >= hcabi_smp_count())
		return HCABI_ERR_INVALID_PARAM;
	c = &hcabi__cpus[cpu];
	if (hcabi_atomic_load(&c->task_state) != HCABI__TASK_IDLE)
		return HCABI_ERR_ALREADY_STARTED;
	c = hcabi__task_prepare(cpu, fn, arg);
	hcabi_mb();
	st = hcabi_arch_vcpu_start(cpu, c);
	if (st != HCABI_SUCCESS)
		hcabi_atomic_store(&c->task_state, HCABI__TASK_IDLE);
	return st;
}

struct hcabi_cpu *hcabi__task_prepare(unsigned cpu, void (*fn)(void *), void *arg)
{
	struct hcabi_cpu *c = hcabi__cpu_prepare(cpu);

	c->task_fn = fn;
	c->task_arg = arg;
	hcabi_atomic_store(&c->task_state, HCABI__TASK_STARTING);
	return c;
}

bool hcabi__task_wait_done(unsigned cpu, uint64_t timeout_ns)
{
	uint64_t start = hcabi_now_ns();

	if (cpu == 0 || cpu >= HCABI_MAX_CPUS)
		return false;
	while (hcabi_atomic_load(&hcabi__cpus[cpu].task_state) != HCABI__TASK_DONE) {
		if (hcabi_now_ns() - start > timeout_ns)
			return false;
		hcabi_pause();
	}
	hcabi_atomic_store(&hcabi__cpus[cpu].task_state, HCABI__TASK_IDLE);
	return true;
}

/* C entry of a started vCPU (the architecture's hcabi__ap_entry). */
void hcabi__ap_main(struct hcabi_cpu *c)
{
	struct hcabi_jmpbuf jb;

	hcabi__cpu_init(c);
	hcabi_atomic_store(&c->task_state, HCABI__TASK_RUNNING);
	c->abort_ctx = &jb;
	if (hcabi_setjmp(&jb) == 0)
		c->task_fn(c->task_arg);
	else
		c->task_error = true;
	hcabi_irq_disable();
	c = hcabi_this_cpu();
	c->abort_ctx = 0;
	hcabi_atomic_store(&c->task_state, HCABI__TASK_DONE);
	if (hcabi_disc.present) { /* else started without HCABI (arm64's self-test: PSCI) */
		hcabi_vcpu_stop();
		/* STOP returned: DENIED (vCPU 0 stopped?) or broken */
		hcabi_printf("vCPU %u: VCPU.STOP returned", hcabi_cpu_index());
	}
	hcabi_arch_halt();
}

bool hcabi_smp_wait(unsigned cpu, uint64_t timeout_ns)
{
	struct hcabi_cpu *c;
	uint64_t start, now;

	if (cpu == 0 || cpu >= HCABI_MAX_CPUS)
		return false;
	c = &hcabi__cpus[cpu];
	if (hcabi_atomic_load(&c->task_state) == HCABI__TASK_IDLE)
		return true;
	start = hcabi_now_ns();
	for (;;) {
		if (hcabi_atomic_load(&c->task_state) == HCABI__TASK_DONE) {
			struct hcabi_ret r = hcabi_vcpu_get_status(cpu);
			if (r.status == HCABI_SUCCESS && r.value == HCABI_VCPU_STATUS_STOPPED) {
				hcabi_atomic_store(&c->task_state, HCABI__TASK_IDLE);
				return true;
			}
		}
		now = hcabi_now_ns();
		if (now - start > timeout_ns)
			return false;
		for (int i = 0; i < 200; i++)
			hcabi_pause();
	}
}

bool hcabi_smp_task_failed(unsigned cpu)
{
	return cpu < HCABI_MAX_CPUS && hcabi__cpus[cpu].task_error;
}
