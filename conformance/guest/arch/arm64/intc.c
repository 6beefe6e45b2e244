/* SPDX-License-Identifier: MIT */
/*
 * intc.c - the interrupt controller of hcabi_arch.h on arm64: the binding
 * delivers HCABI's interrupts as PPIs of a GICv3. Not driven yet: the
 * runtime keeps IRQs masked outside the framework's drain, every
 * acknowledge is spurious and nothing is ever pending. What a GICv3 driver
 * must add (the redistributor from the device tree, ICC_* system registers,
 * PPIs 16..22 edge-triggered and enabled, EOI by the acknowledged INTID) is
 * listed in docs/arm64.md.
 */
#include "hcabi_guest.h"
#include "hcabi_internal.h"

void hcabi_intc_enable(void)
{
}

unsigned hcabi__intc_ack(void)
{
	return 1023; /* the GIC's "no pending interrupt" */
}

void hcabi_intc_eoi(void)
{
}

bool hcabi_intc_pending(unsigned vector)
{
	(void)vector;
	return false;
}

bool hcabi_intc_in_service(unsigned vector)
{
	(void)vector;
	return false;
}

void hcabi_intc_self_ipi(unsigned vector)
{
	(void)vector;
}
