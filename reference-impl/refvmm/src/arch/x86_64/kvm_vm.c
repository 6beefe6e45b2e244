/* SPDX-License-Identifier: MIT */
/*
 * kvm_vm.c - the x86-64 KVM VM of hcabi-refvmm: /dev/kvm and its
 * capabilities, the VM with its RAM, in-kernel irqchip and PIT, the Xen
 * hypercall intercept, and the interrupt controller's side of the platform
 * (MSIs for HCABI's interrupts, ISA lines for devices).
 *
 * How hypercalls reach refvmm. KVM normally handles VMCALL/VMMCALL itself.
 * With KVM_XEN_HVM_CONFIG { flags = INTERCEPT_HCALL, msr != 0 } (the Xen
 * hypercall intercept needs the MSR set to be switched on at all) every
 * VMCALL/VMMCALL goes through kvm_xen_hypercall() and, unless KVM
 * accelerates it (see docs/refvmm.md: only a few Xen hypercall numbers at
 * CPL 0), exits to userspace as KVM_EXIT_XEN / KVM_EXIT_XEN_HCALL (exits.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "x86_kvm.h"

/* MSR through which a Xen guest would install the hypercall page. KVM
 * only enables the intercept when it is non-zero; 0x40000200 is where Xen
 * itself puts it next to a Hyper-V interface, outside Hyper-V's MSRs. */
#define XEN_HYPERCALL_MSR 0x40000200u

