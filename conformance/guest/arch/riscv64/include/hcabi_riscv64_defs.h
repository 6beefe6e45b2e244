/* SPDX-License-Identifier: MIT */
/*
 * hcabi_riscv64_defs.h - riscv64 constants shared by the runtime's assembly
 * and C: CSR numbers and bits, the trap frame's layout, per-vCPU offsets,
 * SBI's extension and function IDs. Only macros: included from .S files.
 */
#ifndef HCABI_RISCV64_DEFS_H
#define HCABI_RISCV64_DEFS_H

#ifdef __ASSEMBLER__
#define HCABI__U64(x) x
#else
#define HCABI__U64(x) x##ull
#endif

#define HCABI_MAX_CPUS 8
/* Every address the runtime touches is physical (satp = 0, no translation):
 * the "identity map" is the whole 56-bit physical address space. */
#define HCABI_IDENTITY_END (HCABI__U64(1) << 56)

/* sstatus */
#define HCABI_SSTATUS_SIE (1 << 1)
#define HCABI_SSTATUS_SPIE (1 << 5)
#define HCABI_SSTATUS_SPP (1 << 8)
#define HCABI_SSTATUS_FS_INITIAL (1 << 13)
#define HCABI_SSTATUS_FS (3 << 13)
#define HCABI_SSTATUS_SUM (1 << 18)
/* sie / sip: supervisor external interrupts (the IMSIC's) */
#define HCABI_SIE_SEIE (1 << 9)
/* scause: the interrupt bit, and the supervisor external interrupt */
#define HCABI_SCAUSE_IRQ (HCABI__U64(1) << 63)
#define HCABI_IRQ_S_EXTERNAL 9

/* The Smaia S-level CSRs by number (older assemblers do not know them) */
#define HCABI_CSR_SISELECT 0x150
#define HCABI_CSR_SIREG 0x151
#define HCABI_CSR_STOPEI 0x15C
/* IMSIC interrupt-file registers reached through siselect (AIA 1.0) */
#define HCABI_IMSIC_EIDELIVERY 0x70
#define HCABI_IMSIC_EITHRESHOLD 0x72
#define HCABI_IMSIC_EIP0 0x80
#define HCABI_IMSIC_EIE0 0xC0

/* The trap frame (struct hcabi_frame): x1..x31 at 8 * (n - 1), then these */
#define HCABI__FRAME_SIZE 288
#define HCABI__FRAME_PC 248
#define HCABI__FRAME_STATUS 256
#define HCABI__FRAME_CAUSE 264
#define HCABI__FRAME_TVAL 272

/* struct hcabi_cpu */
#define HCABI__CPU_OFF_FIXUP 16
#define HCABI__CPU_OFF_STACK 24
#define HCABI__CPU_OFF_HARTID 32

/* SBI (the RISC-V Supervisor Binary Interface, v2.0): extension IDs (a7)
 * and function IDs (a6) the runtime calls */
#define HCABI_SBI_EXT_BASE 0x10
#define HCABI_SBI_BASE_GET_SPEC_VERSION 0
#define HCABI_SBI_EXT_HSM 0x48534D
#define HCABI_SBI_HSM_HART_START 0
#define HCABI_SBI_EXT_SRST 0x53525354
#define HCABI_SBI_SRST_RESET 0
#define HCABI_SBI_SRST_SHUTDOWN 0

#endif /* HCABI_RISCV64_DEFS_H */
