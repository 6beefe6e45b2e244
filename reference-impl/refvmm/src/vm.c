/* SPDX-License-Identifier: MIT */
/*
 * vm.c - the KVM side of hcabi-refvmm: VM and vCPU setup, one thread per
 * vCPU, the run loop and the hypercall exit.
 *
 * How hypercalls reach the core. KVM normally handles VMCALL/VMMCALL
 * itself. With KVM_XEN_HVM_CONFIG { flags = INTERCEPT_HCALL, msr != 0 }
 * (the Xen hypercall intercept needs the MSR set to be switched on at
 * all) every VMCALL/VMMCALL goes through kvm_xen_hypercall() and, unless
 * KVM accelerates it (see docs/refvmm.md: only a few Xen hypercall
 * numbers at CPL 0), exits to userspace as KVM_EXIT_XEN / KVM_EXIT_XEN_HCALL
 * with the CPL and, for a 64-bit caller, params[] = RDI, RSI, RDX, R10,
 * R8, R9 (the HCABI order). On the next KVM_RUN, KVM writes
 * xen.u.hcall.result to RAX and advances RIP past the instruction, but only
 * if RIP still points at it. refvmm reads and writes the registers itself
 * (KVM_GET_REGS/KVM_SET_REGS) so that RDX gets the value and every other
 * register is exactly preserved, and sets result = the final RAX.
 *
 * To inject #UD (a call at CPL > 0) no register may change and RIP must stay
 * on the instruction: refvmm first lets KVM complete the pending exit with
 * KVM_RUN under immediate_exit (the kernel finishes pending operations, then
 * returns -EINTR without running the guest), restores every register, and
 * injects the exception with KVM_SET_VCPU_EVENTS.
 *
 * Kicks: another thread sets a request under vm->lock and sends SIGUSR1 to
 * the vCPU thread; the handler sets run->immediate_exit, so a KVM_RUN that
 * is about to start returns at once and one in progress returns -EINTR.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "refvmm.h"

#define KICK_SIGNAL SIGUSR1
/* MSR through which a Xen guest would install the hypercall page. KVM
 * only enables the intercept when it is non-zero; 0x40000200 is where Xen
 * itself puts it next to a Hyper-V interface, outside Hyper-V's MSRs. */
#define XEN_HYPERCALL_MSR 0x40000200u

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

#define POISON_BASE 0xdeadbadc0ffee000ull

static __thread struct hcabi__vcpu *tls_vcpu;
static __thread struct kvm_run *volatile tls_run;

static void kick_handler(int sig)
{
	struct kvm_run *r = tls_run;
	(void)sig;
	if (r)
		r->immediate_exit = 1;
}

struct hcabi__vcpu *hcabi__current_vcpu(void)
{
	return tls_vcpu;
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;
	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- KVM capabilities ----------------------------------------------------- */
static int open_kvm(char *err, size_t errlen)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return fail(err, errlen,
				    "no /dev/kvm: KVM is not available on this host "
				    "(run refvmm nested with scripts/hcabi-nested)");
		return fail(err, errlen, "cannot open /dev/kvm: %s", strerror(errno));
	}
	return fd;
}

int hcabi__kvm_probe(uint32_t *max_vcpus, char *err, size_t errlen)
{
	static const struct {
		int cap;
		const char *name;
	} need[] = {
	    {KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"},
	    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
	    {KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI"},
	    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
	    {KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"},
	};
	int fd = open_kvm(err, errlen);
	int r;

	if (fd < 0)
		return -1;
	r = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION) {
		close(fd);
		return fail(err, errlen, "unsupported KVM API version %d", r);
	}
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (ioctl(fd, KVM_CHECK_EXTENSION, need[i].cap) <= 0) {
			close(fd);
			return fail(err, errlen, "KVM lacks %s", need[i].name);
		}
	}
	r = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_XEN_HVM);
	if (r <= 0) {
		close(fd);
		return fail(err, errlen,
			    "KVM lacks KVM_CAP_XEN_HVM (kernel built without CONFIG_KVM_XEN?): "
			    "refvmm needs the Xen hypercall intercept to receive VMCALL/VMMCALL");
	}
	if (!(r & KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL)) {
		close(fd);
		return fail(err, errlen, "KVM lacks KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL");
	}
	r = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (r <= 0)
		r = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (r <= 0)
		r = 4;
	*max_vcpus = (uint32_t)r;
	close(fd);
	return 0;
}

static struct kvm_cpuid2 *get_supported_cpuid(int kvm_fd)
{
	for (unsigned nent = 128; nent <= 4096; nent *= 2) {
		struct kvm_cpuid2 *c =
		    calloc(1, sizeof(*c) + nent * sizeof(struct kvm_cpuid_entry2));
		if (!c)
			return NULL;
		c->nent = nent;
		if (xioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG)
			return NULL;
	}
	return NULL;
}

