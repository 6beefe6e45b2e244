/* SPDX-License-Identifier: MIT */
/*
 * exits.c - running arm64 guest code under KVM: KVM_RUN, kicks, decoding
 * each exit into a neutral event (arch.h), and answering hypercalls.
 *
 * A hypercall arrives as KVM_EXIT_HYPERCALL (the SMCCC filter, kvm_vm.c)
 * with run->hypercall.nr = w0 and the PC already past the HVC; its
 * registers are reached only through ONE_REG, one ioctl each (10-90 us
 * nested: docs/arm64.md). So refvmm reads only what the call takes: x1 (the
 * HCABI function ID, all 64 bits: ARM64-003), then x2.. for the function's
 * argument count from the registry (abi.h's HCABI_FOREACH_FUNCTION;
 * ARM64-002: argument registers beyond it are ignored), and writes back x0
 * (status) and x1 (value) only (ARM64-004, ARM64-005). Discovery
 * (HCABI_ARM64_DISCOVER_ID) is answered here, not by the core: x0 = 0,
 * x1 = the signature, x2 = x3 = 0 (ARM64-010).
 *
 * HVC is undefined at EL0 (ARM64-016): every call comes from EL1, so the
 * core never answers RAISE_UD here.
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

#include "arm64_kvm.h"

#define POISON_BASE 0xdeadbadc0ffee000ull

/* The registry's argument count of a function (0 for an unknown ID: the
 * core answers NOT_SUPPORTED without looking at arguments). */
static unsigned nargs_of(uint32_t fid)
{
	switch (fid) {
#define HCABI__A64_X(EXT, NAME, ID, NARGS, SINCE, STATUSES, FLAGS)                                 \
	case (ID):                                                                                 \
		return (NARGS);
		HCABI_FOREACH_FUNCTION(HCABI__A64_X)
#undef HCABI__A64_X
	default:
		return 0;
	}
}

static void fault(struct hcabi__vcpu *v, struct hcabi__exit *ex, const char *what)
{
	hcabi__kvm_fault(v, ex, what, hcabi__a64_pc(v));
}

static void host_error(struct hcabi__vcpu *v, struct hcabi__exit *ex, const char *what)
{
	hcabi__kvm_host_error(v, ex, what);
}

static void decode_mmio(struct hcabi__vcpu *v, struct hcabi__exit *ex)
{
	struct kvm_run *run = v->arch->run;
	uint32_t len = run->mmio.len <= sizeof(run->mmio.data) ? run->mmio.len
							       : (uint32_t)sizeof(run->mmio.data);

	if (hcabi__a64_pl011(run->mmio.phys_addr, run->mmio.data, len, run->mmio.is_write != 0))
		return; /* EV_NONE: served */
	ex->event = HCABI__EV_IO;
	ex->io.bus = HCABI__BUS_MMIO;
	ex->io.addr = run->mmio.phys_addr;
	ex->io.data = run->mmio.data;
	ex->io.size = len;
	ex->io.count = 1;
	ex->io.write = run->mmio.is_write != 0;
}

/* ARM64-010: x0 = 0, x1 = "HCA1", x2 = x3 = 0. */
static void discover(struct hcabi__vcpu *v, struct hcabi__exit *ex)
{
	if (hcabi__a64_set_x(v, 0, 0) < 0 ||
	    hcabi__a64_set_x(v, 1, HCABI_CPUID_INTERFACE_SIGNATURE) < 0 ||
	    hcabi__a64_set_x(v, 2, 0) < 0 || hcabi__a64_set_x(v, 3, 0) < 0)
		host_error(v, ex, "answering discovery");
}

static void decode_hcall(struct hcabi__vcpu *v, struct hcabi__exit *ex)
{
	struct kvm_run *run = v->arch->run;
	struct hcabi_ref_call *call = &ex->call;
	uint32_t nr = (uint32_t)run->hypercall.nr;
	unsigned n;

	if (nr == HCABI_ARM64_DISCOVER_ID) {
		discover(v, ex);
		return;
	}
	if (nr != HCABI_ARM64_CALL_ID) { /* the filter forwards only these two */
		fault(v, ex, "unexpected forwarded SMCCC call");
		return;
	}
	memset(call, 0, sizeof(*call));
	call->cpl = 0; /* EL1: EL0 cannot execute HVC (ARM64-016) */
	if (hcabi__a64_get_x(v, 1, &call->function_id) < 0) {
		host_error(v, ex, "reading x1");
		return;
	}
	/* TLB.FLUSH asks for flushes, BATCH may: note when the call began
	 * (vcpu_regs.c, one flush per call) */
	if (call->function_id == HCABI_FID_TLB_FLUSH || call->function_id == HCABI_FID_BATCH_EXECUTE) {
		struct hcabi__kvm_own_vcpu *o = &v->arch->own;
		__atomic_store_n(&o->flush_entry,
				 __atomic_load_n(&v->vm->arch->own.flush_begun, __ATOMIC_SEQ_CST),
				 __ATOMIC_SEQ_CST);
		__atomic_store_n(&o->in_flush_call, 1, __ATOMIC_SEQ_CST);
	}
	n = nargs_of((uint32_t)call->function_id);
	for (unsigned i = 0; i < n; i++) {
		if (hcabi__a64_get_x(v, 2 + i, &call->args[i]) < 0) {
			host_error(v, ex, "reading an argument register");
			return;
		}
	}
	ex->event = HCABI__EV_HCALL;
}

