/* SPDX-License-Identifier: MIT */
/*
 * vcpu_regs.c - arm64 vCPUs of hcabi-refvmm: creating them (PSCI 0.2;
 * every vCPU but 0 powered off, waiting for VCPU.START), their registers
 * through ONE_REG (one ioctl per register: docs/arm64.md gives the cost),
 * the boot of vCPU 0 by the Linux arm64 protocol, the VCPU.START boot
 * state (ARM64-026..030) and TLB.FLUSH (ARM64-033).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arm64_kvm.h"

#define CORE_REG(name)                                                                             \
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(name))
#define REG_X0 CORE_REG(regs.regs[0])
#define REG_PC CORE_REG(regs.pc)
#define REG_MPIDR ARM64_SYS_REG(3, 0, 0, 0, 5) /* MPIDR_EL1 */
/* The device tree goes at the end of RAM, page-aligned, out of the image's
 * way (the images' page allocator skips it: docs/arm64.md). */
#define DTB_MAX 0x10000ull

static int get_reg(struct hcabi__vcpu *v, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg r = {.id = id, .addr = (uint64_t)(uintptr_t)val};
	return hcabi__kvm_ioctl(v->arch->fd, KVM_GET_ONE_REG, &r);
}

static int set_reg(struct hcabi__vcpu *v, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r = {.id = id, .addr = (uint64_t)(uintptr_t)&val};
	return hcabi__kvm_ioctl(v->arch->fd, KVM_SET_ONE_REG, &r);
}

/* x<n>: the core register IDs count 32-bit words, two per register */
int hcabi__a64_get_x(struct hcabi__vcpu *v, unsigned n, uint64_t *val)
{
	return get_reg(v, REG_X0 + 2u * n, val);
}

int hcabi__a64_set_x(struct hcabi__vcpu *v, unsigned n, uint64_t val)
{
	return set_reg(v, REG_X0 + 2u * n, val);
}

uint64_t hcabi__a64_pc(struct hcabi__vcpu *v)
{
	uint64_t pc;
	return get_reg(v, REG_PC, &pc) < 0 ? UINT64_MAX : pc;
}

/* KVM_ARM_VCPU_INIT: the architectural reset state (EL1h, DAIF masked,
 * SCTLR_EL1 as after reset, every general register and FP/SIMD register
 * zero), runnable unless power_off. Again on an initialised vCPU it resets
 * it; POWER_OFF is not part of the features KVM compares then. */
static int vcpu_init(struct hcabi__vcpu *v, bool power_off)
{
	struct kvm_vcpu_init init = v->vm->arch->own.init;
	if (power_off)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	return hcabi__kvm_ioctl(v->arch->fd, KVM_ARM_VCPU_INIT, &init);
}

int hcabi__arch_vcpu_create(struct hcabi__vcpu *v, char *err, size_t errlen)
{
	uint32_t i = v->index;

	if (hcabi__kvm_vcpu_open(v, err, errlen) < 0)
		return -1;
	/* vCPU 0 boots; the others wait for VCPU.START (the core's view too) */
	if (vcpu_init(v, i != 0) < 0)
		return hcabi__fail(err, errlen, "KVM_ARM_VCPU_INIT on vcpu %u: %s", i,
				   strerror(errno));
	if (get_reg(v, REG_MPIDR, &v->arch->own.mpidr) < 0)
		return hcabi__fail(err, errlen, "reading MPIDR_EL1 of vcpu %u: %s", i,
				   strerror(errno));
	return 0;
}

/* VCPU.START (ARM64-026..030): reset by KVM_ARM_VCPU_INIT (EL1h, MMU and
 * caches off, DAIF set, every register zero), then PC = entry, x0 = arg,
 * runnable. The core passes the arm64 boot state as entry in rip and arg
 * in arg (hcabi_ref.h). */
int hcabi__arch_vcpu_reset(struct hcabi__vcpu *v, const struct hcabi_vcpu_boot_state *bs)
{
	struct kvm_mp_state mp = {.mp_state = KVM_MP_STATE_RUNNABLE};

	if (vcpu_init(v, false) < 0 || set_reg(v, REG_PC, bs->rip) < 0 ||
	    hcabi__a64_set_x(v, 0, bs->arg) < 0)
		return -1;
	return hcabi__kvm_ioctl(v->arch->fd, KVM_SET_MP_STATE, &mp);
}

/* TLB.FLUSH (ARM64-033). KVM gives userspace no TLB invalidation of a
 * vCPU, but turning dirty logging on for a memslot write-protects the slot
 * and flushes: kvm_arch_commit_memory_region -> kvm_mmu_wp_memory_region ->
 * kvm_flush_remote_tlbs_memslot (Linux 6.12, arch/arm64/kvm/mmu.c), whose
 * stage-2 range invalidation ends with TLBI VMALLE1IS for the VM's VMID
 * (hyp/vhe/tlb.c and hyp/nvhe/tlb.c __kvm_tlb_flush_vmid_range; without
 * FEAT_TLBIRANGE __kvm_tlb_flush_vmid, TLBI VMALLS12E1IS) before the ioctl
 * returns: every stage-1 entry of every vCPU of the VM, of every ASID,
 * global ones included, more than TLB.FLUSH asks. refvmm does that on a
 * slot of one page of its own (not in the device tree), then turns the
 * logging off again (no flush). One toggle flushes the whole VM, so one per
 * TLB.FLUSH call is enough: the core asks target by target, and a toggle
 * that began after every TLB.FLUSH or BATCH call in progress began covers
 * the requests of all of them. */
