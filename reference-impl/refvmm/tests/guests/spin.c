/* SPDX-License-Identifier: MIT */
/*
 * spin.c - spins forever with interrupts off and never exits to the host.
 * refvmm --timeout must stop it (status 8).
 */
#include "guest.h"

void guest_main(uint64_t start_info)
{
	(void)start_info;
	puts_serial("spin: spinning forever\n");
	__asm__ __volatile__("cli; 1: jmp 1b");
	for (;;)
		;
}
