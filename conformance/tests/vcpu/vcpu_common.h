/* SPDX-License-Identifier: MIT */
/*
 * vcpu_common.h - helpers of the VCPU tests.
 *
 * - "raw" starts: VCPU.START with a boot state the test builds, entering
 *   raw_entry.S, which records the registers the vCPU starts with into a
 *   struct vcpu_raw; vcpu_raw_main (raw.c) then runs the test's function
 *   with the runtime's trap handling (GS points at the struct's own
 *   struct hcabi_cpu) and stops the vCPU with VCPU.STOP, recording whether
 *   that returned. The runtime's hcabi_smp_start is not used for these, because
 *   its boot state and its task wrapper hide exactly what is checked.
 * - a record of which vCPUs the image has started, so that "never started"
 *   (VCPU-041) can be checked whatever order the tests run in.
 * - bounded waits for a vCPU state.
 */
#ifndef VCPU_COMMON_H
#define VCPU_COMMON_H

#include "hcabi_test.h"
#include "hcabi_ram.h"

#define VCPU_RAW_STACK 16384u
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

struct vcpu_raw {
	/* written by raw_entry.S at the first instructions (offsets fixed) */
	uint64_t gpr[16]; /* rax rbx rcx rdx rsi rdi rbp rsp r8 .. r15 */
	uint64_t rflags, cr0, cr3, cr4, efer, apic_base;
	uint16_t sel[6]; /* cs ds es fs gs ss */
	uint32_t pad0;
	uint8_t gdtr[16]; /* limit (2 bytes), base (8 bytes) */
	uint8_t idtr[16];
	uint32_t mxcsr;
	uint16_t fcw, pad1;
	uint64_t entries; /* times the entry ran with this struct */
	/* the C side */
	struct hcabi_cpu cpu;
	void (*fn)(struct vcpu_raw *);
	uint64_t data[8];		  /* for the test's function */
	uint64_t release;		  /* set by vCPU 0 to let fn go on */
	uint64_t before_stop, after_stop; /* around VCPU.STOP */
	int64_t stop_status;
	bool faulted;
	uint64_t gdt[VCPU_RAW_GDT_ENTRIES] __attribute__((aligned(16)));
	struct hcabi_tss tss __attribute__((aligned(16)));
	uint8_t ist[VCPU_RAW_IST] __attribute__((aligned(16)));
	uint8_t stack[VCPU_RAW_STACK] __attribute__((aligned(16)));
};
_Static_assert(__builtin_offsetof(struct vcpu_raw, rflags) == 128, "raw_entry.S O_RFLAGS");
_Static_assert(__builtin_offsetof(struct vcpu_raw, apic_base) == 168, "raw_entry.S O_APIC_BASE");
_Static_assert(__builtin_offsetof(struct vcpu_raw, sel) == 176, "raw_entry.S O_SEL");
_Static_assert(__builtin_offsetof(struct vcpu_raw, gdtr) == 192, "raw_entry.S O_GDTR");
_Static_assert(__builtin_offsetof(struct vcpu_raw, idtr) == 208, "raw_entry.S O_IDTR");
_Static_assert(__builtin_offsetof(struct vcpu_raw, mxcsr) == 224, "raw_entry.S O_MXCSR");
_Static_assert(__builtin_offsetof(struct vcpu_raw, fcw) == 228, "raw_entry.S O_FCW");
_Static_assert(__builtin_offsetof(struct vcpu_raw, entries) == 232, "raw_entry.S O_ENTRIES");

enum { R_RAX, R_RBX, R_RCX, R_RDX, R_RSI, R_RDI, R_RBP, R_RSP, R_R8 };

void vcpu_raw_entry(void);

/* Reset ctx for a start of vCPU `index` that will run fn (NULL: stop at
 * once). */
void vcpu_raw_prepare(struct vcpu_raw *ctx, unsigned index, void (*fn)(struct vcpu_raw *));
/* A valid boot state entering vcpu_raw_entry with ctx: the runtime's page
 * tables (or cr3 if not 0) and IDT, and ctx's own GDT (built here). */
void vcpu_raw_boot_state(struct hcabi_vcpu_boot_state *bs, struct vcpu_raw *ctx, uint64_t cr3);
/* Wait until ctx's vCPU ran its entry (entries >= n), up to timeout_ns. */
bool vcpu_raw_wait_entered(struct vcpu_raw *ctx, uint64_t n, uint64_t timeout_ns);
/* Wait until ctx's vCPU called VCPU.STOP and GET_STATUS reports vCPU
 * `index` STOPPED, up to timeout_ns. */
bool vcpu_raw_wait_stopped(struct vcpu_raw *ctx, unsigned index, uint64_t timeout_ns);
/* In a raw vCPU's function: wait (up to 30 s) until vCPU 0 sets release. */
void vcpu_raw_wait_release(struct vcpu_raw *ctx);

/* Starts made by this image (bit i: vCPU i was started at least once). */
extern uint64_t vcpu_started_mask;
/* test_run_on_cpu / test_start_on_cpu, recording the start. */
bool vcpu_run_on(unsigned cpu, void (*fn)(void *), void *arg);
bool vcpu_start_task(unsigned cpu, void (*fn)(void *), void *arg);
/* VCPU.START, recording a successful start. */
struct hcabi_ret vcpu_start_raw(unsigned cpu, const struct hcabi_vcpu_boot_state *bs);

/* Poll GET_STATUS(cpu) until it reports `state`, up to timeout_ns. */
bool vcpu_wait_state(unsigned cpu, uint64_t state, uint64_t timeout_ns);

/* ---- VCPU-024.3: the state a started vCPU begins with (start_state.c) ----
 * Shared by VCPU.START's first start (start.c) and a restart after the vCPU
 * changed that state and stopped itself (restart.c). */

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
void vcpu_check_start_state(const struct vcpu_raw *ctx, const struct hcabi_vcpu_boot_state *bs,
			    const char *when);
/* A copy of the runtime's page tables (their PML4 page), so that a CR3 "as
 * given" is distinctive; 0 (after test_error) when out of pages. */
uint64_t vcpu_cr3_copy(void);

/* Consume a kick remembered for the caller, if any. */
static inline void vcpu_drain_kick(void)
{
	(void)hcabi_vcpu_block(0);
}

static inline uint64_t vcpu_count(void)
{
	struct hcabi_ret r = hcabi_vcpu_get_count();
	return r.status == HCABI_SUCCESS ? r.value : 1;
}

static inline void vcpu_irq_nop(struct hcabi_frame *f, unsigned v)
{
	(void)f;
	(void)v;
}

#endif /* VCPU_COMMON_H */
