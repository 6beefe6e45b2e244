/* SPDX-License-Identifier: MIT */
/*
 * arm64_kvm.h - the arm64 KVM backend's own declarations, shared by its
 * files only (the neutral part sees arch.h):
 *   kvm_own.h    what a VM and a vCPU hold besides kvm_host.h's common part
 *   kvm_vm.c     KVM's capabilities, the VM, the SMCCC filter, the in-kernel
 *                GICv3, interrupt injection (PPIs)
 *   vcpu_regs.c  vCPUs: creation (PSCI 0.2, secondaries powered off), ONE_REG,
 *                the boot and the VCPU.START state
 *   exits.c      KVM_RUN, decoding exits, the PL011, PSCI power events,
 *                answering hypercalls (and discovery); no coalesced writes
 *   pl011.c      the console UART
 *   image.c      the arm64 Image format (image.h; with the shared
 *                ../linux_image.c; no KVM: unit-tested)
 *   dtb.c        the device tree refvmm gives the guest (with the neutral
 *                ../fdt_write.c, a small flattened-device-tree writer)
 */
#ifndef HCABI_REFVMM_ARM64_KVM_H
#define HCABI_REFVMM_ARM64_KVM_H

#include "arch.h"
#include "kvm_host.h"
#include "image.h"
#include "kvm_arm64_uapi.h"

/* QEMU virt's addresses (hw/arm/virt.c), which the images' device tree
 * reader would find anyway. */
#define HCABI__A64_GICD_BASE 0x08000000ull
#define HCABI__A64_GICD_SIZE 0x10000ull
#define HCABI__A64_GICR_BASE 0x080A0000ull
#define HCABI__A64_GICR_STRIDE 0x20000ull /* RD_base + SGI_base frames */
#define HCABI__A64_UART_BASE 0x09000000ull
#define HCABI__A64_UART_SIZE 0x1000ull
#define HCABI__A64_UART_SPI 1u /* its interrupt (unused: polled) */

/* The page TLB.FLUSH's memslot maps (vcpu_regs.c): just below RAM, where
 * nothing else is and the device tree names nothing. */
#define HCABI__A64_FLUSH_SLOT 1u
#define HCABI__A64_FLUSH_GPA (HCABI__ARCH_RAM_BASE - 0x10000ull)

/* vcpu_regs.c: the memslot TLB.FLUSH toggles; -1 + err */
int hcabi__a64_flush_slot_create(struct hcabi__vm *vm, char *err, size_t errlen);

/* vcpu_regs.c: ONE_REG of x<n> / pc */
int hcabi__a64_get_x(struct hcabi__vcpu *v, unsigned n, uint64_t *val);
int hcabi__a64_set_x(struct hcabi__vcpu *v, unsigned n, uint64_t val);
uint64_t hcabi__a64_pc(struct hcabi__vcpu *v); /* UINT64_MAX: unreadable */

/* kvm_vm.c: the in-kernel GICv3, once every vCPU exists; -1 + err */
int hcabi__a64_gic_create(struct hcabi__vm *vm, char *err, size_t errlen);

/* dtb.c: build the device tree into `buf` (cap bytes); its size, or 0 +
 * err. */
size_t hcabi__a64_build_dtb(const struct hcabi__vm *vm, const char *cmdline, uint8_t *buf,
			    size_t cap, char *err, size_t errlen);


/* pl011.c: serve an access if addr is the PL011's; false if not. */
bool hcabi__a64_pl011(uint64_t addr, uint8_t *data, uint32_t len, bool write);

#endif
