/*
 * nested-probe-riscv64: prove that KVM on riscv64 offers what refvmm riscv64
 * will need, the riscv64 sibling of nested-probe.c (x86-64) and
 * nested-probe-arm64.c.
 *
 * Built with Debian's cross compiler, -static, so that
 * `scripts/hcabi-nested --arch riscv64` can run it inside its nested guest
 * (which has no shared libraries).  It prints one "nested-probe: KEY=VALUE"
 * line per fact, in this order:
 *
 *   api_version      KVM_GET_API_VERSION is 12
 *   create_vm        KVM_CREATE_VM succeeds
 *   irqchip          KVM_CHECK_EXTENSION(KVM_CAP_IRQCHIP) on the VM: riscv
 *                    KVM says 1 only when it can offer the in-kernel AIA
 *   create_vcpu      KVM_CREATE_VCPU 0 succeeds (before the AIA is
 *                    initialised: its init takes every vCPU's IMSIC)
 *   aia              KVM_CREATE_DEVICE(KVM_DEV_TYPE_RISCV_AIA), its mode and
 *                    number of interrupt identities read back, no wired
 *                    sources (so no APLIC: the binding's vectors are IMSIC
 *                    identities), vCPU 0's IMSIC at IMSIC_ADDR (where QEMU's
 *                    virt has its own), then KVM_DEV_RISCV_AIA_CTRL_INIT
 *   sbi_forward      the vCPU (VS-mode, MMU off) executes ECALL with
 *                    a7 = HCABI_RISCV64_SBI_EID (abi.h, SBI's experimental
 *                    range), a6 = PROBE_FID and a0..a5 = PROBE_ARGS; it must
 *                    exit as KVM_EXIT_RISCV_SBI carrying exactly those
 *   sbi_return       ret[0] = PROBE_STATUS, ret[1] = PROBE_VALUE written and
 *                    KVM_RUN again: the guest's next ECALL (a6 = PROBE_FID + 1)
 *                    must carry them back in a0 and a1, a2..a5 untouched
 *   probe_extension  the guest's third ECALL, SBI Base probe_extension
 *                    (a7 = HCABI_RISCV64_SBI_BASE_EID, a6 =
 *                    HCABI_RISCV64_SBI_PROBE_EXTENSION_FID) of
 *                    HCABI_RISCV64_SBI_EID: KVM forwards it to userspace too,
 *                    which is how the binding's discovery reaches the VMM
 *
 * The last line is "nested-probe: result=ok" (exit status 0), or
 * "nested-probe: result=fail: WHAT" naming the first missing fact (exit
 * status 1).  It runs just as well on a riscv64 host with /dev/kvm.
 *
 * nested-probe-riscv64 --hold: the launcher's holder on riscv64 (see
 * nested-probe.c and scripts/hcabi_nested/__init__.py for why one is kept):
 * the same VM, vCPU and initialised AIA, never run, held until SIGTERM,
 * SIGINT or SIGHUP.  It prints "nested-probe: hold=ready keys=..." once held
 * and "nested-probe: hold=released signal=N" at the end (exit status 0).
 * riscv KVM's own static keys are set once when kvm.ko loads; per VM only
 * the scheduler's preempt notifier key is taken, as on x86-64.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "abi.h"
#include "nested-probe-kvm.h"

#if !defined(__riscv) || __riscv_xlen != 64
#error "nested-probe-riscv64.c is for riscv64 (riscv64-linux-gnu-gcc)"
#endif

/*
 * Debian 12's cross headers (linux-libc-dev-riscv64-cross) are Linux 6.1;
 * the in-kernel AIA device came in 6.5.  kvm_riscv64_uapi.h (refvmm's riscv64
 * backend's, reference-impl/refvmm/src/arch/riscv64/) adds what they
 * lack (copied from Linux 6.12's uapi headers, under #ifndef).
 */
#include "kvm_riscv64_uapi.h"

#define PROBE_FID 0x00010002u /* any function ID: KVM forwards the whole extension */
#define PROBE_STATUS 0u       /* what the "VMM" answers: a0 (status) ... */
#define PROBE_VALUE 0x5a5a1234u /* ... and a1 (value) */
#define GUEST_BASE 0x80000000u /* where QEMU's virt and Linux put RAM */
#define GUEST_MEM 0x10000u
#define IMSIC_ADDR 0x28000000u /* vCPU 0's IMSIC, QEMU virt's S-level address */

static const uint64_t probe_args[6] = {0x48434131u /* "HCA1" */, 0x11, 0x22, 0x33, 0x44, 0x55};

/* The guest (assembled with riscv64-linux-gnu-as -march=rv64imac, .option norvc):
 * three ECALLs, see the header; then it spins. */
