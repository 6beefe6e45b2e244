/* SPDX-License-Identifier: MIT */
/*
 * kvm_arm64_uapi.h - <linux/kvm.h> for arm64, completed where Debian 12's
 * cross headers (linux-libc-dev-arm64-cross, Linux 6.1) lack what came
 * later. Shared by hcabi-refvmm's arm64 backend and the nested arm64 KVM
 * probe (scripts/nested-probe-arm64.c).
 *
 * Each definition below is copied from Linux 6.12's uapi headers (the KVM
 * ABI: fixed once released) and used only where the headers lack it.
 */
#ifndef HCABI_KVM_ARM64_UAPI_H
#define HCABI_KVM_ARM64_UAPI_H

#include <linux/kvm.h>

/* arch/arm64/include/uapi/asm/kvm.h (Linux 6.4+): the SMCCC filter, a VM
 * device attribute; forwarded calls exit as KVM_EXIT_HYPERCALL. */
#ifndef KVM_ARM_VM_SMCCC_CTRL
#define KVM_ARM_VM_SMCCC_CTRL 0
#define KVM_ARM_VM_SMCCC_FILTER 0
#define KVM_SMCCC_FILTER_FWD_TO_USER 2 /* enum kvm_smccc_filter_action */
struct kvm_smccc_filter {
	__u32 base;
	__u32 nr_functions;
	__u8 action;
	__u8 pad[15];
};
#endif
/* the same header: kvm_run.hypercall.flags (6.1 calls the field longmode) */
#ifndef KVM_HYPERCALL_EXIT_SMC
#define KVM_HYPERCALL_EXIT_SMC (1U << 0)
#endif

#endif
