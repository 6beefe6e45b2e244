/* SPDX-License-Identifier: MIT */
/*
 * diag.h - the guest-fault report of hcabi-refvmm (diag.c).
 */
#ifndef HCABI_REFVMM_DIAG_H
#define HCABI_REFVMM_DIAG_H

#include "x86_kvm.h"

/* Read HCABI_REFVMM_DIAG; once, before any vCPU runs. */
void hcabi__diag_init(void);
/* HCABI_REFVMM_DIAG=nocoalesce: collect no writes (coalesce.c). */
bool hcabi__diag_no_coalesce(void);
/* vCPU v was put into boot state bs by VCPU.START (its thread parked). */
void hcabi__diag_started(struct hcabi__vcpu *v, const struct hcabi_vcpu_boot_state *bs);
/* v's thread: KVM_RUN returned an exit (before it is handled). */
void hcabi__diag_exit(struct hcabi__vcpu *v);
/* v's thread: a KVM_EXIT_DEBUG; true if it was the start trace's. */
bool hcabi__diag_debug_exit(struct hcabi__vcpu *v);
/* v's thread: a guest fault ends the VM; log what is known (before the
 * final line). */
void hcabi__diag_fault(struct hcabi__vcpu *v);

#endif
