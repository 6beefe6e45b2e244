/* SPDX-License-Identifier: MIT */
/*
 * exits.c - running x86-64 guest code under KVM: KVM_RUN, kicks, decoding
 * each exit into a neutral event (arch.h), and answering hypercalls.
 *
 * A hypercall arrives as KVM_EXIT_XEN / KVM_EXIT_XEN_HCALL (kvm_vm.c) with
 * the CPL and, for a 64-bit caller, input = RAX and params[] = RDI, RSI,
 * RDX, R10, R8, R9 (the HCABI order): the arguments come with the exit, no
 * register is read for them. A caller outside 64-bit mode (rare: the
 * binding's tests) is read from the synchronized registers below.
 *
 * refvmm completes the call itself, without an ioctl of its own: KVM stores
 * the general registers and the vCPU events (kvm_run->s.regs,
 * KVM_CAP_SYNC_REGS, KVM_SYNC_X86_REGS | KVM_SYNC_X86_EVENTS) into the run
 * page at every exit and loads back those marked dirty at the start of the
 * next KVM_RUN, before it completes a pending exit. refvmm writes RAX (the
 * status) and RDX (the value) and moves RIP past the 3-byte VMCALL/VMMCALL
 * there (X86-004, X86-006.2); KVM's own completion,
 * kvm_xen_hypercall_complete_userspace() in arch/x86/kvm/xen.c (Linux 6.12),
 * writes the result and calls kvm_skip_emulated_instruction() only "if
 * (kvm_is_linear_rip(vcpu, vcpu->arch.xen.hypercall_rip))": with RIP moved
 * it does nothing. That saves the skip, which on a host without NRIPS (AMD)
 * decodes the instruction in KVM's emulator (docs/performance.md).
 *
 * refvmm then does what kvm_skip_emulated_instruction() does besides:
 *  - the end of an interrupt shadow (X86-013; MOV SS alike): a call right after
 *    STI or MOV SS exits with the shadow standing; left so, it would cover
 *    the instruction after the call. Cleared through the synchronized
 *    events (only the shadow is marked valid), no ioctl.
 *  - the single-step trap (X86-012): a call made with RFLAGS.TF set gets
 *    one #DB after it, at the next instruction, DR6.BS set, as
 *    kvm_vcpu_do_singlestep() queues it. Rare: DR6 costs two ioctls.
 *
 * Under the diagnostic single-step trace (diag.c, KVM_GUESTDBG_SINGLESTEP)
 * the step over a call is not reported: KVM's skip would have reported it.
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
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "diag.h"
#include "x86_kvm.h"

#define POISON_BASE 0xdeadbadc0ffee000ull
#define HCALL_INSN_LEN 3 /* VMCALL 0f 01 c1, VMMCALL 0f 01 d9 */
#define RFLAGS_TF (1ull << 8)
#define DB_VECTOR 1
#define DR6_B0_B3 0xfull
#define DR6_ACTIVE_LOW 0xffff0ff0ull /* the fixed-1 and active-low bits */
#define DR6_BS (1ull << 14)

/* UINT64_MAX: unreadable */
static uint64_t vcpu_rip(struct hcabi__vcpu *v)
{
	struct kvm_regs r;
	if (hcabi__kvm_ioctl(v->arch->fd, KVM_GET_REGS, &r) < 0)
		return UINT64_MAX;
	return r.rip;
}

/* ---- decoding exits ------------------------------------------------------------- */
static void fault(struct hcabi__vcpu *v, struct hcabi__exit *ex, const char *what)
{
	struct kvm_sregs s;
	uint64_t rip = vcpu_rip(v);

	hcabi__diag_fault(v);
	/* On AMD hosts KVM INITs the vCPU on a shutdown intercept (the VMCB is
	 * undefined after it), so the state is the reset state. */
	if (rip == 0xfff0 && hcabi__kvm_ioctl(v->arch->fd, KVM_GET_SREGS, &s) == 0 &&
	    s.cs.selector == 0xf000)
		rip = UINT64_MAX;
	ex->event = HCABI__EV_FAULT;
	if (rip == UINT64_MAX)
		snprintf(ex->what, sizeof(ex->what),
			 "%s on vcpu %u (rip unknown: KVM reset the vCPU)", what, v->index);
	else
		snprintf(ex->what, sizeof(ex->what), "%s on vcpu %u at rip=0x%llx", what, v->index,
			 (unsigned long long)rip);
}

