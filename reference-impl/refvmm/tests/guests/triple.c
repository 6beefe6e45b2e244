/* SPDX-License-Identifier: MIT */
/*
 * triple.c - loads an empty IDT and raises #BP: #BP -> #GP -> #DF -> triple
 * fault. refvmm must end with status 6 and say "triple fault" with the RIP.
 */
#include "guest.h"

void guest_main(uint64_t start_info)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) empty = {0, 0};
	(void)start_info;
	puts_serial("triple: empty IDT, then int3\n");
	__asm__ __volatile__("lidt %0; int3" : : "m"(empty));
	for (;;)
		;
}
