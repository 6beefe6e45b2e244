/* SPDX-License-Identifier: MIT */
/*
 * kvm_own.h - what the x86-64 backend keeps in a VM and a vCPU besides what
 * every KVM backend has (every backend provides this header in
 * src/arch/<arch>/; kvm_host.h embeds the two structures as `own`).
 */
#ifndef HCABI_REFVMM_KVM_OWN_H
#define HCABI_REFVMM_KVM_OWN_H

#include <linux/kvm.h>
#include <stdint.h>

/* How to run refvmm where there is no /dev/kvm (the error says so). */
#define HCABI__KVM_NESTED_HINT "scripts/hcabi-nested"

struct hcabi__kvm_own_vm {
	struct kvm_cpuid2 *cpuid; /* base table, APIC IDs patched per vCPU */
	uint64_t xcr0_init;	  /* XCR0 every vCPU starts with, see hcabi__x86_build_cpuid() */
	/* coalesce.c: KVM's coalesced I/O ring, in vCPU 0's mapping; NULL: unused */
	struct kvm_coalesced_mmio_ring *coalesced_ring;
};
/* A new VM's `own` before the backend fills it (nothing: all zero). */
#define HCABI__KVM_OWN_VM_INIT {0}

struct hcabi__kvm_own_vcpu {
	struct kvm_lapic_state lapic_init; /* power-on LAPIC, for restart */
	uint64_t apic_base_init;
};

#endif
