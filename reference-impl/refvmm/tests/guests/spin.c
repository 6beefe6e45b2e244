/* SPDX-License-Identifier: MIT */
/*
 * spin.c - spins forever with interrupts off and never exits to the host.
 * refvmm --timeout must stop it (status 8). An NMI (--timeout-nmi) is
 * answered by saying where it came in and ending through isa-debug-exit 2.
 */
#include "guest.h"

static void on_nmi(struct frame *f)
{
	puts_serial("spin: NMI at rip ");
	put_hex(f->rip);
	puts_serial(f->rflags & (1u << 9) ? ", interrupts on\n" : ", interrupts off\n");
	debug_exit(2);
}

void guest_main(uint64_t start_info)
{
	(void)start_info;
	idt_init();
	idt_set(2, on_nmi, 0);
	puts_serial("spin: spinning forever\n");
	__asm__ __volatile__("cli; 1: jmp 1b");
	for (;;)
		;
}
