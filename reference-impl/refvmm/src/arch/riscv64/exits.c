/* SPDX-License-Identifier: MIT */
/*
 * exits.c - running riscv64 guest code under KVM: KVM_RUN, kicks, decoding
 * each exit into a neutral event (arch.h), and answering hypercalls.
 *
 * A hypercall arrives as KVM_EXIT_RISCV_SBI (kvm_vm.c says why) with the
 * extension ID (a7), the function ID (a6, all 64 bits: RV64-002) and
 * a0..a5 in kvm_run (RV64-004): no register ioctl is needed. The answer
 * goes into riscv_sbi.ret[0] (a0, the status) and ret[1] (a1, the value);
 * at the next KVM_RUN KVM writes them and moves the PC past the ECALL
 * (RV64-006, RV64-007, RV64-010), changing nothing else (RV64-009).
 * Discovery (Base probe_extension of HCABI_RISCV64_SBI_EID) is answered
 * here, not by the core: a0 = 0, a1 = the signature (RV64-015). refvmm's
 * own HCABI__RV64_TRAMP_EID ends a TLB.FLUSH trampoline (tlb.c). Any other
 * forwarded call (another experimental or vendor extension, SBI v0.1's
 * console, the trampoline's EID outside a trampoline) is answered
 * SBI_ERR_NOT_SUPPORTED, and a probe of another such extension 0: absent.
 *
 * An ECALL in U-mode is the guest's own system call: the hypervisor
 * delegates it to the guest kernel, KVM never sees it (RV64-013/014), so
 * every call comes from S-mode and the core never answers RAISE_UD here.
 *
 * Leaving: SBI SRST is KVM's; it exits as KVM_EXIT_SYSTEM_EVENT, shutdown
 * or reset, which ends the VM as arm64's PSCI SYSTEM_OFF / SYSTEM_RESET.
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

#include "riscv64_kvm.h"

#define POISON_BASE 0xdeadbadc0ffee000ull
#define SBI_ERR_NOT_SUPPORTED (-2ll)

static int clobber(struct hcabi__vcpu *v, uint32_t mask);

static void fault(struct hcabi__vcpu *v, struct hcabi__exit *ex, const char *what)
{
	hcabi__kvm_fault(v, ex, what, hcabi__rv64_pc(v));
}

/* Every MMIO access goes to devices.c (the 16550 console; elsewhere a
 * guest fault naming the address). */
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

static void decode_sbi(struct hcabi__vcpu *v, struct hcabi__exit *ex)
{
	struct kvm_run *run = v->arch->run;
	struct hcabi_ref_call *call = &ex->call;

	if (run->riscv_sbi.extension_id == HCABI_RISCV64_SBI_EID) {
		memset(call, 0, sizeof(*call));
		call->cpl = 0; /* S-mode: U-mode ECALLs never reach KVM (RV64-013) */
		call->function_id = run->riscv_sbi.function_id;
		for (unsigned i = 0; i < 6; i++)
			call->args[i] = run->riscv_sbi.args[i];
		/* TLB.FLUSH asks for flushes, BATCH may: one RFENCE at the
		 * end of the call if any was asked for (tlb.c) */
		if (call->function_id == HCABI_FID_TLB_FLUSH ||
		    call->function_id == HCABI_FID_BATCH_EXECUTE)
			hcabi__rv64_flush_call_begin(v);
		ex->event = HCABI__EV_HCALL;
		return;
	}
	if (run->riscv_sbi.extension_id == HCABI__RV64_TRAMP_EID) {
		uint32_t mask = 0;
		int r = hcabi__rv64_tramp_exit(v, &mask);
		if (r < 0 || (r > 0 && mask && clobber(v, mask) < 0)) {
			hcabi__kvm_host_error(v, ex, "ending TLB.FLUSH's trampoline");
			return;
		}
		if (r > 0)
			return; /* EV_NONE: back after the caller's ECALL */
	}
	if (run->riscv_sbi.extension_id == HCABI_RISCV64_SBI_BASE_EID &&
	    run->riscv_sbi.function_id == HCABI_RISCV64_SBI_PROBE_EXTENSION_FID) {
		/* RV64-015: present, with the signature; another forwarded
		 * extension (experimental or vendor) is absent: 0 */
		bool hcabi = run->riscv_sbi.args[0] == HCABI_RISCV64_SBI_EID;
		run->riscv_sbi.ret[0] = 0;
		run->riscv_sbi.ret[1] = hcabi ? HCABI_CPUID_INTERFACE_SIGNATURE : 0;
		return; /* EV_NONE: answered */
	}
	run->riscv_sbi.ret[0] = (unsigned long)SBI_ERR_NOT_SUPPORTED;
	run->riscv_sbi.ret[1] = 0;
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
		hcabi__kvm_host_error(v, ex, "KVM_RUN");
		return;
	}
	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		decode_mmio(v, ex);
		return;
	case KVM_EXIT_RISCV_SBI:
		decode_sbi(v, ex);
		return;
	case KVM_EXIT_SYSTEM_EVENT: /* SBI SRST system_reset, KVM's */
		if (hcabi__kvm_system_event(v, ex, "SBI SRST shutdown", "SBI SRST reboot"))
			return;
		hcabi__kvm_exit_what(run, what, sizeof(what));
		fault(v, ex, what);
		return;
	case KVM_EXIT_INTR:
		return;
	case KVM_EXIT_RISCV_CSR:
		snprintf(what, sizeof(what), "access to CSR 0x%lx, which KVM leaves to userspace",
			 run->riscv_csr.csr_num);
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
 * hcabi_ref_gpr's numbers, taken as x1..x15 on riscv64: x10 = a0 and
 * x11 = a1 are the results and keep them), written before KVM puts the
 * results in a0 and a1. The register names the core parses (rcx, r11,
 * ...) are x86-64's: on riscv64 a clobber names its register by number,
 * --inject-fault FUNC:clobber:12 for x12 = a2 (docs/refvmm.md). */
