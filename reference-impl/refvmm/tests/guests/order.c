/* SPDX-License-Identifier: MIT */
/*
 * order.c - COM1 output stays in order when refvmm collects THR writes
 * without an exit (devices.c, "coalesced THR writes"): on 2 vCPUs, every
 * check below prints a line whose exact bytes the job checks in the serial
 * file. THR is written with a bare OUT, never after an LSR read (refvmm's
 * LSR always says "empty"), so that nothing but the exit a step makes on
 * purpose can replay the bytes before it.
 *
 *  1. Ping-pong, ROUNDS rounds: one vCPU writes a run of bytes to THR,
 *     then lets the other go by a flag in memory (no exit); that one writes
 *     its part with CONSOLE.WRITE, a hypercall. The THR bytes of the first
 *     vCPU must come first: refvmm replays them before it handles the
 *     other vCPU's exit (one ring for both vCPUs).
 *  2. DLAB: with LCR.DLAB set, a write to THR's port sets DLL (0x0c, a form
 *     feed were it output); LCR is restored, "dlab " goes through THR, and
 *     DLL reads back as 0x0c under DLAB again. A DLL byte replayed after
 *     the LCR write would show in the output and leave DLL at its reset 1.
 *  3. IER.THRI on and off between THR writes: refvmm stops collecting while
 *     THRI is set (each byte then exits, for the THRE interrupt) and
 *     collects again after; the bytes stay in order across both changes.
 *  4. The end, as the command line says: "order: end\n" through THR and
 *     then, without any other exit, isa-debug-exit 0 ("exit"),
 *     SYSTEM.SHUTDOWN 5 ("shutdown") or a spin until --timeout ("spin").
 *     The line must be in the serial file, last, each way.
 */
#include "arch/x86_64/hcabi_pvh.h"
#include "guest.h"

#define COM1 0x3f8
#define ROUNDS 12

static uint8_t ap_stack[8192] __attribute__((aligned(16)));
static volatile uint32_t turn; /* round i is vCPU (i & 1)'s THR turn; ROUNDS: done */
static volatile uint32_t wrote; /* rounds whose THR part is written */

static void thr(const char *s)
{
	while (*s)
		hcabi_outb(COM1, (uint8_t)*s++);
}

static void console_write(const char *s)
{
	uint64_t n = 0;
	while (s[n])
		n++;
	(void)hcabi_vmcall2(HCABI_FID_CONSOLE_WRITE, (uint64_t)(uintptr_t)s, n);
}

static void digits(char *p, uint32_t v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

/* vCPU `me`'s part of the ping-pong: THR in its rounds, CONSOLE.WRITE in
 * the others, each once the THR part of that round is written. */
static void ping_pong(uint32_t me)
{
	for (uint32_t i = 0; i < ROUNDS; i++) {
		if ((i & 1) == me) {
			char s[] = "thr vX rNN abcdefghijklmnopqrstuvwxyz0123456789 | ";
			s[5] = (char)('0' + me);
			digits(s + 8, i);
			while (turn != i)
				hcabi_pause();
			thr(s);
			__asm__ __volatile__("" ::: "memory"); /* the OUTs before the flag */
			wrote = i + 1;
		} else {
			char s[] = "hcall vX rNN\n";
			s[7] = (char)('0' + me);
			digits(s + 10, i);
			while (wrote != i + 1)
				hcabi_pause();
			console_write(s);
			turn = i + 1;
		}
	}
}

void ap_main(uint64_t arg)
{
	(void)arg;
	ping_pong(1);
	(void)hcabi_vmcall0(HCABI_FID_VCPU_STOP);
	for (;;)
		;
}

static bool cmdline_is(const char *cmd, const char *want)
{
	while (*want)
		if (*cmd++ != *want++)
			return false;
	return *cmd == 0;
}

void guest_main(uint64_t si_gpa)
{
	const struct hcabi_pvh_start_info *si =
	    (const struct hcabi_pvh_start_info *)(uintptr_t)si_gpa;
	const char *cmd = (const char *)(uintptr_t)si->cmdline_paddr;
	uint8_t dll;

	thr("order: start\n");
	if (start_ap(1, ap_stack + sizeof(ap_stack), 0) != HCABI_SUCCESS) {
		thr("order: VCPU.START failed\n");
		debug_exit(0x20);
	}
	ping_pong(0); /* vCPU 1 writes nothing after its last round */

	thr("order: ");
	hcabi_outb(COM1 + 3, 0x83); /* DLAB, 8N1 */
	hcabi_outb(COM1, 0x0c);	    /* DLL */
	hcabi_outb(COM1 + 3, 0x03);
	thr("dlab ");
	hcabi_outb(COM1 + 3, 0x83);
	dll = hcabi_inb(COM1);
	hcabi_outb(COM1 + 3, 0x03);
	thr(dll == 0x0c ? "dll=0x0c" : "dll=WRONG");
	thr(" before-thri ");
	hcabi_outb(COM1 + 1, 0x02); /* IER.THRI: interrupts are off, IRQ 4 unused */
	thr("during-thri ");
	hcabi_outb(COM1 + 1, 0x00);
	thr("after-thri\n");

	thr("order: end\n");
	if (cmdline_is(cmd, "shutdown"))
		(void)hcabi_vmcall1(HCABI_FID_SYSTEM_SHUTDOWN, 5);
	if (cmdline_is(cmd, "spin"))
		for (;;)
			__asm__ __volatile__("" ::: "memory");
	debug_exit(0);
}