/* Drop KVM's own paravirt leaves, add the core's, set the hypervisor bit. */
static struct kvm_cpuid2 *build_cpuid(struct hcabi__vm *vm, struct kvm_cpuid2 *sup)
{
	struct kvm_cpuid2 *c =
	    calloc(1, sizeof(*c) + (sup->nent + 256) * sizeof(struct kvm_cpuid_entry2));
	uint32_t n = 0;

	if (!c)
		return NULL;
	for (uint32_t i = 0; i < sup->nent; i++) {
		struct kvm_cpuid_entry2 e = sup->entries[i];
		if (e.function >= 0x40000000u && e.function <= 0x400000ffu)
			continue; /* "KVMKVMKVM" and its feature leaf */
		if (e.function == 1 && e.index == 0)
			e.ecx |= 1u << 31; /* hypervisor present */
		/* XCR0 starts as x87 | SSE | AVX where the guest may have them,
		 * not at its reset value 1. Under QEMU TCG's nested SVM (how
		 * refvmm runs where there is no usable /dev/kvm) a guest's
		 * XSETBV is not intercepted, so KVM never learns the guest's
		 * XCR0 and reloads its own copy at every entry; starting from
		 * the value guests set keeps AVX state alive across exits
		 * there (X86-008). On a real host KVM intercepts XSETBV and a
		 * guest still sets whatever it wants. */
		if (e.function == 0xd && e.index == 0)
			vm->xcr0_init = 1u | (e.eax & 0x6u);
		c->entries[n++] = e;
	}
	for (uint32_t leaf = 0x40000000u; leaf <= 0x400000ffu; leaf++) {
		uint32_t out[4];
		if (!hcabi_ref_cpuid(vm->ref, leaf, 0, out))
			continue;
		memset(&c->entries[n], 0, sizeof(c->entries[n]));
		c->entries[n].function = leaf;
		c->entries[n].eax = out[0];
		c->entries[n].ebx = out[1];
		c->entries[n].ecx = out[2];
		c->entries[n].edx = out[3];
		n++;
	}
	c->nent = n;
	return c;
}

/* Per-vCPU copy with its APIC ID (= vCPU index) in the topology leaves. */
static int set_vcpu_cpuid(struct hcabi__vcpu *v, const struct kvm_cpuid2 *base)
{
	size_t sz = sizeof(*base) + base->nent * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *c = malloc(sz);
	int r;

	if (!c)
		return -1;
	memcpy(c, base, sz);
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		if (e->function == 1)
			e->ebx = (e->ebx & 0x00ffffffu) | (v->index << 24);
		else if (e->function == 0xb || e->function == 0x1f)
			e->edx = v->index;
		else if (e->function == 0x8000001eu)
			e->eax = v->index;
	}
	r = xioctl(v->fd, KVM_SET_CPUID2, c);
	free(c);
	return r;
}

/* ---- register state ----------------------------------------------------------- */
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

