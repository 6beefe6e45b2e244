/* SPDX-License-Identifier: MIT */
/*
 * boot.S - PVH entry of the conformance guest, and the entry of secondary
 * vCPUs started by VCPU.START.
 *
 * PVH (Xen's direct-boot protocol, also QEMU -kernel, Firecracker, Cloud
 * Hypervisor, hcabi-refvmm): the ELF note HCABI_PVH_NOTE writes (name
 * "Xen", type 18) gives the 32-bit physical entry point. The guest is
 * entered in 32-bit protected mode, paging off, flat CS/DS, EBX = GPA of
 * struct hcabi_pvh_start_info (protocol/arch/x86_64/hcabi_pvh.h).
 *
 * Here: zero .bss, build identity page tables for the first 4 GiB with
 * 2 MiB pages (user-accessible, 3-4 GiB uncached for the LAPIC and other
 * MMIO), enable PAE + long mode (+ NX when the CPU has it), load the GDT and
 * jump to 64-bit code, which calls hcabi__boot(start_info) in C.
 */
#include "hcabi_x86_defs.h"
#include "arch/x86_64/hcabi_pvh.h"


#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_ET (1 << 4)
#define CR0_NE (1 << 5)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)

#define BOOT_STACK_SIZE (64 * 1024)

	HCABI_PVH_NOTE hcabi__pvh_entry

	.section .text.boot, "ax", @progbits
	.code32
	.globl hcabi__pvh_entry
	.type hcabi__pvh_entry, @function
hcabi__pvh_entry:
	cli
	cld
	mov %ebx, %esi                /* start info, kept in ESI */

	/* zero .bss (the loader should have, but do not rely on it) */
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb

	mov %esi, hcabi__start_info_gpa
	mov $(hcabi__boot_stack + BOOT_STACK_SIZE), %esp

	/* 2048 PDEs of 2 MiB: P | W | U | PS, PWT | PCD from 3 GiB up */
	mov $hcabi__pd, %edi
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $21, %eax
	or $(HCABI_PTE_P | HCABI_PTE_W | HCABI_PTE_U | HCABI_PTE_PS), %eax
	cmp $1536, %ecx
	jb 2f
	or $(HCABI_PTE_PWT | HCABI_PTE_PCD), %eax
2:	mov %eax, (%edi,%ecx,8)
	movl $0, 4(%edi,%ecx,8)
	inc %ecx
	cmp $2048, %ecx
	jb 1b

	/* 4 PDPTEs, 1 PML4E */
	mov $hcabi__pdpt, %edi
	xor %ecx, %ecx
3:	mov %ecx, %eax
	shl $12, %eax
	add $hcabi__pd, %eax
	or $(HCABI_PTE_P | HCABI_PTE_W | HCABI_PTE_U), %eax
	mov %eax, (%edi,%ecx,8)
	inc %ecx
	cmp $4, %ecx
	jb 3b
	mov $hcabi__pdpt, %eax
	or $(HCABI_PTE_P | HCABI_PTE_W | HCABI_PTE_U), %eax
	mov %eax, hcabi__pml4

	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $hcabi__pml4, %eax
	mov %eax, %cr3

	/* EFER.LME, and NXE if CPUID 0x80000001 EDX[20] says NX exists */
	xor %ebp, %ebp
	mov $0x80000000, %eax
	cpuid
	cmp $0x80000001, %eax
	jb 4f
	mov $0x80000001, %eax
	cpuid
	test $(1 << 20), %edx
	jz 4f
	mov $EFER_NXE, %ebp
4:	mov $HCABI_MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	or %ebp, %eax
	wrmsr

	mov $(CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG), %eax
	mov %eax, %cr0

	lgdt hcabi__gdt_ptr32
	ljmp $HCABI_SEL_KCODE, $5f

	.code64
5:	mov $HCABI_SEL_KDATA, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs
	mov $(hcabi__boot_stack + BOOT_STACK_SIZE), %rsp
	xor %ebp, %ebp
	mov hcabi__start_info_gpa(%rip), %edi
	call hcabi__boot
6:	cli
	hlt
	jmp 6b
	.size hcabi__pvh_entry, . - hcabi__pvh_entry

/*
 * Secondary vCPUs: VCPU.START enters here in 64-bit mode with paging on,
 * RSP = the vCPU's stack top, RDI = its struct hcabi_cpu, interrupts off.
 */
	.text
	.globl hcabi__ap_entry
	.type hcabi__ap_entry, @function
hcabi__ap_entry:
	cld
	xor %ebp, %ebp
	and $~0xf, %rsp
	call hcabi__ap_main
7:	cli
	hlt
	jmp 7b
	.size hcabi__ap_entry, . - hcabi__ap_entry

	.data
	.balign 16
	.globl hcabi__gdt
hcabi__gdt:
	.quad 0                        /* null */
	.quad 0x00af9a000000ffff       /* 0x08: ring 0 code, 64-bit */
	.quad 0x00cf92000000ffff       /* 0x10: ring 0 data */
	.quad 0x00cff2000000ffff       /* 0x18: ring 3 data */
	.quad 0x00affa000000ffff       /* 0x20: ring 3 code, 64-bit */
	.fill HCABI_MAX_CPUS * 2, 8, 0 /* 0x28: one 16-byte TSS descriptor per vCPU */
hcabi__gdt_end:

	.balign 8
hcabi__gdt_ptr32:
	.word hcabi__gdt_end - hcabi__gdt - 1
	.long hcabi__gdt

	.globl hcabi__start_info_gpa
	.balign 8
hcabi__start_info_gpa:
	.quad 0

	.bss
	.balign 4096
	.globl hcabi__pml4, hcabi__pdpt, hcabi__pd
hcabi__pml4:
	.skip 4096
hcabi__pdpt:
	.skip 4096
hcabi__pd:
	.skip 4 * 4096
	.balign 16
	.globl hcabi__boot_stack
hcabi__boot_stack:
	.skip BOOT_STACK_SIZE
