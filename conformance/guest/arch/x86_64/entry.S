/* SPDX-License-Identifier: MIT */
/*
 * entry.S - exception and interrupt entry, setjmp/longjmp, and the switch
 * to CPL 3.
 *
 * Every vector 0..255 has a 16-byte stub that pushes a dummy error code
 * (where the CPU pushes none) and the vector number, then jumps to
 * hcabi__trap_common, which saves every general-purpose register into a
 * struct hcabi_frame and calls hcabi__trap(frame). The handler may change
 * the frame; the interrupted code resumes from it with IRETQ.
 */
#include "hcabi_x86_defs.h"

/* Vectors for which the CPU pushes an error code. */
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

	.text
	.balign 16
	.globl hcabi__trap_stubs
hcabi__trap_stubs:
	.set vec, 0
	.rept 256
	.balign 16
	.if HAS_ERR(vec)
	pushq $vec
	.else
	pushq $0
	pushq $vec
	.endif
	jmp hcabi__trap_common
	.set vec, vec + 1
	.endr

	.balign 16
	.globl hcabi__trap_common
	.type hcabi__trap_common, @function
hcabi__trap_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	cld
	mov %rsp, %rdi
	/* 22 quadwords were pushed onto a stack the CPU aligned to 16: the
	 * call below is made with RSP 16-byte aligned. */
	call hcabi__trap
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp                 /* vector, error code */
	iretq
	.size hcabi__trap_common, . - hcabi__trap_common

/* int hcabi_setjmp(struct hcabi_jmpbuf *jb) */
	.globl hcabi_setjmp
	.type hcabi_setjmp, @function
hcabi_setjmp:
	mov %rbx, 0(%rdi)
	mov %rbp, 8(%rdi)
	mov %r12, 16(%rdi)
	mov %r13, 24(%rdi)
	mov %r14, 32(%rdi)
	mov %r15, 40(%rdi)
	lea 8(%rsp), %rax
	mov %rax, 48(%rdi)
	mov (%rsp), %rax
	mov %rax, 56(%rdi)
	xor %eax, %eax
	ret
	.size hcabi_setjmp, . - hcabi_setjmp

/* void hcabi_longjmp(struct hcabi_jmpbuf *jb, int value): value 0 becomes 1 */
	.globl hcabi_longjmp
	.type hcabi_longjmp, @function
hcabi_longjmp:
	mov %esi, %eax
	test %eax, %eax
	jnz 1f
	inc %eax
1:	mov 0(%rdi), %rbx
	mov 8(%rdi), %rbp
	mov 16(%rdi), %r12
	mov 24(%rdi), %r13
	mov 32(%rdi), %r14
	mov 40(%rdi), %r15
	mov 48(%rdi), %rsp
	jmp *56(%rdi)
	.size hcabi_longjmp, . - hcabi_longjmp

/*
 * void hcabi__enter_user(uint64_t (*fn)(uint64_t), uint64_t arg,
 *                        uint64_t user_rsp, uint64_t rflags)
 * IRETQ to CPL 3 at hcabi__user_trampoline, which calls fn(arg) and hands
 * the result back with int $HCABI_VEC_USER_RETURN. Never returns: the trap
 * handler longjmps to the context hcabi_run_user saved.
 */
	.globl hcabi__enter_user
	.type hcabi__enter_user, @function
hcabi__enter_user:
	pushq $HCABI_SEL_UDATA        /* SS */
	pushq %rdx                    /* RSP */
	pushq %rcx                    /* RFLAGS */
	pushq $HCABI_SEL_UCODE        /* CS */
	lea hcabi__user_trampoline(%rip), %rax
	pushq %rax                    /* RIP */
	iretq
	.size hcabi__enter_user, . - hcabi__enter_user

	.globl hcabi__user_trampoline
	.type hcabi__user_trampoline, @function
hcabi__user_trampoline:
	mov %rdi, %rax
	mov %rsi, %rdi
	call *%rax
	mov %rax, %rdi
	int $HCABI_VEC_USER_RETURN
	ud2
	.size hcabi__user_trampoline, . - hcabi__user_trampoline