/* PVH entry: 32-bit protected mode, paging off, flat segments. */
static int set_xcr0(struct hcabi__vcpu *v)
{
	struct kvm_xcrs xcrs;

	memset(&xcrs, 0, sizeof(xcrs));
	xcrs.nr_xcrs = 1;
	xcrs.xcrs[0].xcr = 0;
	xcrs.xcrs[0].value = v->vm->xcr0_init ? v->vm->xcr0_init : 1;
	return xioctl(v->fd, KVM_SET_XCRS, &xcrs);
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
	int size = ioctl(v->vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
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
	if (xioctl(v->fd, KVM_GET_XSAVE, img) < 0)
		goto out;
	memcpy(&mxcsr_mask, img + 28, 4);
	memset(img, 0, (size_t)size);
	memcpy(img + 0, &fcw, 2);
	memcpy(img + 24, &mxcsr, 4);
	memcpy(img + 28, &mxcsr_mask, 4);
	memcpy(img + 512, &xstate_bv, 8); /* XSAVE header: XSTATE_BV */
	r = xioctl(v->fd, KVM_SET_XSAVE, img);
out:
	free(img);
	return r;
}

static int setup_pvh(struct hcabi__vcpu *v, uint32_t entry, uint64_t start_info)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	if (xioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return -1;
	flat_segment(&s.cs, 0x10, 11, false);
	flat_segment(&s.ds, 0x18, 3, false);
	s.es = s.fs = s.gs = s.ss = s.ds;
	system_segments(&s);
	s.cr0 = CR0_PE | CR0_ET;
	s.cr3 = 0;
	s.cr4 = 0;
	s.efer = 0;
	if (xioctl(v->fd, KVM_SET_SREGS, &s) < 0)
		return -1;
	memset(&r, 0, sizeof(r));
	r.rip = entry;
	r.rbx = start_info;
	r.rflags = 0x2;
	if (xioctl(v->fd, KVM_SET_REGS, &r) < 0)
		return -1;
	return set_xcr0(v);
}

int hcabi__vcpu_setup_long_mode(struct hcabi__vcpu *v, const struct hcabi_vcpu_boot_state *bs)
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

	if (xioctl(v->fd, KVM_GET_SREGS, &s) < 0)
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
	s.apic_base = v->apic_base_init;
	memset(s.interrupt_bitmap, 0, sizeof(s.interrupt_bitmap));
	if (xioctl(v->fd, KVM_SET_SREGS, &s) < 0)
		return -1;

	memset(&r, 0, sizeof(r));
	r.rip = bs->rip;
	r.rsp = bs->rsp;
	r.rdi = bs->arg;
	r.rflags = 0x2;
	if (xioctl(v->fd, KVM_SET_REGS, &r) < 0)
		return -1;

	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	(void)xioctl(v->fd, KVM_SET_FPU, &fpu);
	(void)set_xcr0(v);
	(void)reset_fpu_xsave(v);
	memset(&dr, 0, sizeof(dr));
	dr.dr6 = 0xffff0ff0u;
	dr.dr7 = 0x400u;
	(void)xioctl(v->fd, KVM_SET_DEBUGREGS, &dr);

	memset(&msrs, 0, sizeof(msrs));
	for (size_t i = 0; i < NMSRS - 1; i++)
		me[i].index = zero_msrs[i];
	me[NMSRS - 1].index = 0x277u; /* PAT, its reset value */
	me[NMSRS - 1].data = 0x0007040600070406ull;
	msrs.hdr.nmsrs = NMSRS;
	(void)xioctl(v->fd, KVM_SET_MSRS, &msrs);

	/* A started vCPU has a power-on local APIC and nothing in flight. */
	if (xioctl(v->fd, KVM_SET_LAPIC, &v->lapic_init) < 0)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.flags = KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SHADOW;
	if (xioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
		return -1;
	if (xioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0)
		return -1;
	hcabi__diag_started(v, bs);
	/* Same CR3/CR0/CR4/EFER as before a stop would keep stale entries. */
	return hcabi__vcpu_flush_tlb_self(v);
}

/* Flush the guest TLB of a vCPU that is not in KVM_RUN: a KVM_SET_SREGS
 * that changes CR4 makes KVM reset the MMU context and request
 * KVM_REQ_TLB_FLUSH_GUEST (__set_sregs); toggling CR4.PGE and back does it
 * twice and leaves the state as it was. */
int hcabi__vcpu_flush_tlb_self(struct hcabi__vcpu *v)
{
	struct kvm_sregs s;
	uint64_t cr4;

	if (xioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return -1;
	cr4 = s.cr4;
	s.cr4 = cr4 ^ CR4_PGE;
	if (xioctl(v->fd, KVM_SET_SREGS, &s) < 0)
		return -1;
	s.cr4 = cr4;
	return xioctl(v->fd, KVM_SET_SREGS, &s);
}

/* ---- end of the VM, kicks ---------------------------------------------------- */
void hcabi__notify_all_locked(struct hcabi__vm *vm)
{
	for (uint32_t i = 0; i < vm->nvcpus; i++)
		pthread_cond_broadcast(&vm->vcpus[i].cv);
	pthread_cond_broadcast(&vm->main_cv);
}

void hcabi__vcpu_poke_locked(struct hcabi__vcpu *v)
{
	if (v->thread_started && !v->exited)
		pthread_kill(v->thread, KICK_SIGNAL);
	pthread_cond_broadcast(&v->cv);
}

void hcabi__vm_end(struct hcabi__vm *vm, int status, bool reboot, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&vm->lock);
	if (!vm->end.ended) {
		vm->end.ended = true;
		vm->end.reboot = reboot;
		vm->end.status = status;
		va_start(ap, fmt);
		vsnprintf(vm->end.msg, sizeof(vm->end.msg), fmt, ap);
		va_end(ap);
		vm->ending = 1;
		for (uint32_t i = 0; i < vm->nvcpus; i++)
			hcabi__vcpu_poke_locked(&vm->vcpus[i]);
		hcabi__notify_all_locked(vm);
	}
	pthread_mutex_unlock(&vm->lock);
}

static uint64_t vcpu_rip(struct hcabi__vcpu *v)
{
	struct kvm_regs r;
	if (xioctl(v->fd, KVM_GET_REGS, &r) < 0)
		return UINT64_MAX;
	return r.rip;
}

/* ---- hypercalls ---------------------------------------------------------------- */
/* Let KVM finish the pending hypercall exit (write result to RAX, advance
 * RIP) without running guest code. */
static int complete_pending(struct hcabi__vcpu *v)
{
	int r;
	v->run->immediate_exit = 1;
	r = ioctl(v->fd, KVM_RUN, 0);
	v->run->immediate_exit = 0;
	if (r < 0 && errno != EINTR)
		return -1;
	return 0;
}

static void clobber(struct kvm_regs *r, uint32_t mask)
{
	__u64 *slot[16] = {
	    [HCABI_REF_GPR_RAX] = &r->rax, [HCABI_REF_GPR_RCX] = &r->rcx,
	    [HCABI_REF_GPR_RDX] = &r->rdx, [HCABI_REF_GPR_RBX] = &r->rbx,
	    [HCABI_REF_GPR_RSP] = &r->rsp, [HCABI_REF_GPR_RBP] = &r->rbp,
	    [HCABI_REF_GPR_RSI] = &r->rsi, [HCABI_REF_GPR_RDI] = &r->rdi,
	    [HCABI_REF_GPR_R8] = &r->r8,   [HCABI_REF_GPR_R9] = &r->r9,
	    [HCABI_REF_GPR_R10] = &r->r10, [HCABI_REF_GPR_R11] = &r->r11,
	    [HCABI_REF_GPR_R12] = &r->r12, [HCABI_REF_GPR_R13] = &r->r13,
	    [HCABI_REF_GPR_R14] = &r->r14, [HCABI_REF_GPR_R15] = &r->r15,
	};
	for (unsigned i = 0; i < 16; i++)
		if (mask & (1u << i))
			*slot[i] = POISON_BASE | i;
}

static int inject_ud(struct hcabi__vcpu *v)
{
	struct kvm_vcpu_events ev;
	if (xioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return -1;
	ev.exception.injected = 1;
	ev.exception.pending = 0;
	ev.exception.nr = 6;
	ev.exception.has_error_code = 0;
	ev.exception.error_code = 0;
	ev.flags &= KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM;
	return xioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev);
}

/* Let the vCPUs that this one started run (see hcabi__vcpu.gate). */
static void open_gates(struct hcabi__vcpu *v)
{
	struct hcabi__vm *vm = v->vm;
	pthread_mutex_lock(&vm->lock);
	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		struct hcabi__vcpu *t = &vm->vcpus[i];
		if (t->gate == v->index + 1) {
			t->gate = 0;
			pthread_cond_broadcast(&t->cv);
		}
	}
	v->opens_gates = false;
	pthread_mutex_unlock(&vm->lock);
}

