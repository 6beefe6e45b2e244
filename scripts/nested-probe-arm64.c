/*
 * nested-probe-arm64: prove that KVM on arm64 offers what refvmm arm64 will
 * need, the arm64 sibling of nested-probe.c (which is x86-only: CPUID, Xen
 * hypercall interception, real-mode code).
 *
 * Built with Debian's cross compiler, -static, so that
 * `scripts/hcabi-nested --arch arm64` can run it inside its nested guest
 * (which has no shared libraries).  It prints one "nested-probe: KEY=VALUE"
 * line per fact, in this order:
 *
 *   api_version    KVM_GET_API_VERSION is 12
 *   create_vm      KVM_CREATE_VM succeeds
 *   psci_0_2       KVM_CHECK_EXTENSION(KVM_CAP_ARM_PSCI_0_2) on the VM: the
 *                  vCPUs can be given PSCI 0.2 (CPU_ON, SYSTEM_OFF)
 *   vgic_v3        KVM_CREATE_DEVICE(KVM_DEV_TYPE_ARM_VGIC_V3) in test mode
 *                  (KVM_CREATE_DEVICE_TEST): an in-kernel GICv3 is offered
 *   smccc_filter   KVM_HAS_DEVICE_ATTR on the VM fd, group
 *                  KVM_ARM_VM_SMCCC_CTRL, attribute KVM_ARM_VM_SMCCC_FILTER:
 *                  there is no capability bit for it (Linux 6.4 and later)
 *   smccc_forward  KVM_SET_DEVICE_ATTR with that filter: the SMC64 vendor-
 *                  specific hypervisor service range 0xC6000000 + 0x10000
 *                  forwarded to userspace (KVM_SMCCC_FILTER_FWD_TO_USER);
 *                  it must be set before the first KVM_RUN
 *   hypercall      a vCPU at EL1 executes HVC #0 with x0 = 0xC6000001 and
 *                  x1 = 0x48434131; it must exit to userspace as
 *                  KVM_EXIT_HYPERCALL with nr = x0 and the HVC conduit,
 *                  x1 read back through KVM_GET_ONE_REG; the result set in
 *                  x0 through KVM_SET_ONE_REG must come back (the guest
 *                  stores x0 to an address outside its memory: an MMIO exit)
 *
 * The last line is "nested-probe: result=ok" (exit status 0), or
 * "nested-probe: result=fail: WHAT" naming the first missing fact (exit
 * status 1).  It runs just as well on an arm64 host with /dev/kvm.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nested-probe-kvm.h"

#ifndef __aarch64__
#error "nested-probe-arm64.c is for arm64 (aarch64-linux-gnu-gcc)"
#endif

/*
 * Debian 12's cross headers (linux-libc-dev-arm64-cross) are Linux 6.1; the
 * SMCCC filter came in 6.4.  refvmm arm64's kvm_arm64_uapi.h adds what they
 * lack (copied from Linux 6.12's uapi headers, under #ifndef); the build puts
 * its folder on the include path.
 */
#include "kvm_arm64_uapi.h"

#define PROBE_CALL 0xC6000001u /* SMC64 fast call, vendor-specific hypervisor service */
#define PROBE_INPUT 0x48434131u /* "HCA1" */
#define PROBE_RESULT 0x5a5a1234u
#define FWD_BASE 0xC6000000u
#define FWD_COUNT 0x10000u
#define GUEST_BASE 0x40000000u
#define GUEST_MEM 0x10000u
#define MMIO_ADDR 0x50000000u /* outside every memslot: a store there exits */

#define CORE_REG(name) \
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(name))

static int get_reg(int vcpu, uint64_t id, uint64_t *value)
{
	struct kvm_one_reg r = {.id = id, .addr = (uint64_t)(uintptr_t)value};
	return ioctl(vcpu, KVM_GET_ONE_REG, &r);
}

static int set_reg(int vcpu, uint64_t id, uint64_t value)
{
	struct kvm_one_reg r = {.id = id, .addr = (uint64_t)(uintptr_t)&value};
	return ioctl(vcpu, KVM_SET_ONE_REG, &r);
}

/* The guest: x0 = PROBE_CALL, x1 = PROBE_INPUT, HVC #0, store x0 at MMIO_ADDR. */
static const uint32_t guest_code[] = {
	0xD2B8C000u, /* movz x0, #0xC600, lsl #16 */
	0xF2800020u, /* movk x0, #0x0001 */
	0xD2A90861u, /* movz x1, #0x4843, lsl #16 */
	0xF2882621u, /* movk x1, #0x4131 */
	0xD4000002u, /* hvc #0 */
	0xD2AA0002u, /* movz x2, #0x5000, lsl #16 */
	0xF9000040u, /* str x0, [x2] */
	0x14000000u, /* b . */
};

