/*
 * nested-probe: prove that KVM is usable the way hcabi-refvmm needs it.
 *
 * Built -static so that scripts/hcabi-nested can run it inside its nested
 * guest (which has no shared libraries); it runs just as well on a host with
 * /dev/kvm.  It checks, in order, and prints one "nested-probe: KEY=VALUE"
 * line per check:
 *
 *   api_version       KVM_GET_API_VERSION is 12
 *   xen_hvm_caps      KVM_CHECK_EXTENSION(KVM_CAP_XEN_HVM) includes
 *                     KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL (CONFIG_KVM_XEN)
 *   create_vm         KVM_CREATE_VM succeeds
 *   xen_hvm_config    KVM_XEN_HVM_CONFIG with INTERCEPT_HCALL and a non-zero
 *                     msr succeeds (msr = 0 would intercept nothing)
 *   irqchip           KVM_CREATE_IRQCHIP succeeds (refvmm uses the in-kernel
 *                     LAPIC)
 *   hypercall         a real-mode vCPU executes the native hypercall
 *                     instruction (VMMCALL on SVM, VMCALL on VMX) with
 *                     EAX = 0x48434131; it must exit to userspace as
 *                     KVM_EXIT_XEN/HCALL carrying that input; the result we
 *                     set must come back in EAX (the guest writes it to an
 *                     I/O port), and the guest then signals the end on a
 *                     second port.
 *
 * The last line is "nested-probe: result=ok" (exit status 0) or
 * "nested-probe: result=fail" (exit status 1).
 *
 * nested-probe --hold: the holder of scripts/hcabi-nested --holder.  It keeps
 * one idle KVM VM alive, set up so that it holds every static key a refvmm VM
 * flips, until SIGTERM, SIGINT or SIGHUP, without using any CPU.  Reason: the
 * kernel patches its own text whenever one of these keys goes between 0 and
 * non-zero, i.e. every time the number of live VMs goes between 0 and 1; under
 * multi-threaded TCG that cross-CPU patching has been seen to leave a stale
 * int3 behind ("Oops: int3" in finish_task_switch).  With the holder alive,
 * the counts never drop to 0 between jobs and nothing is patched.
 *
 * The keys (Debian 6.12 kernel, read from the call sites of
 * static_key_slow_inc/dec, __static_key_slow_dec_deferred and
 * preempt_notifier_inc/dec in its kvm.ko; kvm_amd.ko flips none):
 *
 *   preempt_notifier_key  kernel/sched: +1 per live VM (KVM_CREATE_VM), -1 on
 *                         its destruction; its branches are in
 *                         __schedule/finish_task_switch
 *   kvm_xen_enabled       deferred: +1 per VM whose KVM_XEN_HVM_CONFIG has
 *                         msr != 0 (refvmm's intercept needs one)
 *   apic_sw_disabled      deferred: +1 per in-kernel LAPIC whose SVR has the
 *                         enable bit clear: every vCPU is created (and reset
 *                         by KVM_SET_LAPIC) that way, the guest's SVR write
 *                         drops it.  The holder's LAPIC stays software-disabled
 *                         on purpose: a software-ENABLED one would hold nothing
 *   apic_hw_disabled      deferred: +1 per LAPIC with IA32_APIC_BASE.EN clear
 *                         (a guest that leaves x2APIC mode passes through that
 *                         state); the holder clears EN on its vCPU
 *   kvm_has_noapic_vcpu   +1 per vCPU without an in-kernel LAPIC: refvmm always
 *                         creates the irqchip first, so it never takes this
 *                         key, and the holder does not either
 *
 * Nothing on the KVM_RUN path flips a key, so the holder's vCPU never runs.
 * Its output: one "nested-probe: KEY=VALUE" line per step, then
 * "nested-probe: hold=ready keys=..." once the VM is held (the line
 * scripts/hcabi-nested waits for), and "nested-probe: hold=released" when a
 * signal ends it (exit status 0).  If not even the VM can be created it ends
 * with "nested-probe: result=fail", status 1; a later step that fails is
 * reported and the keys taken so far are held anyway.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nested-probe-kvm.h"

#define PROBE_INPUT 0x48434131u /* "HCA1" */
#define PROBE_RESULT 0x5a5a1234u
#define PROBE_PORT 0x10
#define PROBE_DONE_PORT 0x11
#define PROBE_MSR 0x40000200u
#define GUEST_MEM 0x10000u
#define GUEST_CODE 0x1000u
#define MSR_IA32_APICBASE 0x1bu
#define APICBASE_ENABLE (1ull << 11)
#define APIC_SPIV 0xf0u
#define APIC_SPIV_ENABLED (1u << 8)

