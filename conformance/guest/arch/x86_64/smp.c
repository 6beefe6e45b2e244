/* SPDX-License-Identifier: MIT */
/*
 * smp.c - secondary vCPUs through VCPU.START.
 *
 * smp_start() hands the target a struct hcabi_vcpu_boot_state that enters
 * hcabi__ap_entry in 64-bit mode on the target's own stack, with the shared
 * page tables, GDT and IDT and RDI = its struct hcabi_cpu. The target loads
 * its own TSS, enables x87/SSE/AVX and its LAPIC, runs the task, and stops
 * itself with VCPU.STOP, which also cancels its timer: every task starts
 * from a freshly started vCPU, and no state (pending kick, armed timer)
 * leaks from one task into the next.
 */
#include "hcabi_guest.h"
#include "hcabi_internal.h"

static struct hcabi_vcpu_boot_state boot_states[HCABI_MAX_CPUS] __attribute__((aligned(64)));

unsigned smp_count(void)
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

int64_t smp_start(unsigned cpu, void (*fn)(void *), void *arg)
{
	struct hcabi_cpu *c;
	struct hcabi_vcpu_boot_state *bs;
	struct hcabi_ret r;

	if (!hcabi_has_ext(HCABI_EID_VCPU))
		return HCABI_ERR_NOT_SUPPORTED;
	if (cpu == 0 || cpu >= HCABI_MAX_CPUS || cpu >= smp_count())
		return HCABI_ERR_INVALID_PARAM;
	c = &hcabi__cpus[cpu];
	if (hcabi_atomic_load(&c->task_state) != HCABI__TASK_IDLE)
		return HCABI_ERR_ALREADY_STARTED;
	c = hcabi__cpu_prepare(cpu);
	c->task_fn = fn;
	c->task_arg = arg;
	hcabi_atomic_store(&c->task_state, HCABI__TASK_STARTING);

	bs = &boot_states[cpu];
	memset(bs, 0, sizeof(*bs));
	bs->rip = (uint64_t)(uintptr_t)hcabi__ap_entry;
	bs->rsp = (uint64_t)(uintptr_t)c->stack_top;
	bs->cr3 = hcabi_read_cr3() & ~0xFFFull;
	bs->arg = (uint64_t)(uintptr_t)c;
	bs->gdtr_base = hcabi__gdt_base();
	bs->gdtr_limit = hcabi__gdt_limit();
	bs->idtr_base = hcabi__idt_base();
	bs->idtr_limit = hcabi__idt_limit();
	bs->cs = HCABI_SEL_KCODE;
	bs->ds = HCABI_SEL_KDATA;
	hcabi_mb();
	r = hcabi_vcpu_start(cpu, (uint64_t)(uintptr_t)bs);
	if (r.status != HCABI_SUCCESS)
		hcabi_atomic_store(&c->task_state, HCABI__TASK_IDLE);
	return r.status;
}

/* C entry of a started vCPU (boot.S hcabi__ap_entry). */
void hcabi__ap_boot(struct hcabi_cpu *c)
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
	hcabi_vcpu_stop();
	/* STOP returned: DENIED (vCPU 0 stopped?) or broken */
	hcabi_printf("vCPU %u: VCPU.STOP returned", hcabi_cpu_index());
	for (;;)
		__asm__ __volatile__("cli; hlt");
}

bool smp_wait(unsigned cpu, uint64_t timeout_ns)
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

bool smp_task_failed(unsigned cpu)
{
	return cpu < HCABI_MAX_CPUS && hcabi__cpus[cpu].task_error;
}
