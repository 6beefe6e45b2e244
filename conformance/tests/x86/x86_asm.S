/* SPDX-License-Identifier: MIT */
/*
 * x86_asm.S - see x86_asm.h. Every register is loaded with a chosen value,
 * so the context is reached through RIP-relative statics, never through a
 * register.
 */
#define IN 0
#define OUT 128
#define RSP_BEFORE 256
#define RSP_AFTER 264
#define VMMCALL 272
#define USE_AVX 280
#define XCR0_AFTER 288
#define XCR0_WANT 296
#define FPU_IN 320
#define FPU_OUT 4416
#define YMM 512 /* in the FPU areas: YMM0-15, 32 bytes each, after the FXSAVE image */

	.data
	.balign 8
pctx:	.quad 0
use_vmmcall:
	.quad 0
scratch_rax:
	.quad 0
scratch_flags:
	.quad 0
	.globl x86_resumed
x86_resumed:	/* set by the instruction right after the hypercall instruction */
	.quad 0
default_mxcsr:
	.long 0x1f80

	.text
	.globl x86_preserve_call
	.type x86_preserve_call, @function
x86_preserve_call:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	pushfq
	cli
	mov %rdi, pctx(%rip)
	mov VMMCALL(%rdi), %rax
	mov %rax, use_vmmcall(%rip)

	/* x87 / SSE / AVX state: whole YMM registers first, then FXRSTOR
	 * (which loads the XMM halves and leaves the upper halves alone) */
	cmpq $0, USE_AVX(%rdi)
	je 1f
	/* XCR0 as at boot, set here so that nothing but the call itself can
	 * change it before it is read again */
	xor %ecx, %ecx
	mov XCR0_WANT(%rdi), %eax
	mov XCR0_WANT+4(%rdi), %edx
	xsetbv
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu FPU_IN+YMM+32*\n(%rdi), %ymm\n
	.endr
1:	fxrstor FPU_IN(%rdi)
	mov %rsp, RSP_BEFORE(%rdi)
	movq $0, x86_resumed(%rip)

	/* RFLAGS, then every general-purpose register */
	pushq IN+15*8(%rdi)
	popfq
	mov IN+1*8(%rdi), %rbx
	mov IN+2*8(%rdi), %rcx
	mov IN+3*8(%rdi), %rdx
	mov IN+4*8(%rdi), %rsi
	mov IN+6*8(%rdi), %rbp
	mov IN+7*8(%rdi), %r8
	mov IN+8*8(%rdi), %r9
	mov IN+9*8(%rdi), %r10
	mov IN+10*8(%rdi), %r11
	mov IN+11*8(%rdi), %r12
	mov IN+12*8(%rdi), %r13
	mov IN+13*8(%rdi), %r14
	mov IN+14*8(%rdi), %r15
	mov IN+0*8(%rdi), %rax
	mov IN+5*8(%rdi), %rdi
	/* The flags after this compare are arithmetic ones only, which a call
	 * leaves undefined (X86-007): they are not compared. */
	cmpq $0, use_vmmcall(%rip)
	jne 3f
	vmcall
	/* the next instruction: it runs only if the call returned to it
	 * (X86-006.2); MOV leaves every flag and register alone */
	movq $1, x86_resumed(%rip)
	jmp 4f
3:	vmmcall
	movq $1, x86_resumed(%rip)
4:	mov %rax, scratch_rax(%rip)
	pushfq
	popq scratch_flags(%rip)
	mov pctx(%rip), %rax
	mov %rbx, OUT+1*8(%rax)
	mov %rcx, OUT+2*8(%rax)
	mov %rdx, OUT+3*8(%rax)
	mov %rsi, OUT+4*8(%rax)
	mov %rdi, OUT+5*8(%rax)
	mov %rbp, OUT+6*8(%rax)
	mov %r8, OUT+7*8(%rax)
	mov %r9, OUT+8*8(%rax)
	mov %r10, OUT+9*8(%rax)
	mov %r11, OUT+10*8(%rax)
	mov %r12, OUT+11*8(%rax)
	mov %r13, OUT+12*8(%rax)
	mov %r14, OUT+13*8(%rax)
	mov %r15, OUT+14*8(%rax)
	mov scratch_rax(%rip), %rbx
	mov %rbx, OUT+0*8(%rax)
	mov scratch_flags(%rip), %rbx
	mov %rbx, OUT+15*8(%rax)
	mov %rsp, RSP_AFTER(%rax)
	cld

	mov %rax, %rdi
	fxsave FPU_OUT(%rdi)
	cmpq $0, USE_AVX(%rdi)
	je 5f
	/* a call that disabled AVX in XCR0 would make VMOVDQU fault */
	xor %ecx, %ecx
	xgetbv
	mov %eax, XCR0_AFTER(%rdi)
	mov %edx, XCR0_AFTER+4(%rdi)
	test $4, %eax
	jz 5f
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu %ymm\n, FPU_OUT+YMM+32*\n(%rdi)
	.endr
	vzeroupper
5:	fninit
	ldmxcsr default_mxcsr(%rip)

	popfq
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret
	.size x86_preserve_call, . - x86_preserve_call

/* ---- CPL 3 ---- */
	.data
	.balign 8
	.globl x86_user_in, x86_user_rsp
x86_user_in:
	.fill 16, 8, 0
x86_user_rsp:
	.quad 0

	.text
	.macro USER_CALL name, insn
	.globl \name, \name\()_insn
	.type \name, @function
\name:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	pushq x86_user_in+15*8(%rip)
	popfq
	mov x86_user_in+1*8(%rip), %rbx
	mov x86_user_in+2*8(%rip), %rcx
	mov x86_user_in+3*8(%rip), %rdx
	mov x86_user_in+4*8(%rip), %rsi
	mov x86_user_in+5*8(%rip), %rdi
	mov x86_user_in+6*8(%rip), %rbp
	mov x86_user_in+7*8(%rip), %r8
	mov x86_user_in+8*8(%rip), %r9
	mov x86_user_in+9*8(%rip), %r10
	mov x86_user_in+10*8(%rip), %r11
	mov x86_user_in+11*8(%rip), %r12
	mov x86_user_in+12*8(%rip), %r13
	mov x86_user_in+13*8(%rip), %r14
	mov x86_user_in+14*8(%rip), %r15
	mov %rsp, x86_user_rsp(%rip)
	mov x86_user_in+0*8(%rip), %rax
\name\()_insn:
	\insn
	cld
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret
	.size \name, . - \name
	.endm

	USER_CALL x86_user_vmcall, vmcall
	USER_CALL x86_user_vmmcall, vmmcall

	.section .note.GNU-stack, "", @progbits