static const uint32_t guest_code[] = {
	0x084848b7u, /* lui  a7, 0x08484 */
	0x34188893u, /* addi a7, a7, 0x341      a7 = 0x08484341 */
	0x00010837u, /* lui  a6, 0x10 */
	0x00280813u, /* addi a6, a6, 2          a6 = PROBE_FID */
	0x48434537u, /* lui  a0, 0x48434 */
	0x13150513u, /* addi a0, a0, 0x131      a0 = 0x48434131 */
	0x01100593u, /* li   a1, 0x11 */
	0x02200613u, /* li   a2, 0x22 */
	0x03300693u, /* li   a3, 0x33 */
	0x04400713u, /* li   a4, 0x44 */
	0x05500793u, /* li   a5, 0x55 */
	0x00000073u, /* ecall                   1: the call */
	0x00180813u, /* addi a6, a6, 1          2: a0, a1 as they came back */
	0x00000073u, /* ecall */
	0x01000893u, /* li   a7, 0x10           3: Base probe_extension */
	0x00300813u, /* li   a6, 3 */
	0x08484537u, /* lui  a0, 0x08484 */
	0x34150513u, /* addi a0, a0, 0x341      a0 = 0x08484341 */
	0x00000073u, /* ecall */
	0x0000006fu, /* j    . */
};
_Static_assert(HCABI_RISCV64_SBI_EID == 0x08484341u, "guest_code loads the EID as lui 0x08484 + 0x341");
_Static_assert(HCABI_RISCV64_SBI_BASE_EID == 0x10u && HCABI_RISCV64_SBI_PROBE_EXTENSION_FID == 3u,
	       "guest_code's third call");
_Static_assert(PROBE_FID == 0x10002u, "guest_code loads PROBE_FID as lui 0x10 + 2");

#define CORE_REG(name) \
	(KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | KVM_REG_RISCV_CORE_REG(name))

static int aia_attr(int dev, int set, uint32_t group, uint64_t attr, void *value)
{
	struct kvm_device_attr a = {.group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)value};
	return ioctl(dev, set ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, &a);
}

static const char *mode_name(uint32_t mode)
{
	switch (mode) {
	case KVM_DEV_RISCV_AIA_MODE_EMUL: return "emul";
	case KVM_DEV_RISCV_AIA_MODE_HWACCEL: return "hwaccel";
	case KVM_DEV_RISCV_AIA_MODE_AUTO: return "auto";
	default: return "unknown";
	}
}

/* The in-kernel AIA, IMSIC only, initialised for the one vCPU; 0 or -1. */
static int aia(int vm)
{
	struct kvm_create_device cd = {.type = KVM_DEV_TYPE_RISCV_AIA};
	if (ioctl(vm, KVM_CREATE_DEVICE, &cd) < 0) {
		report("aia", 0, "fail(KVM_CREATE_DEVICE: %s)", strerror(errno));
		return -1;
	}
	int dev = (int)cd.fd;
	uint32_t mode = 0, ids = 0, srcs = 0;
	uint64_t imsic = IMSIC_ADDR;
	const char *step = NULL;
	if (aia_attr(dev, 0, KVM_DEV_RISCV_AIA_GRP_CONFIG, KVM_DEV_RISCV_AIA_CONFIG_MODE, &mode) < 0)
		step = "get mode";
	else if (aia_attr(dev, 0, KVM_DEV_RISCV_AIA_GRP_CONFIG, KVM_DEV_RISCV_AIA_CONFIG_IDS, &ids) < 0)
		step = "get ids";
	else if (aia_attr(dev, 1, KVM_DEV_RISCV_AIA_GRP_CONFIG, KVM_DEV_RISCV_AIA_CONFIG_SRCS, &srcs) < 0)
		step = "set srcs=0";
	else if (aia_attr(dev, 1, KVM_DEV_RISCV_AIA_GRP_ADDR, KVM_DEV_RISCV_AIA_ADDR_IMSIC(0), &imsic) < 0)
		step = "set IMSIC address";
	else if (aia_attr(dev, 1, KVM_DEV_RISCV_AIA_GRP_CTRL, KVM_DEV_RISCV_AIA_CTRL_INIT, NULL) < 0)
		step = "init";
	if (step) {
		report("aia", 0, "fail(%s: %s)", step, strerror(errno));
		return -1;
	}
	report("aia", 1, "ok(mode=%s ids=%u imsic=0x%x)", mode_name(mode), ids, IMSIC_ADDR);
	return 0;
}

/* The probe's VM: memory with guest_code, vCPU 0 at GUEST_BASE, the AIA.
 * Returns the vCPU fd, or -1 after reporting why. */
static int setup(int vm)
{
	int irqchip = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP);
	report("irqchip", irqchip > 0, "%d", irqchip);

	int vcpu = probe_vcpu(vm, "create_vcpu", guest_code, sizeof guest_code, GUEST_BASE, GUEST_MEM);
	if (vcpu < 0)
		return -1;
	/* KVM resets the vCPU to VS-mode (sstatus.SPP), MMU off: only the PC is ours */
	uint64_t pc = GUEST_BASE;
	struct kvm_one_reg r = {.id = CORE_REG(regs.pc), .addr = (uint64_t)(uintptr_t)&pc};
	if (ioctl(vcpu, KVM_SET_ONE_REG, &r) < 0) {
		report("create_vcpu", 0, "fail(KVM_SET_ONE_REG pc: %s)", strerror(errno));
		return -1;
	}
	report("create_vcpu", 1, "ok");
	return aia(vm) < 0 ? -1 : vcpu;
}