int hcabi__a64_flush_slot_create(struct hcabi__vm *vm, char *err, size_t errlen)
{
	struct kvm_userspace_memory_region *mr = &vm->arch->own.flush_slot;
	long page = sysconf(_SC_PAGESIZE);
	void *mem;

	if (page <= 0 || page > 0x10000)
		return hcabi__fail(err, errlen, "host page size %ld: TLB.FLUSH's slot needs at most "
						"64 KiB", page);
	mem = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return hcabi__fail(err, errlen, "TLB.FLUSH's page: %s", strerror(errno));
	mr->slot = HCABI__A64_FLUSH_SLOT;
	mr->guest_phys_addr = HCABI__A64_FLUSH_GPA;
	mr->memory_size = (uint64_t)page;
	mr->userspace_addr = (uint64_t)(uintptr_t)mem;
	if (hcabi__kvm_ioctl(vm->arch->vm_fd, KVM_SET_USER_MEMORY_REGION, mr) < 0)
		return hcabi__fail(err, errlen, "KVM_SET_USER_MEMORY_REGION (TLB.FLUSH's slot): %s",
				   strerror(errno));
	return 0;
}

/* Whether the last finished toggle began after every call that may have
 * asked for this flush began: those inside TLB.FLUSH or BATCH (exits.c). */
static bool flush_covered(const struct hcabi__vm *vm)
{
	uint64_t done = vm->arch->own.flush_done;
	bool any = false;

	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		const struct hcabi__kvm_own_vcpu *o = &vm->vcpus[i].arch->own;
		if (!__atomic_load_n(&o->in_flush_call, __ATOMIC_SEQ_CST))
			continue;
		any = true;
		if (done <= __atomic_load_n(&o->flush_entry, __ATOMIC_SEQ_CST))
			return false;
	}
	return any;
}

int hcabi__arch_vcpu_flush_tlb(struct hcabi__vcpu *v)
{
	struct hcabi__kvm_own_vm *own = &v->vm->arch->own;
	struct kvm_userspace_memory_region mr;
	uint64_t n;
	int r = 0;

	pthread_mutex_lock(&own->flush_lock);
	if (!flush_covered(v->vm)) {
		n = __atomic_add_fetch(&own->flush_begun, 1, __ATOMIC_SEQ_CST);
		mr = own->flush_slot;
		mr.flags = KVM_MEM_LOG_DIRTY_PAGES;
		r = hcabi__kvm_ioctl(v->vm->arch->vm_fd, KVM_SET_USER_MEMORY_REGION, &mr);
		mr.flags = 0;
		if (hcabi__kvm_ioctl(v->vm->arch->vm_fd, KVM_SET_USER_MEMORY_REGION, &mr) < 0)
			r = -1;
		if (r == 0)
			own->flush_done = n;
	}
	pthread_mutex_unlock(&own->flush_lock);
	return r;
}

/* The Linux arm64 boot protocol: the Image at RAM base + text_offset, the
 * device tree's address in x0, x1..x3 zero, EL1h with the MMU off and DAIF
 * masked (the reset state). Then the GICv3 (every vCPU exists now). */
int hcabi__arch_boot(struct hcabi__vm *vm, const struct hcabi__image *img, const char *cmdline,
		     char *err, size_t errlen)
{
	struct hcabi__vcpu *v0 = &vm->vcpus[0];
	uint64_t entry, dtb_off;
	size_t n;

	if (vm->ram_size < img->text_offset + img->image_size + DTB_MAX)
		return hcabi__fail(err, errlen, "no room for the device tree after the image in "
						"%llu bytes of RAM",
				   (unsigned long long)vm->ram_size);
	entry = hcabi__a64_image_install(img, vm->ram, vm->ram_size, err, errlen);
	if (!entry)
		return -1;
	dtb_off = vm->ram_size - DTB_MAX;
	n = hcabi__a64_build_dtb(vm, cmdline, vm->ram + dtb_off, DTB_MAX, err, errlen);
	if (!n)
		return -1;
	vm->arch->own.dtb_gpa = vm->ram_base + dtb_off;
	if (hcabi__a64_gic_create(vm, err, errlen) < 0)
		return -1;
	if (set_reg(v0, REG_PC, entry) < 0 || hcabi__a64_set_x(v0, 0, vm->arch->own.dtb_gpa) < 0)
		return hcabi__fail(err, errlen, "setting the boot registers: %s", strerror(errno));
	return 0;
}