static int hypercall(int kvm, int vm)
{
	int vcpu = probe_vcpu(vm, "hypercall", guest_code, sizeof guest_code, GUEST_BASE, GUEST_MEM);
	if (vcpu < 0)
		return -1;
	struct kvm_vcpu_init init;
	memset(&init, 0, sizeof init);
	if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) < 0) {
		report("hypercall", 0, "fail(KVM_ARM_PREFERRED_TARGET: %s)", strerror(errno));
		return -1;
	}
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (ioctl(vcpu, KVM_ARM_VCPU_INIT, &init) < 0) {
		report("hypercall", 0, "fail(KVM_ARM_VCPU_INIT: %s)", strerror(errno));
		return -1;
	}
	/* KVM resets the vCPU to EL1h, interrupts masked, MMU off: only the PC is ours */
	if (set_reg(vcpu, CORE_REG(regs.pc), GUEST_BASE) < 0) {
		report("hypercall", 0, "fail(KVM_SET_ONE_REG pc: %s)", strerror(errno));
		return -1;
	}
	int runsz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *kr = runsz > 0 ? mmap(NULL, (size_t)runsz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0)
	                               : MAP_FAILED;
	if (kr == MAP_FAILED) {
		report("hypercall", 0, "fail(mmap kvm_run: %s)", strerror(errno));
		return -1;
	}
	if (probe_run(vcpu) < 0) {
		report("hypercall", 0, "fail(KVM_RUN: %s)", strerror(errno));
		return -1;
	}
	if (kr->exit_reason != KVM_EXIT_HYPERCALL) {
		report("hypercall", 0, "fail(exit reason %u, expected KVM_EXIT_HYPERCALL %u)", kr->exit_reason,
		       KVM_EXIT_HYPERCALL);
		return -1;
	}
	/* 6.1's name of the field that 6.4 made a union of longmode and flags */
	uint32_t flags = kr->hypercall.longmode;
	uint64_t x1 = 0;
	if (get_reg(vcpu, CORE_REG(regs.regs[1]), &x1) < 0) {
		report("hypercall", 0, "fail(KVM_GET_ONE_REG x1: %s)", strerror(errno));
		return -1;
	}
	if (kr->hypercall.nr != PROBE_CALL || (flags & KVM_HYPERCALL_EXIT_SMC) || x1 != PROBE_INPUT) {
		report("hypercall", 0, "fail(nr=0x%llx flags=0x%x x1=0x%llx, expected nr=0x%x HVC x1=0x%x)",
		       (unsigned long long)kr->hypercall.nr, flags, (unsigned long long)x1, PROBE_CALL,
		       PROBE_INPUT);
		return -1;
	}
	if (set_reg(vcpu, CORE_REG(regs.regs[0]), PROBE_RESULT) < 0) {
		report("hypercall", 0, "fail(KVM_SET_ONE_REG x0: %s)", strerror(errno));
		return -1;
	}
	if (probe_run(vcpu) < 0) {
		report("hypercall", 0, "fail(second KVM_RUN: %s)", strerror(errno));
		return -1;
	}
	uint64_t stored = 0;
	memcpy(&stored, kr->mmio.data, sizeof stored);
	if (kr->exit_reason != KVM_EXIT_MMIO || !kr->mmio.is_write || kr->mmio.phys_addr != MMIO_ADDR ||
	    kr->mmio.len != 8 || stored != PROBE_RESULT) {
		report("hypercall", 0, "fail(exit %u at 0x%llx len %u data 0x%llx, expected the result 0x%x stored at 0x%x)",
		       kr->exit_reason, (unsigned long long)kr->mmio.phys_addr, kr->mmio.len,
		       (unsigned long long)stored, PROBE_RESULT, MMIO_ADDR);
		return -1;
	}
	report("hypercall", 1, "ok(hvc forwarded as KVM_EXIT_HYPERCALL nr=0x%x x1=0x%x, result 0x%x came back in x0)",
	       PROBE_CALL, PROBE_INPUT, PROBE_RESULT);
	return 0;
}

int main(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: nested-probe-arm64 (no arguments)\n");
		return 2;
	}
	int kvm;
	int vm = probe_vm(&kvm);
	if (vm < 0)
		return probe_finish(NULL);

	int psci = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_PSCI_0_2);
	report("psci_0_2", psci > 0, "%d", psci);

	struct kvm_create_device gic = {.type = KVM_DEV_TYPE_ARM_VGIC_V3, .flags = KVM_CREATE_DEVICE_TEST};
	if (ioctl(vm, KVM_CREATE_DEVICE, &gic) < 0)
		report("vgic_v3", 0, "fail(%s)", strerror(errno));
	else
		report("vgic_v3", 1, "ok");

	struct kvm_device_attr attr = {.group = KVM_ARM_VM_SMCCC_CTRL, .attr = KVM_ARM_VM_SMCCC_FILTER};
	int has = ioctl(vm, KVM_HAS_DEVICE_ATTR, &attr) == 0;
	if (has)
		report("smccc_filter", 1, "1");
	else
		report("smccc_filter", 0, "0(%s)", strerror(errno));

	struct kvm_smccc_filter filter = {
	    .base = FWD_BASE, .nr_functions = FWD_COUNT, .action = KVM_SMCCC_FILTER_FWD_TO_USER};
	attr.addr = (uint64_t)(uintptr_t)&filter;
	int fwd = has && ioctl(vm, KVM_SET_DEVICE_ATTR, &attr) == 0;
	if (fwd)
		report("smccc_forward", 1, "ok(0x%x+0x%x to userspace)", FWD_BASE, FWD_COUNT);
	else
		report("smccc_forward", 0, "fail(%s)", has ? strerror(errno) : "no SMCCC filter");

	if (fwd)
		hypercall(kvm, vm);
	else
		report("hypercall", 0, "skipped(nothing is forwarded)");
	return probe_finish(NULL);
}
