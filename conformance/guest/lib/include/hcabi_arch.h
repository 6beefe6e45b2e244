/* SPDX-License-Identifier: MIT */
/*
 * hcabi_arch.h - what every architecture of the guest runtime provides
 * (guest/arch/<arch>/), and all that the neutral runtime (guest/lib/) and
 * the neutral tests may use of it. The binding's hypercall instruction
 * itself is abi.h's (hcabi_call0 .. hcabi_call6).
 *
 * An architecture's header (hcabi_x86.h for x86-64, hcabi_arm64.h for
 * arm64, hcabi_riscv64.h for riscv64) defines the inline
 * functions declared here, the per-vCPU block `struct hcabi_cpu`, the trap
 * frame `struct hcabi_frame`, HCABI_MAX_CPUS, and whatever only its own
 * binding tests use (CPUID, MSRs, descriptor tables, page tables, CPL 3).
 * The declarations below make the compiler hold each architecture to the
 * same signatures.
 *
 * Neutral code calls only down into the architecture through this header;
 * the architecture calls up into the neutral runtime only through
 * hcabi__start() (boot), hcabi_printf/hcabi_exit (fatal traps) and the
 * hooks of hcabi_internal.h.
 */
#ifndef HCABI_ARCH_H
#define HCABI_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__)
#include "hcabi_x86.h"
#elif defined(__aarch64__)
#include "hcabi_arm64.h"
#elif defined(__riscv) && __riscv_xlen == 64
#include "hcabi_riscv64.h"
#else
#error "the conformance guest runtime has no backend for this architecture"
#endif

struct hcabi_discovery;

/* ---- boot and entry ----
 * The image's entry (x86-64: boot.S, the PVH entry) sets up vCPU 0 (stack,
 * per-vCPU block, traps, interrupt controller, FPU/SIMD, paging, serial)
 * and calls hcabi__start() (lib/start.c), which never returns. */
/* The boot protocol's command line ("" when none). */
const char *hcabi_command_line(void);

/* ---- the per-vCPU block ---- */
static inline struct hcabi_cpu *hcabi_this_cpu(void);
/* Index of the calling vCPU (from per-vCPU data, no hypercall). */
static inline unsigned hcabi_cpu_index(void);

/* ---- interrupts and the CPU ---- */
static inline void hcabi_irq_enable(void);
static inline void hcabi_irq_disable(void);
/* Save the interrupt-enable state and disable; restore with hcabi_irq_restore. */
static inline uint64_t hcabi_irq_save(void);
static inline void hcabi_irq_restore(uint64_t flags);
static inline bool hcabi_irq_enabled(void);
/* A spin-wait hint. */
static inline void hcabi_pause(void);
/* A full memory barrier; a compiler-only one. */
static inline void hcabi_mb(void);
static inline void hcabi_barrier(void);
/* A free-running cycle counter (the clock when TIME is absent). */
static inline uint64_t hcabi_arch_cycles(void);

/* ---- traps ---- */
/* Name of an exception vector ("#GP"), or "IRQ" for an interrupt. */
const char *hcabi_exception_name(unsigned vector);
/* Interrupt handlers (shared by every vCPU). The runtime signals the end
 * of the interrupt (hcabi_intc_eoi) after the handler returns. Handlers run
 * with interrupts disabled; they may print (the console lock is per line
 * and interrupt-safe). */
typedef void (*hcabi_irq_handler)(struct hcabi_frame *frame, unsigned vector);
/* Whether the code a frame interrupted ran with interrupts enabled
 * (x86-64: RFLAGS.IF; arm64: PSTATE.I clear). */
static inline bool hcabi_frame_irq_enabled(const struct hcabi_frame *frame);
void hcabi_irq_register(unsigned vector, hcabi_irq_handler handler);
void hcabi_irq_unregister(unsigned vector);
/* Interrupts of each vector taken by this vCPU since boot (the platform's
 * replays, below, are not counted here while they are filtered). */
uint64_t hcabi_irq_count(unsigned cpu, unsigned vector);
/* Deliveries that no interrupt controller made (hcabi_x86.h says when they
 * happen): into code running with interrupts disabled, or (x86-64) of a
 * vector the LAPIC does not have in service. Counted here, neither in
 * hcabi_irq_count nor handed to the handler, unless
 * hcabi_irq_filter_replays(false). On arm64 and riscv64 such an entry does
 * not acknowledge (claim) anything, so an interrupt the controller has
 * pending is taken, once, when the code enables interrupts. */
uint64_t hcabi_irq_replays(unsigned cpu);
void hcabi_irq_filter_replays(bool on);
/* Expected exceptions: the next exception with this vector (HCABI_EXC_ANY:
 * any) on the calling vCPU is recorded instead of being an error;
 * exception_end() disarms and says whether (and how) it happened. Where
 * the code resumes is the architecture's (hcabi_x86.h). */
struct hcabi_exc_info;
void expect_exception(unsigned vector);
bool exception_end(struct hcabi_exc_info *info);

/* ---- setjmp/longjmp (the test runner's and the SMP task's abort
 * context) ---- */
struct hcabi_jmpbuf;
int hcabi_setjmp(struct hcabi_jmpbuf *jb) __attribute__((returns_twice));
__attribute__((noreturn)) void hcabi_longjmp(struct hcabi_jmpbuf *jb, int value);

/* ---- the interrupt controller of the calling vCPU (x86-64: the LAPIC) ---- */
/* Enable it, every local source masked, nothing blocked by priority. */
void hcabi_intc_enable(void);
/* End of the interrupt being handled. */
void hcabi_intc_eoi(void);
/* Whether an interrupt of this vector is pending (requested, not yet
 * taken), and whether one is in service. */
bool hcabi_intc_pending(unsigned vector);
bool hcabi_intc_in_service(unsigned vector);
/* Make an interrupt of this vector pending on the calling vCPU, without
 * HCABI (runtime self-test). */
void hcabi_intc_self_ipi(unsigned vector);

/* ---- serial console ---- */
void hcabi_serial_init(void);
void hcabi_serial_write(const char *s, size_t len);

/* ---- leaving the VM ---- */
/* The platform's test-exit device (x86-64: isa-debug-exit, port 0xf4; the
 * VMM exits with status (value << 1) | 1); returns if there is none. */
static inline void hcabi_arch_debug_exit(uint8_t value);
/* Power the VM off by the platform's own means (arm64: PSCI SYSTEM_OFF);
 * returns if there are none (x86-64) or they failed. */
static inline void hcabi_arch_power_off(void);
/* Interrupts off, the vCPU halted for good. */
__attribute__((noreturn)) static inline void hcabi_arch_halt(void);

/* ---- the boot memory map ----
 * Whether the boot protocol gave a memory map (x86-64: the PVH start info's
 * table; arm64: the device tree's memory nodes), and its RAM ranges in the
 * order given, i = 0, 1, ... until false (hcabi_ram.h sorts and merges
 * them). */
bool hcabi_arch_memory_map(void);
bool hcabi_arch_memory_range(unsigned i, uint64_t *base, uint64_t *size);

/* ---- discovery (the binding's search for HCABI) ----
 * Whether the implementation's HCABI signature is there; if so, fill in
 * where (d->base, d->max_leaf) and the signature bytes. Makes no
 * hypercall: without the signature the hypercall instruction may do
 * anything. */
bool hcabi_arch_find_hcabi(struct hcabi_discovery *d);

/* ---- secondary vCPUs ----
 * Start vCPU cpu with VCPU.START so that it sets itself up like vCPU 0
 * and enters hcabi__ap_main(c) (smp.c) on its own stack; the boot state
 * is the binding's (VCPU.START). Returns the START status. */
int64_t hcabi_arch_vcpu_start(unsigned cpu, struct hcabi_cpu *c);

#endif /* HCABI_ARCH_H */
