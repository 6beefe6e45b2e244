/* SPDX-License-Identifier: MIT */
/*
 * trapstate.c - what every architecture's trap handler (arch/<arch>/traps.c)
 * shares: the interrupt handler table, the per-vCPU interrupt counts and
 * replays, expected exceptions (arming and the result), and the weak
 * defaults of the framework's hooks.
 */
#include "hcabi_guest.h"
#include "hcabi_internal.h"

static hcabi_irq_handler volatile handlers[HCABI_IRQ_VECTORS];
static volatile bool keep_replays;

void hcabi_irq_register(unsigned vector, hcabi_irq_handler handler)
{
	if (vector - HCABI_IRQ_FIRST < HCABI_IRQ_VECTORS - HCABI_IRQ_FIRST) /* FIRST .. VECTORS - 1 */
		handlers[vector] = handler;
}

void hcabi_irq_unregister(unsigned vector)
{
	if (vector < HCABI_IRQ_VECTORS)
		handlers[vector] = 0;
}

hcabi_irq_handler hcabi__irq_handler(unsigned vector)
{
	return vector < HCABI_IRQ_VECTORS ? handlers[vector] : 0;
}

void hcabi_irq_filter_replays(bool on)
{
	keep_replays = !on;
}

bool hcabi__irq_filter_replays(void)
{
	return !keep_replays;
}

uint64_t hcabi_irq_replays(unsigned cpu)
{
	return cpu < HCABI_MAX_CPUS ? hcabi_atomic_load(&hcabi__cpus[cpu].irq_replays) : 0;
}

uint64_t hcabi_irq_count(unsigned cpu, unsigned vector)
{
	if (cpu >= HCABI_MAX_CPUS || vector >= HCABI_IRQ_VECTORS)
		return 0;
	return hcabi_atomic_load(&hcabi__cpus[cpu].irq_count[vector]);
}

void expect_exception(unsigned vector)
{
	struct hcabi_cpu *c = hcabi_this_cpu();
	memset(&c->exc, 0, sizeof(c->exc));
	c->fixup = 0;
	hcabi_barrier();
	c->expect_vector = (int)vector;
	hcabi_barrier();
}

bool exception_end(struct hcabi_exc_info *out)
{
	struct hcabi_cpu *c = hcabi_this_cpu();
	hcabi_barrier();
	c->expect_vector = -1;
	c->fixup = 0;
	hcabi_barrier();
	bool happened = c->exc.happened;
	if (out)
		*out = c->exc;
	memset(&c->exc, 0, sizeof(c->exc));
	return happened;
}

__attribute__((weak)) void hcabi__on_unexpected_exception(const char *msg)
{
	hcabi_printf("%s", msg);
}

__attribute__((weak)) void hcabi__on_unexpected_irq(unsigned cpu, unsigned vector)
{
	hcabi_printf("unexpected interrupt vector %u on vCPU %u", vector, cpu);
}
