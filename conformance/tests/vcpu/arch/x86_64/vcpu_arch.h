/* SPDX-License-Identifier: MIT */
/*
 * vcpu_arch.h - the x86-64 part of the VCPU tests' raw starts
 * (vcpu_common.h): the boot state, the registers raw_entry.S records, the
 * raw vCPU's own GDT and TSS, and the start-state checks (start_state.c).
 */
#ifndef VCPU_ARCH_H
#define VCPU_ARCH_H

#include "hcabi_test.h"

typedef struct hcabi_vcpu_boot_state vcpu_bs;

#define VCPU_RAW_IST 4096u
/* The raw vCPUs' own GDT: the runtime's five fixed descriptors (null, kernel
 * code 0x08, kernel data 0x10, user data, user code), then a TSS descriptor
 * (selector VCPU_RAW_SEL_TSS) for the raw vCPU's own TSS, whose IST1 stack
 * takes #DF, NMI and #MC (the runtime's IDT sends them there), so that such
 * an exception is reported instead of ending in a triple fault. Its own
 * address and a limit unlike the runtime's make "GDTR as given" visible. */
#define VCPU_RAW_GDT_ENTRIES (HCABI_GDT_FIXED + 2)
#define VCPU_RAW_GDT_LIMIT ((uint16_t)(VCPU_RAW_GDT_ENTRIES * 8 - 1))
#define VCPU_RAW_SEL_TSS ((uint16_t)(HCABI_GDT_FIXED * 8))

/* what raw_entry.S records (its offsets: the static asserts in raw_arch.c) */
#define VCPU_ARCH_ENTRY_FIELDS                                                                     \
	uint64_t gpr[16]; /* rax rbx rcx rdx rsi rdi rbp rsp r8 .. r15 */                          \
	uint64_t rflags, cr0, cr3, cr4, efer, apic_base;                                           \
	uint16_t sel[6]; /* cs ds es fs gs ss */                                                   \
	uint32_t pad0;                                                                             \
	uint8_t gdtr[16]; /* limit (2 bytes), base (8 bytes) */                                    \
	uint8_t idtr[16];                                                                          \
	uint32_t mxcsr;                                                                            \
	uint16_t fcw, pad1;
#define VCPU_ARCH_CTX_FIELDS                                                                       \
	uint64_t gdt[VCPU_RAW_GDT_ENTRIES] __attribute__((aligned(16)));                           \
	struct hcabi_tss tss __attribute__((aligned(16)));                                         \
	uint8_t ist[VCPU_RAW_IST] __attribute__((aligned(16)));

enum { R_RAX, R_RBX, R_RCX, R_RDX, R_RSI, R_RDI, R_RBP, R_RSP, R_R8 };
#define VCPU_ENTRY_ARG(ctx) ((ctx)->gpr[R_RDI])
#define VCPU_ARG_REG "RDI"
/* Make a boot state invalid by its own rules, atomically: flags not zero
 * (VCPU-022.1). */
#define VCPU_BS_INVALIDATE(bs) hcabi_atomic_store(&(bs)->flags, 0xFFFFFFFFu)

struct vcpu_raw;
/* ---- VCPU-024.3: the state a started vCPU begins with (start_state.c) ----
 * Shared by VCPU.START's first start (start_x86.c) and a restart after the
 * vCPU changed that state and stopped itself (restart_state.c). */

/* CR0, CR4 and EFER bits a started vCPU has (VCPU-024.3). */
#define VCPU_CR0_WP (1ull << 16)
#define VCPU_CR0_BITS                                                                              \
	((1ull << 0) | (1ull << 1) | (1ull << 4) | (1ull << 5) | VCPU_CR0_WP | (1ull << 31))
#define VCPU_CR4_OSXMMEXCPT (1ull << 10)
#define VCPU_CR4_BITS ((1ull << 5) | (1ull << 9) | VCPU_CR4_OSXMMEXCPT)
#define VCPU_EFER_BITS ((1ull << 8) | (1ull << 10) | (1ull << 11))

/* Check what ctx's vCPU recorded at its entry against the boot state bs
 * START was given: RDI = arg (VCPU-024.4); RSP, CR3, CS, DS..SS, GDTR and
 * IDTR as given, every other general-purpose register zero, RFLAGS 0x2,
 * the CR0, CR4 and EFER bits above, MXCSR 0x1F80 (VCPU-024.3). `when`
 * prefixes every message ("" or "restart: "). The x87, XMM and LAPIC state
 * are the callers' (what each can make distinctive differs). */
void vcpu_check_start_state(const struct vcpu_raw *ctx, const vcpu_bs *bs, const char *when);
/* A copy of the runtime's page tables (their PML4 page), so that a CR3 "as
 * given" is distinctive; 0 (after test_error) when out of pages. */
uint64_t vcpu_cr3_copy(void);

#endif /* VCPU_ARCH_H */