/* PSCI SYSTEM_OFF / SYSTEM_RESET, which KVM's PSCI turns into system
 * events: the guest's way out when it does not end through SYSTEM. */
static void system_event(struct hcabi__vcpu *v, struct hcabi__exit *ex)
{
	char what[80];

	if (hcabi__kvm_system_event(v, ex, "PSCI SYSTEM_OFF", "PSCI SYSTEM_RESET"))
		return;
	hcabi__kvm_exit_what(v->arch->run, what, sizeof(what));
	fault(v, ex, what);
}

void hcabi__arch_vcpu_run(struct hcabi__vcpu *v, struct hcabi__exit *ex)
{
	struct kvm_run *run = v->arch->run;
	char what[160];
	int r;

	ex->event = HCABI__EV_NONE;
	r = ioctl(v->arch->fd, KVM_RUN, 0);
	run->immediate_exit = 0;
	if (r < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		host_error(v, ex, "KVM_RUN");
		return;
	}
	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		decode_mmio(v, ex);
		return;
	case KVM_EXIT_HYPERCALL:
		decode_hcall(v, ex);
		return;
	case KVM_EXIT_SYSTEM_EVENT:
		system_event(v, ex);
		return;
	case KVM_EXIT_INTR:
		return;
	case KVM_EXIT_ARM_NISV:
		snprintf(what, sizeof(what),
			 "MMIO access KVM cannot decode (no syndrome) at 0x%llx",
			 (unsigned long long)run->arm_nisv.fault_ipa);
		fault(v, ex, what);
		return;
	default:
		hcabi__kvm_exit_what(run, what, sizeof(what));
		fault(v, ex, what);
		return;
	}
}

/* ---- answering hypercalls ----------------------------------------------------- */
/* Test-only fault injection: poison x<i> for bit i of mask (enum
 * hcabi_ref_gpr's numbers, taken as x0..x15 on arm64), after x0 and x1
 * hold the results. The register names the core parses (rcx, r11, ...)
 * are x86-64's: on arm64 a clobber names its register by number,
 * --inject-fault FUNC:clobber:7 for x7 (docs/arm64.md). */
static int clobber(struct hcabi__vcpu *v, uint32_t mask)
{
	for (unsigned i = 0; i < 16; i++)
		if ((mask & (1u << i)) && hcabi__a64_set_x(v, i, POISON_BASE | i) < 0)
			return -1;
	return 0;
}

int hcabi__arch_hcall_return(struct hcabi__vcpu *v, const struct hcabi_ref_ret *ret, char *err,
			     size_t errlen)
{
	__atomic_store_n(&v->arch->own.in_flush_call, 0, __ATOMIC_SEQ_CST);
	switch (ret->action) {
	case HCABI_REF_ACTION_RESUME:
		/* ARM64-004: x0 = status, x1 = value; the PC is past the HVC */
		if (hcabi__a64_set_x(v, 0, (uint64_t)ret->status) < 0 ||
		    hcabi__a64_set_x(v, 1, ret->value) < 0 ||
		    (ret->clobber_gprs && clobber(v, ret->clobber_gprs) < 0))
			return hcabi__fail(err, errlen, "writing the results on vcpu %u: %s",
					   v->index, strerror(errno));
		return 0;
	case HCABI_REF_ACTION_STOP_VCPU:
		/* nothing to complete: VCPU.START resets the vCPU (vcpu_regs.c) */
		return 0;
	default:
		return hcabi__fail(err, errlen, "vcpu %u: action %d has no arm64 register answer",
				   v->index, (int)ret->action);
	}
}

/* The backend's devices (the PL011) are served in the MMIO exit itself,
 * before an access reaches devices.c: nothing more is here. */
bool hcabi__arch_device_io(const struct hcabi__io *io, struct hcabi__end *req)
{
	(void)io;
	(void)req;
	return false;
}

/* HCABI__ARCH_HW_VCPU_START is 0 on arm64: the neutral part never waits on
 * an architecture start sequence, so no vCPU is ever started by one. */
bool hcabi__arch_vcpu_hw_started(struct hcabi__vcpu *v)
{
	(void)v;
	return false;
}

/* arm64 has no NMI a VMM can raise in a guest (the GIC's pseudo-NMI is the
 * guest's own use of interrupt priorities). */
void hcabi__arch_vcpu_nmi_if_masked(struct hcabi__vcpu *v)
{
	hcabi__log("diag: vcpu %u: no NMI on arm64 (--timeout-nmi)", v->index);
}

/* --timeout ended the VM: where vCPU v's guest code was (one ONE_REG read;
 * v's thread has been joined). */
void hcabi__arch_vcpu_report(struct hcabi__vcpu *v)
{
	hcabi__log("diag: vcpu %u at the end: pc=0x%llx", v->index,
		   (unsigned long long)hcabi__a64_pc(v));
}
