/* SPDX-License-Identifier: MIT */
/*
 * hcabi_x86.h - x86-64 helpers of the conformance guest runtime: CPUID,
 * MSRs, control registers, port I/O, segment numbers, and the runtime's
 * x86-specific services (traps, LAPIC, paging, CPL 3, SMP).
 *
 * Freestanding: only abi.h and compiler-provided headers.
 */
#ifndef HCABI_X86_H
#define HCABI_X86_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hcabi_x86_defs.h"

/* Exception vectors */
enum {
	HCABI_EXC_DE = 0,
	HCABI_EXC_DB = 1,
	HCABI_EXC_NMI = 2,
	HCABI_EXC_BP = 3,
	HCABI_EXC_OF = 4,
	HCABI_EXC_BR = 5,
	HCABI_EXC_UD = 6,
	HCABI_EXC_NM = 7,
	HCABI_EXC_DF = 8,
	HCABI_EXC_TS = 10,
	HCABI_EXC_NP = 11,
	HCABI_EXC_SS = 12,
	HCABI_EXC_GP = 13,
	HCABI_EXC_PF = 14,
	HCABI_EXC_MF = 16,
	HCABI_EXC_AC = 17,
	HCABI_EXC_MC = 18,
	HCABI_EXC_XM = 19,
	HCABI_EXC_VE = 20,
	HCABI_EXC_CP = 21,
	HCABI_EXC_ANY = 0x100, /* expect_exception(): whichever exception comes */
};

/* RFLAGS bits */
#define HCABI_RFLAGS_CF (1ull << 0)
#define HCABI_RFLAGS_FIXED (1ull << 1)
#define HCABI_RFLAGS_PF (1ull << 2)
#define HCABI_RFLAGS_AF (1ull << 4)
#define HCABI_RFLAGS_ZF (1ull << 6)
#define HCABI_RFLAGS_SF (1ull << 7)
#define HCABI_RFLAGS_TF (1ull << 8)
#define HCABI_RFLAGS_IF (1ull << 9)
#define HCABI_RFLAGS_DF (1ull << 10)
#define HCABI_RFLAGS_OF (1ull << 11)
#define HCABI_RFLAGS_AC (1ull << 18)
#define HCABI_RFLAGS_ID (1ull << 21)
#define HCABI_RFLAGS_ARITH                                                                         \
	(HCABI_RFLAGS_CF | HCABI_RFLAGS_PF | HCABI_RFLAGS_AF | HCABI_RFLAGS_ZF | HCABI_RFLAGS_SF | \
	 HCABI_RFLAGS_OF)

/* ---- instructions ---- */
struct hcabi_cpuid {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct hcabi_cpuid hcabi_cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct hcabi_cpuid r;
	__asm__ __volatile__("cpuid"
			     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			     : "a"(leaf), "c"(subleaf));
	return r;
}

static inline uint64_t hcabi_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void hcabi_wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ __volatile__("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			     : "memory");
}

