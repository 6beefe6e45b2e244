/* SPDX-License-Identifier: MIT */
/*
 * raw_entry.S - where the VCPU tests start a vCPU with their own boot state
 * on riscv64 (RV64-021, RV64-023..026, VCPU-025, VCPU-032), instead of the
 * runtime's hcabi__ap_entry: the first instructions record the state
 * VCPU.START gave, before anything changes it, into the struct vcpu_raw
 * that a1 (the boot state's `arg`) points at: x1..x31, then sstatus, satp
 * and sie (CSRs only S-mode can read: a vCPU begun in U-mode traps here).
 * Then the struct's own stack, the FP unit and the trap vector, and C code
 * (vcpu_raw_main) runs the test's function and stops the vCPU with
 * VCPU.STOP.
 *
 * The offsets are those of struct vcpu_raw (arch/riscv64/vcpu_arch.h,
 * checked in raw_arch.c); the stack's end is raw_arch.c's
 * vcpu_rv_stack_end.
 */
#include "hcabi_riscv64_defs.h"

#define O_SSTATUS 256
#define O_SATP 264
#define O_SIE 272

	.text
	.balign 4
	.globl vcpu_raw_entry
	.type vcpu_raw_entry, %function
vcpu_raw_entry:
	.irp n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	sd x\n, (8 * \n)(a1)
	.endr
	csrr t0, sstatus
	sd t0, O_SSTATUS(a1)
	csrr t0, satp
	sd t0, O_SATP(a1)
	csrr t0, sie
	sd t0, O_SIE(a1)
	lla t0, vcpu_rv_stack_end
	ld t0, 0(t0)
	add sp, a1, t0
	li t0, HCABI_SSTATUS_FS
	csrc sstatus, t0
	li t0, HCABI_SSTATUS_FS_INITIAL
	csrs sstatus, t0
	lla t0, hcabi__trap_entry
	csrw stvec, t0
	mv a0, a1
	li s0, 0
	li ra, 0
	call vcpu_raw_main
1:	csrci sstatus, HCABI_SSTATUS_SIE
	wfi
	j 1b
	.size vcpu_raw_entry, . - vcpu_raw_entry

/*
 * int64_t vcpu_rv_dirty_stop(uint64_t eid, uint64_t fid): the state a
 * restart must not keep (RV64-024, RV64-026): sie cleared (so that nothing
 * is taken meanwhile), sstatus.SIE set, and x1..x31 but a6 and a7 (the
 * call's IDs) hold 0xD1D1D1D1000000nn for xn, sp included, when the ECALL
 * of VCPU.STOP is made. Only if STOP returns: SIE clear again, sp from
 * vcpu_rv_saved_sp, the callee-saved registers back, and a0 (the status)
 * returned.
 */
	.balign 4
	.globl vcpu_rv_dirty_stop
	.type vcpu_rv_dirty_stop, %function
vcpu_rv_dirty_stop:
	addi sp, sp, -128
	sd ra, 0(sp)
	sd gp, 8(sp)
	sd tp, 16(sp)
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11
	sd s\n, (24 + 8 * \n)(sp)
	.endr
	lla t0, vcpu_rv_saved_sp
	sd sp, 0(t0)
	mv a7, a0
	mv a6, a1
	csrw sie, zero
	csrsi sstatus, HCABI_SSTATUS_SIE
	.irp n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	li x\n, 0xD1D1D1D100000000 + \n
	.endr
	ecall
	csrci sstatus, HCABI_SSTATUS_SIE
	lla t0, vcpu_rv_saved_sp
	ld sp, 0(t0)
	ld ra, 0(sp)
	ld gp, 8(sp)
	ld tp, 16(sp)
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11
	ld s\n, (24 + 8 * \n)(sp)
	.endr
	addi sp, sp, 128
	ret
	.size vcpu_rv_dirty_stop, . - vcpu_rv_dirty_stop

	.bss
	.balign 8
vcpu_rv_saved_sp:
	.skip 8

	.section .note.GNU-stack, "", %progbits