static int clobber(struct hcabi__vcpu *v, uint32_t mask)
{
	for (unsigned i = 1; i < 16; i++)
		if ((mask & (1u << i)) && hcabi__rv64_set_core(v, i, POISON_BASE | i) < 0)
			return -1;
	return 0;
}

int hcabi__arch_hcall_return(struct hcabi__vcpu *v, const struct hcabi_ref_ret *ret, char *err,
			     size_t errlen)
{
	struct kvm_run *run = v->arch->run;
	bool flush = hcabi__rv64_flush_call_end(v);

	switch (ret->action) {
	case HCABI_REF_ACTION_RESUME:
		/* RV64-029: the flushes the call asked for, before it returns
		 * (tlb.c), which then gives the results */
		if (flush &&
		    hcabi__rv64_tramp_enter(v, ret->status, ret->value, ret->clobber_gprs) < 0)
			return hcabi__fail(err, errlen,
					   "sending vcpu %u to TLB.FLUSH's trampoline: %s",
					   v->index, strerror(errno));
		if (flush)
			return 0;
		/* RV64-006/007: a0 = status, a1 = value, at the next KVM_RUN */
		run->riscv_sbi.ret[0] = (unsigned long)ret->status;
		run->riscv_sbi.ret[1] = ret->value;
		if (ret->clobber_gprs && clobber(v, ret->clobber_gprs) < 0)
			return hcabi__fail(err, errlen, "writing the results on vcpu %u: %s",
					   v->index, strerror(errno));
		return 0;
	case HCABI_REF_ACTION_STOP_VCPU:
		/* nothing to complete: VCPU.START resets the vCPU (vcpu_regs.c) */
		return 0;
	default:
		return hcabi__fail(err, errlen, "vcpu %u: action %d has no riscv64 register answer",
				   v->index, (int)ret->action);
	}
}

/* The backend has no devices of its own: the console is devices.c's. */
bool hcabi__arch_device_io(const struct hcabi__io *io, struct hcabi__end *req)
{
	(void)io;
	(void)req;
	return false;
}

/* riscv64 has no NMI a VMM can raise in a guest. */
void hcabi__arch_vcpu_nmi_if_masked(struct hcabi__vcpu *v)
{
	hcabi__log("diag: vcpu %u: no NMI on riscv64 (--timeout-nmi)", v->index);
}

/* --timeout ended the VM: where vCPU v's guest code was (one ONE_REG read;
 * v's thread has been joined). */
void hcabi__arch_vcpu_report(struct hcabi__vcpu *v)
{
	hcabi__log("diag: vcpu %u at the end: pc=0x%llx", v->index,
		   (unsigned long long)hcabi__rv64_pc(v));
}
