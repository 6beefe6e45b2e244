/* SPDX-License-Identifier: MIT */
/*
 * x86_kvm.h - the x86-64 KVM backend's own declarations, shared by its
 * files only (the neutral part sees arch.h):
 *   kvm_fd.c     opening /dev/kvm, ioctl retried on EINTR
 *   kvm_vm.c     KVM's capabilities, the VM, guest RAM, irqchip, the Xen hypercall
 *                intercept, interrupt injection (MSI), LAPIC IRR
 *   cpuid.c      the CPUID table every vCPU gets
 *   vcpu_regs.c  vCPU creation and register state: PVH entry, VCPU.START
 *                boot state, TLB flush
 *   exits.c      KVM_RUN, kicks, decoding exits, answering hypercalls
 *   coalesce.c   KVM's coalesced port I/O ring (COM1's THR writes without an exit)
 *   pvh.c        ELF64 loader and PVH start info (no KVM: unit-tested)
 *   diag.c       the guest-fault report
 */
#ifndef HCABI_REFVMM_X86_KVM_H
#define HCABI_REFVMM_X86_KVM_H

#include <linux/kvm.h>

#include "arch.h"
#include "kvm_host.h"

struct hcabi__arch_vm {
	int kvm_fd;
	int vm_fd;
	size_t run_size;
	struct kvm_cpuid2 *cpuid; /* base table, APIC IDs patched per vCPU */
	uint64_t xcr0_init;	  /* XCR0 every vCPU starts with, see hcabi__x86_build_cpuid() */
	/* coalesce.c: KVM's coalesced I/O ring, in vCPU 0's mapping; NULL: unused */
	struct kvm_coalesced_mmio_ring *coalesced_ring;
};

struct hcabi__arch_vcpu {
	int fd;
	struct kvm_run *run;
	struct kvm_lapic_state lapic_init; /* power-on LAPIC, for restart */
	uint64_t apic_base_init;
};

/* cpuid.c: the base table (KVM's supported leaves without its own paravirt
 * leaves, plus the core's), NULL + errno; and a vCPU's copy with its APIC
 * ID. */
struct kvm_cpuid2 *hcabi__x86_build_cpuid(struct hcabi__vm *vm);
int hcabi__x86_set_vcpu_cpuid(struct hcabi__vcpu *v, const struct kvm_cpuid2 *base);

#endif
