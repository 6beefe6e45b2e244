/* SPDX-License-Identifier: MIT */
/*
 * completion_asm.S - see x86_asm.h: a call under single-step and right
 * after STI, each with VMCALL and with VMMCALL, and the
 * #DB handler of the single-step test. Every function takes the call's
 * function ID in RDI (RSI, RDX, RCX: its first three arguments, which go
 * to RDI, RSI and RDX) and returns its status and value in RAX:RDX, which
 * is how a struct hcabi_ret comes back in the SysV ABI.
 */
#define RFLAGS_TF_BIT 8
#define DR6_INIT 0xffff0ff0

	.data
	.balign 8
	.globl x86_db_count, x86_db_rip, x86_db_dr6
x86_db_count:	/* #DBs taken by x86_db_entry */
	.quad 0
x86_db_rip:	/* the saved RIP of the first */
	.quad 0
x86_db_dr6:	/* DR6 at the first */
	.quad 0

	.text
	/* The #DB handler (an interrupt gate, so IF = 0 and TF = 0 inside):
	 * counts, records the first, resets DR6 and clears TF in the saved
	 * RFLAGS, so that single-stepping ends at the first #DB: a second one
	 * can only be a second #DB raised for the same step. */
	.globl x86_db_entry
	.type x86_db_entry, @function
x86_db_entry:
	push %rax
	cmpq $0, x86_db_count(%rip)
	jne 1f
	mov 8(%rsp), %rax	/* saved RIP */
	mov %rax, x86_db_rip(%rip)
	mov %dr6, %rax
	mov %rax, x86_db_dr6(%rip)
1:	incq x86_db_count(%rip)
	mov $DR6_INIT, %eax
	mov %rax, %dr6
	btrq $RFLAGS_TF_BIT, 24(%rsp)	/* saved RFLAGS */
	pop %rax
	iretq
	.size x86_db_entry, . - x86_db_entry

	/* Load the call's registers from RDI, RSI, RDX, RCX. */
	.macro LOAD_CALL
	mov %rdi, %rax
	mov %rsi, %rdi
	mov %rdx, %rsi
	mov %rcx, %rdx
	.endm

	/* RFLAGS.TF set by POPF, which itself is not single-stepped: the first
	 * #DB belongs to the hypercall instruction. Interrupts stay off. */
	.macro STEP_CALL name, insn
	.globl \name, \name\()_insn, \name\()_next
	.type \name, @function
\name:
	pushfq
	cli
	mov $DR6_INIT, %r8d
	mov %r8, %dr6
	LOAD_CALL
	pushfq
	btsq $RFLAGS_TF_BIT, (%rsp)
	popfq
\name\()_insn:
	\insn
\name\()_next:
	nop
	nop
	popfq
	ret
	.size \name, . - \name
	.endm

	/* Called with IF = 0 and an interrupt pending: STI's shadow covers
	 * the hypercall instruction, and the interrupt is due right after it,
	 * before the CLI at _next executes. */
	.macro STI_CALL name, insn
	.globl \name, \name\()_insn, \name\()_next
	.type \name, @function
\name:
	pushfq
	cli
	LOAD_CALL
	sti
\name\()_insn:
	\insn
\name\()_next:
	cli
	popfq
	ret
	.size \name, . - \name
	.endm

	STEP_CALL x86_step_vmcall, vmcall
	STEP_CALL x86_step_vmmcall, vmmcall
	STI_CALL x86_sti_vmcall, vmcall
	STI_CALL x86_sti_vmmcall, vmmcall

	.section .note.GNU-stack, "", @progbits
