/* SPDX-License-Identifier: MIT */
/*
 * vcpu_regs.c - x86-64 vCPUs of hcabi-refvmm: creating them, the PVH entry
 * state of the boot vCPU, the VCPU.START boot state (long mode, everything
 * else as after a reset), and a vCPU's own TLB flush.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "diag.h"
#include "layout.h"
#include "pvh.h"
#include "x86_kvm.h"

#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_PGE (1ull << 7)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

static void flat_segment(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code64)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffffu;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->s = 1;
	s->g = 1;
	s->l = code64 ? 1 : 0;
	s->db = code64 ? 0 : 1;
}

static void system_segments(struct kvm_sregs *s)
{
	memset(&s->tr, 0, sizeof(s->tr));
	s->tr.limit = 0x67;
	s->tr.type = 11; /* busy TSS (32-bit / 64-bit) */
	s->tr.present = 1;
	memset(&s->ldt, 0, sizeof(s->ldt));
	s->ldt.limit = 0xffff;
	s->ldt.type = 2;
	s->ldt.present = 0;
	s->ldt.unusable = 1;
}

static int set_xcr0(struct hcabi__vcpu *v)
{
	struct kvm_xcrs xcrs;

	memset(&xcrs, 0, sizeof(xcrs));
	xcrs.nr_xcrs = 1;
	xcrs.xcrs[0].xcr = 0;
	xcrs.xcrs[0].value = v->vm->arch->own.xcr0_init ? v->vm->arch->own.xcr0_init : 1;
	return hcabi__kvm_ioctl(v->arch->fd, KVM_SET_XCRS, &xcrs);
}

/* VCPU-024 ("x87 and SSE state are as after reset") on every START, a
 * restart included. KVM_SET_FPU does not reset MXCSR (KVM copies every other
 * kvm_fpu field into the guest's FPU state, but not mxcsr), nor any XSAVE
 * component beyond SSE: a vCPU started again would keep the MXCSR (and the
 * upper YMM halves) it had at its STOP. So the whole state is written as an
 * XSAVE image: x87 and SSE present with FCW 0x37F, MXCSR 0x1F80 and zero
 * registers, every other user component in its initial state. */
static int reset_fpu_xsave(struct hcabi__vcpu *v)
{
	int size = ioctl(v->vm->arch->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
	uint8_t *img;
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80, mxcsr_mask;
	uint64_t xstate_bv = 0x3; /* x87 | SSE */
	int r = -1;

	if (size < (int)sizeof(struct kvm_xsave))
		size = (int)sizeof(struct kvm_xsave);
	img = calloc(1, (size_t)size);
	if (!img)
		return -1;
	/* MXCSR_MASK as the CPU reports it (offset 28 of the legacy area) */
	if (hcabi__kvm_ioctl(v->arch->fd, KVM_GET_XSAVE, img) < 0)
		goto out;
	memcpy(&mxcsr_mask, img + 28, 4);
	memset(img, 0, (size_t)size);
	memcpy(img + 0, &fcw, 2);
	memcpy(img + 24, &mxcsr, 4);
	memcpy(img + 28, &mxcsr_mask, 4);
	memcpy(img + 512, &xstate_bv, 8); /* XSAVE header: XSTATE_BV */
	r = hcabi__kvm_ioctl(v->arch->fd, KVM_SET_XSAVE, img);
out:
	free(img);
	return r;
}

/* PVH entry: 32-bit protected mode, paging off, flat segments. */
static int setup_pvh(struct hcabi__vcpu *v, uint32_t entry, uint64_t start_info)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	if (hcabi__kvm_ioctl(v->arch->fd, KVM_GET_SREGS, &s) < 0)
		return -1;
	flat_segment(&s.cs, 0x10, 11, false);
	flat_segment(&s.ds, 0x18, 3, false);
	s.es = s.fs = s.gs = s.ss = s.ds;
	system_segments(&s);
	s.cr0 = CR0_PE | CR0_ET;
	s.cr3 = 0;
	s.cr4 = 0;
	s.efer = 0;
	if (hcabi__kvm_ioctl(v->arch->fd, KVM_SET_SREGS, &s) < 0)
		return -1;
	memset(&r, 0, sizeof(r));
	r.rip = entry;
	r.rbx = start_info;
	r.rflags = 0x2;
	if (hcabi__kvm_ioctl(v->arch->fd, KVM_SET_REGS, &r) < 0)
		return -1;
	return set_xcr0(v);
}

