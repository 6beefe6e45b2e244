/* SPDX-License-Identifier: MIT */
/*
 * arch_defs.h - the arm64 facts the neutral part of hcabi-refvmm needs
 * (every backend provides this header in src/arch/<arch>/). Constants only.
 * The platform is laid out as QEMU's `virt` machine lays it out, since the
 * conformance images are linked for its RAM base (docs/arm64.md).
 */
#ifndef HCABI_REFVMM_ARCH_DEFS_H
#define HCABI_REFVMM_ARCH_DEFS_H

/* The GICv3 redistributor region (arm64_kvm.h) holds 123 redistributors of
 * 128 KiB, as on QEMU virt. */
#define HCABI__MAX_VCPUS 123u
/* Guest RAM: one range from QEMU virt's RAM base (kvm_vm.c,
 * hcabi__arch_ram_layout). */
#define HCABI__ARCH_RAM_BASE 0x40000000ull
#define HCABI__ARCH_MAX_RAM_RANGES 1u
#define HCABI__MAX_RAM (3ull << 30)

/* The core's binding rules (hcabi_ref_config.arch). */
#define HCABI__ARCH_CORE_ARCH HCABI_REF_ARCH_ARM64
/* CPUID does not exist on arm64: the core's default, unused (discovery is
 * the HVC of ARM64-010, answered by the backend). */
#define HCABI__ARCH_CPUID_BASE 0x40000000u

/* devices.c's 16550 and isa-debug-exit sit on the port bus, which arm64
 * does not have: never reached. The arm64 console is the PL011, modelled by
 * the backend (exits.c); the guest leaves through PSCI SYSTEM_OFF. */
#define HCABI__ARCH_UART_BUS HCABI__BUS_PIO
#define HCABI__ARCH_UART_BASE 0x3f8u
#define HCABI__ARCH_DEBUG_EXIT_BUS HCABI__BUS_PIO
#define HCABI__ARCH_DEBUG_EXIT_ADDR 0xf4u
/* ... and so is its interrupt wire: no ISA IRQ exists on arm64. */
#define HCABI__ARCH_UART_IRQ 0u

/* Every vCPU but 0 waits powered off for VCPU.START (KVM_ARM_VCPU_POWER_OFF);
 * PSCI CPU_ON is KVM's and refvmm's images do not use it: no start sequence
 * of the architecture's own for the neutral part to wait on. */
#define HCABI__ARCH_HW_VCPU_START 0

/* What --help says about the image and the hypercall instruction. */
#define HCABI__ARCH_BOOT_TEXT "a flat arm64 Linux Image (at RAM 0x40000000 + text_offset, x0 = device tree)"
#define HCABI__ARCH_HCALL_TEXT "HVC #0"

#endif