static int finish(void)
{
	printf("nested-probe: result=%s\n", failures ? "fail" : "ok");
	return failures ? 1 : 0;
}

static int cpu_has_svm(void)
{
	unsigned int a, b, c, d;
	if (!__get_cpuid(0x80000001u, &a, &b, &c, &d))
		return 0;
	return (c >> 2) & 1u;
}

/* Run the one-shot real-mode guest; returns 1 when every step matched. */
static int run_hypercall(int kvm, int vm)
{
	/* 16-bit real mode:
	 *   66 b8 imm32   mov eax, PROBE_INPUT
	 *   0f 01 d9      vmmcall   (or 0f 01 c1 vmcall)
	 *   66 e7 10      out PROBE_PORT, eax
	 *   e6 11         out PROBE_DONE_PORT, al
	 *   f4            hlt       (not reached)
	 * It ends on an I/O port, not HLT: with the in-kernel irqchip, HLT
	 * does not exit to userspace.
	 */
	uint8_t code[] = {0x66, 0xb8, 0,    0,	  0,	      0,    0x0f,
			  0x01, 0xd9, 0x66, 0xe7, PROBE_PORT, 0xe6, PROBE_DONE_PORT,
			  0xf4};
	uint32_t in = PROBE_INPUT;
	memcpy(&code[2], &in, sizeof in);
	int svm = cpu_has_svm();
	if (!svm)
		code[8] = 0xc1;

	uint8_t *mem =
	    mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		report("hypercall", 0, "fail(mmap: %s)", strerror(errno));
		return 0;
	}
	memcpy(mem + GUEST_CODE, code, sizeof code);
	struct kvm_userspace_memory_region region = {.slot = 0,
						     .guest_phys_addr = 0,
						     .memory_size = GUEST_MEM,
						     .userspace_addr = (uintptr_t)mem};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		report("hypercall", 0, "fail(KVM_SET_USER_MEMORY_REGION: %s)", strerror(errno));
		return 0;
	}
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0) {
		report("hypercall", 0, "fail(KVM_CREATE_VCPU: %s)", strerror(errno));
		return 0;
	}
	int runsz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (runsz < (int)sizeof(struct kvm_run)) {
		report("hypercall", 0, "fail(KVM_GET_VCPU_MMAP_SIZE: %s)", strerror(errno));
		return 0;
	}
	struct kvm_run *run =
	    mmap(NULL, (size_t)runsz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED) {
		report("hypercall", 0, "fail(mmap kvm_run: %s)", strerror(errno));
		return 0;
	}
	struct kvm_sregs sregs;
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) {
		report("hypercall", 0, "fail(KVM_GET_SREGS: %s)", strerror(errno));
		return 0;
	}
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) {
		report("hypercall", 0, "fail(KVM_SET_SREGS: %s)", strerror(errno));
		return 0;
	}
	struct kvm_regs regs = {.rip = GUEST_CODE, .rflags = 0x2};
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) {
		report("hypercall", 0, "fail(KVM_SET_REGS: %s)", strerror(errno));
		return 0;
	}

	int saw_hcall = 0, saw_out = 0;
	for (int step = 0; step < 16; step++) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			report("hypercall", 0, "fail(KVM_RUN: %s)", strerror(errno));
			return 0;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_XEN:
			if (run->xen.type != KVM_EXIT_XEN_HCALL || saw_hcall) {
				report("hypercall", 0, "fail(unexpected KVM_EXIT_XEN type %u)",
				       run->xen.type);
				return 0;
			}
			if ((uint32_t)run->xen.u.hcall.input != PROBE_INPUT) {
				report("hypercall", 0, "fail(input 0x%llx, expected 0x%x)",
				       (unsigned long long)run->xen.u.hcall.input, PROBE_INPUT);
				return 0;
			}
			saw_hcall = 1;
			run->xen.u.hcall.result = PROBE_RESULT;
			break;
		case KVM_EXIT_IO: {
			uint32_t v = 0;
			if (run->io.direction == KVM_EXIT_IO_OUT &&
			    run->io.port == PROBE_DONE_PORT) {
				if (!saw_out) {
					report("hypercall", 0,
					       "fail(guest ended before the hypercall round trip)");
					return 0;
				}
				report("hypercall", 1,
				       "ok(%s intercepted, input=0x%x, result delivered)",
				       svm ? "vmmcall" : "vmcall", PROBE_INPUT);
				return 1;
			}
			if (run->io.direction != KVM_EXIT_IO_OUT || run->io.port != PROBE_PORT ||
			    run->io.size != 4 || !saw_hcall) {
				report("hypercall", 0, "fail(unexpected I/O exit port 0x%x)",
				       run->io.port);
				return 0;
			}
			memcpy(&v, (uint8_t *)run + run->io.data_offset, sizeof v);
			if (v != PROBE_RESULT) {
				report("hypercall", 0, "fail(guest saw result 0x%x, expected 0x%x)",
				       v, PROBE_RESULT);
				return 0;
			}
			saw_out = 1;
			break;
		}
		case KVM_EXIT_HLT:
			report("hypercall", 0, "fail(halted before the end of the round trip)");
			return 0;
		case KVM_EXIT_HYPERCALL:
			report("hypercall", 0,
			       "fail(KVM_EXIT_HYPERCALL: the Xen intercept did not take)");
			return 0;
		case KVM_EXIT_INTERNAL_ERROR:
			report("hypercall", 0, "fail(KVM internal error, suberror %u)",
			       run->internal.suberror);
			return 0;
		case KVM_EXIT_FAIL_ENTRY:
			report("hypercall", 0, "fail(entry failed, reason 0x%llx)",
			       (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			return 0;
		default:
			report("hypercall", 0, "fail(unexpected exit reason %u)", run->exit_reason);
			return 0;
		}
	}
	report("hypercall", 0, "fail(no end after 16 exits)");
	return 0;
}

