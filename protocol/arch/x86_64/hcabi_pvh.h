/* SPDX-License-Identifier: MIT */
/*
 * hcabi_pvh.h - the x86-64 PVH direct-boot protocol, as both sides speak it:
 * refvmm builds the start info and memory map, the guest runtime reads them.
 *
 * The protocol is Xen's (as used by Linux, QEMU -kernel, Firecracker and
 * Cloud Hypervisor): the image carries an ELF note "Xen", type
 * HCABI_PVH_ELFNOTE_PHYS32_ENTRY, holding the 32-bit physical entry point.
 * The VMM loads the PT_LOAD segments at their physical addresses and enters
 * the image in 32-bit protected mode, paging off, EBX = the GPA of
 * struct hcabi_pvh_start_info. Version 1 of the start info carries an
 * E820-style memory map.
 *
 * Freestanding: stdint.h only, no Xen header, nothing of the host or the
 * guest (docs/internals.md, "Protocols both sides speak").
 */
#ifndef HCABI_PVH_H
#define HCABI_PVH_H

#include <stdint.h>

/* ELF note type (name "Xen") of the 32-bit physical entry point. */
#define HCABI_PVH_ELFNOTE_PHYS32_ENTRY 18u

/* hcabi_pvh_start_info.magic */
#define HCABI_PVH_START_MAGIC 0x336ec578u

/* hcabi_pvh_memmap_entry.type (the E820 types) */
#define HCABI_PVH_MEMMAP_RAM 1u
#define HCABI_PVH_MEMMAP_RESERVED 2u
#define HCABI_PVH_MEMMAP_ACPI 3u
#define HCABI_PVH_MEMMAP_NVS 4u
#define HCABI_PVH_MEMMAP_UNUSABLE 5u
#define HCABI_PVH_MEMMAP_DISABLED 6u
#define HCABI_PVH_MEMMAP_PMEM 7u

/* Xen's struct hvm_start_info (version 1 adds memmap_paddr and
 * memmap_entries). All addresses are guest-physical. */
struct hcabi_pvh_start_info {
	uint32_t magic; /* HCABI_PVH_START_MAGIC */
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr; /* NUL-terminated command line, 0 if none */
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr; /* memmap_entries struct hcabi_pvh_memmap_entry */
	uint32_t memmap_entries;
	uint32_t reserved;
};

/* Xen's struct hvm_memmap_table_entry */
struct hcabi_pvh_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type; /* HCABI_PVH_MEMMAP_* */
	uint32_t reserved;
};

_Static_assert(sizeof(struct hcabi_pvh_start_info) == 56, "PVH start info layout");
_Static_assert(sizeof(struct hcabi_pvh_memmap_entry) == 24, "PVH memory map entry layout");

#endif /* HCABI_PVH_H */