/* Run to the next exit; 0 if it is KVM_EXIT_RISCV_SBI of extension `eid`,
 * function `fid` with a0..a5 = want[0..5]; else report `key` failed. */
static int expect_sbi(const char *key, int vcpu, struct kvm_run *kr, unsigned long eid, unsigned long fid,
		      const uint64_t *want, int nargs)
{
	if (probe_run(vcpu) < 0) {
		report(key, 0, "fail(KVM_RUN: %s)", strerror(errno));
		return -1;
	}
	if (kr->exit_reason != KVM_EXIT_RISCV_SBI) {
		report(key, 0, "fail(exit reason %u, expected KVM_EXIT_RISCV_SBI %u)", kr->exit_reason,
		       KVM_EXIT_RISCV_SBI);
		return -1;
	}
	int same = kr->riscv_sbi.extension_id == eid && kr->riscv_sbi.function_id == fid;
	for (int i = 0; i < nargs; i++)
		same = same && kr->riscv_sbi.args[i] == want[i];
	if (!same) {
		const unsigned long *a = kr->riscv_sbi.args;
		report(key, 0, "fail(eid=0x%lx fid=0x%lx a0..a5=0x%lx,0x%lx,0x%lx,0x%lx,0x%lx,0x%lx; expected eid=0x%lx fid=0x%lx)",
		       kr->riscv_sbi.extension_id, kr->riscv_sbi.function_id, a[0], a[1], a[2], a[3], a[4], a[5],
		       eid, fid);
		return -1;
	}
	return 0;
}

static void calls(int kvm, int vcpu)
{
	int runsz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *kr = runsz > 0 ? mmap(NULL, (size_t)runsz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0)
	                               : MAP_FAILED;
	if (kr == MAP_FAILED) {
		report("sbi_forward", 0, "fail(mmap kvm_run: %s)", strerror(errno));
		return;
	}
	if (expect_sbi("sbi_forward", vcpu, kr, HCABI_RISCV64_SBI_EID, PROBE_FID, probe_args, 6) < 0)
		return;
	report("sbi_forward", 1, "ok(ecall exited as KVM_EXIT_RISCV_SBI eid=0x%x fid=0x%x a0..a5=0x%llx,0x11,0x22,0x33,0x44,0x55)",
	       HCABI_RISCV64_SBI_EID, PROBE_FID, (unsigned long long)probe_args[0]);

	kr->riscv_sbi.ret[0] = PROBE_STATUS;
	kr->riscv_sbi.ret[1] = PROBE_VALUE;
	const uint64_t back[6] = {PROBE_STATUS, PROBE_VALUE, 0x22, 0x33, 0x44, 0x55};
	if (expect_sbi("sbi_return", vcpu, kr, HCABI_RISCV64_SBI_EID, PROBE_FID + 1, back, 6) < 0)
		return;
	report("sbi_return", 1, "ok(ret 0x%x,0x%x came back in a0,a1 of the next ecall fid=0x%x)", PROBE_STATUS,
	       PROBE_VALUE, PROBE_FID + 1);

	kr->riscv_sbi.ret[0] = 0;
	kr->riscv_sbi.ret[1] = 0;
	const uint64_t probed[1] = {HCABI_RISCV64_SBI_EID};
	if (expect_sbi("probe_extension", vcpu, kr, HCABI_RISCV64_SBI_BASE_EID, HCABI_RISCV64_SBI_PROBE_EXTENSION_FID,
		       probed, 1) < 0)
		return;
	report("probe_extension", 1, "ok(Base probe_extension(0x%x) forwarded)", HCABI_RISCV64_SBI_EID);
}

/* --hold: the probe's VM, never run, until a signal (see the header). */
static int hold(void)
{
	sigset_t set;
	probe_hold_signals(&set);

	int kvm;
	int vm = probe_vm(&kvm);
	if (vm < 0)
		return probe_finish(NULL);
	setup(vm); /* what fails is reported; the VM is held anyway */
	if (failures)
		printf("nested-probe: hold=partial failures=%d\n", failures);
	printf("nested-probe: hold=ready keys=preempt_notifier\n");
	fflush(stdout);
	return probe_hold_until_signal(&set);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--hold") == 0)
		return hold();
	if (argc > 1) {
		fprintf(stderr, "nested-probe-riscv64: unknown argument '%s' (usage: nested-probe-riscv64 [--hold])\n",
			argv[1]);
		return 2;
	}
	int kvm;
	int vm = probe_vm(&kvm);
	if (vm < 0)
		return probe_finish(NULL);
	int vcpu = setup(vm);
	if (vcpu >= 0)
		calls(kvm, vcpu);
	else
		report("sbi_forward", 0, "skipped(no vCPU with an AIA)");
	return probe_finish(NULL);
}
