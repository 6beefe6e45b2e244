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

/* ---- hcabi_arch.h's leaving the VM, the cycle counter ---- */
static inline void hcabi_arch_debug_exit(uint8_t value)
{
	hcabi_outb(0xF4, value); /* isa-debug-exit */
}

static inline void hcabi_arch_power_off(void)
{
	/* none: isa-debug-exit and SYSTEM.SHUTDOWN are the ways out */
}

__attribute__((noreturn)) static inline void hcabi_arch_halt(void)
{
	for (;;)
		__asm__ __volatile__("cli; hlt");
}

static inline uint64_t hcabi_arch_cycles(void)
{
	return hcabi_rdtsc();
}

/* ---- traps ---- */
#define HCABI_IRQ_FIRST 32u	/* handlers may be registered from here ... */
#define HCABI_IRQ_VECTORS 256u /* ... to here */

/* The frame every exception and interrupt handler sees; handlers may change
 * it (RIP, RSP, registers) and the interrupted code resumes from it. */
struct hcabi_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

static inline bool hcabi_frame_irq_enabled(const struct hcabi_frame *f)
{
	return (f->rflags & HCABI_RFLAGS_IF) != 0;
}

/*
 * Replayed deliveries. A fixed interrupt from a local APIC (where IPI.SEND
 * and the HCABI timers put theirs) is only ever taken by code running with
 * RFLAGS.IF = 1. Under nested KVM on QEMU's TCG the virtualization layer
 * below the VMM sometimes delivers an interrupt a second time, nested at the
 * first instruction of the first delivery's handler, i.e. into code running
 * with IF = 0 (pure xAPIC ICR IPIs show it too: docs/performance.md), or
 * right after that handler's EOI and IRET: then IF = 1, but the vector is no
 * longer in service, which a LAPIC delivery always leaves it until the EOI.
 * The runtime does not pass such a delivery to the handler, nor counts it in
 * hcabi_irq_count, so a test counting deliveries counts what the hypervisor
 * sent; it counts it here instead.
 * hcabi_irq_filter_replays(false) (hcabi_arch.h) hands them to the handlers
 * again (the stress guest reports them itself).
 */

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
	uint64_t irq_count[HCABI_IRQ_VECTORS];
	uint64_t irq_replays; /* the platform's replays (hcabi_irq_replays) */
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

/* ---- descriptor tables, the TSS, the VCPU.START boot state (desc.c) ---- */
/* A 64-bit TSS. */
struct hcabi_tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct hcabi_tss) == 104, "64-bit TSS layout");

/* What LGDT/LIDT load and SGDT/SIDT store. */
struct hcabi_dtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* A TSS with RSP0 = rsp0 (interrupts taken at CPL 3), IST1 = ist1 (#DF,
 * NMI, #MC: the runtime's IDT sends them there) and no I/O bitmap (CPL 3
 * port access faults). */
void hcabi_tss_init(struct hcabi_tss *t, uint64_t rsp0, uint64_t ist1);
/* Write an available 64-bit TSS descriptor (type 9, present) of t into
 * gdt[slot] and gdt[slot + 1]. Written fresh before each LTR, since LTR
 * marks it busy and a busy one cannot be loaded again. */
void hcabi_gdt_set_tss(uint64_t *gdt, unsigned slot, const struct hcabi_tss *t);
/* The calling vCPU's GDTR and IDTR (SGDT, SIDT). */
struct hcabi_dtr hcabi_sgdt(void);
struct hcabi_dtr hcabi_sidt(void);
struct hcabi_vcpu_boot_state;
/* A VCPU.START boot state (struct hcabi_vcpu_boot_state) entering rip in
 * 64-bit mode with RSP = rsp and the argument arg, the calling vCPU's page
 * tables (CR3), the given GDTR and IDTR (NULL: the calling vCPU's), and the
 * runtime's kernel code and data selectors; all else zero. A caller changes
 * what it tests afterwards. */
void hcabi_boot_state_init(struct hcabi_vcpu_boot_state *bs, uint64_t rip, uint64_t rsp,
			   uint64_t arg, const struct hcabi_dtr *gdtr, const struct hcabi_dtr *idtr);

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
/* The interrupt controller of hcabi_arch.h is the LAPIC: hcabi_intc_enable
 * software-enables it (SVR), masks its LVTs, TPR 0; hcabi_intc_pending and
 * hcabi_intc_in_service read IRR and ISR; hcabi_intc_self_ipi sends a fixed
 * IPI through the ICR. */
uint32_t hcabi_apic_read(uint32_t reg);
void hcabi_apic_write(uint32_t reg, uint32_t value);

/* ---- the PVH boot ---- */
/* Guest-physical address of the PVH start info. */
uint64_t hcabi_start_info(void);

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
/* XCR0 now (XGETBV), and as the runtime set it at boot (0 without XSAVE). */
uint64_t hcabi_xcr0(void);
uint64_t hcabi_xcr0_boot(void);

#endif /* HCABI_X86_H */