enum { HC_CONTINUE, HC_STOPPED, HC_END };

static int handle_hcall(struct hcabi__vcpu *v)
{
	struct hcabi__vm *vm = v->vm;
	struct kvm_run *run = v->run;
	struct kvm_regs regs, orig;
	struct hcabi_ref_call call;
	struct hcabi_ref_ret ret;
	bool lm = run->xen.u.hcall.longmode != 0;

	if (xioctl(v->fd, KVM_GET_REGS, &regs) < 0) {
		hcabi__vm_end(vm, HCABI__EXIT_HOST, false, "error: KVM_GET_REGS on vcpu %u: %s",
			      v->index, strerror(errno));
		return HC_END;
	}
	orig = regs;
	memset(&call, 0, sizeof(call));
	call.function_id = regs.rax;
	call.args[0] = regs.rdi;
	call.args[1] = regs.rsi;
	call.args[2] = regs.rdx;
	call.args[3] = regs.r10;
	call.args[4] = regs.r8;
	call.args[5] = regs.r9;
	if (!lm) {
		/* Outside 64-bit mode the guest only sees the low halves. */
		call.function_id &= 0xffffffffu;
		for (int i = 0; i < 6; i++)
			call.args[i] &= 0xffffffffu;
	}
	call.cpl = (uint8_t)run->xen.u.hcall.cpl;
	memset(&ret, 0, sizeof(ret));
	hcabi_ref_dispatch(vm->ref, v->index, &call, &ret);
	if (v->opens_gates)
		open_gates(v);

	switch (ret.action) {
	case HCABI_REF_ACTION_RESUME:
		regs.rax = (uint64_t)ret.status;
		regs.rdx = ret.value;
		if (ret.clobber_gprs)
			clobber(&regs, ret.clobber_gprs);
		if (xioctl(v->fd, KVM_SET_REGS, &regs) < 0) {
			hcabi__vm_end(vm, HCABI__EXIT_HOST, false,
				      "error: KVM_SET_REGS on vcpu %u: %s", v->index,
				      strerror(errno));
			return HC_END;
		}
		/* KVM writes this to RAX when it completes the exit. */
		run->xen.u.hcall.result = regs.rax;
		return HC_CONTINUE;

	case HCABI_REF_ACTION_RAISE_UD:
		run->xen.u.hcall.result = orig.rax;
		if (complete_pending(v) < 0 || xioctl(v->fd, KVM_GET_REGS, &regs) < 0) {
			hcabi__vm_end(vm, HCABI__EXIT_HOST, false,
				      "error: completing the hypercall exit on vcpu %u: %s",
				      v->index, strerror(errno));
			return HC_END;
		}
		if (regs.rip == orig.rip) {
			/* The kernel did not complete the exit under
			 * immediate_exit: it would skip the instruction later. */
			hcabi__vm_end(vm, HCABI__EXIT_HOST, false,
				      "error: this kernel does not complete KVM_EXIT_XEN under "
				      "immediate_exit; cannot inject #UD exactly");
			return HC_END;
		}
		if (xioctl(v->fd, KVM_SET_REGS, &orig) < 0 || inject_ud(v) < 0) {
			hcabi__vm_end(vm, HCABI__EXIT_HOST, false,
				      "error: injecting #UD on vcpu %u: %s", v->index,
				      strerror(errno));
			return HC_END;
		}
		return HC_CONTINUE;

	case HCABI_REF_ACTION_STOP_VCPU:
		run->xen.u.hcall.result = (uint64_t)ret.status;
		(void)complete_pending(v);
		pthread_mutex_lock(&vm->lock);
		v->state = HCABI__VCPU_STOPPED;
		v->kick_pending = false;
		v->wake_pending = false;
		hcabi__notify_all_locked(vm);
		pthread_mutex_unlock(&vm->lock);
		return HC_STOPPED;

	case HCABI_REF_ACTION_SHUTDOWN:
		hcabi__serial_flush();
		hcabi__vm_end(vm, HCABI__EXIT_SHUTDOWN, false, "shutdown code=%llu",
			      (unsigned long long)ret.action_arg);
		return HC_END;

	case HCABI_REF_ACTION_REBOOT:
		hcabi__serial_flush();
		if (vm->opts->no_reboot)
			hcabi__vm_end(vm, HCABI__EXIT_REBOOT, false,
				      "reboot requested by the guest (--no-reboot)");
		else
			hcabi__vm_end(vm, -1, true, "reboot requested by the guest");
		return HC_END;

	case HCABI_REF_ACTION_CRASH:
		hcabi__serial_flush();
		hcabi__vm_end(vm, HCABI__EXIT_CRASH, false, "crash code=%llu",
			      (unsigned long long)ret.action_arg);
		return HC_END;
	}
	hcabi__vm_end(vm, HCABI__EXIT_HOST, false, "error: the core returned unknown action %d",
		      (int)ret.action);
	return HC_END;
}

