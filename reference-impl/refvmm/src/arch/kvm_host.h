/* SPDX-License-Identifier: MIT */
/*
 * kvm_host.h - the Linux KVM plumbing every backend of hcabi-refvmm shares
 * (src/arch/<arch>/ includes it; the neutral part never does): /dev/kvm and
 * the capability check, an ioctl that a kick's signal does not break off, the VM and vCPU structures
 * (their common part), a vCPU's file and its kvm_run page, and the kick
 * that makes a vCPU's KVM_RUN return.
 */
#ifndef HCABI_REFVMM_KVM_HOST_H
#define HCABI_REFVMM_KVM_HOST_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"
#include "kvm_own.h" /* the backend's: struct hcabi__kvm_own_vm, _vcpu */

/* A backend's VM and vCPU (opaque to the neutral part): what every KVM
 * backend has, and `own`, what only this one has (its kvm_own.h). */
struct hcabi__arch_vm {
	int kvm_fd;
	int vm_fd;
	size_t run_size; /* KVM_GET_VCPU_MMAP_SIZE */
	struct hcabi__kvm_own_vm own;
};

struct hcabi__arch_vcpu {
	int fd;
	struct kvm_run *run;
	struct hcabi__kvm_own_vcpu own;
};

/* ioctl(), again while a signal (a kick) interrupts it. */
int hcabi__kvm_ioctl(int fd, unsigned long req, void *arg);
/* Open /dev/kvm; -1 + err (saying how to run refvmm nested,
 * HCABI__KVM_NESTED_HINT, when there is none). */
int hcabi__kvm_open(char *err, size_t errlen);

/* A capability a backend cannot run without, named for the error. */
struct hcabi__kvm_cap {
	int cap;
	const char *name;
};
/* The common part of hcabi__arch_probe: open /dev/kvm and check its API
 * version and every capability of need[0..n). The open file, for the
 * backend's own checks and hcabi__kvm_max_vcpus (the caller closes it), or
 * -1 + err. */
int hcabi__kvm_probe(const struct hcabi__kvm_cap *need, size_t n, char *err, size_t errlen);
/* The highest vCPU count KVM accepts. */
uint32_t hcabi__kvm_max_vcpus(int kvm_fd);
/* Create vCPU `index` of the VM and map its kvm_run page (run_size bytes:
 * KVM_GET_VCPU_MMAP_SIZE); installs the kick's signal handler once.
 * 0, or -1 + err (*fd and *run stay -1 and NULL on what failed). */
int hcabi__kvm_vcpu_open(int vm_fd, uint32_t index, size_t run_size, int *fd,
			 struct kvm_run **run, char *err, size_t errlen);
/* Undo hcabi__kvm_vcpu_open (either may be unset: -1, NULL). */
void hcabi__kvm_vcpu_close(int fd, struct kvm_run *run, size_t run_size);
/* The calling thread runs the vCPU of `run` (NULL: none any more): a kick
 * sets its immediate_exit. */
void hcabi__kvm_thread_runs(struct kvm_run *run);
/* Make the KVM_RUN of vCPU thread `t` return soon (or not start). */
void hcabi__kvm_kick(pthread_t t);

#endif
