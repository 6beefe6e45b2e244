/* SPDX-License-Identifier: MIT */
/*
 * riscv64_kvm.h - the riscv64 KVM backend's own declarations, shared by its
 * files only (the neutral part sees arch.h):
 *   kvm_own.h    what a VM and a vCPU hold besides kvm_host.h's common part
 *   kvm_vm.c     KVM's capabilities, the VM, the in-kernel AIA (IMSIC
 *                mode), interrupt injection (MSIs to a vCPU's IMSIC page)
 *   vcpu_regs.c  vCPUs: creation (KVM keeps every vCPU but 0 stopped),
 *                ONE_REG, the Image boot and the VCPU.START state
 *   exits.c      KVM_RUN, decoding exits, forwarded SBI calls (HCABI's
 *                calls, discovery), SBI SRST system events, answering
 *                hypercalls; no coalesced writes
 *   tlb.c        TLB.FLUSH: the caller's SBI RFENCE through a trampoline
 *   image.c      the riscv64 Image format (for ../linux_image.c; no KVM)
 *   dtb.c        the device tree refvmm gives the guest (with the neutral
 *                ../fdt_write.c)
 * The console is devices.c's 16550 (arch_defs.h): MMIO exits.
 */
#ifndef HCABI_REFVMM_RISCV64_KVM_H
#define HCABI_REFVMM_RISCV64_KVM_H

#include "arch.h"
#include "kvm_host.h"
#include "kvm_riscv64_uapi.h"
#include "linux_image.h"

/* QEMU virt's addresses (hw/riscv/virt.c, -M virt,aia=aplic-imsic): the
 * S-level IMSIC interrupt files, one 4 KiB page per hart (the contract of
 * the guest runtime and refvmm; RV64-020). */
#define HCABI__RV64_IMSIC_BASE 0x28000000ull
#define HCABI__RV64_IMSIC_STRIDE 0x1000ull
#define HCABI__RV64_UART_SIZE 0x100ull
#define HCABI__RV64_UART_CLOCK 3686400u

/* vcpu_regs.c: ONE_REG of a core register (struct kvm_riscv_core's index:
 * 0 = pc, n = x<n> for n 1..31), and of the PC */
int hcabi__rv64_get_core(struct hcabi__vcpu *v, unsigned n, uint64_t *val);
int hcabi__rv64_set_core(struct hcabi__vcpu *v, unsigned n, uint64_t val);
uint64_t hcabi__rv64_pc(struct hcabi__vcpu *v); /* UINT64_MAX: unreadable */
/* KVM's timebase frequency (Hz), for the device tree; 0 if unknown */
uint64_t hcabi__rv64_timebase(struct hcabi__vcpu *v);

/* kvm_vm.c: the in-kernel AIA, once every vCPU exists; -1 + err */
int hcabi__rv64_aia_create(struct hcabi__vm *vm, char *err, size_t errlen);

/* tlb.c: the trampoline page (at VM creation; -1 + err) and its end */
int hcabi__rv64_tramp_create(struct hcabi__vm *vm, char *err, size_t errlen);
void hcabi__rv64_tramp_destroy(struct hcabi__vm *vm);
/* tlb.c, from exits.c: a TLB.FLUSH or BATCH call of v begins; it ends
 * (true: a flush was requested meanwhile, so v must go to the trampoline
 * with the call's results: hcabi__rv64_tramp_enter, -1 on a host error);
 * the trampoline's last ECALL (hcabi__rv64_tramp_exit: 1 handled, with
 * the kept clobber mask; 0 not v's; -1 a host error) */
void hcabi__rv64_flush_call_begin(struct hcabi__vcpu *v);
bool hcabi__rv64_flush_call_end(struct hcabi__vcpu *v);
int hcabi__rv64_tramp_enter(struct hcabi__vcpu *v, int64_t status, uint64_t value,
			    uint32_t clobber);
int hcabi__rv64_tramp_exit(struct hcabi__vcpu *v, uint32_t *clobber);
#define HCABI__RV64_TRAMP_EID 0x08484342ull

/* dtb.c: build the device tree into `buf` (cap bytes); its size, or 0 +
 * err. */
size_t hcabi__rv64_build_dtb(const struct hcabi__vm *vm, const char *cmdline, uint8_t *buf,
			     size_t cap, char *err, size_t errlen);

#endif
