/* SPDX-License-Identifier: MIT */
/*
 * guest.h - the tiny freestanding runtime of refvmm's own test guests
 * (start.S, lib.c): serial output, isa-debug-exit, interrupts, calls.
 * These guests test refvmm itself (binding, exits, robustness); the
 * conformance suite under conformance/ tests the HCABI semantics.
 */
#ifndef REFVMM_TEST_GUEST_H
#define REFVMM_TEST_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi.h"

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

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ __volatile__("cpuid"
			     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			     : "a"(leaf), "c"(sub));
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void pause(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}
static inline void sti(void)
{
	__asm__ __volatile__("sti" ::: "memory");
}
static inline void cli(void)
{
	__asm__ __volatile__("cli" ::: "memory");
}

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

extern uint8_t pml4[];
extern uint64_t gdt[];
extern uint8_t boot_stack_top[];
void ap_entry(void);
void ap_main(uint64_t arg);
void guest_main(uint64_t start_info);
void isr_dispatch(struct frame *f);

#endif