/* ---- the vCPU thread ----------------------------------------------------------- */
/* Serve TLB flush requests; false when the VM is ending. */
static bool service_requests(struct hcabi__vcpu *v)
{
	struct hcabi__vm *vm = v->vm;
	bool ok = true;

	pthread_mutex_lock(&vm->lock);
	while (!vm->ending && v->flush_req != v->flush_ack) {
		uint64_t seq = v->flush_req;
		pthread_mutex_unlock(&vm->lock);
		if (hcabi__vcpu_flush_tlb_self(v) < 0)
			hcabi__log("warning: TLB flush of vcpu %u failed: %s", v->index,
				   strerror(errno));
		pthread_mutex_lock(&vm->lock);
		v->flush_ack = seq;
		hcabi__notify_all_locked(vm);
	}
	if (vm->ending)
		ok = false;
	pthread_mutex_unlock(&vm->lock);
	return ok;
}

static void guest_fault(struct hcabi__vcpu *v, const char *what)
{
	struct kvm_sregs s;
	uint64_t rip = vcpu_rip(v);
	hcabi__serial_flush();
	hcabi__diag_fault(v);
	/* On AMD hosts KVM INITs the vCPU on a shutdown intercept (the VMCB is
	 * undefined after it), so the state is the reset state. */
	if (rip == 0xfff0 && xioctl(v->fd, KVM_GET_SREGS, &s) == 0 && s.cs.selector == 0xf000)
		rip = UINT64_MAX;
	if (rip == UINT64_MAX)
		hcabi__vm_end(v->vm, HCABI__EXIT_GUEST_FAULT, false,
			      "guest fault: %s on vcpu %u (rip unknown: KVM reset the vCPU)", what,
			      v->index);
	else
		hcabi__vm_end(v->vm, HCABI__EXIT_GUEST_FAULT, false,
			      "guest fault: %s on vcpu %u at rip=0x%llx", what, v->index,
			      (unsigned long long)rip);
}

