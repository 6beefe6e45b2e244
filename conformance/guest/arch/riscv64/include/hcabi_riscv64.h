/* SPDX-License-Identifier: MIT */
/*
 * hcabi_riscv64.h - riscv64 (RV64, S-mode) helpers of the conformance guest
 * runtime: CSRs, fences, the trap frame, the per-vCPU block, and the
 * runtime's riscv64-specific services (traps, RAM, the device tree, SBI).
 *
 * The runtime runs with satp = 0 (no address translation: the platform's
 * physical memory attributes make RAM ordinary memory and devices I/O), so
 * there are no page tables here. Freestanding: only abi.h and
 * compiler-provided headers.
 */
#ifndef HCABI_RISCV64_H
#define HCABI_RISCV64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi.h"
#include "hcabi_dt.h"
#include "hcabi_riscv64_defs.h"

/*
 * Exceptions. The `vector` of hcabi_arch.h's exception interface is the
 * exception code of scause (interrupt bit clear). Interrupt vectors are
 * IMSIC interrupt identities below HCABI_IRQ_VECTORS.
 */
enum {
	HCABI_EXC_INSN_MISALIGNED = 0,
	HCABI_EXC_INSN_ACCESS = 1,
	HCABI_EXC_ILLEGAL = 2, /* an illegal instruction */
	HCABI_EXC_BREAKPOINT = 3,
	HCABI_EXC_LOAD_MISALIGNED = 4,
	HCABI_EXC_LOAD_ACCESS = 5,
	HCABI_EXC_STORE_MISALIGNED = 6,
	HCABI_EXC_STORE_ACCESS = 7,
	HCABI_EXC_ECALL_U = 8,
	HCABI_EXC_ECALL_S = 9,
	HCABI_EXC_INSN_PAGE = 12,
	HCABI_EXC_LOAD_PAGE = 13,
	HCABI_EXC_STORE_PAGE = 15,
	HCABI_EXC_ANY = 0x100, /* expect_exception(): whichever exception comes */
};
#define HCABI_IRQ_FIRST 0u    /* handlers may be registered from here ... */
#define HCABI_IRQ_VECTORS 64u /* ... to here: the IMSIC identities 0..63 */

/* ---- CSRs (by name or number) ---- */
#define HCABI__CSTR2(x) #x
#define HCABI__CSTR(x) HCABI__CSTR2(x)
#define hcabi_csr_read(csr)                                                                        \
	({                                                                                         \
		uint64_t v__;                                                                      \
		__asm__ __volatile__("csrr %0, " HCABI__CSTR(csr) : "=r"(v__)::"memory");          \
		v__;                                                                               \
	})
#define hcabi_csr_write(csr, v)                                                                    \
	do {                                                                                       \
		uint64_t v__ = (uint64_t)(v);                                                      \
		__asm__ __volatile__("csrw " HCABI__CSTR(csr) ", %0" ::"rK"(v__) : "memory");      \
	} while (0)
#define hcabi_csr_set(csr, v)                                                                      \
	do {                                                                                       \
		uint64_t v__ = (uint64_t)(v);                                                      \
		__asm__ __volatile__("csrs " HCABI__CSTR(csr) ", %0" ::"rK"(v__) : "memory");      \
	} while (0)
#define hcabi_csr_clear(csr, v)                                                                    \
	do {                                                                                       \
		uint64_t v__ = (uint64_t)(v);                                                      \
		__asm__ __volatile__("csrc " HCABI__CSTR(csr) ", %0" ::"rK"(v__) : "memory");      \
	} while (0)

/* ---- MMIO ---- */
/* Device registers by single loads and stores of their width: what a
 * hypervisor decodes from the trapping instruction (KVM emulates plain
 * loads and stores, not compressed pairs or AMOs on MMIO). */
