/* SPDX-License-Identifier: MIT */
/*
 * idle.c - halts forever with interrupts off: the vCPU sleeps in KVM and
 * costs no CPU. refvmm_jobs.py keeps one such VM alive across a nested
 * batch (see "holder" there).
 */
#include "guest.h"

void guest_main(uint64_t start_info)
{
	(void)start_info;
	puts_serial("idle: halting\n");
	for (;;)
		__asm__ __volatile__("cli; hlt");
}
