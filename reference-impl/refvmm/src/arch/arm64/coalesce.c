/* SPDX-License-Identifier: MIT */
/*
 * coalesce.c - arm64 collects no writes (arch.h, "coalesced writes"): the
 * console is the backend's own PL011 (pl011.c), not devices.c's 16550, so
 * nothing asks, and every write exits.
 */
#include "arm64_kvm.h"

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
