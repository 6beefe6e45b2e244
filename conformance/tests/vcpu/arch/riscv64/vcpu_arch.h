/* SPDX-License-Identifier: MIT */
/*
 * vcpu_arch.h - the riscv64 part of the VCPU tests' raw starts
 * (vcpu_common.h): the boot state (RV64-021), the registers raw_entry.S
 * records at the first instructions, and the start-state checks
 * (start_state.c).
 */
#ifndef VCPU_ARCH_H
#define VCPU_ARCH_H

#include "hcabi_test.h"

typedef struct hcabi_vcpu_boot_state_riscv64 vcpu_bs;

/* what raw_entry.S records (its offsets: the static asserts in raw_arch.c):
 * x1..x31 (x[n] is xn; x[0] stays 0), then sstatus, satp and sie as the
 * vCPU began; reading them at all shows it began in S-mode */
#define VCPU_ARCH_ENTRY_FIELDS                                                                     \
	uint64_t x[32];                                                                            \
	uint64_t sstatus, satp, sie;
/* nothing else of its own: the per-vCPU block, the stack and the rest are
 * the neutral part's */
#define VCPU_ARCH_CTX_FIELDS

#define VCPU_ENTRY_ARG(ctx) ((ctx)->x[11])
#define VCPU_ARG_REG "a1"
/* Make a boot state invalid by its own rules, atomically: reserved[0] not
 * zero (RV64-022). */
#define VCPU_BS_INVALIDATE(bs) hcabi_atomic_store(&(bs)->reserved[0], 0xFFFFFFFFull)

struct vcpu_raw;
/* RV64-023..026: check what ctx's vCPU (vCPU `index`) recorded at its
 * entry: S-mode, satp 0, sstatus.SIE 0, a0 = index, a1 = arg, every other
 * general-purpose register zero. `when` prefixes every message ("" or
 * "restart: "). */
void vcpu_check_start_state(const struct vcpu_raw *ctx, const vcpu_bs *bs, unsigned index,
			    const char *when);

/* On a raw vCPU: sie cleared, then sstatus.SIE set and x1..x31 (but a6,
 * a7) filled with patterns 0xD1D1D1D1000000nn for xn, then VCPU.STOP by
 * ECALL (a7 = eid, a6 = fid); returns its status only if STOP returned
 * (raw_entry.S). */
int64_t vcpu_rv_dirty_stop(uint64_t eid, uint64_t fid);

#endif /* VCPU_ARCH_H */
