/* SPDX-License-Identifier: MIT */
/*
 * tlb.c - TLB.FLUSH on riscv64 (RV64-029): one SBI RFENCE
 * remote_sfence_vma of every hart, made by the calling vCPU itself through
 * a trampoline page of refvmm's, before its TLB.FLUSH (or BATCH) returns.
 *
 * Why so. RV64-029 asks for the targets' VS-stage translations (the guest's
 * own page tables, every ASID) to be gone. KVM (Linux 6.12,
 * arch/riscv/kvm/) gives userspace no way to that: the memslot paths
 * (kvm_arch_commit_memory_region -> gstage_wp_memory_region ->
 * kvm_flush_remote_tlbs, whose KVM_REQ_TLB_FLUSH is
 * KVM_REQ_HFENCE_GVMA_VMID_ALL; kvm_arch_flush_shadow_memslot ->
 * gstage_unmap_range) end in HFENCE.GVMA, a G-stage fence, which the
 * privileged architecture lets leave guest-virtual-to-guest-physical
 * entries in place. The only HFENCE.VVMA of another vCPU KVM makes is for
 * a guest's SBI RFENCE call (vcpu_sbi_replace.c
 * kvm_sbi_ext_rfence_handler -> kvm_riscv_hfence_vvma_all ->
 * make_xfence_request), answered in the kernel: with hart_mask_base -1
 * (every vCPU) and size -1 (every address) each vCPU gets
 * KVM_REQ_HFENCE_VVMA_ALL, a request with KVM_REQUEST_WAIT: the call
 * returns only once every vCPU has left guest mode, and each runs
 * HFENCE.VVMA (every address, every ASID, global entries included) for the
 * VM's VMID before it enters the guest again.
 *
 * How. hcabi__arch_vcpu_flush_tlb, the core's per-target request (on the
 * target's own thread), only counts; when the caller's TLB.FLUSH or BATCH
 * call ends and a request was counted since it began, the call's results
 * are kept and the caller is sent to the trampoline page (TRAMP_GPA, a
 * read-only memslot in no device tree node) with translation off (satp
 * 0), sstatus.SIE clear and the RFENCE call in its registers:
 *     ecall          SBI RFENCE remote_sfence_vma(0, -1, 0, -1), KVM's
 *     mv a7, a4      a4 = TRAMP_EID
 *     ecall          back to refvmm (an experimental EID: forwarded)
 * The second ECALL restores what the trampoline changed (pc, satp,
 * sstatus, a2..a7) and answers the original ECALL with the kept results.
 * The guest sees a call that took longer: every register but a0 and a1
 * and the CSRs as before (RV64-009, RV64-012). One RFENCE per call,
 * however many targets.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "riscv64_kvm.h"

#define TRAMP_SLOT 1u
#define TRAMP_PAGE 0x1000ull
#define TRAMP_GPA (HCABI__ARCH_RAM_BASE - TRAMP_PAGE)
/* refvmm's own SBI extension ID, in the experimental range (KVM forwards
 * it), answered only at the trampoline's end: "HCB" */
#define TRAMP_EID HCABI__RV64_TRAMP_EID
#define SBI_EXT_RFENCE 0x52464E43ull
#define SBI_RFENCE_REMOTE_SFENCE_VMA 1u
#define SSTATUS_SIE 0x2ull

#define REG64(type, idx) (KVM_REG_RISCV | KVM_REG_SIZE_U64 | (type) | (uint64_t)(idx))
#define CSR_REG(name) REG64(KVM_REG_RISCV_CSR, KVM_REG_RISCV_CSR_REG(name))
#define ONE_REG_PC REG64(KVM_REG_RISCV_CORE, KVM_REG_RISCV_CORE_REG(regs.pc))
#define CORE_A2 12u

static const uint32_t tramp_code[] = {
    0x00000073u, /* ecall */
    0x00070893u, /* addi a7, a4, 0 */
    0x00000073u, /* ecall */
    0x0000006fu, /* j . (never reached: refvmm moves the PC on) */
};