/* ---- capabilities ---------------------------------------------------------- */
int hcabi__arch_probe(uint32_t *max_vcpus, char *err, size_t errlen)
{
	static const struct hcabi__kvm_cap need[] = {
	    {KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"},
	    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
	    {KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI"},
	    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
	    {KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"},
	    {KVM_CAP_PIT2, "KVM_CAP_PIT2"},
	};
	int sync;
	int fd = hcabi__kvm_probe(need, sizeof(need) / sizeof(need[0]), err, errlen);
	int r;

	if (fd < 0)
		return -1;
	/* the registers come with every exit (exits.c: the hypercall path) */
	sync = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS);
	if (sync < 0 || !(sync & KVM_SYNC_X86_REGS)) {
		close(fd);
		return hcabi__fail(err, errlen, "KVM lacks KVM_CAP_SYNC_REGS (KVM_SYNC_X86_REGS)");
	}
	r = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_XEN_HVM);
	if (r <= 0) {
		close(fd);
		return hcabi__fail(
		    err, errlen,
		    "KVM lacks KVM_CAP_XEN_HVM (kernel built without CONFIG_KVM_XEN?): "
		    "refvmm needs the Xen hypercall intercept to receive VMCALL/VMMCALL");
	}
	if (!(r & KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL)) {
		close(fd);
		return hcabi__fail(err, errlen, "KVM lacks KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL");
	}
	*max_vcpus = hcabi__kvm_max_vcpus(fd);
	close(fd);
	return 0;
}

/* ---- the VM ---------------------------------------------------------------- */
int hcabi__arch_vm_create(struct hcabi__vm *vm, char *err, size_t errlen)
{
	struct kvm_xen_hvm_config xc;
	struct kvm_pit_config pit;
	struct kvm_reinject_control reinject;
	struct hcabi__arch_vm *a;

	if (hcabi__kvm_vm_open(vm, err, errlen) < 0)
		return -1;
	a = vm->arch;
	/* Needed on Intel hosts without unrestricted guest; above our RAM. */
	(void)ioctl(a->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000ul);
	if (ioctl(a->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0) {
		uint64_t idmap = 0xfffbc000ull;
		(void)ioctl(a->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap);
	}
	if (hcabi__kvm_ram_map(vm, err, errlen) < 0)
		return -1;
	/* the PC's interrupt controllers: a local APIC per vCPU, the I/O APIC
	 * (the MP table's, mptable.c) and the two 8259 PICs */
	if (hcabi__kvm_ioctl(a->vm_fd, KVM_CREATE_IRQCHIP, NULL) < 0)
		return hcabi__fail(err, errlen, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
	/* the 8254 PIT on ports 0x40-0x43 and the speaker gate 0x61, on ISA
	 * IRQ 0: the timer Linux calibrates the TSC and the local APIC timer
	 * against. Silent until the guest programs it. */
	memset(&pit, 0, sizeof(pit));
	if (hcabi__kvm_ioctl(a->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return hcabi__fail(err, errlen, "KVM_CREATE_PIT2: %s", strerror(errno));
	/* A tick KVM could not deliver in time is dropped, not queued for
	 * later: in reinject mode KVM holds every next tick until the guest's
	 * EOI of the last one reaches the PIT, so one lost acknowledgement
	 * would stop the timer for good (Linux keeps time with its
	 * clocksource and needs no lost ticks replayed). */
	memset(&reinject, 0, sizeof(reinject));
	if (hcabi__kvm_ioctl(a->vm_fd, KVM_REINJECT_CONTROL, &reinject) < 0)
		return hcabi__fail(err, errlen, "KVM_REINJECT_CONTROL: %s", strerror(errno));
	memset(&xc, 0, sizeof(xc));
	xc.flags = KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL;
	xc.msr = XEN_HYPERCALL_MSR;
	if (hcabi__kvm_ioctl(a->vm_fd, KVM_XEN_HVM_CONFIG, &xc) < 0)
		return hcabi__fail(err, errlen, "KVM_XEN_HVM_CONFIG (hypercall intercept): %s",
				   strerror(errno));

	a->own.cpuid = hcabi__x86_build_cpuid(vm);
	if (!a->own.cpuid)
		return hcabi__fail(err, errlen, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	return 0;
}

void hcabi__arch_vm_destroy(struct hcabi__vm *vm)
{
	if (vm->arch)
		free(vm->arch->own.cpuid);
	hcabi__kvm_vm_close(vm);
}

/* ---- the interrupt controller ---------------------------------------------- */
/* KVM_SIGNAL_MSI: fixed delivery, physical destination = APIC ID = vCPU
 * index; KVM sets the IRR before the ioctl returns. */
int hcabi__arch_inject_irq(struct hcabi__vm *vm, uint32_t index, uint8_t vector)
{
	struct kvm_msi msi;
	int r;

	memset(&msi, 0, sizeof(msi));
	/* physical destination mode, no redirection hint */
	msi.address_lo = 0xfee00000u | (index << 12);
	msi.address_hi = 0;
	/* fixed delivery, edge, assert */
	msi.data = vector | (1u << 14);
	r = hcabi__kvm_ioctl(vm->arch->vm_fd, KVM_SIGNAL_MSI, &msi);
	/* r > 0: delivered; 0: coalesced or refused by the LAPIC (e.g. the
	 * guest disabled it); -1/EPERM: no LAPIC matched. The guest's
	 * configuration decides those, as on hardware. */
	if (r < 0 && errno != EPERM)
		return HCABI_REF_PERR_HOST;
	return HCABI_REF_POK;
}

/* An ISA interrupt line: KVM's default routing sends GSI n < 16 to PIC
 * input n and I/O APIC pin n, as the MP table says. */
int hcabi__arch_irq_line(struct hcabi__vm *vm, uint32_t irq, bool level)
{
	struct kvm_irq_level l;

	memset(&l, 0, sizeof(l));
	l.irq = irq;
	l.level = level ? 1 : 0;
	return hcabi__kvm_ioctl(vm->arch->vm_fd, KVM_IRQ_LINE, &l);
}

/* Is an interrupt pending in the vCPU's LAPIC IRR? Own thread only. */
bool hcabi__arch_irq_pending(struct hcabi__vcpu *v)
{
	struct kvm_lapic_state ls;
	if (ioctl(v->arch->fd, KVM_GET_LAPIC, &ls) < 0)
		return false;
	for (unsigned i = 0; i < 8; i++) {
		uint32_t irr;
		memcpy(&irr, &ls.regs[0x200 + 0x10 * i], 4);
		if (irr)
			return true;
	}
	return false;
}