int hcabi__arch_vcpu_reset(struct hcabi__vcpu *v, const struct hcabi_vcpu_boot_state *bs)
{
	static const uint32_t zero_msrs[] = {
	    0xc0000081u, 0xc0000082u, 0xc0000083u, 0xc0000084u, /* STAR LSTAR CSTAR SFMASK */
	    0xc0000102u,					/* KERNEL_GS_BASE */
	    0x174u,	 0x175u,      0x176u,			/* SYSENTER_* */
	};
	struct kvm_sregs s;
	struct kvm_regs r;
	struct kvm_fpu fpu;
	struct kvm_debugregs dr;
	struct kvm_vcpu_events ev;
	struct kvm_mp_state mp = {.mp_state = KVM_MP_STATE_RUNNABLE};
	enum { NMSRS = sizeof(zero_msrs) / sizeof(zero_msrs[0]) + 1 };
	union {
		struct kvm_msrs hdr;
		uint8_t bytes[sizeof(struct kvm_msrs) + NMSRS * sizeof(struct kvm_msr_entry)];
	} msrs;
	struct kvm_msr_entry *me = (struct kvm_msr_entry *)(msrs.bytes + sizeof(struct kvm_msrs));

	/* a hypercall answer still waiting in the run page (exits.c) must not
	 * be loaded over the new state at the next KVM_RUN */
	v->arch->run->kvm_dirty_regs = 0;
	if (hcabi__kvm_ioctl(v->arch->fd, KVM_GET_SREGS, &s) < 0)
		return -1;
	flat_segment(&s.cs, bs->cs, 11, true);
	flat_segment(&s.ds, bs->ds, 3, false);
	s.es = s.fs = s.gs = s.ss = s.ds;
	system_segments(&s);
	s.gdt.base = bs->gdtr_base;
	s.gdt.limit = bs->gdtr_limit;
	s.idt.base = bs->idtr_base;
	s.idt.limit = bs->idtr_limit;
	s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	s.cr2 = 0;
	s.cr3 = bs->cr3;
	s.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	s.cr8 = 0;
	s.efer = EFER_LME | EFER_LMA | EFER_NXE;
	s.apic_base = v->arch->own.apic_base_init;
	memset(s.interrupt_bitmap, 0, sizeof(s.interrupt_bitmap));
	if (hcabi__kvm_ioctl(v->arch->fd, KVM_SET_SREGS, &s) < 0)
		return -1;

	memset(&r, 0, sizeof(r));
	r.rip = bs->rip;
	r.rsp = bs->rsp;
	r.rdi = bs->arg;
	r.rflags = 0x2;
	if (hcabi__kvm_ioctl(v->arch->fd, KVM_SET_REGS, &r) < 0)
		return -1;

	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	(void)hcabi__kvm_ioctl(v->arch->fd, KVM_SET_FPU, &fpu);
	(void)set_xcr0(v);
	(void)reset_fpu_xsave(v);
	memset(&dr, 0, sizeof(dr));
	dr.dr6 = 0xffff0ff0u;
	dr.dr7 = 0x400u;
	(void)hcabi__kvm_ioctl(v->arch->fd, KVM_SET_DEBUGREGS, &dr);

	memset(&msrs, 0, sizeof(msrs));
	for (size_t i = 0; i < NMSRS - 1; i++)
		me[i].index = zero_msrs[i];
	me[NMSRS - 1].index = 0x277u; /* PAT, its reset value */
	me[NMSRS - 1].data = 0x0007040600070406ull;
	msrs.hdr.nmsrs = NMSRS;
	(void)hcabi__kvm_ioctl(v->arch->fd, KVM_SET_MSRS, &msrs);

	/* A started vCPU has a power-on local APIC and nothing in flight. */
	if (hcabi__kvm_ioctl(v->arch->fd, KVM_SET_LAPIC, &v->arch->own.lapic_init) < 0)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW;
	if (hcabi__kvm_ioctl(v->arch->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		return -1;
	if (hcabi__kvm_ioctl(v->arch->fd, KVM_SET_MP_STATE, &mp) < 0)
		return -1;
	hcabi__diag_started(v, bs);
	/* Same CR3/CR0/CR4/EFER as before a stop would keep stale entries. */
	return hcabi__arch_vcpu_flush_tlb(v);
}

/* Flush the guest TLB of a vCPU that is not in KVM_RUN: a KVM_SET_SREGS
 * that changes CR4 makes KVM reset the MMU context and request
 * KVM_REQ_TLB_FLUSH_GUEST (__set_sregs); toggling CR4.PGE and back does it
 * twice and leaves the state as it was. */
int hcabi__arch_vcpu_flush_tlb(struct hcabi__vcpu *v)
{
	struct kvm_sregs s;
	uint64_t cr4;

	if (hcabi__kvm_ioctl(v->arch->fd, KVM_GET_SREGS, &s) < 0)
		return -1;
	cr4 = s.cr4;
	s.cr4 = cr4 ^ CR4_PGE;
	if (hcabi__kvm_ioctl(v->arch->fd, KVM_SET_SREGS, &s) < 0)
		return -1;
	s.cr4 = cr4;
	return hcabi__kvm_ioctl(v->arch->fd, KVM_SET_SREGS, &s);
}

bool hcabi__arch_vcpu_hw_started(struct hcabi__vcpu *v)
{
	struct kvm_mp_state mp;

	if (hcabi__kvm_ioctl(v->arch->fd, KVM_GET_MP_STATE, &mp) < 0)
		return false;
	return mp.mp_state != KVM_MP_STATE_UNINITIALIZED &&
	       mp.mp_state != KVM_MP_STATE_INIT_RECEIVED;
}

/* ---- creation and boot -------------------------------------------------------- */
int hcabi__arch_vcpu_create(struct hcabi__vcpu *v, char *err, size_t errlen)
{
	struct hcabi__arch_vcpu *c;
	struct kvm_sregs s;
	struct kvm_enable_cap cap;
	uint32_t i = v->index;

	if (hcabi__kvm_vcpu_open(v, err, errlen) < 0)
		return -1;
	c = v->arch;
	/* every exit brings the general registers and the events along: a
	 * hypercall is completed in them (exits.c) */
	c->run->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_EVENTS;
	if (hcabi__x86_set_vcpu_cpuid(v, v->vm->arch->own.cpuid) < 0)
		return hcabi__fail(err, errlen, "KVM_SET_CPUID2 on vcpu %u: %s", i,
				   strerror(errno));
	/* KVM's paravirt MSRs (kvmclock, steal time, ...) follow the CPUID
	 * leaves refvmm removed: off for the guest. */
	memset(&cap, 0, sizeof(cap));
	cap.cap = KVM_CAP_ENFORCE_PV_FEATURE_CPUID;
	cap.args[0] = 1;
	(void)hcabi__kvm_ioctl(c->fd, KVM_ENABLE_CAP, &cap);
	if (hcabi__kvm_ioctl(c->fd, KVM_GET_LAPIC, &c->own.lapic_init) < 0)
		return hcabi__fail(err, errlen, "KVM_GET_LAPIC on vcpu %u: %s", i, strerror(errno));
	if (hcabi__kvm_ioctl(c->fd, KVM_GET_SREGS, &s) < 0)
		return hcabi__fail(err, errlen, "KVM_GET_SREGS on vcpu %u: %s", i, strerror(errno));
	c->own.apic_base_init = s.apic_base;
	return 0;
}

int hcabi__arch_boot(struct hcabi__vm *vm, const struct hcabi__image *img, const char *cmdline,
		     char *err, size_t errlen)
{
	char ierr[256];
	uint64_t start_info =
	    hcabi__image_install(img, vm->ram, vm->ram_size, cmdline, ierr, sizeof(ierr));

	if (!start_info)
		return hcabi__fail(err, errlen, "%s", ierr);
	if (hcabi__x86_mptable_write(vm->ram, vm->ram_size, vm->nvcpus, ierr, sizeof(ierr)) < 0)
		return hcabi__fail(err, errlen, "%s", ierr);
	hcabi__diag_init();
	if (setup_pvh(&vm->vcpus[0], img->entry, start_info) < 0)
		return hcabi__fail(err, errlen, "setting up the PVH entry state: %s",
				   strerror(errno));
	return 0;
}