static inline void hcabi_outb(uint16_t port, uint8_t v)
{
	__asm__ __volatile__("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline void hcabi_outl(uint16_t port, uint32_t v)
{
	__asm__ __volatile__("outl %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint8_t hcabi_inb(uint16_t port)
{
	uint8_t v;
	__asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

#define HCABI__DEFINE_CR(n)                                                                        \
	static inline uint64_t hcabi_read_cr##n(void)                                              \
	{                                                                                          \
		uint64_t v;                                                                        \
		__asm__ __volatile__("mov %%cr" #n ", %0" : "=r"(v)::"memory");                    \
		return v;                                                                          \
	}                                                                                          \
	static inline void hcabi_write_cr##n(uint64_t v)                                           \
	{                                                                                          \
		__asm__ __volatile__("mov %0, %%cr" #n ::"r"(v) : "memory");                       \
	}
HCABI__DEFINE_CR(0)
HCABI__DEFINE_CR(2)
HCABI__DEFINE_CR(3)
HCABI__DEFINE_CR(4)
#undef HCABI__DEFINE_CR

static inline uint64_t hcabi_read_rflags(void)
{
	uint64_t v;
	__asm__ __volatile__("pushfq; popq %0" : "=r"(v)::"memory");
	return v;
}

static inline void hcabi_irq_enable(void)
{
	__asm__ __volatile__("sti" ::: "memory");
}

static inline void hcabi_irq_disable(void)
{
	__asm__ __volatile__("cli" ::: "memory");
}

/* Save RFLAGS.IF and disable interrupts; restore with hcabi_irq_restore. */
static inline uint64_t hcabi_irq_save(void)
{
	uint64_t f = hcabi_read_rflags();
	hcabi_irq_disable();
	return f;
}

static inline void hcabi_irq_restore(uint64_t flags)
{
	if (flags & HCABI_RFLAGS_IF)
		hcabi_irq_enable();
}

static inline bool hcabi_irq_enabled(void)
{
	return (hcabi_read_rflags() & HCABI_RFLAGS_IF) != 0;
}

static inline void hcabi_pause(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}

static inline void hcabi_invlpg(uint64_t va)
{
	__asm__ __volatile__("invlpg (%0)" ::"r"(va) : "memory");
}

static inline uint64_t hcabi_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void hcabi_barrier(void)
{
	__asm__ __volatile__("" ::: "memory");
}

static inline void hcabi_mb(void)
{
	__asm__ __volatile__("mfence" ::: "memory");
}

/* ---- traps ---- */
/* The frame every exception and interrupt handler sees; handlers may change
 * it (RIP, RSP, registers) and the interrupted code resumes from it. */
struct hcabi_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* Name of an exception vector ("#GP"), or "IRQ" for 32..255. */
const char *hcabi_exception_name(unsigned vector);

/* Interrupt handlers for vectors 32..254 (shared by every vCPU). The
 * runtime sends the LAPIC EOI after the handler returns. Handlers run with
 * interrupts disabled and must not print through the protocol lock
 * holder's path (they may use the console; the lock is per-line and
 * interrupt-safe). */
typedef void (*hcabi_irq_handler)(struct hcabi_frame *frame, unsigned vector);
void hcabi_irq_register(unsigned vector, hcabi_irq_handler handler);
void hcabi_irq_unregister(unsigned vector);
/* Interrupts of each vector seen by this vCPU since boot (replays
 * included). */
uint64_t hcabi_irq_count(unsigned cpu, unsigned vector);
/*
 * Replayed deliveries. A fixed interrupt from a local APIC (where IPI.SEND
 * and the HCABI timers put theirs) is only ever taken by code running with
 * RFLAGS.IF = 1. Under nested KVM on QEMU's TCG the virtualization layer
 * below the VMM sometimes delivers an interrupt a second time, nested at the
 * first instruction of the first delivery's handler, i.e. into code running
 * with IF = 0 (pure xAPIC ICR IPIs show it too: docs/performance.md). The
 * runtime does not pass such a delivery to the handler, so a test counting
 * deliveries counts what the hypervisor sent, and counts it here instead.
 * hcabi_irq_filter_replays(false) hands them to the handlers again (the
 * stress guest reports them itself).
 */
uint64_t hcabi_irq_replays(unsigned cpu);
void hcabi_irq_filter_replays(bool on);

/*
 * Expected exceptions. expect_exception(v) arms the calling vCPU: the next
 * exception with vector v is recorded instead of being an error, and the
 * interrupted code resumes at
 *   - the fixup label set with HCABI_ASM_FIXUP("label") in the same asm
 *     statement, if any;
 *   - else, for an exception at CPL 3 inside hcabi_run_user(), the return of
 *     hcabi_run_user() (which reports it);
 *   - else, for a fault on a VMCALL, VMMCALL or UD2 instruction, the next
 *     instruction.
 * exception_end() disarms and says whether (and how) it happened.
 */
struct hcabi_exc_info {
	bool happened;
	unsigned vector;
	uint64_t error_code;
	uint64_t cr2;
	struct hcabi_frame frame; /* the state at the exception, as the CPU reported it */
};
void expect_exception(unsigned vector);
bool exception_end(struct hcabi_exc_info *info);

/* Inside an asm statement, before the instruction that may fault: where to
 * resume if an expected exception happens. */
#define HCABI_ASM_FIXUP(label) "movq $" label ", %%gs:" HCABI__STR(HCABI__CPU_OFF_FIXUP) "\n\t"
#define HCABI_ASM_FIXUP_CLEAR "movq $0, %%gs:" HCABI__STR(HCABI__CPU_OFF_FIXUP) "\n\t"
#define HCABI__STR2(x) #x
#define HCABI__STR(x) HCABI__STR2(x)

/* ---- per-vCPU data ---- */
struct hcabi_cpu {
	struct hcabi_cpu *self;	    /* 0: %gs:0 */
	uint64_t index;		    /* 8: vCPU index (VCPU.GET_ID) */
	uint64_t fixup;		    /* 16: HCABI_ASM_FIXUP target, 0 = none */
	volatile int expect_vector; /* -1 = none */
	volatile bool in_user;
	int trap_depth;
	struct hcabi_exc_info exc;
	void *abort_ctx; /* struct hcabi_jmpbuf * to resume at on an unexpected exception */
	void *user_ctx;	 /* struct hcabi_jmpbuf * of hcabi_run_user */
	uint64_t user_result;
	uint64_t irq_count[256];
	uint64_t irq_replays; /* deliveries into IF = 0 code (hcabi_irq_replays) */
	/* SMP task */
	void (*volatile task_fn)(void *);
	void *volatile task_arg;
	volatile int task_state; /* enum hcabi__task_state */
	volatile bool task_error;
	uint8_t *stack_top, *ist_top, *rsp0_top, *user_stack_top;
	void *tss;
};
_Static_assert(__builtin_offsetof(struct hcabi_cpu, fixup) == HCABI__CPU_OFF_FIXUP,
	       "HCABI__CPU_OFF_FIXUP");

static inline struct hcabi_cpu *hcabi_this_cpu(void)
{
	struct hcabi_cpu *c;
	__asm__ __volatile__("movq %%gs:0, %0" : "=r"(c));
	return c;
}

/* Index of the calling vCPU (from per-CPU data, no hypercall). */
static inline unsigned hcabi_cpu_index(void)
{
	return (unsigned)hcabi_this_cpu()->index;
}

/* ---- setjmp/longjmp ---- */
struct hcabi_jmpbuf {
	uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
};
int hcabi_setjmp(struct hcabi_jmpbuf *jb) __attribute__((returns_twice));
__attribute__((noreturn)) void hcabi_longjmp(struct hcabi_jmpbuf *jb, int value);

/* ---- LAPIC (xAPIC, MMIO at 0xFEE00000) ---- */
#define HCABI_APIC_ID 0x020u
#define HCABI_APIC_VERSION 0x030u
#define HCABI_APIC_TPR 0x080u
#define HCABI_APIC_EOI 0x0B0u
#define HCABI_APIC_SVR 0x0F0u
#define HCABI_APIC_ISR 0x100u
#define HCABI_APIC_TMR 0x180u
#define HCABI_APIC_IRR 0x200u
#define HCABI_APIC_ESR 0x280u
#define HCABI_APIC_ICR_LO 0x300u
#define HCABI_APIC_ICR_HI 0x310u
#define HCABI_APIC_LVT_TIMER 0x320u
#define HCABI_APIC_LVT_LINT0 0x350u
#define HCABI_APIC_LVT_LINT1 0x360u
#define HCABI_APIC_LVT_ERROR 0x370u
uint32_t hcabi_apic_read(uint32_t reg);
void hcabi_apic_write(uint32_t reg, uint32_t value);
void hcabi_apic_eoi(void);
/* Software-enable this vCPU's LAPIC (SVR), mask its LVTs, TPR 0. */
void hcabi_apic_enable(void);
/* IRR/ISR bit of a vector. */
bool hcabi_apic_irr(unsigned vector);
bool hcabi_apic_isr(unsigned vector);
/* Send a fixed IPI to this vCPU through the ICR (runtime self-test). */
void hcabi_apic_self_ipi(unsigned vector);

/* ---- paging ---- */
/* The first 4 GiB are identity-mapped with 2 MiB pages, user-accessible
 * (the guest does not enable SMEP/SMAP), 3-4 GiB uncached. */
uint64_t hcabi_pml4(void);
/* A zeroed 4 KiB page of guest RAM (identity-mapped); 0 when none is left. */
uint64_t hcabi_alloc_page(void);
/* Map the 4 KiB page at linear address va (at or above 4 GiB, canonical) to
 * guest-physical pa with flags (HCABI_PTE_*; P is implied), building the
 * page tables it needs from fresh pages. Does not flush the TLB: callers
 * INVLPG (or use TLB.FLUSH). Returns false if va is inside the identity map
 * or no page-table page is left. */
bool hcabi_map_page(uint64_t va, uint64_t pa, uint64_t flags);
/* The PTE that maps va (4 KiB mappings made by hcabi_map_page), or NULL. */
volatile uint64_t *hcabi_pte(uint64_t va);
/* First byte past the highest RAM below 4 GiB that the boot memory map
 * reports (the end of the RAM the image was loaded in). */
uint64_t hcabi_ram_end(void);

/* ---- CPL 3 ---- */
/* Run fn(arg) at CPL 3 on this vCPU's user stack and return its result.
 * Interrupt flag at CPL 3 = the caller's. If an expected exception (see
 * expect_exception) happens at CPL 3, the function is abandoned and
 * hcabi_run_user returns 0 with *faulted = true (faulted may be NULL). An
 * unexpected one is a test error as anywhere else. */
uint64_t hcabi_run_user(uint64_t (*fn)(uint64_t), uint64_t arg, bool *faulted);

/* ---- SSE / AVX ---- */
bool hcabi_has_avx(void);
bool hcabi_has_xsave(void);
/* XCR0 now (XGETBV), and as the runtime set it at boot (0 without XSAVE). */
uint64_t hcabi_xcr0(void);
uint64_t hcabi_xcr0_boot(void);

#endif /* HCABI_X86_H */
