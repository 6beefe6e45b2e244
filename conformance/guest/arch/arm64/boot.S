/* SPDX-License-Identifier: MIT */
/*
 * boot.S - the arm64 image's entry by the Linux arm64 Image protocol
 * (Documentation/arch/arm64/booting.rst), as QEMU's virt `-kernel` and any
 * VMM that boots Linux provide: the 64-byte Image header, then the entry
 * with x0 = the device tree's physical address, MMU off, at EL2 or EL1.
 *
 * At EL2 the image drops to EL1 as Linux does (hcabi__to_el1) and leaves a
 * handler at EL2 that answers every HVC from EL1 with SMCCC NOT_SUPPORTED (-1):
 * the image's own "hypervisor" has no HCABI, and discovery must see exactly
 * that.
 *
 * Then: FP/SIMD on, the EL1 vectors, BSS zeroed, the boot stack, and
 * hcabi__boot(dtb, entry EL) in C (cpu.c), which turns the MMU on.
 *
 * The image is linked at 0x40200000: the Image header asks for the 2 MiB
 * aligned base nearest the start of RAM plus text_offset 2 MiB, which on
 * QEMU's virt machine (RAM at 0x40000000) is the link address. A loader
 * that puts it anywhere else gets a vCPU that waits for ever (nothing can
 * be printed before the device tree is read).
 */
#include "hcabi_arm64_defs.h"

#define SCTLR_EL1_MMU_OFF 0x30d00800 /* RES1 bits, little-endian, MMU and caches off */
#define HCR_EL2_RW (1 << 31)
#define CPTR_EL2_RES1 0x33ff
#define CNTHCTL_EL1PCTEN_EL1PCEN 3
#define ICC_SRE_EL2 S3_4_C12_C9_5
#define BOOT_STACK_SIZE (64 * 1024)

	.section .text.head, "ax", %progbits
	.globl _head
_head:
	b hcabi__image_entry            /* code0 */
	.long 0                         /* code1 */
	.quad 0x200000                  /* text_offset */
	.quad __image_size              /* image_size: the whole image, BSS included */
	.quad 0x2                       /* flags: little-endian, 4 KiB pages, near the base of RAM */
	.quad 0, 0, 0                   /* res2, res3, res4 */
	.ascii "ARM\x64"                /* magic */
	.long 0                         /* res5 (no PE header) */

hcabi__image_entry:
	mov x21, x0                     /* the device tree */
	adr x9, _head                   /* loaded where it is linked? */
	ldr x10, =_head
	cmp x9, x10
	b.ne hcabi__stuck
	mrs x20, CurrentEL
	ubfx x20, x20, #2, #2
	bl hcabi__to_el1

	/* EL1, MMU off */
	msr daifset, #0xf
	ldr x9, =SCTLR_EL1_MMU_OFF
	msr sctlr_el1, x9
	mov x9, #(3 << 20)              /* CPACR_EL1.FPEN: FP/SIMD not trapped */
	msr cpacr_el1, x9
	ldr x9, =hcabi__vectors
	msr vbar_el1, x9
	isb
	ldr x9, =__bss_start
	ldr x10, =__bss_end
3:	cmp x9, x10
	b.hs 4f
	stp xzr, xzr, [x9], #16
	b 3b
4:	ldr x9, =hcabi__boot_stack + BOOT_STACK_SIZE
	mov sp, x9
	mov x29, xzr
	mov x30, xzr
	mov x0, x21
	mov x1, x20
	bl hcabi__boot
hcabi__stuck:
	msr daifset, #0xf
	wfe
	b hcabi__stuck

/*
 * A vCPU started by VCPU.START (the binding's boot state: EL1h, MMU off,
 * x0 = the argument, here its struct hcabi_cpu) or by PSCI CPU_ON (the
 * self-test; at EL2 where there is one): its stack, FP/SIMD and vectors,
 * then hcabi__ap_main(c) (smp.c), whose hcabi__cpu_init turns the MMU on
 * with vCPU 0's tables.
 */
	.text
	.globl hcabi__ap_entry
	.type hcabi__ap_entry, %function
hcabi__ap_entry:
	msr daifset, #0xf
	bl hcabi__to_el1                /* PSCI CPU_ON may start it at EL2 */
	ldr x9, =SCTLR_EL1_MMU_OFF
	msr sctlr_el1, x9
	ldr x9, [x0, #HCABI__CPU_OFF_STACK]
	mov sp, x9
	mov x9, #(3 << 20)
	msr cpacr_el1, x9
	ldr x9, =hcabi__vectors
	msr vbar_el1, x9
	isb
	mov x29, xzr
	mov x30, xzr
	bl hcabi__ap_main
	b hcabi__stuck
	.size hcabi__ap_entry, . - hcabi__ap_entry

/*
 * At EL2: set up EL1 as Linux's init_kernel_el does (EL1 in AArch64, the
 * EL1 timers and FP/SIMD not trapped, no stage 2, the real MIDR/MPIDR, the
 * GICv3 system registers usable at EL1), install the handler below, and return
 * to the caller at EL1h with DAIF masked (SP_EL1 is the caller's to set).
 * At EL1: return. Uses x9 and x10 only.
 */
hcabi__to_el1:
	mrs x9, CurrentEL
	ubfx x9, x9, #2, #2
	cmp x9, #2
	b.ne 2f
	mov x9, #HCR_EL2_RW
	msr hcr_el2, x9
	mov x9, #CNTHCTL_EL1PCTEN_EL1PCEN
	msr cnthctl_el2, x9
	msr cntvoff_el2, xzr
	mov x9, #CPTR_EL2_RES1
	msr cptr_el2, x9
	msr hstr_el2, xzr
	msr vttbr_el2, xzr
	mrs x9, midr_el1
	msr vpidr_el2, x9
	mrs x9, mpidr_el1
	msr vmpidr_el2, x9
	mrs x9, id_aa64pfr0_el1
	ubfx x9, x9, #24, #4
	cbz x9, 1f
	mrs x9, ICC_SRE_EL2
	orr x9, x9, #0x1                /* SRE */
	orr x9, x9, #0x8                /* Enable: EL1 may use its own SRE */
	msr ICC_SRE_EL2, x9
	isb
1:	ldr x9, =SCTLR_EL1_MMU_OFF
	msr sctlr_el1, x9
	adr x9, hcabi__el2_vectors
	msr vbar_el2, x9
	mov x9, #HCABI_SPSR_EL1H_MASKED
	msr spsr_el2, x9
	msr elr_el2, x30
	isb
	eret
2:	ret

/*
 * The EL2 handler (only when entered at EL2). An HVC from EL1 gets x0 = -1,
 * SMCCC's NOT_SUPPORTED, everything else preserved; nothing else is routed
 * to EL2 with HCR_EL2 as set above, and anything that still arrives stops
 * the vCPU.
 */
	.balign 2048
hcabi__el2_vectors:
	.rept 8                         /* current EL: never taken */
	.balign 0x80
	b hcabi__stuck
	.endr
	.balign 0x80                    /* lower EL, AArch64: synchronous */
	msr tpidr_el2, x18              /* x18 is the guest's: kept */
	mrs x18, esr_el2
	ubfx x18, x18, #26, #6
	cmp x18, #0x16                  /* EC: HVC64 */
	b.ne hcabi__stuck
	mrs x18, tpidr_el2
	mov x0, #-1
	eret
	.rept 7
	.balign 0x80
	b hcabi__stuck
	.endr

	.bss
	.balign 16
	.globl hcabi__boot_stack
hcabi__boot_stack:
	.skip BOOT_STACK_SIZE
