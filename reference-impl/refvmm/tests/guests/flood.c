/* SPDX-License-Identifier: MIT */
/*
 * flood.c - floods the console: 2 MiB through CONSOLE.WRITE (4 KiB per call)
 * and 16 KiB through COM1 with rep outsb (KVM exits once per byte of string
 * I/O, so this part stays small), then leaves through isa-debug-exit with 0
 * (status 1). With --serial-limit refvmm must keep
 * exactly that many bytes, say so once on stderr, and not slow down.
 */
#include "guest.h"

static char buf[4096] __attribute__((aligned(4096)));

void guest_main(uint64_t start_info)
{
	static const char line[] =
	    "flood flood flood flood flood flood flood flood flood flood flood\n";
	(void)start_info;
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = line[i % (sizeof(line) - 1)];
	for (unsigned i = 0; i < 512; i++)
		(void)hcabi_vmcall2(HCABI_FID_CONSOLE_WRITE, (uint64_t)(uintptr_t)buf, sizeof(buf));
	for (unsigned i = 0; i < 4; i++) {
		const char *p = buf;
		uint64_t n = sizeof(buf);
		__asm__ __volatile__("rep outsb"
				     : "+S"(p), "+c"(n)
				     : "d"((uint16_t)0x3f8)
				     : "memory");
	}
	puts_serial("flood: done\n");
	debug_exit(0);
}
