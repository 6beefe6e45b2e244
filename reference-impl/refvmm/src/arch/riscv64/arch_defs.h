/* SPDX-License-Identifier: MIT */
/*
 * arch_defs.h - the riscv64 facts the neutral part of hcabi-refvmm needs
 * (every backend provides this header in src/arch/<arch>/). Constants only.
 * The platform is laid out as QEMU's `virt` machine lays it out
 * (-M virt,aia=aplic-imsic), so that the same images boot on both
 * (docs/refvmm.md, "The riscv64 backend").
 */
#ifndef HCABI_REFVMM_ARCH_DEFS_H
#define HCABI_REFVMM_ARCH_DEFS_H

/* One S-level IMSIC page per vCPU from 0x28000000 (riscv64_kvm.h); the
 * core's limit is 256. */
#define HCABI__MAX_VCPUS 255u
/* Guest RAM: one range from QEMU virt's RAM base (kvm_vm.c,
 * hcabi__arch_ram_layout). */
#define HCABI__ARCH_RAM_BASE 0x80000000ull
#define HCABI__ARCH_MAX_RAM_RANGES 1u
#define HCABI__MAX_RAM (3ull << 30)

/* The core's binding rules (hcabi_ref_config.arch). */
#define HCABI__ARCH_CORE_ARCH HCABI_REF_ARCH_RISCV64
/* CPUID does not exist on riscv64: the core's default, unused (discovery
 * is SBI probe_extension, RV64-015, answered by the backend). */
#define HCABI__ARCH_CPUID_BASE 0x40000000u

/* devices.c's 16550 is the console: an ns16550a at QEMU virt's address on
 * the MMIO bus, registers one byte apart (reg-shift 0). */
#define HCABI__ARCH_UART_BUS HCABI__BUS_MMIO
#define HCABI__ARCH_UART_BASE 0x10000000ull
/* isa-debug-exit sits on the port bus, which riscv64 does not have: never
 * reached (the guest leaves through SBI SRST). */
#define HCABI__ARCH_DEBUG_EXIT_BUS HCABI__BUS_PIO
#define HCABI__ARCH_DEBUG_EXIT_ADDR 0xf4u
/* The UART's interrupt wire is not modelled (no APLIC: the guest polls);
 * hcabi__arch_irq_line says so if a guest enables IER.THRI. */
#define HCABI__ARCH_UART_IRQ 10u

/* KVM starts every vCPU but 0 in KVM_MP_STATE_STOPPED, and a KVM_RUN on
 * it waits in the kernel until SBI HSM hart_start (KVM's own) starts it:
 * the architecture's own start sequence, which the neutral part waits in
 * as it waits for INIT/SIPI on x86-64. VCPU.START takes it out as well. */
#define HCABI__ARCH_HW_VCPU_START 1

/* What --help says about the image and the hypercall instruction. */
#define HCABI__ARCH_BOOT_TEXT                                                                      \
	"a flat riscv64 Linux Image (at RAM 0x80000000 + text_offset, a0 = hart ID, a1 = device "  \
	"tree)"
#define HCABI__ARCH_HCALL_TEXT "ECALL, a7 = 0x08484341"

#endif
