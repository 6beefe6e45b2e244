/* SPDX-License-Identifier: MIT */
/*
 * x86_kvm.h - the x86-64 KVM backend's own declarations, shared by its
 * files only (the neutral part sees arch.h):
 *   kvm_own.h    what a VM and a vCPU hold besides kvm_host.h's common part
 *   kvm_vm.c     KVM's capabilities, the VM, irqchip, the Xen hypercall
 *                intercept, interrupt injection (MSI), LAPIC IRR
 *   cpuid.c      the CPUID table every vCPU gets
 *   vcpu_regs.c  vCPU creation and register state: PVH entry, VCPU.START
 *                boot state, TLB flush
 *   exits.c      KVM_RUN, decoding exits, answering hypercalls
 *   coalesce.c   KVM's coalesced port I/O ring (COM1's THR writes without an exit)
 *   pvh.c        ELF64 loader and PVH start info (no KVM: unit-tested)
 *   diag.c       the guest-fault report
 */
#ifndef HCABI_REFVMM_X86_KVM_H
#define HCABI_REFVMM_X86_KVM_H

#include <linux/kvm.h>

#include "arch.h"
#include "kvm_host.h"

/* cpuid.c: the base table (KVM's supported leaves without its own paravirt
 * leaves, plus the core's), NULL + errno; and a vCPU's copy with its APIC
 * ID. */
struct kvm_cpuid2 *hcabi__x86_build_cpuid(struct hcabi__vm *vm);
int hcabi__x86_set_vcpu_cpuid(struct hcabi__vcpu *v, const struct kvm_cpuid2 *base);

#endif
