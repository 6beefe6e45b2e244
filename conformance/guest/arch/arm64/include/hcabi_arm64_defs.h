/* SPDX-License-Identifier: MIT */
/*
 * hcabi_arm64_defs.h - arm64 constants shared by the runtime's assembly and
 * C: register bits, the trap frame's size and kinds, per-vCPU offsets.
 * Only macros: included from .S files.
 */
#ifndef HCABI_ARM64_DEFS_H
#define HCABI_ARM64_DEFS_H

#ifdef __ASSEMBLER__
#define HCABI__U64(x) x
#else
#define HCABI__U64(x) x##ull
#endif

#define HCABI_MAX_CPUS 8
/* The identity map covers the 39-bit address space (TCR_EL1.T0SZ = 25). */
#define HCABI_VA_BITS 39
#define HCABI_IDENTITY_END (HCABI__U64(1) << HCABI_VA_BITS)

/* DAIF bits as MRS reads them */
#define HCABI_DAIF_F (1 << 6)
#define HCABI_DAIF_I (1 << 7)
#define HCABI_DAIF_A (1 << 8)
#define HCABI_DAIF_D (1 << 9)

/* SPSR: EL1h with D, A, I, F masked */
#define HCABI_SPSR_EL1H_MASKED 0x3c5

/* The trap frame (struct hcabi_frame) and which vector entry took it */
#define HCABI__FRAME_SIZE 304
#define HCABI__FRAME_SP 248
#define HCABI__FRAME_PC 256
#define HCABI__FRAME_PSTATE 264
#define HCABI__FRAME_ESR 272
#define HCABI__FRAME_FAR 280
#define HCABI__FRAME_KIND 288
#define HCABI__TRAP_SYNC 0
#define HCABI__TRAP_IRQ 1
#define HCABI__TRAP_FIQ 2
#define HCABI__TRAP_SERROR 3
#define HCABI__TRAP_BAD 4 /* an entry the runtime never uses (SP_EL0, lower EL) */

/* struct hcabi_cpu */
#define HCABI__CPU_OFF_FIXUP 16
#define HCABI__CPU_OFF_STACK 24

/* PSCI 0.2+ function IDs (Arm DEN 0022) */
#define HCABI_PSCI_SYSTEM_OFF 0x84000008
#define HCABI_PSCI_CPU_ON 0xC4000003

#endif /* HCABI_ARM64_DEFS_H */
