/* SPDX-License-Identifier: MIT */
/*
 * start.S - PVH entry of refvmm's test guests.
 *
 * Enters in 32-bit protected mode with paging off (PVH), builds page tables
 * that identity-map the first 4 GiB with 2 MiB user-accessible writable
 * pages, switches to 64-bit mode and calls guest_main(start_info).
 * Also: the GDT (kernel and user segments, a TSS slot), 256 interrupt
 * stubs that call isr_dispatch(frame), the AP entry used with VCPU.START,
 * and regs_vmcall/regs_vmmcall, which make a call with every register set
 * from a struct and store every register back.
 */
#include "arch/x86_64/hcabi_pvh.h"

	HCABI_PVH_NOTE pvh_start

	.section .text.boot, "ax"
	.code32
	.globl pvh_start
pvh_start:
	cli
	cld
	mov %ebx, %esi
	mov $boot_stack_top, %esp

	/* 4 page directories, 2048 entries of 2 MiB: P | RW | US | PS */
	mov $pd, %edi
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $21, %eax
	or $0x87, %eax
	mov %eax, (%edi,%ecx,8)
	movl $0, 4(%edi,%ecx,8)
	inc %ecx
	cmp $2048, %ecx
	jb 1b
	/* PDPT[0..3] -> the directories */
	mov $pdpt, %edi
	mov $pd, %eax
	or $0x7, %eax
	xor %ecx, %ecx
2:	mov %eax, (%edi,%ecx,8)
	movl $0, 4(%edi,%ecx,8)
	add $0x1000, %eax
	inc %ecx
	cmp $4, %ecx
	jb 2b
	mov $pml4, %edi
	mov $pdpt, %eax
	or $0x7, %eax
	mov %eax, (%edi)
	movl $0, 4(%edi)
	mov %edi, %cr3

	mov $0x620, %eax		/* PAE | OSFXSR | OSXMMEXCPT */
	mov %eax, %cr4
	mov $0xc0000080, %ecx		/* EFER: LME | NXE */
	rdmsr
	or $0x900, %eax
	wrmsr
	mov $0x80010033, %eax		/* PG | WP | NE | ET | MP | PE */
	mov %eax, %cr0
	lgdt gdt_desc
	ljmp $0x08, $long_entry

	.code64
long_entry:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	mov $boot_stack_top, %rsp
	mov %esi, %edi
	call guest_main
3:	cli
	hlt
	jmp 3b

/* AP entry for VCPU.START: RSP from the boot state, RDI = arg. */
	.globl ap_entry
ap_entry:
	call ap_main
4:	cli
	hlt
	jmp 4b

/* ---- interrupts --------------------------------------------------------- */
	.text
isr_common:
	/* stack: vector, error code, rip, cs, rflags, rsp, ss */
	push %r15
	push %r14
	push %r13
	push %r12
	push %r11
	push %r10
	push %r9
	push %r8
	push %rbp
	push %rdi
	push %rsi
	push %rdx
	push %rcx
	push %rbx
	push %rax
	mov %rsp, %rdi
	mov %rsp, %rbx
	and $-16, %rsp
	call isr_dispatch
	mov %rbx, %rsp
	pop %rax
	pop %rbx
	pop %rcx
	pop %rdx
	pop %rsi
	pop %rdi
	pop %rbp
	pop %r8
	pop %r9
	pop %r10
	pop %r11
	pop %r12
	pop %r13
	pop %r14
	pop %r15
	add $16, %rsp
	iretq

	.macro isr_stub vec
	.balign 16
isr_\vec:
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	push $0
	.endif
	push $\vec
	jmp isr_common
	.endm

	.altmacro
	.balign 16
	.globl isr_stubs
isr_stubs:
	.set i, 0
	.rept 256
	isr_stub %i
	.set i, i + 1
	.endr

/* ---- calls with every register given ------------------------------------ */
/* struct gpregs { rax rbx rcx rdx rsi rdi rbp r8 .. r15 rflags } at RDI.
 * Loads all but RSP, sets DF, executes the instruction, stores everything
 * back (RFLAGS as it was right after the instruction). */
	.macro regs_call name, insn
	.globl \name
\name:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	push %rdi
	mov 0(%rdi), %rax
	mov 8(%rdi), %rbx
	mov 16(%rdi), %rcx
	mov 24(%rdi), %rdx
	mov 32(%rdi), %rsi
	mov 48(%rdi), %rbp
	mov 56(%rdi), %r8
	mov 64(%rdi), %r9
	mov 72(%rdi), %r10
	mov 80(%rdi), %r11
	mov 88(%rdi), %r12
	mov 96(%rdi), %r13
	mov 104(%rdi), %r14
	mov 112(%rdi), %r15
	mov 40(%rdi), %rdi
	std
	.globl \name\()_insn
\name\()_insn:
	\insn
	pushfq
	cld
	push %rdi
	mov 16(%rsp), %rdi
	mov %rax, 0(%rdi)
	mov %rbx, 8(%rdi)
	mov %rcx, 16(%rdi)
	mov %rdx, 24(%rdi)
	mov %rsi, 32(%rdi)
	pop %rax
	mov %rax, 40(%rdi)
	mov %rbp, 48(%rdi)
	mov %r8, 56(%rdi)
	mov %r9, 64(%rdi)
	mov %r10, 72(%rdi)
	mov %r11, 80(%rdi)
	mov %r12, 88(%rdi)
	mov %r13, 96(%rdi)
	mov %r14, 104(%rdi)
	mov %r15, 112(%rdi)
	pop %rax
	mov %rax, 120(%rdi)
	pop %rdi
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret
	.endm

	regs_call regs_vmcall, vmcall
	regs_call regs_vmmcall, vmmcall

/* ---- data ------------------------------------------------------------------ */
	.data
	.balign 16
	.globl gdt
gdt:
	.quad 0				/* 0x00 */
	.quad 0x00af9a000000ffff	/* 0x08 kernel code, 64-bit */
	.quad 0x00cf92000000ffff	/* 0x10 kernel data */
	.quad 0x00cff2000000ffff	/* 0x18 user data (DPL 3) */
	.quad 0x00affa000000ffff	/* 0x20 user code, 64-bit (DPL 3) */
	.quad 0, 0			/* 0x28 TSS, filled by the guest */
gdt_end:
	.globl gdt_desc
gdt_desc:
	.word gdt_end - gdt - 1
	.quad gdt

	.bss
	.balign 4096
	.globl pml4
pml4:	.skip 4096
pdpt:	.skip 4096
pd:	.skip 4 * 4096
	.balign 16
	.skip 16384
	.globl boot_stack_top
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