static inline uint8_t hcabi_mmio_read8(uint64_t addr)
{
	uint8_t v;
	__asm__ __volatile__("lbu %0, 0(%1)" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline void hcabi_mmio_write8(uint64_t addr, uint8_t v)
{
	__asm__ __volatile__("sb %0, 0(%1)" ::"rJ"(v), "r"(addr) : "memory");
}

static inline void hcabi_mmio_write32(uint64_t addr, uint32_t v)
{
	__asm__ __volatile__("sw %0, 0(%1)" ::"rJ"(v), "r"(addr) : "memory");
}

/* ---- hcabi_arch.h: interrupts and the CPU ---- */
static inline void hcabi_irq_enable(void)
{
	hcabi_csr_set(sstatus, HCABI_SSTATUS_SIE);
}

static inline void hcabi_irq_disable(void)
{
	hcabi_csr_clear(sstatus, HCABI_SSTATUS_SIE);
}

/* sstatus before, then interrupts disabled; restore with hcabi_irq_restore. */
static inline uint64_t hcabi_irq_save(void)
{
	uint64_t f;
	__asm__ __volatile__("csrrci %0, sstatus, %1"
			     : "=r"(f)
			     : "K"(HCABI_SSTATUS_SIE)
			     : "memory");
	return f;
}

static inline void hcabi_irq_restore(uint64_t flags)
{
	if (flags & HCABI_SSTATUS_SIE)
		hcabi_irq_enable();
}

static inline bool hcabi_irq_enabled(void)
{
	return (hcabi_csr_read(sstatus) & HCABI_SSTATUS_SIE) != 0;
}

static inline void hcabi_pause(void)
{
	/* Zihintpause's `pause`, a hint (an ordinary fence on harts without it) */
	__asm__ __volatile__(".insn i 0x0F, 0, x0, x0, 0x010" ::: "memory");
}

static inline void hcabi_barrier(void)
{
	__asm__ __volatile__("" ::: "memory");
}

static inline void hcabi_mb(void)
{
	__asm__ __volatile__("fence iorw, iorw" ::: "memory");
}

/* The `time` CSR in nanoseconds (clock.c's fallback clock), at the device
 * tree's /cpus timebase-frequency (cpu.c reads it at boot; 0: unknown, the
 * raw count). */
extern uint64_t hcabi__timebase_hz;
static inline uint64_t hcabi_arch_cycles(void)
{
	uint64_t t, hz = hcabi__timebase_hz;

	__asm__ __volatile__("rdtime %0" : "=r"(t)::"memory");
	if (!hz)
		return t;
	/* no 128-bit division in a freestanding image: split it */
	return (t / hz) * 1000000000ull + (t % hz) * 1000000000ull / hz;
}

/* ---- hcabi_arch.h: leaving the VM ---- */
/* riscv64 has no test-exit device: the value travels by SYSTEM.SHUTDOWN,
 * and without HCABI the image powers off through SBI SRST. */
static inline void hcabi_arch_debug_exit(uint8_t value)
{
	(void)value;
}

__attribute__((noreturn)) static inline void hcabi_arch_halt(void)
{
	for (;;)
		__asm__ __volatile__("csrci sstatus, 2\n\twfi" ::: "memory");
}

/* ---- traps ---- */
/* The frame every exception and interrupt handler sees; handlers may change
 * it (pc, registers) and the interrupted code resumes from it. */
struct hcabi_frame {
	uint64_t x[31];	 /* x1..x31: x[n - 1] is xn (x[1] the interrupted sp) */
	uint64_t pc;	 /* sepc */
	uint64_t status; /* sstatus */
	uint64_t cause, tval;
	uint64_t pad;
};
_Static_assert(sizeof(struct hcabi_frame) == HCABI__FRAME_SIZE, "HCABI__FRAME_SIZE");
_Static_assert(__builtin_offsetof(struct hcabi_frame, pc) == HCABI__FRAME_PC, "HCABI__FRAME_PC");
_Static_assert(__builtin_offsetof(struct hcabi_frame, tval) == HCABI__FRAME_TVAL,
	       "HCABI__FRAME_TVAL");
#define HCABI_FRAME_REG(f, n) ((f)->x[(n)-1]) /* xn, n = 1..31 */

static inline bool hcabi_frame_irq_enabled(const struct hcabi_frame *f)
{
	return (f->status & HCABI_SSTATUS_SPIE) != 0;
}

/*
 * Expected exceptions: expect_exception(code) arms the calling vCPU; the
 * next exception with that scause code is recorded instead of being an
 * error, and the code resumes at
 *   - the fixup label set with HCABI_ASM_FIXUP("label") in the same asm
 *     statement, if any;
 *   - else, after the faulting instruction when it is ECALL, EBREAK or an
 *     illegal instruction (its length from its encoding).
 * exception_end() disarms and says whether (and how) it happened.
 */
struct hcabi_exc_info {
	bool happened;
	unsigned vector; /* the scause code */
	uint64_t cause, tval;
	struct hcabi_frame frame;
};

/* Inside an asm statement, before the instruction that may fault: where to
 * resume if an expected exception happens (uses t5 and t6). */
#define HCABI_ASM_FIXUP(label)                                                                     \
	"csrr t6, sscratch\n\tlla t5, " label                                                      \
	"\n\tsd t5, " HCABI__CSTR(HCABI__CPU_OFF_FIXUP) "(t6)\n\t"
#define HCABI_ASM_FIXUP_CLEAR                                                                      \
	"csrr t6, sscratch\n\tsd zero, " HCABI__CSTR(HCABI__CPU_OFF_FIXUP) "(t6)\n\t"

/* ---- per-vCPU data (sscratch points at it) ---- */
struct hcabi_cpu {
	struct hcabi_cpu *self;	    /* 0 */
	uint64_t index;		    /* 8: vCPU index (VCPU.GET_ID), which is its hart ID */
	uint64_t fixup;		    /* 16: HCABI_ASM_FIXUP target, 0 = none */
	uint8_t *stack_top;	    /* 24: where hcabi__ap_entry puts sp */
	uint64_t hartid;	    /* 32: a0 at entry (S-mode cannot read mhartid) */
	volatile int expect_vector; /* -1 = none */
	int trap_depth;
	struct hcabi_exc_info exc;
	void *abort_ctx; /* struct hcabi_jmpbuf * to resume at on an unexpected exception */
	void *user_ctx;	 /* unused: hcabi_run_umode keeps its context in sscratch; always NULL */
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
_Static_assert(__builtin_offsetof(struct hcabi_cpu, hartid) == HCABI__CPU_OFF_HARTID,
	       "HCABI__CPU_OFF_HARTID");

/* sscratch, not tp: the binding preserves sscratch (RV64-012), and a test
 * may put anything in tp around a call. */
static inline struct hcabi_cpu *hcabi_this_cpu(void)
{
	return (struct hcabi_cpu *)(uintptr_t)hcabi_csr_read(sscratch);
}

static inline unsigned hcabi_cpu_index(void)
{
	return (unsigned)hcabi_this_cpu()->index;
}

/* ---- setjmp/longjmp: ra, sp, s0..s11 ---- */
struct hcabi_jmpbuf {
	uint64_t ra, sp, s[12];
};

/* ---- RAM (mem.c) ---- */
#define HCABI_MEM_RANGES_MAX 16u
/* First byte past the RAM range that holds the image. */
uint64_t hcabi_ram_end(void);
/* A zeroed 4 KiB page of RAM after the image (and the device tree); 0 when
 * none is left. */
uint64_t hcabi_alloc_page(void);

/* ---- the console (serial.c) ---- */
/* The address of the console UART's register `reg` (16550 numbering; the
 * device tree's reg-shift applied), 0 when there is no console: the bench
 * guest's bare exit writes the scratch register. */
uint64_t hcabi_riscv64_uart_reg(unsigned reg);

/* ---- SBI (sbi.c) ---- */
/* One SBI call: a7 = ext, a6 = fid, a0..a2; SBI's error in status, value. */
struct hcabi_ret hcabi_sbi_call(uint64_t ext, uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2);
/* SRST system_reset(shutdown); returns only if it failed. */
void hcabi_sbi_shutdown(void);

/* ---- vCPUs without HCABI (cpu.c) ---- */
/* The hart of vCPU `cpu` (-1: none): the binding makes them equal (the hart
 * ID is the HCABI index), but under OpenSBI another hart than 0 may win the
 * boot (the lottery of its cold boot), and then it and hart 0 trade places. */
int64_t hcabi_riscv64_hart_of(unsigned cpu);
/* Run fn(arg) on vCPU `cpu`, started by SBI HSM hart_start on the path
 * VCPU.START takes (hcabi__ap_entry, hcabi__ap_main: its own per-vCPU
 * block, traps, IMSIC interrupt file): the self-test's check of that path
 * under a hypervisor without HCABI. After fn the hart halts (VCPU.STOP is
 * HCABI's). Returns the hart_start SBI error (0 = started). */
int64_t hcabi_riscv64_hart_start(unsigned cpu, void (*fn)(void *), void *arg);
/* Wait (up to timeout_ns) until fn has returned on that vCPU; true if it
 * did (the hart is then halted for good and counts as idle). */
bool hcabi_riscv64_hart_wait(unsigned cpu, uint64_t timeout_ns);

/* hcabi_arch.h's power-off: SBI SRST */
static inline void hcabi_arch_power_off(void)
{
	hcabi_sbi_shutdown();
}

/* ---- shared by the riscv64 runtime's files only ---- */
/* boot.S -> cpu.c: vCPU 0's C entry (never returns) */
void hcabi__boot(uint64_t hartid, uint64_t dtb);
/* mem.c: RAM from the device tree, the page allocator */
void hcabi__mem_init(void);
/* intc.c: claim the highest pending identity of the calling hart's
 * interrupt file (0: none) */
unsigned hcabi__intc_claim(void);
/* the trap entry (entry.S) */
void hcabi__trap_entry(void);

#endif /* HCABI_RISCV64_H */
