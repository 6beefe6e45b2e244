/* SPDX-License-Identifier: MIT */
/*
 * raw_entry.S - where the VCPU tests start a vCPU with their own boot state
 * (VCPU-024, VCPU-025, VCPU-030, VCPU-032), instead of the runtime's
 * hcabi_smp_start: the first instructions record the register state VCPU.START
 * gave, before anything changes it, into the struct vcpu_raw that RDI
 * (the boot state's `arg`) points at; then C code (vcpu_raw_main) runs the
 * test's function and stops the vCPU with VCPU.STOP.
 *
 * The offsets are those of struct vcpu_raw (vcpu_common.h, checked there).
 */
#define O_RFLAGS 128
#define O_CR0 136
#define O_CR3 144
#define O_CR4 152
#define O_EFER 160
#define O_APIC_BASE 168
#define O_SEL 176
#define O_GDTR 192
#define O_IDTR 208
#define O_MXCSR 224
#define O_FCW 228
#define O_ENTRIES 232

	.text
	.globl vcpu_raw_entry
	.type vcpu_raw_entry, @function
vcpu_raw_entry:
	mov %rax, 0(%rdi)
	mov %rbx, 8(%rdi)
	mov %rcx, 16(%rdi)
	mov %rdx, 24(%rdi)
	mov %rsi, 32(%rdi)
	mov %rdi, 40(%rdi)
	mov %rbp, 48(%rdi)
	mov %rsp, 56(%rdi)
	mov %r8, 64(%rdi)
	mov %r9, 72(%rdi)
	mov %r10, 80(%rdi)
	mov %r11, 88(%rdi)
	mov %r12, 96(%rdi)
	mov %r13, 104(%rdi)
	mov %r14, 112(%rdi)
	mov %r15, 120(%rdi)
	pushfq
	popq O_RFLAGS(%rdi)
	mov %cr0, %rax
	mov %rax, O_CR0(%rdi)
	mov %cr3, %rax
	mov %rax, O_CR3(%rdi)
	mov %cr4, %rax
	mov %rax, O_CR4(%rdi)
	mov %rdi, %rbx
	mov $0xC0000080, %ecx           /* IA32_EFER */
	rdmsr
	shl $32, %rdx
	or %rdx, %rax
	mov %rax, O_EFER(%rbx)
	mov $0x1B, %ecx                 /* IA32_APIC_BASE */
	rdmsr
	shl $32, %rdx
	or %rdx, %rax
	mov %rax, O_APIC_BASE(%rbx)
	movw %cs, O_SEL+0(%rbx)
	movw %ds, O_SEL+2(%rbx)
	movw %es, O_SEL+4(%rbx)
	movw %fs, O_SEL+6(%rbx)
	movw %gs, O_SEL+8(%rbx)
	movw %ss, O_SEL+10(%rbx)
	sgdt O_GDTR(%rbx)
	sidt O_IDTR(%rbx)
	stmxcsr O_MXCSR(%rbx)
	fnstcw O_FCW(%rbx)
	lock incq O_ENTRIES(%rbx)
	mov %rbx, %rdi
	and $-16, %rsp
	xor %ebp, %ebp
	call vcpu_raw_main
1:	cli
	hlt
	jmp 1b
	.size vcpu_raw_entry, . - vcpu_raw_entry

	.section .note.GNU-stack, "", @progbits
