/* SPDX-License-Identifier: MIT */
/*
 * kvm_vm.c - the arm64 KVM VM of hcabi-refvmm: /dev/kvm and its
 * capabilities, the VM with its RAM at QEMU virt's base, the SMCCC filter
 * that brings HCABI's HVCs to refvmm, the in-kernel GICv3, and interrupt
 * injection as PPIs.
 *
 * How hypercalls reach refvmm. KVM handles HVCs itself (PSCI, its vendor
 * services) and answers unknown function IDs with -1. The SMCCC filter (a VM
 * attribute, Linux 6.4+; no capability bit, so it is probed with
 * KVM_HAS_DEVICE_ATTR) forwards a range of function IDs to userspace as
 * KVM_EXIT_HYPERCALL; it must be set before the first KVM_RUN. refvmm
 * forwards exactly HCABI's two IDs, HCABI_ARM64_DISCOVER_ID and
 * HCABI_ARM64_CALL_ID (ARM64-001), and leaves PSCI and the rest to KVM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arm64_kvm.h"

_Static_assert(HCABI_ARM64_CALL_ID == HCABI_ARM64_DISCOVER_ID + 1,
	       "the SMCCC filter forwards one range holding both IDs");

/* ---- capabilities ---------------------------------------------------------- */
int hcabi__arch_probe(uint32_t *max_vcpus, char *err, size_t errlen)
{
	static const struct hcabi__kvm_cap need[] = {
	    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
	    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
	    {KVM_CAP_ONE_REG, "KVM_CAP_ONE_REG"},
	    {KVM_CAP_DEVICE_CTRL, "KVM_CAP_DEVICE_CTRL"},
	    {KVM_CAP_ARM_PSCI_0_2, "KVM_CAP_ARM_PSCI_0_2"},
	    {KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE"},
	};
	int fd = hcabi__kvm_probe(need, sizeof(need) / sizeof(need[0]), err, errlen);

	if (fd < 0)
		return -1;
	*max_vcpus = hcabi__kvm_max_vcpus(fd);
	close(fd);
	return 0;
}

/* ---- the VM ---------------------------------------------------------------- */
static int set_smccc_filter(struct hcabi__arch_vm *a, char *err, size_t errlen)
{
	struct kvm_smccc_filter f;
	struct kvm_device_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.group = KVM_ARM_VM_SMCCC_CTRL;
	attr.attr = KVM_ARM_VM_SMCCC_FILTER;
	if (ioctl(a->vm_fd, KVM_HAS_DEVICE_ATTR, &attr) < 0)
		return hcabi__fail(err, errlen,
				   "KVM lacks the SMCCC filter (KVM_ARM_VM_SMCCC_FILTER, Linux 6.4+): "
				   "refvmm needs it to receive HVCs");
	memset(&f, 0, sizeof(f));
	f.base = HCABI_ARM64_DISCOVER_ID;
	f.nr_functions = 2; /* DISCOVER_ID, CALL_ID */
	f.action = KVM_SMCCC_FILTER_FWD_TO_USER;
	attr.addr = (uint64_t)(uintptr_t)&f;
	if (hcabi__kvm_ioctl(a->vm_fd, KVM_SET_DEVICE_ATTR, &attr) < 0)
		return hcabi__fail(err, errlen, "KVM_ARM_VM_SMCCC_FILTER (forward 0x%x+2): %s",
				   HCABI_ARM64_DISCOVER_ID, strerror(errno));
	return 0;
}

int hcabi__arch_vm_create(struct hcabi__vm *vm, char *err, size_t errlen)
{
	struct hcabi__arch_vm *a;

	if (hcabi__kvm_vm_open(vm, err, errlen) < 0)
		return -1;
	a = vm->arch;
	if (hcabi__kvm_ioctl(a->vm_fd, KVM_ARM_PREFERRED_TARGET, &a->own.init) < 0)
		return hcabi__fail(err, errlen, "KVM_ARM_PREFERRED_TARGET: %s", strerror(errno));
	a->own.init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (hcabi__kvm_ram_map(vm, err, errlen) < 0 ||
	    hcabi__a64_flush_slot_create(vm, err, errlen) < 0)
		return -1;
	/* An MMIO access KVM cannot decode (no syndrome: a load/store pair,
	 * writeback) exits as KVM_EXIT_ARM_NISV with its address, a guest
	 * fault refvmm names (exits.c), not a bare ENOSYS from KVM_RUN. */
	{
		struct kvm_enable_cap cap = {.cap = KVM_CAP_ARM_NISV_TO_USER};
		(void)hcabi__kvm_ioctl(a->vm_fd, KVM_ENABLE_CAP, &cap);
	}
	return set_smccc_filter(a, err, errlen);
}

static int gic_attr(int fd, uint32_t group, uint64_t attr, void *val)
{
	struct kvm_device_attr da = {.group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)val};
	return hcabi__kvm_ioctl(fd, KVM_SET_DEVICE_ATTR, &da);
}

