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
 * guest (docs/internals.md, "Protocols both sides speak"). Assembly may
 * include it for the constants (they carry no C suffix for that reason).
 */
#ifndef HCABI_PVH_H
#define HCABI_PVH_H

/* ELF note type (name "Xen") of the 32-bit physical entry point. */
#define HCABI_PVH_ELFNOTE_PHYS32_ENTRY 18

/* hcabi_pvh_start_info.magic */
#define HCABI_PVH_START_MAGIC 0x336ec578

/* hcabi_pvh_memmap_entry.type (the E820 types) */
#define HCABI_PVH_MEMMAP_RAM 1
#define HCABI_PVH_MEMMAP_RESERVED 2
#define HCABI_PVH_MEMMAP_ACPI 3
#define HCABI_PVH_MEMMAP_NVS 4
#define HCABI_PVH_MEMMAP_UNUSABLE 5
#define HCABI_PVH_MEMMAP_DISABLED 6
#define HCABI_PVH_MEMMAP_PMEM 7

#ifndef __ASSEMBLER__
#include <stdint.h>

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

/* Xen's struct hvm_modlist_entry: one boot module (Linux takes the first
 * as its initial RAM disk) */
struct hcabi_pvh_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr; /* 0: none */
	uint64_t reserved;
};

_Static_assert(sizeof(struct hcabi_pvh_modlist_entry) == 32, "PVH module list entry layout");
_Static_assert(sizeof(struct hcabi_pvh_start_info) == 56, "PVH start info layout");
_Static_assert(sizeof(struct hcabi_pvh_memmap_entry) == 24, "PVH memory map entry layout");

#else /* __ASSEMBLER__ */

/* The ELF note that tells a PVH loader the 32-bit entry point `entry`:
 * one definition for every image, the guest runtime's and refvmm's test
 * guests alike. */
.macro HCABI_PVH_NOTE entry
	.pushsection .note.Xen, "a", @note
	.balign 4
	.long 4 /* namesz */
	.long 4 /* descsz */
	.long HCABI_PVH_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.long \entry
	.balign 4
	.popsection
.endm

#endif /* __ASSEMBLER__ */

#endif /* HCABI_PVH_H */
