/* SPDX-License-Identifier: MIT */
/*
 * raw_entry.S - where the VCPU tests start a vCPU with their own boot state
 * on arm64 (ARM64-024, ARM64-026..030, VCPU-025, VCPU-032), instead of the
 * runtime's hcabi_smp_start: the first instructions record the state
 * VCPU.START gave, before anything changes it, into the struct vcpu_raw
 * that x0 (the boot state's `arg`) points at; then, like the runtime's
 * hcabi__ap_entry, the stack (the struct's own), FP/SIMD and the vectors,
 * and C code (vcpu_raw_main) runs the test's function and stops the vCPU
 * with VCPU.STOP. The MMU is still off here: every store is an aligned
 * 8- or 16-byte one, and no exclusive access is made before C turns it on.
 *
 * The offsets are those of struct vcpu_raw (arch/arm64/vcpu_arch.h, checked
 * in raw_arch.c).
 */
#define O_SP 248
#define O_SCTLR 256
#define O_DAIF 264
#define O_CURRENTEL 272
#define O_SPSEL 280
#define O_STACK_END 17728

	.text
	.balign 4
	.globl vcpu_raw_entry
	.type vcpu_raw_entry, %function
vcpu_raw_entry:
	stp x0, x1, [x0, #0]
	stp x2, x3, [x0, #16]
	stp x4, x5, [x0, #32]
	stp x6, x7, [x0, #48]
	stp x8, x9, [x0, #64]
	stp x10, x11, [x0, #80]
	stp x12, x13, [x0, #96]
	stp x14, x15, [x0, #112]
	stp x16, x17, [x0, #128]
	stp x18, x19, [x0, #144]
	stp x20, x21, [x0, #160]
	stp x22, x23, [x0, #176]
	stp x24, x25, [x0, #192]
	stp x26, x27, [x0, #208]
	stp x28, x29, [x0, #224]
	str x30, [x0, #240]
	mov x1, sp
	str x1, [x0, #O_SP]
	mrs x1, sctlr_el1
	str x1, [x0, #O_SCTLR]
	mrs x1, daif
	str x1, [x0, #O_DAIF]
	mrs x1, CurrentEL
	str x1, [x0, #O_CURRENTEL]
	mrs x1, SPSel
	str x1, [x0, #O_SPSEL]
	mov x1, #O_STACK_END
	add x1, x0, x1
	mov sp, x1
	mov x9, #(3 << 20)              /* CPACR_EL1.FPEN: FP/SIMD not trapped */
	msr cpacr_el1, x9
	ldr x9, =hcabi__vectors
	msr vbar_el1, x9
	isb
	mov x29, xzr
	mov x30, xzr
	bl vcpu_raw_main
1:	msr daifset, #0xf
	wfi
	b 1b
	.size vcpu_raw_entry, . - vcpu_raw_entry

/*
 * int64_t vcpu_a64_dirty_stop(uint64_t call_id, uint64_t fid): the state a
 * restart must not keep (ARM64-028, ARM64-030): x2..x30 hold patterns
 * (0xD1D1D1D1000000nn for xnn) and DAIF is clear when the HVC of VCPU.STOP
 * (x0 = call_id, x1 = fid) is made. Only if STOP returns: DAIF masked again,
 * the callee-saved registers back, and x0 (the status) returned.
 */
	.balign 4
	.globl vcpu_a64_dirty_stop
	.type vcpu_a64_dirty_stop, %function
vcpu_a64_dirty_stop:
	stp x29, x30, [sp, #-96]!
	stp x19, x20, [sp, #16]
	stp x21, x22, [sp, #32]
	stp x23, x24, [sp, #48]
	stp x25, x26, [sp, #64]
	stp x27, x28, [sp, #80]
	ldr x9, =0xD1D1D1D100000000
	.irp n, 2,3,4,5,6,7,8,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
	add x\n, x9, #\n
	.endr
	add x9, x9, #9
	msr daifclr, #0xf
	hvc #0
	msr daifset, #0xf
	ldp x19, x20, [sp, #16]
	ldp x21, x22, [sp, #32]
	ldp x23, x24, [sp, #48]
	ldp x25, x26, [sp, #64]
	ldp x27, x28, [sp, #80]
	ldp x29, x30, [sp], #96
	ret
	.size vcpu_a64_dirty_stop, . - vcpu_a64_dirty_stop

	.section .note.GNU-stack, "", %progbits
