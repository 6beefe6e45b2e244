/* SPDX-License-Identifier: MIT */
/*
 * no_coalesce.c - arch.h's coalesced writes for a backend that collects
 * none (arm64, riscv64): their console UART's writes all exit, so
 * devices.c's replay finds nothing and every THR write is an exit, as
 * without coalescing. x86-64 has its own (x86_64/coalesce.c).
 */
#include "arch.h"

bool hcabi__arch_coalesce(struct hcabi__vm *vm, enum hcabi__bus bus, uint64_t addr,
			  uint32_t size, bool on)
{
	(void)vm;
	(void)bus;
	(void)addr;
	(void)size;
	(void)on;
	return false;
}

bool hcabi__arch_coalesced_next(struct hcabi__vm *vm, struct hcabi__io *io)
{
	(void)vm;
	(void)io;
	return false;
}

void hcabi__arch_coalesced_done(struct hcabi__vm *vm)
{
	(void)vm;
}
