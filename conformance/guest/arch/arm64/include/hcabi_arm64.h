/* SPDX-License-Identifier: MIT */
/*
 * hcabi_arm64.h - arm64 (AArch64, EL1) helpers of the conformance guest
 * runtime: system registers, barriers, the exception frame, the per-vCPU
 * block, and the runtime's arm64-specific services (traps, the identity
 * map, the device tree, PSCI).
 *
 * Freestanding: only abi.h and compiler-provided headers.
 */
#ifndef HCABI_ARM64_H
#define HCABI_ARM64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hcabi_arm64_defs.h"
#include "hcabi_dt.h"

/*
 * Exceptions. The `vector` of hcabi_arch.h's exception interface is the
 * exception class (ESR_EL1.EC, 0..0x3F) of a synchronous exception; an
 * SError is HCABI_EXC_SERROR. Interrupt vectors are GIC interrupt IDs
 * (INTIDs) below HCABI_IRQ_VECTORS.
 */
enum {
	HCABI_EXC_UNKNOWN = 0x00, /* an undefined instruction (HVC without EL2 among them) */
	HCABI_EXC_WFX = 0x01,
	HCABI_EXC_FP = 0x07,
	HCABI_EXC_ILLEGAL = 0x0E, /* illegal execution state */
	HCABI_EXC_SVC64 = 0x15,
	HCABI_EXC_HVC64 = 0x16,
	HCABI_EXC_SMC64 = 0x17,
	HCABI_EXC_SYSREG = 0x18,
	HCABI_EXC_IABT_LOW = 0x20,
	HCABI_EXC_IABT = 0x21,
	HCABI_EXC_PC_ALIGN = 0x22,
	HCABI_EXC_DABT_LOW = 0x24,
	HCABI_EXC_DABT = 0x25,
	HCABI_EXC_SP_ALIGN = 0x26,
	HCABI_EXC_BRK = 0x3C,
	HCABI_EXC_SERROR = 0x40,  /* not an EC: an SError interrupt */
	HCABI_EXC_ANY = 0x100,	  /* expect_exception(): whichever exception comes */
};
#define HCABI_IRQ_FIRST 0u	/* handlers may be registered from here ... */
#define HCABI_IRQ_VECTORS 64u /* ... to here: SGIs, PPIs and the first SPIs */

