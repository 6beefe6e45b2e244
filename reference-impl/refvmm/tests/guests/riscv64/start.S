/* SPDX-License-Identifier: MIT */
/*
 * start.S - the riscv64 test guest's Image header and entry points
 * (Documentation/arch/riscv/boot-image-header.rst): refvmm riscv64 loads
 * the flat image at RAM base + text_offset and enters _start with
 * a0 = hart ID, a1 = the device tree; VCPU.START enters secondary_entry
 * with a0 = hart ID, a1 = arg and every other register zero (RV64-025/026),
 * which it checks before it touches one.
 */
	.option norvc
	.section .text.head, "ax"
	.globl _start
_start:
	j	boot			/* code0 (code1 below: 0) */
	.word	0
	.dword	0x200000		/* text_offset: 2 MiB */
	.dword	0x100000		/* image_size: rvguest.ld keeps the image below */
	.dword	0			/* flags: little-endian */
	.word	2			/* version 0.2 */
	.word	0
	.dword	0
	.ascii	"RISCV\0\0\0"		/* magic, deprecated */
	.ascii	"RSC\x05"		/* magic2 */
	.word	0

boot:
	la	sp, stack0_top
	call	rv_main
1:	wfi
	j	1b

	.globl	secondary_entry
secondary_entry:
	/* a2 = the OR of every register but a0 and a1 (RV64-026: all zero) */
	or	t0, t0, ra
	or	t0, t0, sp
	or	t0, t0, gp
	or	t0, t0, tp
	or	t0, t0, t1
	or	t0, t0, t2
	or	t0, t0, s0
	or	t0, t0, s1
	or	t0, t0, a2
	or	t0, t0, a3
	or	t0, t0, a4
	or	t0, t0, a5
	or	t0, t0, a6
	or	t0, t0, a7
	or	t0, t0, s2
	or	t0, t0, s3
	or	t0, t0, s4
	or	t0, t0, s5
	or	t0, t0, s6
	or	t0, t0, s7
	or	t0, t0, s8
	or	t0, t0, s9
	or	t0, t0, s10
	or	t0, t0, s11
	or	t0, t0, t3
	or	t0, t0, t4
	or	t0, t0, t5
	or	t0, t0, t6
	mv	a2, t0
	la	sp, stack1_top
	call	rv_secondary
1:	wfi
	j	1b

	.bss
	.balign	16
	.space	8192
stack0_top:
	.space	8192
stack1_top:
