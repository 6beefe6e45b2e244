/* SPDX-License-Identifier: MIT */
/*
 * layout.h - the x86-64 guest-physical map (layout.c) and the MP tables
 * written into its BIOS area (mptable.c); no KVM, so that the unit test
 * (tests/check_pvh.c) runs anywhere.
 */
#ifndef HCABI_REFVMM_LAYOUT_H
#define HCABI_REFVMM_LAYOUT_H

#include "arch.h"
#include "arch/x86_64/hcabi_pvh.h"

#define HCABI__X86_LOW_RAM_END 0xa0000ull   /* 640 KiB */
#define HCABI__X86_BIOS_BASE 0xf0000ull	    /* the BIOS area: reserved */
#define HCABI__X86_HIGH_RAM_BASE 0x100000ull /* 1 MiB */
#define HCABI__X86_MAX_E820 (HCABI__ARCH_MAX_RAM_RANGES + 1u)

/* The PVH (E820) memory map of a VM of ram_size bytes: its RAM ranges and
 * the reserved BIOS area, sorted; returns the entry count. */
uint32_t hcabi__x86_e820(uint64_t ram_size, struct hcabi_pvh_memmap_entry out[HCABI__X86_MAX_E820]);

/* The I/O APIC KVM_CREATE_IRQCHIP models, as the MP table announces it. */
#define HCABI__X86_IOAPIC_ADDR 0xfec00000u
#define HCABI__X86_LAPIC_ADDR 0xfee00000u

/* Write the Intel MP tables (MultiProcessor Specification 1.4) for nvcpus
 * vCPUs (APIC ID = index) into the BIOS area of ram (ram_size bytes):
 * the floating pointer at HCABI__X86_BIOS_BASE, the configuration table
 * after it. 0, or -1 + err (RAM too small, too many vCPUs). */
int hcabi__x86_mptable_write(uint8_t *ram, uint64_t ram_size, uint32_t nvcpus, char *err,
			     size_t errlen);

#endif
