/* SPDX-License-Identifier: MIT */
/*
 * hcabi_x86_defs.h - numbers of the x86-64 guest runtime that both C and
 * assembly use: segment selectors, reserved vectors, page-table bits, MSRs.
 */
#ifndef HCABI_X86_DEFS_H
#define HCABI_X86_DEFS_H

#ifdef __ASSEMBLER__
#define HCABI__U64(x) x
#else
#define HCABI__U64(x) x##ull
#endif

/* GDT layout (shared by every vCPU; one TSS descriptor per vCPU) */
#define HCABI_SEL_KCODE 0x08
#define HCABI_SEL_KDATA 0x10
#define HCABI_SEL_UDATA (0x18 | 3)
#define HCABI_SEL_UCODE (0x20 | 3)
#define HCABI_SEL_TSS0 0x28 /* vCPU n: HCABI_SEL_TSS0 + 16 * n */
#define HCABI_GDT_FIXED 5   /* descriptors before the TSS ones */

#define HCABI_MAX_CPUS 32

/* boot.S identity-maps guest-physical 0 .. 4 GiB (2 MiB pages) */
#define HCABI_IDENTITY_END HCABI__U64(0x100000000)

/* Vectors the runtime reserves */
#define HCABI_VEC_USER_RETURN 0x80 /* int $0x80 from CPL 3: back to hcabi_run_user's caller */
#define HCABI_VEC_SPURIOUS 0xFF	   /* LAPIC spurious vector (no EOI) */

/* Page-table entry bits */
#define HCABI_PTE_P HCABI__U64(0x1)
#define HCABI_PTE_W HCABI__U64(0x2)
#define HCABI_PTE_U HCABI__U64(0x4)
#define HCABI_PTE_PWT HCABI__U64(0x8)
#define HCABI_PTE_PCD HCABI__U64(0x10)
#define HCABI_PTE_A HCABI__U64(0x20)
#define HCABI_PTE_D HCABI__U64(0x40)
#define HCABI_PTE_PS HCABI__U64(0x80)
#define HCABI_PTE_G HCABI__U64(0x100)
#define HCABI_PTE_NX HCABI__U64(0x8000000000000000)
#define HCABI_PTE_ADDR HCABI__U64(0x000FFFFFFFFFF000)

/* MSRs */
#define HCABI_MSR_APIC_BASE 0x0000001B
#define HCABI_MSR_EFER 0xC0000080
#define HCABI_MSR_FS_BASE 0xC0000100
#define HCABI_MSR_GS_BASE 0xC0000101

/* offsetof(struct hcabi_cpu, fixup), checked in hcabi_x86.h */
#define HCABI__CPU_OFF_FIXUP 16

#endif /* HCABI_X86_DEFS_H */