static void decode_io(struct hcabi__vcpu *v, struct hcabi__exit *ex)
{
	struct kvm_run *run = v->arch->run;
	size_t run_size = v->vm->arch->run_size;
	unsigned size = run->io.size;
	uint32_t count = run->io.count;

	/* KVM guarantees data_offset + size * count fits in the run page
	 * (at most one page of string I/O). Be defensive anyway. */
	if (size != 1 && size != 2 && size != 4)
		return;
	if (run->io.data_offset >= run_size ||
	    (uint64_t)size * count > run_size - run->io.data_offset)
		return;
	ex->event = HCABI__EV_IO;
	ex->io.bus = HCABI__BUS_PIO;
	ex->io.addr = run->io.port;
	ex->io.data = (uint8_t *)run + run->io.data_offset;
	ex->io.size = size;
	ex->io.count = count;
	ex->io.write = run->io.direction == KVM_EXIT_IO_OUT;
}

static void decode_mmio(struct hcabi__vcpu *v, struct hcabi__exit *ex)
{
	struct kvm_run *run = v->arch->run;

	ex->event = HCABI__EV_IO;
	ex->io.bus = HCABI__BUS_MMIO;
	ex->io.addr = run->mmio.phys_addr;
	ex->io.data = run->mmio.data;
	ex->io.size = run->mmio.len <= sizeof(run->mmio.data) ? run->mmio.len
							      : (uint32_t)sizeof(run->mmio.data);
	ex->io.count = 1;
	ex->io.write = run->mmio.is_write != 0;
}

static void decode_hcall(struct hcabi__vcpu *v, struct hcabi__exit *ex)
{
	struct kvm_run *run = v->arch->run;
	struct hcabi_ref_call *call = &ex->call;

	ex->event = HCABI__EV_HCALL;
	memset(call, 0, sizeof(*call));
	call->cpl = (uint8_t)run->xen.u.hcall.cpl;
	if (run->xen.u.hcall.longmode) {
		call->function_id = run->xen.u.hcall.input;
		for (int i = 0; i < 6; i++)
			call->args[i] = run->xen.u.hcall.params[i];
	} else {
		/* Outside 64-bit mode the guest only sees the low halves; the
		 * Xen params[] follow Xen's 32-bit order, not HCABI's. */
		const struct kvm_regs *r = &run->s.regs.regs;
		call->function_id = r->rax & 0xffffffffu;
		call->args[0] = r->rdi & 0xffffffffu;
		call->args[1] = r->rsi & 0xffffffffu;
		call->args[2] = r->rdx & 0xffffffffu;
		call->args[3] = r->r10 & 0xffffffffu;
		call->args[4] = r->r8 & 0xffffffffu;
		call->args[5] = r->r9 & 0xffffffffu;
	}
}

void hcabi__arch_vcpu_run(struct hcabi__vcpu *v, struct hcabi__exit *ex)
{
	struct kvm_run *run = v->arch->run;
	char what[160];
	int r;

	ex->event = HCABI__EV_NONE;
	r = ioctl(v->arch->fd, KVM_RUN, 0);
	run->immediate_exit = 0;
	run->kvm_dirty_regs = 0; /* loaded by that KVM_RUN */
	if (r < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		ex->event = HCABI__EV_HOST_ERROR;
		snprintf(ex->what, sizeof(ex->what), "KVM_RUN on vcpu %u: %s", v->index,
			 strerror(errno));
		return;
	}
	hcabi__diag_exit(v);
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		decode_io(v, ex);
		return;
	case KVM_EXIT_MMIO:
		decode_mmio(v, ex);
		return;
	case KVM_EXIT_XEN:
		if (run->xen.type != KVM_EXIT_XEN_HCALL) {
			snprintf(what, sizeof(what), "unexpected KVM_EXIT_XEN type %u",
				 run->xen.type);
			fault(v, ex, what);
			return;
		}
		decode_hcall(v, ex);
		return;
	case KVM_EXIT_DEBUG:
		if (hcabi__diag_debug_exit(v))
			return;
		break;
	case KVM_EXIT_HLT:
	case KVM_EXIT_INTR:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		return;
	case KVM_EXIT_SHUTDOWN:
		fault(v, ex, "triple fault (KVM_EXIT_SHUTDOWN)");
		return;
	default:
		break;
	}
	hcabi__kvm_exit_what(run, what, sizeof(what));
	fault(v, ex, what);
}

/* ---- answering hypercalls ----------------------------------------------------- */
/* Let KVM finish the pending hypercall exit (write result to RAX, advance
 * RIP) without running guest code. */
static int complete_pending(struct hcabi__vcpu *v)
{
	struct kvm_run *run = v->arch->run;
	int r;
	run->immediate_exit = 1;
	r = ioctl(v->arch->fd, KVM_RUN, 0);
	run->immediate_exit = 0;
	if (r < 0 && errno != EINTR)
		return -1;
	return 0;
}