/* ---- system registers ---- */
#define hcabi_read_sysreg(r)                                                                       \
	({                                                                                         \
		uint64_t v__;                                                                      \
		__asm__ __volatile__("mrs %0, " #r : "=r"(v__)::"memory");                         \
		v__;                                                                               \
	})
#define hcabi_write_sysreg(r, v)                                                                   \
	do {                                                                                       \
		uint64_t v__ = (uint64_t)(v);                                                      \
		__asm__ __volatile__("msr " #r ", %0" ::"r"(v__) : "memory");                      \
	} while (0)

static inline void hcabi_isb(void)
{
	__asm__ __volatile__("isb" ::: "memory");
}

/* ---- MMIO ---- */
/* Device registers are read and written by single loads and stores to a
 * register address, never with writeback or in pairs: a hypervisor can
 * emulate only an access whose syndrome it is given (ESR_EL2.ISV), and KVM
 * refuses the rest (a post-indexed `strb w1, [x0], #1` that a compiler
 * makes of a volatile byte loop is one). Hence the explicit instructions. */
static inline uint32_t hcabi_mmio_read32(uint64_t addr)
{
	uint32_t v;
	__asm__ __volatile__("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline uint64_t hcabi_mmio_read64(uint64_t addr)
{
	uint64_t v;
	__asm__ __volatile__("ldr %0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline void hcabi_mmio_write32(uint64_t addr, uint32_t v)
{
	__asm__ __volatile__("str %w0, [%1]" ::"rZ"(v), "r"(addr) : "memory");
}

static inline void hcabi_mmio_write8(uint64_t addr, uint8_t v)
{
	__asm__ __volatile__("strb %w0, [%1]" ::"rZ"(v), "r"(addr) : "memory");
}

/* ---- hcabi_arch.h: interrupts and the CPU ---- */
static inline void hcabi_irq_enable(void)
{
	__asm__ __volatile__("msr daifclr, #2" ::: "memory");
}

static inline void hcabi_irq_disable(void)
{
	__asm__ __volatile__("msr daifset, #2" ::: "memory");
}

/* DAIF, then IRQs masked; restore with hcabi_irq_restore. */
static inline uint64_t hcabi_irq_save(void)
{
	uint64_t f = hcabi_read_sysreg(daif);
	hcabi_irq_disable();
	return f;
}

static inline void hcabi_irq_restore(uint64_t flags)
{
	if (!(flags & HCABI_DAIF_I))
		hcabi_irq_enable();
}

static inline bool hcabi_irq_enabled(void)
{
	return (hcabi_read_sysreg(daif) & HCABI_DAIF_I) == 0;
}

static inline void hcabi_pause(void)
{
	__asm__ __volatile__("yield" ::: "memory");
}

static inline void hcabi_barrier(void)
{
	__asm__ __volatile__("" ::: "memory");
}

static inline void hcabi_mb(void)
{
	__asm__ __volatile__("dsb sy" ::: "memory");
}

/* The generic timer's virtual count in nanoseconds (clock.c's fallback
 * clock, which wants a nanosecond-like count before TIME is known). */
static inline uint64_t hcabi_arch_cycles(void)
{
	uint64_t freq = hcabi_read_sysreg(cntfrq_el0);
	uint64_t cnt;
	hcabi_isb();
	cnt = hcabi_read_sysreg(cntvct_el0);
	if (!freq)
		return cnt;
	/* no 128-bit division in a freestanding image: split it */
	return (cnt / freq) * 1000000000ull + (cnt % freq) * 1000000000ull / freq;
}

/* ---- hcabi_arch.h: leaving the VM ---- */
/* arm64 has no test-exit device: the value travels by SYSTEM.SHUTDOWN, and
 * without HCABI the image powers off through PSCI (hcabi_arch_power_off). */
static inline void hcabi_arch_debug_exit(uint8_t value)
{
	(void)value;
}

__attribute__((noreturn)) static inline void hcabi_arch_halt(void)
{
	for (;;)
		__asm__ __volatile__("msr daifset, #0xf\n\twfi" ::: "memory");
}

/* ---- traps ---- */
/* The frame every exception and interrupt handler sees; handlers may change
 * it (pc, registers) and the interrupted code resumes from it. */
struct hcabi_frame {
	uint64_t x[31]; /* x0..x30 */
	uint64_t sp;	/* the interrupted SP */
	uint64_t pc;	/* ELR_EL1 */
	uint64_t pstate; /* SPSR_EL1 */
	uint64_t esr, far;
	uint64_t kind; /* HCABI__TRAP_*: which vector entry */
	uint64_t pad;
};
_Static_assert(sizeof(struct hcabi_frame) == HCABI__FRAME_SIZE, "HCABI__FRAME_SIZE");

static inline bool hcabi_frame_irq_enabled(const struct hcabi_frame *f)
{
	return (f->pstate & HCABI_DAIF_I) == 0;
}

/*
 * Expected exceptions: expect_exception(ec) arms the calling vCPU; the next
 * synchronous exception of that class is recorded instead of being an
 * error, and the code resumes at
 *   - the fixup label set with HCABI_ASM_FIXUP("label") in the same asm
 *     statement, if any;
 *   - else, after the faulting instruction when it is HVC, SMC or UDF.
 * exception_end() disarms and says whether (and how) it happened.
 */
struct hcabi_exc_info {
	bool happened;
	unsigned vector; /* the EC */
	uint64_t esr, far;
	struct hcabi_frame frame;
};

/* Inside an asm statement, before the instruction that may fault: where to
 * resume if an expected exception happens (uses x16 and x17). */
#define HCABI_ASM_FIXUP(label)                                                                     \
	"mrs x17, tpidr_el1\n\tadr x16, " label "\n\tstr x16, [x17, #" HCABI__STR(                 \
	    HCABI__CPU_OFF_FIXUP) "]\n\t"
#define HCABI_ASM_FIXUP_CLEAR                                                                      \
	"mrs x17, tpidr_el1\n\tstr xzr, [x17, #" HCABI__STR(HCABI__CPU_OFF_FIXUP) "]\n\t"
#define HCABI__STR2(x) #x
#define HCABI__STR(x) HCABI__STR2(x)

/* ---- per-vCPU data (TPIDR_EL1 points at it) ---- */
struct hcabi_cpu {
	struct hcabi_cpu *self; /* 0 */
	uint64_t index;		/* 8: vCPU index (VCPU.GET_ID) */
	uint64_t fixup;		/* 16: HCABI_ASM_FIXUP target, 0 = none */
	uint8_t *stack_top;	/* 24: where hcabi__ap_entry puts SP */
	volatile int expect_vector; /* -1 = none */
	int trap_depth;
	struct hcabi_exc_info exc;
	void *abort_ctx; /* struct hcabi_jmpbuf * to resume at on an unexpected exception */
	void *user_ctx;	 /* of code run at EL0: none yet, always NULL (the framework clears it) */
	uint64_t irq_count[HCABI_IRQ_VECTORS];
	uint64_t irq_replays;
	/* SMP task */
	void (*volatile task_fn)(void *);
	void *volatile task_arg;
	volatile int task_state; /* enum hcabi__task_state */
	volatile bool task_error;
};
_Static_assert(__builtin_offsetof(struct hcabi_cpu, fixup) == HCABI__CPU_OFF_FIXUP,
	       "HCABI__CPU_OFF_FIXUP");
_Static_assert(__builtin_offsetof(struct hcabi_cpu, stack_top) == HCABI__CPU_OFF_STACK,
	       "HCABI__CPU_OFF_STACK");

static inline struct hcabi_cpu *hcabi_this_cpu(void)
{
	return (struct hcabi_cpu *)(uintptr_t)hcabi_read_sysreg(tpidr_el1);
}

static inline unsigned hcabi_cpu_index(void)
{
	return (unsigned)hcabi_this_cpu()->index;
}

/* ---- setjmp/longjmp: the callee-saved registers, SP and the return ---- */
struct hcabi_jmpbuf {
	uint64_t x19_x28[10];
	uint64_t fp, lr, sp;
};

/* ---- the boot (boot.S, cpu.c; the device tree: lib/dt.c) ---- */
/* The exception level the image was entered at (1 or 2); the device tree
 * the boot protocol passed in x0 is hcabi_dt.h's. */
unsigned hcabi_boot_el(void);

/* ---- RAM and the identity map (mmu.c) ---- */
/* Every byte of the guest-physical space the MMU reaches is mapped at its
 * own address: the device tree's memory ranges (hcabi_arch_memory_range) as
 * normal write-back memory, the rest device-nGnRE, never executable. */
#define HCABI_MEM_RANGES_MAX 16u
/* First byte past the RAM range that holds the image. */
uint64_t hcabi_ram_end(void);
/* A zeroed 4 KiB page of RAM after the image (and the device tree); 0 when
 * none is left. */
uint64_t hcabi_alloc_page(void);

/* The level-3 descriptor of a 4 KiB page of normal memory at pa, read-write
 * at EL1, never executable; global, or not (nG: tagged with the ASID). */
uint64_t hcabi_arm64_page_desc(uint64_t pa, bool global);
/* Map the 4 KiB page at va (below 2^39, above the first 4 GiB) to pa
 * (hcabi_arm64_page_desc) through a level-2 and a level-3 table of its own:
 * va's 1 GiB must be an unused device block of the identity map (not RAM),
 * which becomes such a table, or one made so before. Returns the level-3
 * entry, which the caller may rewrite (without TLB maintenance: the TLB
 * tests), or NULL (no page left, or va's 1 GiB is not usable). */
volatile uint64_t *hcabi_arm64_map_page(uint64_t va, uint64_t pa, bool global);

/* For a vCPU a test starts itself with VCPU.START (its MMU off, ARM64-027)
 * before it runs hcabi__cpu_init: clean [p, p + len), which it reads, and
 * the identity map's tables to the point of coherency; and, on that vCPU
 * once its MMU is on, clean and invalidate [p, p + len), which it wrote
 * uncached, so that no vCPU keeps reading an older cached copy. */
void hcabi_arm64_clean_for_start(const void *p, size_t len);
void hcabi_arm64_drop_cached(const void *p, size_t len);

/* ---- PSCI (psci.c), through the conduit the device tree names ---- */
/* SYSTEM_OFF; returns if PSCI is absent or refused. */
void hcabi_psci_system_off(void);
/* CPU_ON: the PSCI status (0 = started; -1 without PSCI). */
int64_t hcabi_psci_cpu_on(uint64_t mpidr, uint64_t entry, uint64_t context);

/* ---- vCPUs without HCABI (cpu.c) ---- */
/* The MPIDR affinity of vCPU `cpu` (its reg in /cpus), or -1. */
static inline int64_t hcabi_dt_cpu_mpidr(unsigned cpu)
{
	return hcabi_dt_cpu_reg(cpu);
}
/* Run fn(arg) on vCPU `cpu`, started by PSCI CPU_ON on the path VCPU.START
 * takes (hcabi__ap_entry, hcabi__ap_main: its own MMU, GIC redistributor,
 * per-vCPU block): the self-test's check of that path under a hypervisor
 * without HCABI. After fn the vCPU halts (VCPU.STOP is HCABI's). Returns the
 * CPU_ON status. */
int64_t hcabi_arm64_cpu_on(unsigned cpu, void (*fn)(void *), void *arg);
/* Wait (up to timeout_ns) until fn has returned on that vCPU; true if it
 * did (the vCPU is then halted for good and counts as idle). */
bool hcabi_arm64_cpu_wait(unsigned cpu, uint64_t timeout_ns);

/* hcabi_arch.h's power-off: PSCI */
static inline void hcabi_arch_power_off(void)
{
	hcabi_psci_system_off();
}

/* ---- shared by the arm64 runtime's files only ---- */
/* boot.S -> cpu.c: vCPU 0's C entry (never returns) */
void hcabi__boot(uint64_t dtb, uint64_t el);
/* mmu.c: RAM from the device tree, the identity map, vCPU 0's MMU on; the
 * calling vCPU's MMU on with it (no-op when already on) */
void hcabi__mmu_init(void);
void hcabi__mmu_enable(void);
/* mmu.c: clean [p, p + len) to the point of coherency (a vCPU that starts
 * with its MMU off reads memory, not the caller's caches); the same for
 * what hcabi__mmu_enable reads */
void hcabi__clean_to_poc(const void *p, size_t len);
void hcabi__mmu_clean_tables(void);
/* intc.c: acknowledge the highest pending interrupt (its INTID; 1023 when
 * none) */
unsigned hcabi__intc_ack(void);

#endif /* HCABI_ARM64_H */
