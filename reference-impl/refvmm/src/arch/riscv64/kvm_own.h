/* SPDX-License-Identifier: MIT */
/*
 * kvm_own.h - what the riscv64 backend keeps in a VM and a vCPU besides
 * what every KVM backend has (every backend provides this header in
 * src/arch/<arch>/; kvm_host.h embeds the two structures as `own`).
 */
#ifndef HCABI_REFVMM_KVM_OWN_H
#define HCABI_REFVMM_KVM_OWN_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

/* How to run refvmm where there is no /dev/kvm (the error says so). */
#define HCABI__KVM_NESTED_HINT "scripts/hcabi-nested --arch riscv64"

struct hcabi__kvm_own_vm {
	int aia_fd;	  /* the in-kernel AIA (IMSIC mode); -1: none yet */
	uint32_t nr_ids;  /* interrupt identities of each IMSIC file, as KVM has them */
	uint64_t dtb_gpa;
	/* TLB.FLUSH (tlb.c): the trampoline page; the core's flush requests
	 * so far */
	void *tramp_mem;
	uint64_t flush_requests;
};
/* A new VM's `own` before the backend fills it: no AIA. */
#define HCABI__KVM_OWN_VM_INIT {.aia_fd = -1}

struct hcabi__kvm_own_vcpu {
	uint64_t isa; /* KVM's ISA bitmap of the vCPU (bit n: letter 'a' + n) */
	/* TLB.FLUSH (tlb.c): inside a TLB.FLUSH or BATCH call, and the VM's
	 * flush_requests when it began; the trampoline in progress and what
	 * it keeps of the vCPU and of the call's results */
	bool in_flush_call, tramp;
	uint64_t flush_entry;
	uint64_t tramp_pc, tramp_satp, tramp_sstatus, tramp_a[6]; /* a2..a7 */
	int64_t tramp_status;
	uint64_t tramp_value;
	uint32_t tramp_clobber;
};

#endif
