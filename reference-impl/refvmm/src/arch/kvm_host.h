/* SPDX-License-Identifier: MIT */
/*
 * kvm_host.h - the Linux KVM plumbing every backend of hcabi-refvmm shares
 * (src/arch/<arch>/ includes it; the neutral part never does): the VM and
 * vCPU structures (their common part), /dev/kvm and the capability check,
 * an ioctl that a kick's signal does not break off, the VM with its guest
 * RAM, a vCPU's file and its kvm_run page, and a vCPU thread's kick
 * (arch.h's thread_enter, thread_leave and vcpu_kick).
 */
#ifndef HCABI_REFVMM_KVM_HOST_H
#define HCABI_REFVMM_KVM_HOST_H

#include <linux/kvm.h>
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

/* A capability a backend cannot run without, named for the error. */
struct hcabi__kvm_cap {
	int cap;
	const char *name;
};

/* ioctl(), again while a signal (a kick) interrupts it. */
int hcabi__kvm_ioctl(int fd, unsigned long req, void *arg);

/* The common part of hcabi__arch_probe: open /dev/kvm (saying how to run
 * refvmm nested, HCABI__KVM_NESTED_HINT, when there is none) and check its
 * API version and every capability of need[0..n). The open file, for the
 * backend's own checks and hcabi__kvm_max_vcpus (the caller closes it), or
 * -1 + err. */
int hcabi__kvm_probe(const struct hcabi__kvm_cap *need, size_t n, char *err, size_t errlen);
/* The highest vCPU count KVM accepts. */
uint32_t hcabi__kvm_max_vcpus(int kvm_fd);

/* The common part of hcabi__arch_vm_create: vm->arch (own set to
 * HCABI__KVM_OWN_VM_INIT), /dev/kvm, the VM and run_size. 0, or -1 + err
 * (hcabi__arch_vm_destroy releases what there is). */
int hcabi__kvm_vm_open(struct hcabi__vm *vm, char *err, size_t errlen);
/* Guest RAM: opts->mem_size bytes at HCABI__ARCH_RAM_BASE (vm->ram,
 * ram_base, ram_size), KVM's memory slot 0. 0, or -1 + err. */
int hcabi__kvm_ram_map(struct hcabi__vm *vm, char *err, size_t errlen);
/* The common part of hcabi__arch_vm_destroy, once the backend released its
 * own: every vCPU's file and run page, the VM, /dev/kvm, guest RAM. */
void hcabi__kvm_vm_close(struct hcabi__vm *vm);

/* The common part of hcabi__arch_vcpu_create: v->arch with vCPU v->index
 * created and its kvm_run page mapped; installs the kick's signal handler
 * once. 0, or -1 + err (hcabi__kvm_vm_close releases what there is). */
int hcabi__kvm_vcpu_open(struct hcabi__vcpu *v, char *err, size_t errlen);

/* What an exit that no backend handles itself says, for the backend's
 * fault report: KVM_EXIT_INTERNAL_ERROR, KVM_EXIT_FAIL_ENTRY, a system
 * event the backend does not serve, any other reason. */
void hcabi__kvm_exit_what(const struct kvm_run *run, char *what, size_t n);

/* A register of v through ONE_REG (the only way to one on arm64, riscv64's
 * way to every register kvm_run does not carry). 0, or -1 (errno). */
int hcabi__kvm_get_one_reg(struct hcabi__vcpu *v, uint64_t id, uint64_t *val);
int hcabi__kvm_set_one_reg(struct hcabi__vcpu *v, uint64_t id, uint64_t val);

/* The exits of a backend whose vCPU state is its program counter (arm64,
 * riscv64): ex says the guest faulted with `what` on v at `pc`
 * (UINT64_MAX: unknown), or that the host failed at `what` (errno). */
void hcabi__kvm_fault(struct hcabi__vcpu *v, struct hcabi__exit *ex, const char *what,
		      uint64_t pc);
void hcabi__kvm_host_error(struct hcabi__vcpu *v, struct hcabi__exit *ex, const char *what);

/* A platform's way out that KVM itself turns into KVM_EXIT_SYSTEM_EVENT
 * (arm64's PSCI SYSTEM_OFF / SYSTEM_RESET, riscv64's SBI SRST), named
 * `off` and `reset` in refvmm's last line: shutdown ends the VM with
 * status 0, reset reboots it (status 10 with --no-reboot). Fills ex
 * (HCABI__EV_END); false for another event type, left to the backend. */
bool hcabi__kvm_system_event(struct hcabi__vcpu *v, struct hcabi__exit *ex, const char *off,
			     const char *reset);

#endif