/* One vCPU 0 with its LAPIC hardware- and software-disabled. */
static int hold_vcpu(int vm, int *hw_disabled, int *sw_disabled)
{
	int vcpu;
	do {
		vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	} while (vcpu < 0 && errno == EINTR);
	report("create_vcpu", vcpu >= 0, "%s", vcpu >= 0 ? "ok" : strerror(errno));
	if (vcpu < 0)
		return -1;

	/* struct kvm_msrs ends in a flexible array: its one entry follows it
	 * in a byte buffer (a struct holding both is a GNU extension) */
	union {
		struct kvm_msrs hdr;
		uint8_t bytes[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
	} msrs;
	struct kvm_msr_entry *msr = (struct kvm_msr_entry *)(msrs.bytes + sizeof(struct kvm_msrs));
	memset(&msrs, 0, sizeof msrs);
	msrs.hdr.nmsrs = 1;
	msr->index = MSR_IA32_APICBASE;
	if (ioctl(vcpu, KVM_GET_MSRS, &msrs) != 1) {
		report("apic_hw_disabled", 0, "fail(KVM_GET_MSRS IA32_APIC_BASE: %s)",
		       strerror(errno));
	} else {
		uint64_t base = msr->data;
		msr->data = base & ~APICBASE_ENABLE;
		int rc = ioctl(vcpu, KVM_SET_MSRS, &msrs);
		msr->data = 0;
		int rd = ioctl(vcpu, KVM_GET_MSRS, &msrs);
		*hw_disabled = rc == 1 && rd == 1 && !(msr->data & APICBASE_ENABLE);
		report("apic_hw_disabled", *hw_disabled, "%s(IA32_APIC_BASE 0x%llx -> 0x%llx)",
		       *hw_disabled ? "ok" : "fail", (unsigned long long)base,
		       (unsigned long long)msr->data);
	}

	struct kvm_lapic_state lapic;
	if (ioctl(vcpu, KVM_GET_LAPIC, &lapic) < 0) {
		report("apic_sw_disabled", 0, "fail(KVM_GET_LAPIC: %s)", strerror(errno));
	} else {
		uint32_t svr;
		memcpy(&svr, &lapic.regs[APIC_SPIV], sizeof svr);
		*sw_disabled = !(svr & APIC_SPIV_ENABLED);
		report("apic_sw_disabled", *sw_disabled, "%s(SVR 0x%x)",
		       *sw_disabled ? "ok" : "fail", svr);
	}
	return vcpu;
}

/* --hold: take the keys, say so, sleep until a signal (see the header). */
static int hold(void)
{
	sigset_t set;
	probe_hold_signals(&set);

	int kvm;
	int vm = probe_vm(&kvm);
	if (vm < 0)
		return finish();

	char keys[128] = "preempt_notifier";
	int irq = ioctl(vm, KVM_CREATE_IRQCHIP, 0);
	report("irqchip", irq == 0, "%s", irq == 0 ? "ok" : strerror(errno));

	struct kvm_xen_hvm_config cfg = {.flags = KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL,
					 .msr = PROBE_MSR};
	int rc = ioctl(vm, KVM_XEN_HVM_CONFIG, &cfg);
	report("xen_hvm_config", rc == 0, "%s", rc == 0 ? "ok" : strerror(errno));
	if (rc == 0)
		strcat(keys, ",kvm_xen_enabled");

	/* Without an in-kernel irqchip the vCPU would take kvm_has_noapic_vcpu,
	 * which refvmm never does: no vCPU then. */
	int hw = 0, sw = 0;
	if (irq == 0 && hold_vcpu(vm, &hw, &sw) >= 0) {
		if (sw)
			strcat(keys, ",apic_sw_disabled");
		if (hw)
			strcat(keys, ",apic_hw_disabled");
	}
	if (failures)
		printf("nested-probe: hold=partial failures=%d\n", failures);
	printf("nested-probe: hold=ready keys=%s\n", keys);
	fflush(stdout);
	return probe_hold_until_signal(&set);
}

static int usage(const char *arg)
{
	fprintf(stderr, "nested-probe: unknown argument '%s' (usage: nested-probe [--hold])\n",
		arg);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc > 2)
		return usage(argv[2]);
	if (argc == 2) {
		if (strcmp(argv[1], "--hold") == 0)
			return hold();
		return usage(argv[1]);
	}

	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		report("open", 0, "fail(/dev/kvm: %s)", strerror(errno));
		return finish();
	}
	report("open", 1, "ok");

	int api = ioctl(kvm, KVM_GET_API_VERSION, 0);
	report("api_version", api == KVM_API_VERSION, "%d", api);

	int caps = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_XEN_HVM);
	int intercept = caps > 0 && (caps & KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL);
	report("xen_hvm_caps", intercept, "0x%x", caps < 0 ? 0 : (unsigned)caps);
	report("intercept_hcall", intercept, "%d", intercept);

	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	report("create_vm", vm >= 0, "%s", vm >= 0 ? "ok" : strerror(errno));
	if (vm < 0)
		return finish();

	int irq = ioctl(vm, KVM_CREATE_IRQCHIP, 0);
	report("irqchip", irq == 0, "%s", irq == 0 ? "ok" : strerror(errno));

	if (!intercept) {
		report("xen_hvm_config", 0, "skipped(no intercept capability)");
		return finish();
	}
	struct kvm_xen_hvm_config cfg = {.flags = KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL,
					 .msr = PROBE_MSR};
	int rc = ioctl(vm, KVM_XEN_HVM_CONFIG, &cfg);
	report("xen_hvm_config", rc == 0, "%s", rc == 0 ? "ok" : strerror(errno));
	if (rc != 0)
		return finish();

	run_hypercall(kvm, vm);
	return finish();
}