/* Run guest code until the vCPU stops or the VM ends. */
static void run_loop(struct hcabi__vcpu *v)
{
	struct hcabi__vm *vm = v->vm;
	struct kvm_run *run = v->run;
	char what[160];

	for (;;) {
		int r;
		if (!service_requests(v))
			return;
		r = ioctl(v->fd, KVM_RUN, 0);
		run->immediate_exit = 0;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			hcabi__vm_end(vm, HCABI__EXIT_HOST, false, "error: KVM_RUN on vcpu %u: %s",
				      v->index, strerror(errno));
			return;
		}
		hcabi__diag_exit(v);
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			hcabi__handle_io(v);
			break;
		case KVM_EXIT_DEBUG:
			if (hcabi__diag_debug_exit(v))
				break;
			snprintf(what, sizeof(what), "unhandled KVM exit reason %u",
				 run->exit_reason);
			guest_fault(v, what);
			return;
		case KVM_EXIT_MMIO:
			hcabi__handle_mmio(v);
			break;
		case KVM_EXIT_XEN:
			if (run->xen.type != KVM_EXIT_XEN_HCALL) {
				snprintf(what, sizeof(what), "unexpected KVM_EXIT_XEN type %u",
					 run->xen.type);
				guest_fault(v, what);
				return;
			}
			r = handle_hcall(v);
			if (r == HC_STOPPED || r == HC_END)
				return;
			break;
		case KVM_EXIT_HLT:
		case KVM_EXIT_INTR:
		case KVM_EXIT_IRQ_WINDOW_OPEN:
			break;
		case KVM_EXIT_SHUTDOWN:
			guest_fault(v, "triple fault (KVM_EXIT_SHUTDOWN)");
			return;
		case KVM_EXIT_INTERNAL_ERROR:
			snprintf(what, sizeof(what), "KVM internal error (suberror %u)",
				 run->internal.suberror);
			guest_fault(v, what);
			return;
		case KVM_EXIT_FAIL_ENTRY:
			snprintf(what, sizeof(what), "VM entry failed (hardware reason 0x%llx)",
				 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			guest_fault(v, what);
			return;
		case KVM_EXIT_SYSTEM_EVENT:
			snprintf(what, sizeof(what), "unhandled system event %u",
				 run->system_event.type);
			guest_fault(v, what);
			return;
		default:
			snprintf(what, sizeof(what), "unhandled KVM exit reason %u",
				 run->exit_reason);
			guest_fault(v, what);
			return;
		}
		if (vm->ending)
			return;
	}
}

static void *vcpu_thread(void *arg)
{
	struct hcabi__vcpu *v = arg;
	struct hcabi__vm *vm = v->vm;

	tls_vcpu = v;
	tls_run = v->run;
	pthread_mutex_lock(&vm->lock);
	v->tid = (pid_t)syscall(SYS_gettid);
	for (;;) {
		while ((v->state == HCABI__VCPU_STOPPED || v->gate) && !vm->ending) {
			/* Nothing cached yet (a start flushes): ack at once. */
			if (v->flush_req != v->flush_ack) {
				v->flush_ack = v->flush_req;
				hcabi__notify_all_locked(vm);
			}
			pthread_cond_wait(&v->cv, &vm->lock);
		}
		if (vm->ending)
			break;
		pthread_mutex_unlock(&vm->lock);
		run_loop(v);
		pthread_mutex_lock(&vm->lock);
	}
	v->exited = true;
	pthread_cond_broadcast(&vm->main_cv);
	pthread_mutex_unlock(&vm->lock);
	tls_run = NULL;
	return NULL;
}

/* ---- create / run / destroy ---------------------------------------------------- */
static void init_cond(pthread_cond_t *cv)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
}

static void install_kick_handler(void)
{
	static bool done;
	struct sigaction sa;
	if (done)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: KVM_RUN must return -EINTR */
	sigaction(KICK_SIGNAL, &sa, NULL);
	done = true;
}

struct hcabi_ref *hcabi__core_create(struct hcabi__vm *vm, const struct hcabi__opts *opts,
				     int *status, char *err, size_t errlen)
{
	static struct hcabi_ref_ram_range ram_range;
	struct hcabi_ref_config cfg;
	struct hcabi_ref *ref;
	const char *cerr = NULL;

	*status = HCABI__EXIT_HOST;
	ram_range.base = 0;
	ram_range.size = opts->mem_size;
	memset(&cfg, 0, sizeof(cfg));
	cfg.vcpu_count = opts->vcpus;
	cfg.ram = &ram_range;
	cfg.ram_count = 1;
	cfg.spec_version = opts->spec_version;
	cfg.impl_version = HCABI_REFVMM_IMPL_VERSION;
	cfg.cpuid_base = 0x40000000u;
	cfg.extensions = opts->extensions;
	cfg.extension_count = opts->extension_count;
	cfg.ops = &hcabi__platform_ops;
	cfg.ctx = vm;
	ref = hcabi_ref_create(&cfg, &cerr);
	if (!ref) {
		fail(err, errlen, "cannot create the HCABI core: %s", cerr ? cerr : "?");
		return NULL;
	}
	for (size_t i = 0; i < opts->nfaults; i++) {
		const char *ferr = NULL;
		if (!hcabi_ref_inject_fault_spec(ref, opts->faults[i], &ferr)) {
			*status = HCABI__EXIT_USAGE;
			fail(err, errlen, "invalid --inject-fault '%s': %s", opts->faults[i],
			     ferr ? ferr : "rejected");
			hcabi_ref_destroy(ref);
			return NULL;
		}
	}
	return ref;
}

