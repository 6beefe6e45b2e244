/* SPDX-License-Identifier: MIT */
/*
 * arch_defs.h - the x86-64 facts the neutral part of hcabi-refvmm needs
 * (every backend provides this header in src/arch/<arch>/; CMake puts the
 * chosen backend's folder on the include path). Constants only.
 */
#ifndef HCABI_REFVMM_ARCH_DEFS_H
#define HCABI_REFVMM_ARCH_DEFS_H

/* Highest vCPU count: APIC IDs equal vCPU indexes, and 0xFF is the xAPIC
 * broadcast destination, so the last usable physical APIC ID is 254. */
#define HCABI__MAX_VCPUS 255u
/* Guest RAM is backed from this GPA up (one KVM memory slot); the guest is
 * told which parts are RAM (layout.c): at most this many ranges. */
#define HCABI__ARCH_RAM_BASE 0ull
#define HCABI__ARCH_MAX_RAM_RANGES 2u
/* RAM from GPA 0 stays below the TSS and identity-map pages that KVM needs
 * on Intel hosts without unrestricted guest (0xfffbc000). */
#define HCABI__MAX_RAM (3ull << 30)

/* The core's binding rules (hcabi_ref_config.arch). */
#define HCABI__ARCH_CORE_ARCH HCABI_REF_ARCH_X86_64
/* Where the core's discovery CPUID leaves start (hcabi_ref_config). */
#define HCABI__ARCH_CPUID_BASE 0x40000000u

/* The PC's devices that refvmm models (devices.c): COM1 and QEMU's
 * isa-debug-exit, both on the I/O port bus. */
#define HCABI__ARCH_UART_BUS HCABI__BUS_PIO
#define HCABI__ARCH_UART_BASE 0x3f8u
/* COM1's ISA interrupt (the MP table routes ISA IRQ n to I/O APIC pin n) */
#define HCABI__ARCH_UART_IRQ 4u
#define HCABI__ARCH_DEBUG_EXIT_BUS HCABI__BUS_PIO
#define HCABI__ARCH_DEBUG_EXIT_ADDR 0xf4u

/* vCPUs other than 0 start in the architecture's own power-on wait state
 * (x86: wait-for-SIPI in KVM's local APIC), from which either VCPU.START
 * or the architecture's start sequence (INIT, SIPI from another vCPU's
 * local APIC, as Linux starts its APs from the MP table) brings them up. */
#define HCABI__ARCH_HW_VCPU_START 1

/* What --help says about the image and the hypercall instruction. */
#define HCABI__ARCH_BOOT_TEXT "an ELF64 guest by the PVH protocol"
#define HCABI__ARCH_HCALL_TEXT "VMCALL/VMMCALL"

#endif
