/* SPDX-License-Identifier: MIT */
/*
 * pvh.c - what the x86-64 PVH boot hands the image: the start info (its
 * address, from the entry's EBX), the command line and the memory map in
 * it.
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

/* The PVH memory map (version 1 of the start info), or NULL. */
static const volatile struct hcabi_pvh_memmap_entry *memmap(uint32_t *n)
{
	uint64_t gpa = hcabi_start_info();
	const volatile struct hcabi_pvh_start_info *si;

	if (!gpa || gpa >= HCABI_IDENTITY_END - sizeof(*si))
		return 0;
	si = (const volatile struct hcabi_pvh_start_info *)(uintptr_t)gpa;
	if (si->magic != HCABI_PVH_START_MAGIC || si->version < 1 || !si->memmap_paddr ||
	    si->memmap_paddr >= HCABI_IDENTITY_END - 1024 * sizeof(struct hcabi_pvh_memmap_entry) ||
	    si->memmap_entries == 0 || si->memmap_entries > 1024)
		return 0;
	*n = si->memmap_entries;
	return (const volatile struct hcabi_pvh_memmap_entry *)(uintptr_t)si->memmap_paddr;
}

bool hcabi_arch_memory_map(void)
{
	uint32_t n;
	return memmap(&n) != 0;
}

/* The i-th entry of type RAM. */
bool hcabi_arch_memory_range(unsigned i, uint64_t *base, uint64_t *size)
{
	uint32_t n = 0;
	const volatile struct hcabi_pvh_memmap_entry *e = memmap(&n);

	for (uint32_t k = 0; e && k < n; k++) {
		if (e[k].type != HCABI_PVH_MEMMAP_RAM || i-- > 0)
			continue;
		*base = e[k].addr;
		*size = e[k].size;
		return true;
	}
	return false;
}