int hcabi__rv64_tramp_create(struct hcabi__vm *vm, char *err, size_t errlen)
{
	struct kvm_userspace_memory_region mr;
	void *mem;

	if (sysconf(_SC_PAGESIZE) != (long)TRAMP_PAGE)
		return hcabi__fail(err, errlen, "host page size %ld: TLB.FLUSH's page needs 4 KiB",
				   sysconf(_SC_PAGESIZE));
	mem = mmap(NULL, TRAMP_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return hcabi__fail(err, errlen, "TLB.FLUSH's page: %s", strerror(errno));
	memcpy(mem, tramp_code, sizeof(tramp_code));
	vm->arch->own.tramp_mem = mem;
	memset(&mr, 0, sizeof(mr));
	mr.slot = TRAMP_SLOT;
	mr.flags = KVM_MEM_READONLY;
	mr.guest_phys_addr = TRAMP_GPA;
	mr.memory_size = TRAMP_PAGE;
	mr.userspace_addr = (uint64_t)(uintptr_t)mem;
	if (hcabi__kvm_ioctl(vm->arch->vm_fd, KVM_SET_USER_MEMORY_REGION, &mr) < 0)
		return hcabi__fail(err, errlen, "KVM_SET_USER_MEMORY_REGION (TLB.FLUSH's page): %s",
				   strerror(errno));
	return 0;
}

void hcabi__rv64_tramp_destroy(struct hcabi__vm *vm)
{
	if (vm->arch && vm->arch->own.tramp_mem)
		munmap(vm->arch->own.tramp_mem, TRAMP_PAGE);
}

/* The core's request that v flush (on v's own thread; v is out of guest
 * mode): counted, and carried out by the requester's RFENCE before its
 * call returns. */
int hcabi__arch_vcpu_flush_tlb(struct hcabi__vcpu *v)
{
	__atomic_add_fetch(&v->vm->arch->own.flush_requests, 1, __ATOMIC_SEQ_CST);
	return 0;
}

void hcabi__rv64_flush_call_begin(struct hcabi__vcpu *v)
{
	struct hcabi__kvm_own_vcpu *o = &v->arch->own;

	o->flush_entry = __atomic_load_n(&v->vm->arch->own.flush_requests, __ATOMIC_SEQ_CST);
	o->in_flush_call = true;
}

bool hcabi__rv64_flush_call_end(struct hcabi__vcpu *v)
{
	struct hcabi__kvm_own_vcpu *o = &v->arch->own;
	bool was = o->in_flush_call;

	o->in_flush_call = false;
	return was && __atomic_load_n(&v->vm->arch->own.flush_requests, __ATOMIC_SEQ_CST) !=
			  o->flush_entry;
}

/* Send v, stopped at the forwarded ECALL of its call, to the trampoline,
 * keeping the call's results (status, value, the test-only clobber mask).
 * KVM completes that exit at the next KVM_RUN: a0 and a1 from ret[] and
 * pc + 4, so pc is set 4 before the page and a0, a1 = the RFENCE's hart
 * mask and base go through ret[]. */
int hcabi__rv64_tramp_enter(struct hcabi__vcpu *v, int64_t status, uint64_t value, uint32_t clobber)
{
	struct hcabi__kvm_own_vcpu *o = &v->arch->own;
	struct kvm_run *run = v->arch->run;
	const uint64_t regs[6] = {0,
				  UINT64_MAX,
				  TRAMP_EID,
				  0,
				  SBI_RFENCE_REMOTE_SFENCE_VMA,
				  SBI_EXT_RFENCE}; /* a2 = start, a3 = size, a4, a5, a6, a7 */

	for (unsigned i = 0; i < 4; i++)
		o->tramp_a[i] = run->riscv_sbi.args[2 + i];
	o->tramp_a[4] = run->riscv_sbi.function_id;
	o->tramp_a[5] = run->riscv_sbi.extension_id;
	o->tramp_status = status;
	o->tramp_value = value;
	o->tramp_clobber = clobber;
	if (hcabi__kvm_get_one_reg(v, ONE_REG_PC, &o->tramp_pc) < 0 ||
	    hcabi__kvm_get_one_reg(v, CSR_REG(satp), &o->tramp_satp) < 0 ||
	    hcabi__kvm_get_one_reg(v, CSR_REG(sstatus), &o->tramp_sstatus) < 0)
		return -1;
	for (unsigned i = 0; i < 6; i++)
		if (hcabi__rv64_set_core(v, CORE_A2 + i, regs[i]) < 0)
			return -1;
	if (hcabi__kvm_set_one_reg(v, CSR_REG(satp), 0) < 0 ||
	    hcabi__kvm_set_one_reg(v, CSR_REG(sstatus), o->tramp_sstatus & ~SSTATUS_SIE) < 0 ||
	    hcabi__kvm_set_one_reg(v, ONE_REG_PC, TRAMP_GPA - 4) < 0)
		return -1;
	run->riscv_sbi.ret[0] = 0;	    /* a0: hart_mask (ignored with base -1) */
	run->riscv_sbi.ret[1] = UINT64_MAX; /* a1: hart_mask_base -1, every vCPU */
	o->tramp = true;
	return 0;
}

/* The trampoline's second ECALL (TRAMP_EID) on v: 1 if it was v's (v is
 * back where its call was, with the call's results for KVM to complete),
 * 0 if v has no trampoline in progress (a guest's own call of that EID),
 * -1 on a host error. */
int hcabi__rv64_tramp_exit(struct hcabi__vcpu *v, uint32_t *clobber)
{
	struct hcabi__kvm_own_vcpu *o = &v->arch->own;
	struct kvm_run *run = v->arch->run;
	int64_t rfence = (int64_t)run->riscv_sbi.args[0];

	if (!o->tramp)
		return 0;
	o->tramp = false;
	if (rfence != 0)
		hcabi__log("error: vcpu %u: TLB.FLUSH: KVM's SBI RFENCE returned %lld: nothing was "
			   "flushed",
			   v->index, (long long)rfence);
	for (unsigned i = 0; i < 6; i++)
		if (hcabi__rv64_set_core(v, CORE_A2 + i, o->tramp_a[i]) < 0)
			return -1;
	if (hcabi__kvm_set_one_reg(v, CSR_REG(satp), o->tramp_satp) < 0 ||
	    hcabi__kvm_set_one_reg(v, CSR_REG(sstatus), o->tramp_sstatus) < 0 ||
	    hcabi__kvm_set_one_reg(v, ONE_REG_PC, o->tramp_pc) < 0)
		return -1;
	run->riscv_sbi.ret[0] = (unsigned long)o->tramp_status;
	run->riscv_sbi.ret[1] = o->tramp_value;
	*clobber = o->tramp_clobber;
	return 1;
}
