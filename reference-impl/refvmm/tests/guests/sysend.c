/* SPDX-License-Identifier: MIT */
/*
 * sysend.c - ends the VM the way its PVH command line says, after checking
 * the PVH start info (magic, version, an E820 RAM entry from 0 first, no
 * modules) and printing it:
 *   "shutdown N"  SYSTEM.SHUTDOWN(N)   -> refvmm status 0, "shutdown code=N"
 *   "crash N"     SYSTEM.CRASH(N)      -> status 12, "crash code=N"
 *   "reboot"      SYSTEM.REBOOT        -> status 10 with --no-reboot, else a
 *                                         new boot (prints "sysend: boot" each time)
 *   "exit N"      isa-debug-exit N     -> status (N << 1) | 1
 *   "mmio"        a 4-byte read at 0xd0000000, where no device is
 *                                      -> status 6, "guest fault: MMIO read ..."
 *   "kbdreset"    reads the i8042's status (prints it: 0xff, absent), writes
 *                 command 0xaa (ignored), then 0xfe (the reset line) to 0x64
 *                                      -> status 10 with --no-reboot, else a
 *                                         new boot
 * A bad start info ends with isa-debug-exit 0x30 (status 97).
 */
#include "arch/x86_64/hcabi_pvh.h"
#include "guest.h"

static bool starts(const char *s, const char *p)
{
	while (*p)
		if (*s++ != *p++)
			return false;
	return true;
}

static uint64_t number(const char *s)
{
	uint64_t v = 0;
	while (*s == ' ')
		s++;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint64_t)(*s++ - '0');
	return v;
}

void guest_main(uint64_t si_gpa)
{
	const struct hcabi_pvh_start_info *si =
	    (const struct hcabi_pvh_start_info *)(uintptr_t)si_gpa;
	const struct hcabi_pvh_memmap_entry *mm;
	const char *cmd;

	puts_serial("sysend: boot\n");
	if (si->magic != HCABI_PVH_START_MAGIC || si->version < 1 || si->nr_modules != 0 ||
	    si->memmap_entries < 1 || !si->memmap_paddr || !si->cmdline_paddr) {
		puts_serial("sysend: bad start info\n");
		debug_exit(0x30);
	}
	mm = (const struct hcabi_pvh_memmap_entry *)(uintptr_t)si->memmap_paddr;
	puts_serial("sysend: memmap");
	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		puts_serial(" ");
		put_hex(mm[i].addr);
		puts_serial("+");
		put_hex(mm[i].size);
		puts_serial(":");
		put_dec(mm[i].type);
	}
	puts_serial("\n");
	if (mm[0].addr != 0 || mm[0].type != HCABI_PVH_MEMMAP_RAM)
		debug_exit(0x30);
	cmd = (const char *)(uintptr_t)si->cmdline_paddr;
	puts_serial("sysend: cmdline '");
	puts_serial(cmd);
	puts_serial("'\n");
	if (starts(cmd, "shutdown"))
		(void)hcabi_vmcall1(HCABI_FID_SYSTEM_SHUTDOWN, number(cmd + 8));
	else if (starts(cmd, "crash"))
		(void)hcabi_vmcall1(HCABI_FID_SYSTEM_CRASH, number(cmd + 5));
	else if (starts(cmd, "reboot"))
		(void)hcabi_vmcall0(HCABI_FID_SYSTEM_REBOOT);
	else if (starts(cmd, "exit"))
		debug_exit((uint8_t)number(cmd + 4));
	else if (starts(cmd, "mmio"))
		(void)*(volatile uint32_t *)0xd0000000ul;
	else if (starts(cmd, "kbdreset")) {
		puts_serial("sysend: i8042 status ");
		put_hex(hcabi_inb(0x64));
		puts_serial("\n");
		hcabi_outb(0x64, 0xaa); /* self-test: no controller answers, nothing happens */
		puts_serial("sysend: i8042 command 0xaa ignored\n");
		hcabi_outb(0x64, 0xfe);
	}
	puts_serial("sysend: the call returned\n");
	debug_exit(0x31);
}
