/* SPDX-License-Identifier: MIT */
/*
 * kvm_riscv64_uapi.h - <linux/kvm.h> for riscv64, completed where Debian 12's
 * cross headers (linux-libc-dev-riscv64-cross, Linux 6.1) lack what came
 * later: the in-kernel AIA device (Linux 6.5). Shared by hcabi-refvmm's
 * riscv64 backend and the nested riscv64 KVM probe
 * (scripts/nested-probe-riscv64.c), as arm64's kvm_arm64_uapi.h is.
 *
 * Each definition below is copied from Linux 6.12's uapi headers (the KVM
 * ABI: fixed once released) and used only where the headers lack it.
 */
#ifndef HCABI_KVM_RISCV64_UAPI_H
#define HCABI_KVM_RISCV64_UAPI_H

#include <linux/kvm.h>

/* include/uapi/linux/kvm.h: enum kvm_device_type, the entry after
 * KVM_DEV_TYPE_ARM_PV_TIME (10), which 6.1's enum ends with. */
#ifndef KVM_DEV_TYPE_RISCV_AIA
#define KVM_DEV_TYPE_RISCV_AIA 11
#endif

/* arch/riscv/include/uapi/asm/kvm.h: the AIA device's attributes */
#ifndef KVM_DEV_RISCV_AIA_GRP_CONFIG
#define KVM_DEV_RISCV_IMSIC_ALIGN 0x1000
#define KVM_DEV_RISCV_IMSIC_SIZE 0x1000

#define KVM_DEV_RISCV_AIA_GRP_CONFIG 0 /* values are __u32 */
#define KVM_DEV_RISCV_AIA_CONFIG_MODE 0
#define KVM_DEV_RISCV_AIA_CONFIG_IDS 1
#define KVM_DEV_RISCV_AIA_CONFIG_SRCS 2
#define KVM_DEV_RISCV_AIA_CONFIG_GROUP_BITS 3
#define KVM_DEV_RISCV_AIA_CONFIG_GROUP_SHIFT 4
#define KVM_DEV_RISCV_AIA_CONFIG_HART_BITS 5
#define KVM_DEV_RISCV_AIA_CONFIG_GUEST_BITS 6

#define KVM_DEV_RISCV_AIA_MODE_EMUL 0    /* trap and emulate the IMSIC */
#define KVM_DEV_RISCV_AIA_MODE_HWACCEL 1 /* IMSIC guest interrupt files */
#define KVM_DEV_RISCV_AIA_MODE_AUTO 2    /* guest files if there are any */

#define KVM_DEV_RISCV_AIA_GRP_ADDR 1 /* values are __u64 */
#define KVM_DEV_RISCV_AIA_ADDR_APLIC 0
#define KVM_DEV_RISCV_AIA_ADDR_IMSIC(__vcpu) (1 + (__vcpu))

#define KVM_DEV_RISCV_AIA_GRP_CTRL 2
#define KVM_DEV_RISCV_AIA_CTRL_INIT 0
#endif

/* the same header: a vCPU's IMSIC file registers (iselect 0x70..0xff) as
 * AIA device attributes */
#ifndef KVM_DEV_RISCV_AIA_GRP_IMSIC
#define KVM_DEV_RISCV_AIA_GRP_IMSIC 4
#define KVM_DEV_RISCV_AIA_IMSIC_ISEL_BITS 12
#define KVM_DEV_RISCV_AIA_IMSIC_ISEL_MASK ((1U << KVM_DEV_RISCV_AIA_IMSIC_ISEL_BITS) - 1)
#define KVM_DEV_RISCV_AIA_IMSIC_MKATTR(__vcpu, __isel)                                            \
	(((__vcpu) << KVM_DEV_RISCV_AIA_IMSIC_ISEL_BITS) |                                        \
	 ((__isel) & KVM_DEV_RISCV_AIA_IMSIC_ISEL_MASK))
#endif

#endif
