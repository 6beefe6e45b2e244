/* SPDX-License-Identifier: MIT */
/*
 * kvm_vm.c - the riscv64 KVM VM of hcabi-refvmm: /dev/kvm and its
 * capabilities, the VM with its RAM at QEMU virt's base, the in-kernel AIA
 * in IMSIC mode, and interrupt injection as MSIs.
 *
 * How hypercalls reach refvmm. KVM answers SBI calls itself (Base, TIME,
 * IPI, RFENCE, HSM, SRST, ...), and forwards every ECALL whose extension ID
 * (a7) lies in SBI's experimental or vendor range to userspace as
 * KVM_EXIT_RISCV_SBI, together with Base probe_extension of such an ID.
 * HCABI_RISCV64_SBI_EID lies in the experimental range (RV64-001), so no
 * set-up is needed: exits.c answers what arrives.
 *
 * Interrupts. The binding's vectors are identities of each vCPU's S-level
 * IMSIC interrupt file (RV64-017): the AIA device has no wired sources (no
 * APLIC), every vCPU's file sits at HCABI__RV64_IMSIC_BASE + 0x1000 * index,
 * and refvmm makes identity N pending on vCPU i with KVM_SIGNAL_MSI to that
 * page with data N, as a device's MSI would (RV64-019).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "riscv64_kvm.h"

/* ---- capabilities ---------------------------------------------------------- */
int hcabi__arch_probe(uint32_t *max_vcpus, char *err, size_t errlen)
{
	static const struct hcabi__kvm_cap need[] = {
	    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
	    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
	    {KVM_CAP_ONE_REG, "KVM_CAP_ONE_REG"},
	    {KVM_CAP_DEVICE_CTRL, "KVM_CAP_DEVICE_CTRL"},
	    {KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE"},
	    {KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI"},
	};
	int fd = hcabi__kvm_probe(need, sizeof(need) / sizeof(need[0]), err, errlen);

	if (fd < 0)
		return -1;
	*max_vcpus = hcabi__kvm_max_vcpus(fd);
	close(fd);
	return 0;
}

/* ---- the VM ---------------------------------------------------------------- */
int hcabi__arch_vm_create(struct hcabi__vm *vm, char *err, size_t errlen)
{
	struct hcabi__arch_vm *a;

	if (hcabi__kvm_vm_open(vm, err, errlen) < 0)
		return -1;
	a = vm->arch;
	/* riscv KVM says 1 only when it can offer the in-kernel AIA */
	if (ioctl(a->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) <= 0)
		return hcabi__fail(err, errlen,
				   "KVM offers no in-kernel AIA (KVM_CAP_IRQCHIP): refvmm needs its "
				   "IMSIC (a host with Ssaia; QEMU: -M virt,aia=aplic-imsic)");
	if (hcabi__kvm_ram_map(vm, err, errlen) < 0)
		return -1;
	return hcabi__rv64_tramp_create(vm, err, errlen);
}

static int aia_attr(int fd, bool set, uint32_t group, uint64_t attr, void *val)
{
	struct kvm_device_attr da = {.group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)val};
	return hcabi__kvm_ioctl(fd, set ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, &da);
}

/* The bits of a hart index in an IMSIC address: enough for every vCPU. */
static uint32_t hart_bits(uint32_t nvcpus)
{
	uint32_t bits = 0;
	while ((1u << bits) < nvcpus)
		bits++;
	return bits;
}

/* The AIA after every vCPU exists and before any has run (KVM locks them
 * all to initialise it): IMSIC files only, at QEMU virt's addresses
 * (RV64-020). Its mode (trap-and-emulate or guest interrupt files) is
 * KVM's choice. */
int hcabi__rv64_aia_create(struct hcabi__vm *vm, char *err, size_t errlen)
{
	struct hcabi__arch_vm *a = vm->arch;
	struct kvm_create_device cd = {.type = KVM_DEV_TYPE_RISCV_AIA};
	uint32_t srcs = 0, bits = hart_bits(vm->nvcpus);
	int aia;

	if (hcabi__kvm_ioctl(a->vm_fd, KVM_CREATE_DEVICE, &cd) < 0)
		return hcabi__fail(err, errlen, "KVM_CREATE_DEVICE (AIA): %s", strerror(errno));
	aia = a->own.aia_fd = (int)cd.fd;
	if (aia_attr(aia, false, KVM_DEV_RISCV_AIA_GRP_CONFIG, KVM_DEV_RISCV_AIA_CONFIG_IDS,
		     &a->own.nr_ids) < 0)
		return hcabi__fail(err, errlen, "reading the AIA's identity count: %s",
				   strerror(errno));
	if (a->own.nr_ids < HCABI_RISCV64_VECTOR_MAX)
		return hcabi__fail(err, errlen,
				   "KVM's IMSIC files have %u interrupt identities; HCABI needs %u "
				   "(RV64-020)",
				   a->own.nr_ids, HCABI_RISCV64_VECTOR_MAX);
	if (aia_attr(aia, true, KVM_DEV_RISCV_AIA_GRP_CONFIG, KVM_DEV_RISCV_AIA_CONFIG_SRCS,
		     &srcs) < 0 ||
	    aia_attr(aia, true, KVM_DEV_RISCV_AIA_GRP_CONFIG, KVM_DEV_RISCV_AIA_CONFIG_HART_BITS,
		     &bits) < 0)
		return hcabi__fail(err, errlen, "configuring the AIA: %s", strerror(errno));
	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		uint64_t addr = HCABI__RV64_IMSIC_BASE + HCABI__RV64_IMSIC_STRIDE * i;
		if (aia_attr(aia, true, KVM_DEV_RISCV_AIA_GRP_ADDR, KVM_DEV_RISCV_AIA_ADDR_IMSIC(i),
			     &addr) < 0)
			return hcabi__fail(err, errlen, "placing vcpu %u's IMSIC at 0x%llx: %s", i,
					   (unsigned long long)addr, strerror(errno));
	}
	if (aia_attr(aia, true, KVM_DEV_RISCV_AIA_GRP_CTRL, KVM_DEV_RISCV_AIA_CTRL_INIT, NULL) < 0)
		return hcabi__fail(err, errlen, "initialising the AIA: %s", strerror(errno));
	return 0;
}