/* Test-only fault injection: poison the registers in mask (enum
 * hcabi_ref_gpr bits). */
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
	if (hcabi__kvm_ioctl(v->arch->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return -1;
	ev.exception.injected = 1;
	ev.exception.pending = 0;
	ev.exception.nr = 6;
	ev.exception.has_error_code = 0;
	ev.exception.error_code = 0;
	ev.flags &= KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM;
	return hcabi__kvm_ioctl(v->arch->fd, KVM_SET_VCPU_EVENTS, &ev);
}

/* X86-005 and the #UD of a call from CPL > 0 (the core's RAISE_UD). */
static int raise_ud(struct hcabi__vcpu *v, char *err, size_t errlen)
{
	struct kvm_run *run = v->arch->run;
	struct kvm_regs orig = run->s.regs.regs;

	run->xen.u.hcall.result = orig.rax;
	if (complete_pending(v) < 0)
		return hcabi__fail(err, errlen, "completing the hypercall exit on vcpu %u: %s",
				   v->index, strerror(errno));
	/* KVM stored the registers again when that KVM_RUN returned */
	if (run->s.regs.regs.rip == orig.rip)
		/* The kernel did not complete the exit under immediate_exit:
		 * it would skip the instruction later. */
		return hcabi__fail(err, errlen,
				   "this kernel does not complete KVM_EXIT_XEN under "
				   "immediate_exit; cannot inject #UD exactly");
	if (hcabi__kvm_ioctl(v->arch->fd, KVM_SET_REGS, &orig) < 0 || inject_ud(v) < 0)
		return hcabi__fail(err, errlen, "injecting #UD on vcpu %u: %s", v->index,
				   strerror(errno));
	return 0;
}

/* X86-012: the single-step trap of a call made with RFLAGS.TF set, as
 * kvm_vcpu_do_singlestep() queues it and kvm_deliver_exception_payload()
 * writes DR6: B0-B3 cleared, BS set, the rest kept. The #DB is injected
 * with the events of the run page; RIP already points after the call. */
static int single_step_trap(struct hcabi__vcpu *v)
{
	struct kvm_vcpu_events *ev = &v->arch->run->s.regs.events;
	struct kvm_debugregs dr;

	if (hcabi__kvm_ioctl(v->arch->fd, KVM_GET_DEBUGREGS, &dr) < 0)
		return -1;
	dr.dr6 = (dr.dr6 & ~DR6_B0_B3) | DR6_ACTIVE_LOW | DR6_BS;
	dr.flags = 0;
	if (hcabi__kvm_ioctl(v->arch->fd, KVM_SET_DEBUGREGS, &dr) < 0)
		return -1;
	ev->exception.injected = 1;
	ev->exception.nr = DB_VECTOR;
	ev->exception.has_error_code = 0;
	ev->exception.error_code = 0;
	return 0;
}

/* Complete the call (header comment): RAX, RDX and RIP in the synchronized
 * registers, the interrupt shadow ended, the single-step trap. */
static int complete_call(struct hcabi__vcpu *v, const struct hcabi_ref_ret *ret, char *err,
			 size_t errlen)
{
	struct kvm_run *run = v->arch->run;
	struct kvm_regs *regs = &run->s.regs.regs;
	struct kvm_vcpu_events *ev = &run->s.regs.events;
	bool step = (regs->rflags & RFLAGS_TF) != 0;

	/* X86-004: RAX = status, RDX = value; nothing else changes (X86-006.1) */
	regs->rax = (uint64_t)ret->status;
	regs->rdx = ret->value;
	if (ret->clobber_gprs)
		clobber(regs, ret->clobber_gprs);
	regs->rip += HCALL_INSN_LEN; /* X86-006.2 */
	run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
	if (!(ev->interrupt.shadow) && !step)
		return 0;
	/* Write back only the shadow's validity: the events were read at this
	 * exit, and the NMI and SMM state must not go back to it. */
	ev->flags = KVM_VCPUEVENT_VALID_SHADOW;
	ev->interrupt.shadow = 0; /* X86-013 (and a MOV SS shadow alike) */
	if (step && single_step_trap(v) < 0)
		return hcabi__fail(err, errlen, "single-step trap after a call on vcpu %u: %s",
				   v->index, strerror(errno));
	run->kvm_dirty_regs |= KVM_SYNC_X86_EVENTS;
	return 0;
}

int hcabi__arch_hcall_return(struct hcabi__vcpu *v, const struct hcabi_ref_ret *ret, char *err,
			     size_t errlen)
{
	struct kvm_run *run = v->arch->run;

	switch (ret->action) {
	case HCABI_REF_ACTION_RESUME:
		return complete_call(v, ret, err, errlen);
	case HCABI_REF_ACTION_RAISE_UD:
		return raise_ud(v, err, errlen);
	case HCABI_REF_ACTION_STOP_VCPU:
		/* the vCPU restarts from a new boot state: finish this exit now */
		run->xen.u.hcall.result = (uint64_t)ret->status;
		(void)complete_pending(v);
		return 0;
	default:
		return hcabi__fail(err, errlen, "vcpu %u: action %d has no register answer",
				   v->index, (int)ret->action);
	}
}
