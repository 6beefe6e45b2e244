/* SPDX-License-Identifier: MIT */
/*
 * percpu.c - the per-vCPU blocks (struct hcabi_cpu, which hcabi_this_cpu()
 * finds) and the stacks secondary vCPUs start on: filled the same way on
 * every architecture, before the vCPU runs. What a vCPU then sets up for
 * itself is its architecture's (hcabi__cpu_init, arch/<arch>/cpu.c).
 */
#include "hcabi_guest.h"
#include "hcabi_internal.h"

#define STACK_SIZE (32 * 1024)

struct hcabi_cpu hcabi__cpus[HCABI_MAX_CPUS];
/* vCPU 0 runs on the boot stack of boot.S; the others on these. */
static uint8_t ap_stacks[HCABI_MAX_CPUS][STACK_SIZE] __attribute__((aligned(16)));

struct hcabi_cpu *hcabi__cpu_prepare(unsigned index)
{
	struct hcabi_cpu *c = &hcabi__cpus[index];
	memset(c, 0, sizeof(*c));
	c->self = c;
	c->index = index;
	c->expect_vector = -1;
	c->stack_top = ap_stacks[index] + STACK_SIZE;
	return c;
}
