/* SPDX-License-Identifier: MIT */
/*
 * layout.c - the x86-64 guest-physical map of hcabi-refvmm, a PC's:
 *
 *   [0, 0xa0000)            RAM (conventional memory; the PVH start info)
 *   [0xa0000, 0xf0000)      not RAM: the VGA and option-ROM hole, no device
 *   [0xf0000, 0x100000)     reserved: the BIOS area, the MP tables (mptable.c)
 *   [0x100000, --memory)    RAM (the image, the initial RAM disk at the top)
 *
 * KVM backs all of [0, --memory) with one memory slot; the guest is told
 * which of it is RAM by the PVH memory map (pvh.c), and the core by the
 * same ranges (MEM.GET_LAYOUT equals the boot memory map's RAM, MEM-011.6).
 * No KVM here: the unit test links it.
 */
#include "layout.h"

uint32_t hcabi__arch_ram_layout(uint64_t ram_size,
				struct hcabi_ref_ram_range out[HCABI__ARCH_MAX_RAM_RANGES])
{
	uint32_t n = 0;

	out[n].base = 0;
	out[n].size = ram_size < HCABI__X86_LOW_RAM_END ? ram_size : HCABI__X86_LOW_RAM_END;
	n++;
	if (ram_size > HCABI__X86_HIGH_RAM_BASE) {
		out[n].base = HCABI__X86_HIGH_RAM_BASE;
		out[n].size = ram_size - HCABI__X86_HIGH_RAM_BASE;
		n++;
	}
	return n;
}

static void entry(struct hcabi_pvh_memmap_entry *e, uint64_t addr, uint64_t size, uint32_t type)
{
	e->addr = addr;
	e->size = size;
	e->type = type;
	e->reserved = 0;
}

uint32_t hcabi__x86_e820(uint64_t ram_size, struct hcabi_pvh_memmap_entry out[HCABI__X86_MAX_E820])
{
	struct hcabi_ref_ram_range ram[HCABI__ARCH_MAX_RAM_RANGES];
	uint32_t nram = hcabi__arch_ram_layout(ram_size, ram);
	uint32_t n = 0;

	entry(&out[n++], ram[0].base, ram[0].size, HCABI_PVH_MEMMAP_RAM);
	if (ram_size >= HCABI__X86_HIGH_RAM_BASE)
		entry(&out[n++], HCABI__X86_BIOS_BASE,
		      HCABI__X86_HIGH_RAM_BASE - HCABI__X86_BIOS_BASE, HCABI_PVH_MEMMAP_RESERVED);
	for (uint32_t i = 1; i < nram; i++)
		entry(&out[n++], ram[i].base, ram[i].size, HCABI_PVH_MEMMAP_RAM);
	return n;
}