int hcabi__vm_create(struct hcabi__vm *vm, const struct hcabi__opts *opts,
		     const struct hcabi__image *image, struct hcabi_ref *ref, char *err,
		     size_t errlen)
{
	struct kvm_userspace_memory_region mr;
	struct kvm_xen_hvm_config xc;
	struct kvm_cpuid2 *sup;
	char ierr[256];
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->opts = opts;
	vm->image = image;
	vm->ref = ref;
	vm->kvm_fd = vm->vm_fd = -1;
	pthread_mutex_init(&vm->lock, NULL);
	init_cond(&vm->main_cv);
	pthread_mutex_init(&vm->timer_lock, NULL);
	init_cond(&vm->timer_cv);
	install_kick_handler();
	hcabi__diag_init();

	vm->kvm_fd = open_kvm(err, errlen);
	if (vm->kvm_fd < 0)
		return -1;
	do {
		vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	} while (vm->vm_fd < 0 && errno == EINTR);
	if (vm->vm_fd < 0)
		return fail(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
	r = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r <= 0)
		return fail(err, errlen, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	vm->run_size = (size_t)r;

	vm->ram_size = opts->mem_size;
	vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram == MAP_FAILED) {
		vm->ram = NULL;
		return fail(err, errlen, "cannot map %llu bytes of guest RAM: %s",
			    (unsigned long long)vm->ram_size, strerror(errno));
	}
	/* Needed on Intel hosts without unrestricted guest; above our RAM. */
	(void)ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000ul);
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0) {
		uint64_t idmap = 0xfffbc000ull;
		(void)ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap);
	}
	memset(&mr, 0, sizeof(mr));
	mr.slot = 0;
	mr.guest_phys_addr = 0;
	mr.memory_size = vm->ram_size;
	mr.userspace_addr = (uint64_t)(uintptr_t)vm->ram;
	if (xioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &mr) < 0)
		return fail(err, errlen, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	if (xioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, NULL) < 0)
		return fail(err, errlen, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
	memset(&xc, 0, sizeof(xc));
	xc.flags = KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL;
	xc.msr = XEN_HYPERCALL_MSR;
	if (xioctl(vm->vm_fd, KVM_XEN_HVM_CONFIG, &xc) < 0)
		return fail(err, errlen, "KVM_XEN_HVM_CONFIG (hypercall intercept): %s",
			    strerror(errno));

	/* The image. */
	vm->start_info_gpa =
	    hcabi__image_install(image, vm->ram, vm->ram_size, opts->cmdline, ierr, sizeof(ierr));
	if (!vm->start_info_gpa)
		return fail(err, errlen, "%s", ierr);

	/* CPUID. */
	sup = get_supported_cpuid(vm->kvm_fd);
	if (!sup)
		return fail(err, errlen, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	vm->cpuid = build_cpuid(vm, sup);
	free(sup);
	if (!vm->cpuid)
		return fail(err, errlen, "out of memory");

	/* vCPUs. */
	vm->vcpus = calloc(opts->vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return fail(err, errlen, "out of memory");
	vm->nvcpus = opts->vcpus;
	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		struct hcabi__vcpu *v = &vm->vcpus[i];
		v->vm = vm;
		v->index = i;
		v->fd = -1;
		init_cond(&v->cv);
		v->state = HCABI__VCPU_STOPPED;
	}
	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		struct hcabi__vcpu *v = &vm->vcpus[i];
		struct kvm_sregs s;
		struct kvm_enable_cap cap;

		do {
			v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)i);
		} while (v->fd < 0 && errno == EINTR);
		if (v->fd < 0)
			return fail(err, errlen, "KVM_CREATE_VCPU %u: %s", i, strerror(errno));
		v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED) {
			v->run = NULL;
			return fail(err, errlen, "mmap of vcpu %u: %s", i, strerror(errno));
		}
		if (set_vcpu_cpuid(v, vm->cpuid) < 0)
			return fail(err, errlen, "KVM_SET_CPUID2 on vcpu %u: %s", i,
				    strerror(errno));
		/* KVM's paravirt MSRs (kvmclock, steal time, ...) follow the
		 * CPUID leaves refvmm removed: off for the guest. */
		memset(&cap, 0, sizeof(cap));
		cap.cap = KVM_CAP_ENFORCE_PV_FEATURE_CPUID;
		cap.args[0] = 1;
		(void)xioctl(v->fd, KVM_ENABLE_CAP, &cap);
		if (xioctl(v->fd, KVM_GET_LAPIC, &v->lapic_init) < 0)
			return fail(err, errlen, "KVM_GET_LAPIC on vcpu %u: %s", i,
				    strerror(errno));
		if (xioctl(v->fd, KVM_GET_SREGS, &s) < 0)
			return fail(err, errlen, "KVM_GET_SREGS on vcpu %u: %s", i,
				    strerror(errno));
		v->apic_base_init = s.apic_base;
	}
	if (setup_pvh(&vm->vcpus[0], image->entry, vm->start_info_gpa) < 0)
		return fail(err, errlen, "setting up the PVH entry state: %s", strerror(errno));
	vm->vcpus[0].state = HCABI__VCPU_RUNNING;
	return 0;
}

