/* SPDX-License-Identifier: MIT */
/*
 * kvm_own.h - what the arm64 backend keeps in a VM and a vCPU besides what
 * every KVM backend has (every backend provides this header in
 * src/arch/<arch>/; kvm_host.h embeds the two structures as `own`).
 */
#ifndef HCABI_REFVMM_KVM_OWN_H
#define HCABI_REFVMM_KVM_OWN_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdint.h>

/* How to run refvmm where there is no /dev/kvm (the error says so). */
#define HCABI__KVM_NESTED_HINT "scripts/hcabi-nested --arch arm64"

struct hcabi__kvm_own_vm {
	int gic_fd;		   /* the in-kernel GICv3; -1: none yet */
	struct kvm_vcpu_init init; /* the vCPU features, POWER_OFF not included */
	uint64_t dtb_gpa;
	/* TLB.FLUSH (vcpu_regs.c): the memslot it toggles; toggles begun
	 * (each one's number), and the number of the last one that finished */
	struct kvm_userspace_memory_region flush_slot;
	pthread_mutex_t flush_lock;
	uint64_t flush_begun, flush_done;
};
/* A new VM's `own` before the backend fills it: no GIC. */
#define HCABI__KVM_OWN_VM_INIT {.gic_fd = -1, .flush_lock = PTHREAD_MUTEX_INITIALIZER}

struct hcabi__kvm_own_vcpu {
	uint64_t mpidr; /* MPIDR_EL1 as KVM gives it */
	/* inside a TLB.FLUSH or BATCH call (exits.c), and the VM's
	 * flush_begun when it began: a toggle numbered above covers it */
	uint64_t in_flush_call, flush_entry;
};

#endif
