/* SPDX-License-Identifier: MIT */
/*
 * vcpu_arch.h - the arm64 part of the VCPU tests' raw starts
 * (vcpu_common.h): the boot state (ARM64-024), the registers raw_entry.S
 * records at the first instructions, and the start-state checks
 * (start_state.c).
 */
#ifndef VCPU_ARCH_H
#define VCPU_ARCH_H

#include "hcabi_test.h"

typedef struct hcabi_vcpu_boot_state_arm64 vcpu_bs;

/* what raw_entry.S records (its offsets: the static asserts in raw_arch.c):
 * x0..x30, SP, SCTLR_EL1, DAIF, CurrentEL and SPSel as the vCPU began */
#define VCPU_ARCH_ENTRY_FIELDS                                                                     \
	uint64_t x[31];                                                                            \
	uint64_t sp, sctlr, daif, current_el, spsel;
/* nothing else of its own: the per-vCPU block, the stack and the rest are
 * the neutral part's */
#define VCPU_ARCH_CTX_FIELDS

#define VCPU_ENTRY_ARG(ctx) ((ctx)->x[0])
#define VCPU_ARG_REG "x0"
/* Make a boot state invalid by its own rules, atomically: reserved[0] not
 * zero (ARM64-025). */
#define VCPU_BS_INVALIDATE(bs) hcabi_atomic_store(&(bs)->reserved[0], 0xFFFFFFFFull)

struct vcpu_raw;
/* ARM64-026..030: check what ctx's vCPU recorded at its entry: EL1h, SCTLR_EL1
 * M, C and I clear, DAIF all set, x0 = the arg, x1..x30 zero. `when`
 * prefixes every message ("" or "restart: "). */
void vcpu_check_start_state(const struct vcpu_raw *ctx, const vcpu_bs *bs, const char *when);

/* On a raw vCPU: x2..x30 set to patterns, DAIF cleared, then VCPU.STOP by
 * HVC (x0 = call_id, x1 = fid); returns its status only if STOP returned
 * (raw_entry.S). */
int64_t vcpu_a64_dirty_stop(uint64_t call_id, uint64_t fid);

#endif /* VCPU_ARCH_H */