bool hcabi__vm_run(struct hcabi__vm *vm, uint64_t deadline_ns, struct hcabi__end *end)
{
	bool clean = true;
	uint64_t give_up;

	if (hcabi__timer_start(vm) != 0) {
		hcabi__vm_end(vm, HCABI__EXIT_HOST, false, "error: cannot start the timer thread");
	} else {
		for (uint32_t i = 0; i < vm->nvcpus; i++) {
			struct hcabi__vcpu *v = &vm->vcpus[i];
			pthread_mutex_lock(&vm->lock);
			if (pthread_create(&v->thread, NULL, vcpu_thread, v) == 0)
				v->thread_started = true;
			pthread_mutex_unlock(&vm->lock);
			if (!v->thread_started) {
				hcabi__vm_end(vm, HCABI__EXIT_HOST, false,
					      "error: cannot create the thread of vcpu %u", i);
				break;
			}
		}
	}

	pthread_mutex_lock(&vm->lock);
	while (!vm->end.ended) {
		uint64_t now = hcabi__now_ns();
		uint64_t wake = now + 100000000ull; /* flush serial output every 100 ms */
		struct timespec ts;
		if (hcabi__stop_signal) {
			int sig = hcabi__stop_signal;
			pthread_mutex_unlock(&vm->lock);
			hcabi__vm_end(vm, 128 + sig, false, "stopped by signal %d (%s)", sig,
				      strsignal(sig));
			pthread_mutex_lock(&vm->lock);
			break;
		}
		if (deadline_ns && now >= deadline_ns) {
			pthread_mutex_unlock(&vm->lock);
			hcabi__vm_end(vm, HCABI__EXIT_TIMEOUT, false,
				      "timeout: --timeout %g s expired", vm->opts->timeout_s);
			pthread_mutex_lock(&vm->lock);
			break;
		}
		if (deadline_ns && wake > deadline_ns)
			wake = deadline_ns;
		ts.tv_sec = (time_t)(wake / 1000000000ull);
		ts.tv_nsec = (long)(wake % 1000000000ull);
		pthread_cond_timedwait(&vm->main_cv, &vm->lock, &ts);
		pthread_mutex_unlock(&vm->lock);
		hcabi__serial_flush();
		pthread_mutex_lock(&vm->lock);
	}
	*end = vm->end;

	/* Stop every vCPU thread: they see vm->ending after a kick. */
	give_up = hcabi__now_ns() + 5000000000ull;
	for (;;) {
		uint32_t running = 0;
		struct timespec ts;
		for (uint32_t i = 0; i < vm->nvcpus; i++) {
			struct hcabi__vcpu *v = &vm->vcpus[i];
			if (v->thread_started && !v->exited) {
				running++;
				hcabi__vcpu_poke_locked(v);
			}
		}
		if (!running)
			break;
		if (hcabi__now_ns() >= give_up) {
			clean = false;
			break;
		}
		{
			uint64_t w = hcabi__now_ns() + 50000000ull;
			ts.tv_sec = (time_t)(w / 1000000000ull);
			ts.tv_nsec = (long)(w % 1000000000ull);
		}
		pthread_cond_timedwait(&vm->main_cv, &vm->lock, &ts);
	}
	pthread_mutex_unlock(&vm->lock);
	if (!clean)
		return false;
	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		if (vm->vcpus[i].thread_started) {
			pthread_join(vm->vcpus[i].thread, NULL);
			vm->vcpus[i].thread_started = false;
		}
	}
	hcabi__timer_stop(vm);
	hcabi__serial_flush();
	return true;
}

void hcabi__vm_destroy(struct hcabi__vm *vm)
{
	if (vm->vcpus) {
		for (uint32_t i = 0; i < vm->nvcpus; i++) {
			struct hcabi__vcpu *v = &vm->vcpus[i];
			if (v->run)
				munmap(v->run, vm->run_size);
			if (v->fd >= 0)
				close(v->fd);
			pthread_cond_destroy(&v->cv);
		}
		free(vm->vcpus);
	}
	free(vm->cpuid);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	pthread_mutex_destroy(&vm->lock);
	pthread_cond_destroy(&vm->main_cv);
	pthread_mutex_destroy(&vm->timer_lock);
	pthread_cond_destroy(&vm->timer_cv);
	memset(vm, 0, sizeof(*vm));
}
