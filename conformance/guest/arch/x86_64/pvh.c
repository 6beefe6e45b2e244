/* SPDX-License-Identifier: MIT */
/*
 * pvh.c - what the x86-64 PVH boot hands the image: the start info (its
 * address, from the entry's EBX) and the command line in it.
 */
#include "hcabi_guest.h"
#include "arch/x86_64/hcabi_pvh.h"

/* Set by boot.S from the PVH entry's EBX. */
extern uint64_t hcabi__start_info_gpa;

uint64_t hcabi_start_info(void)
{
	return hcabi__start_info_gpa;
}

/* The boot protocol's command line (the PVH start info's cmdline_paddr), or
 * "" without one: where the runner puts the boot's nonce (evidence.c). */
const char *hcabi_command_line(void)
{
	uint64_t gpa = hcabi_start_info();
	const struct hcabi_pvh_start_info *si = (const struct hcabi_pvh_start_info *)(uintptr_t)gpa;

	if (!gpa || gpa >= HCABI_IDENTITY_END || si->magic != HCABI_PVH_START_MAGIC ||
	    !si->cmdline_paddr || si->cmdline_paddr >= HCABI_IDENTITY_END)
		return "";
	return (const char *)(uintptr_t)si->cmdline_paddr;
}
