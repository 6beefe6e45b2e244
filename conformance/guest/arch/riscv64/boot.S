/* SPDX-License-Identifier: MIT */
/*
 * boot.S - the riscv64 image's entry by the Linux riscv64 Image protocol
 * (Documentation/arch/riscv/boot.rst, boot-image-header.rst), as QEMU's virt
 * `-kernel` (through OpenSBI) and refvmm riscv64 provide: the 64-byte Image
 * header, then the entry in S-mode with a0 = the hart ID, a1 = the device
 * tree's physical address, satp = 0, interrupts off.
 *
 * Then: no interrupt enabled in sie, the FP unit on (sstatus.FS = Initial:
 * compiled code never uses it, a test's own assembly may), the trap
 * vector, BSS zeroed, the boot stack, and hcabi__boot(hart ID, device
 * tree) in C (cpu.c).
 *
 * The image is linked at 0x80200000, the RAM base 0x80000000 plus
 * text_offset 2 MiB. A loader that puts it anywhere else gets a hart that
 * waits for ever (nothing can be printed before the device tree is read).
 */
#include "hcabi_riscv64_defs.h"

#define BOOT_STACK_SIZE (64 * 1024)

	.section .text.head, "ax", %progbits
	.option push
	.option norvc
	.globl _head
_head:
	j hcabi__image_entry            /* code0 */
	nop                             /* code1 */
	.dword 0x200000                 /* text_offset */
	.dword __image_size             /* image_size: the whole image, BSS included */
	.dword 0                        /* flags: little-endian */
	.word 0x2                       /* version 0.2 */
	.word 0                         /* res1 */
	.dword 0                        /* res2 */
	.ascii "RISCV\0\0\0"            /* magic (deprecated) */
	.ascii "RSC\x05"                /* magic2 */
	.word 0                         /* res3 (no PE header) */
	.option pop

hcabi__image_entry:
	csrw sie, zero
	csrci sstatus, HCABI_SSTATUS_SIE
	lla t0, _head                   /* loaded where it is linked? */
	ld t1, .Llink_head
	bne t0, t1, hcabi__stuck
	li t0, HCABI_SSTATUS_FS
	csrc sstatus, t0
	li t0, HCABI_SSTATUS_FS_INITIAL
	csrs sstatus, t0
	csrw sscratch, zero
	lla t0, hcabi__trap_entry
	csrw stvec, t0
	lla t0, __bss_start
	lla t1, __bss_end
1:	bgeu t0, t1, 2f
	sd zero, 0(t0)
	addi t0, t0, 8
	j 1b
2:	lla sp, hcabi__boot_stack + BOOT_STACK_SIZE
	li s0, 0
	li ra, 0
	call hcabi__boot                /* a0 = hart ID, a1 = device tree */
	.globl hcabi__stuck
hcabi__stuck:
	csrci sstatus, HCABI_SSTATUS_SIE
	wfi
	j hcabi__stuck

	.balign 8
.Llink_head:
	.dword _head

/*
 * A hart started by VCPU.START (the binding's boot state: S-mode, satp 0,
 * interrupts off, a0 = its hart ID, a1 = the argument, here its struct
 * hcabi_cpu) or by SBI HSM hart_start (the self-test; the same state): its
 * stack, hart ID, FP unit and trap vector, then hcabi__ap_main(c) (smp.c).
 */
	.text
	.globl hcabi__ap_entry
	.type hcabi__ap_entry, %function
hcabi__ap_entry:
	csrw sie, zero
	csrci sstatus, HCABI_SSTATUS_SIE
	ld sp, HCABI__CPU_OFF_STACK(a1)
	sd a0, HCABI__CPU_OFF_HARTID(a1)
	li t0, HCABI_SSTATUS_FS
	csrc sstatus, t0
	li t0, HCABI_SSTATUS_FS_INITIAL
	csrs sstatus, t0
	lla t0, hcabi__trap_entry
	csrw stvec, t0
	mv a0, a1
	li s0, 0
	li ra, 0
	call hcabi__ap_main
	j hcabi__stuck
	.size hcabi__ap_entry, . - hcabi__ap_entry

	.bss
	.balign 16
	.globl hcabi__boot_stack
hcabi__boot_stack:
	.skip BOOT_STACK_SIZE
