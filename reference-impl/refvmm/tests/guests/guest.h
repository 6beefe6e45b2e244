/* SPDX-License-Identifier: MIT */
/*
 * guest.h - the tiny freestanding runtime of refvmm's own test guests
 * (start.S, lib.c): serial output, isa-debug-exit, interrupts, calls.
 * These guests test refvmm itself (binding, exits, robustness); the
 * conformance suite under conformance/ tests the HCABI semantics.
 *
 * Why not the conformance guest runtime (conformance/guest): these guests
 * check refvmm's handling of guests that break the rules, and of exact
 * register state, where the real runtime is built to be well-behaved and to
 * report through its serial protocol: triple.c loads an empty IDT (the
 * runtime's traps would catch the fault), garbage.c puts garbage in every
 * register around 20000 calls (the runtime keeps per-vCPU data in %gs and
 * its console takes locks), binding.c checks every register across the
 * exact VMCALL/VMMCALL instruction and at CPL 3 (regs_vmcall in start.S),
 * flood.c writes past --serial-limit, and the jobs match plain serial lines
 * (refvmm.job.* in ../CMakeLists.txt), not the protocol's MAC-framed ones.
 * Each needs a few dozen lines of set-up (start.S, lib.c), not a runtime.
 * What they would otherwise repeat of the real runtime comes from its
 * headers: the PVH start info (protocol/arch/x86_64/hcabi_pvh.h) and the
 * x86 instruction helpers and MSR numbers (hcabi_x86.h: port I/O, CPUID,
 * MSRs, the interrupt flag). The TSS and IDT-entry layouts in lib.c remain
 * until the runtime exports its own (today they are private to its cpu.c).
 */
#ifndef REFVMM_TEST_GUEST_H
#define REFVMM_TEST_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi.h"
#include "hcabi_x86.h"

struct gpregs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rflags;
};
/* Call with every register from *r (DF set), store them all back. */
void regs_vmcall(struct gpregs *r);
void regs_vmmcall(struct gpregs *r);
extern uint8_t regs_vmcall_insn[], regs_vmmcall_insn[];

struct frame {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
};
typedef void (*isr_fn)(struct frame *f);

void putc_serial(char c);
void puts_serial(const char *s);
void put_hex(uint64_t v);
void put_dec(uint64_t v);
__attribute__((noreturn)) void debug_exit(uint8_t v);

void idt_init(void);
void idt_set(unsigned vector, isr_fn fn, unsigned dpl);
/* Install a TSS whose RSP0 is the given stack (for CPL 3 -> 0). */
void tss_init(uint64_t rsp0);
void lapic_enable(void);
void lapic_eoi(void);

uint64_t now_ns(void);

/* VCPU.START vCPU `index` at ap_entry, which calls ap_main(arg), on the
 * stack ending at stack_top, with this vCPU's page tables, GDT and IDT;
 * returns the status. */
int64_t start_ap(uint32_t index, void *stack_top, uint64_t arg);

extern uint8_t pml4[];
extern uint64_t gdt[];
extern uint8_t boot_stack_top[];
void ap_entry(void);
void ap_main(uint64_t arg);
void guest_main(uint64_t start_info);
void isr_dispatch(struct frame *f);

#endif