/* The GICv3 after every vCPU exists (KVM sizes the redistributors by
 * them), at QEMU virt's addresses (ARM64-023). */
int hcabi__a64_gic_create(struct hcabi__vm *vm, char *err, size_t errlen)
{
	struct hcabi__arch_vm *a = vm->arch;
	struct kvm_create_device cd = {.type = KVM_DEV_TYPE_ARM_VGIC_V3};
	uint64_t dist = HCABI__A64_GICD_BASE, redist = HCABI__A64_GICR_BASE;
	int gic;

	if (hcabi__kvm_ioctl(a->vm_fd, KVM_CREATE_DEVICE, &cd) < 0)
		return hcabi__fail(err, errlen, "KVM_CREATE_DEVICE (GICv3): %s", strerror(errno));
	gic = a->own.gic_fd = (int)cd.fd;
	if (gic_attr(gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist) < 0 ||
	    gic_attr(gic, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist) < 0)
		return hcabi__fail(err, errlen, "placing the GICv3: %s", strerror(errno));
	if (gic_attr(gic, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL) < 0)
		return hcabi__fail(err, errlen, "initialising the GICv3: %s", strerror(errno));
	return 0;
}

void hcabi__arch_vm_destroy(struct hcabi__vm *vm)
{
	if (vm->arch && vm->arch->own.gic_fd >= 0)
		close(vm->arch->own.gic_fd);
	/* no vCPU runs any more: TLB.FLUSH's page can go before the VM */
	if (vm->arch && vm->arch->own.flush_slot.userspace_addr)
		munmap((void *)(uintptr_t)vm->arch->own.flush_slot.userspace_addr,
		       vm->arch->own.flush_slot.memory_size);
	hcabi__kvm_vm_close(vm);
}

/* ---- the interrupt controller ---------------------------------------------- */
#define GICR_SGI_BASE 0x10000u
#define GICR_ISENABLER0 (GICR_SGI_BASE + 0x100u)
#define GICR_ISPENDR0 (GICR_SGI_BASE + 0x200u)
/* What a user write of GICR_ISPENDR0 keeps: it sets the whole pending
 * state, a 0 bit clearing a latch. SGIs and HCABI's PPIs are kept as read
 * (both are latches only: refvmm drives no PPI line); the other PPIs (the
 * timers', the PMU's) are written 0, which clears no more than a latch,
 * so that the level KVM drives on them is never latched for good. */
#define ISPENDR0_KEEP (0xffffu | (((1u << (HCABI_ARM64_VECTOR_MAX + 1u)) - 1u) & \
				  ~((1u << HCABI_ARM64_VECTOR_MIN) - 1u)))

#define EBUSY_TRIES 50000u /* 100 us apart: 5 s */

/* KVM's access to vCPU index's redistributor register at offset off. It
 * takes every vCPU's lock, so it fails with EBUSY while a vCPU is in
 * KVM_RUN (or in another vCPU ioctl): tried up to `tries` times. */