void hcabi__arch_vm_destroy(struct hcabi__vm *vm)
{
	if (vm->arch && vm->arch->own.aia_fd >= 0)
		close(vm->arch->own.aia_fd);
	hcabi__rv64_tramp_destroy(vm);
	hcabi__kvm_vm_close(vm);
}

/* ---- the interrupt controller ---------------------------------------------- */
/* RV64-019: identity `vector` made pending in vCPU index's S-level IMSIC
 * file, as an MSI (a write of the identity to the file's page) would.
 * KVM_SIGNAL_MSI takes no vCPU lock: any thread, while the target runs.
 * The core validated the identity (RV64-018). */
int hcabi__arch_inject_irq(struct hcabi__vm *vm, uint32_t index, uint8_t vector)
{
	uint64_t addr = HCABI__RV64_IMSIC_BASE + HCABI__RV64_IMSIC_STRIDE * index;
	struct kvm_msi msi;

	if (vector < HCABI_RISCV64_VECTOR_MIN || vector > HCABI_RISCV64_VECTOR_MAX)
		return HCABI_REF_POK; /* not one of HCABI's identities: nothing to raise */
	memset(&msi, 0, sizeof(msi));
	msi.address_lo = (uint32_t)addr;
	msi.address_hi = (uint32_t)(addr >> 32);
	msi.data = vector;
	if (hcabi__kvm_ioctl(vm->arch->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 && !vm->ending) {
		hcabi__log("error: IMSIC identity %u for vcpu %u: KVM_SIGNAL_MSI: %s", vector, index,
			   strerror(errno));
		return HCABI_REF_PERR_HOST;
	}
	return HCABI_REF_POK;
}

/* The AIA's IMSIC registers (the AIA specification's iselect numbers) */
#define IMSIC_EIP0 0x80u
#define IMSIC_EIE0 0xc0u

/* Is an enabled identity 1..63 pending in v's IMSIC file (eip0 & eie0:
 * HCABI's vectors, RV64-017)? Asked by VCPU.BLOCK every 10 ms for
 * interrupts that do not come through refvmm (the guest's own IPIs,
 * written to an IMSIC page). KVM reads the file through the AIA device
 * without a vCPU's lock, from its hardware file where it has one. */
bool hcabi__arch_irq_pending(struct hcabi__vcpu *v)
{
	int aia = v->vm->arch->own.aia_fd;
	unsigned long eip = 0, eie = 0;

	if (aia < 0)
		return false;
	return aia_attr(aia, false, KVM_DEV_RISCV_AIA_GRP_IMSIC,
			KVM_DEV_RISCV_AIA_IMSIC_MKATTR(v->index, IMSIC_EIP0), &eip) == 0 &&
	       aia_attr(aia, false, KVM_DEV_RISCV_AIA_GRP_IMSIC,
			KVM_DEV_RISCV_AIA_IMSIC_MKATTR(v->index, IMSIC_EIE0), &eie) == 0 &&
	       (eip & eie) != 0;
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

/* No device of the riscv64 platform has a wire to drive: there is no APLIC
 * (the AIA has no wired sources), and the UART is polled. */
int hcabi__arch_irq_line(struct hcabi__vm *vm, uint32_t irq, bool level)
{
	(void)vm;
	(void)irq;
	(void)level;
	errno = ENODEV;
	return -1;
}
