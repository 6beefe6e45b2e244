/* SPDX-License-Identifier: MIT */
/*
 * selftest_asm.S - instruction sequences the runtime self-test needs exact
 * control over: a CPL 3 function that faults with known registers, and
 * SSE/AVX use (the C code is built with -mgeneral-regs-only).
 */
	.text

/* uint64_t selftest_user_ud(uint64_t arg): at CPL 3, load known values and
 * execute UD2 at selftest_user_ud_insn. */
	.globl selftest_user_ud, selftest_user_ud_insn
selftest_user_ud:
	push %rbx
	mov $0x1111111111111111, %rbx
	mov $0x2222222222222222, %rcx
	mov $0x3333333333333333, %r12
selftest_user_ud_insn:
	ud2
	pop %rbx
	ret

/* uint64_t selftest_sse(uint64_t x): x through XMM0 and XMM15 and back. */
	.globl selftest_sse
selftest_sse:
	movq %rdi, %xmm0
	movdqa %xmm0, %xmm15
	paddq %xmm15, %xmm0
	movq %xmm0, %rax
	ret

/* uint64_t selftest_avx(uint64_t x): x through YMM registers (upper lane). */
	.globl selftest_avx
selftest_avx:
	vmovq %rdi, %xmm1
	vinsertf128 $1, %xmm1, %ymm1, %ymm2
	vextractf128 $1, %ymm2, %xmm3
	vmovq %xmm3, %rax
	vzeroupper
	ret

	.section .note.GNU-stack, "", @progbits