static int redist_reg(struct hcabi__vm *vm, uint32_t index, uint32_t off, uint32_t *val, bool write,
		      unsigned tries)
{
	uint64_t m = vm->vcpus[index].arch->own.mpidr;
	/* KVM_DEV_ARM_VGIC_V3_MPIDR: Aff3.Aff2.Aff1.Aff0 in bits 63:32 */
	struct kvm_device_attr da = {
	    .group = KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
	    .attr = (((((m >> 32) & 0xff) << 24) | (m & 0xffffffu)) << KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT) | off,
	    .addr = (uint64_t)(uintptr_t)val,
	};

	for (unsigned n = 0; n < tries && !vm->ending; n++) {
		if (n)
			usleep(100);
		if (ioctl(vm->arch->own.gic_fd, write ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, &da) == 0)
			return 0;
		if (errno != EBUSY)
			return -1;
	}
	errno = vm->ending ? ECANCELED : EBUSY;
	return -1;
}

/* ARM64-022: the PPI made pending in the target's redistributor as an
 * edge. KVM treats every PPI as level-sensitive and ignores GICR_ICFGR1 for
 * them, so raising and lowering its line (KVM_IRQ_LINE) would withdraw the
 * interrupt before the guest takes it; instead refvmm sets the pending
 * latch, as a GICR_ISPENDR0 write does, which KVM clears when the guest
 * acknowledges the interrupt. That access needs every vCPU out of KVM_RUN
 * (hcabi__vm_hold). The core validated the INTID (ARM64-021). */
int hcabi__arch_inject_irq(struct hcabi__vm *vm, uint32_t index, uint8_t vector)
{
	uint32_t pend = 0;
	int r;

	if (vector < HCABI_ARM64_VECTOR_MIN || vector > HCABI_ARM64_VECTOR_MAX)
		return HCABI_REF_POK; /* not one of HCABI's PPIs: nothing to raise */
	hcabi__vm_hold(vm);
	r = redist_reg(vm, index, GICR_ISPENDR0, &pend, false, EBUSY_TRIES);
	if (r == 0) {
		pend = (pend & ISPENDR0_KEEP) | (1u << vector);
		r = redist_reg(vm, index, GICR_ISPENDR0, &pend, true, EBUSY_TRIES);
	}
	hcabi__vm_release(vm);
	if (r < 0 && !vm->ending) {
		hcabi__log("error: PPI %u for vcpu %u: GICR_ISPENDR0: %s", vector, index,
			   strerror(errno));
		return HCABI_REF_PERR_HOST;
	}
	return HCABI_REF_POK;
}

/* Is an enabled SGI or PPI pending in v's redistributor (GICR_ISPENDR0 &
 * GICR_ISENABLER0)? Asked by VCPU.BLOCK every 10 ms for interrupts that do
 * not come through refvmm (the guest's own SGIs); it does not hold the
 * other vCPUs for that, so while one runs the answer is "no" until a later
 * try (an interrupt refvmm injects ends the block by itself). */
bool hcabi__arch_irq_pending(struct hcabi__vcpu *v)
{
	uint32_t pend = 0, en = 0;

	if (v->vm->arch->own.gic_fd < 0)
		return false;
	return redist_reg(v->vm, v->index, GICR_ISPENDR0, &pend, false, 1) == 0 &&
	       redist_reg(v->vm, v->index, GICR_ISENABLER0, &en, false, 1) == 0 && (pend & en) != 0;
}

/* One RAM range, the one KVM memory slot (the device tree's /memory says
 * the same, MEM-011.6). */
uint32_t hcabi__arch_ram_layout(uint64_t ram_size,
				struct hcabi_ref_ram_range out[HCABI__ARCH_MAX_RAM_RANGES])
{
	out[0].base = HCABI__ARCH_RAM_BASE;
	out[0].size = ram_size;
	return 1;
}

/* No device of the arm64 platform has a wire to drive: the PL011 has no
 * interrupt yet (its receiver is not modelled). */
int hcabi__arch_irq_line(struct hcabi__vm *vm, uint32_t irq, bool level)
{
	(void)vm;
	(void)irq;
	(void)level;
	errno = ENODEV;
	return -1;
}
