/* SPDX-License-Identifier: MIT */
/*
 * vcpu_regs.c - riscv64 vCPUs of hcabi-refvmm: creating them (KVM itself
 * keeps every vCPU but 0 in KVM_MP_STATE_STOPPED, for SBI HSM hart_start
 * or VCPU.START to start), their registers through ONE_REG, the boot of
 * vCPU 0 by the Linux riscv64 protocol, and the VCPU.START boot state
 * (RV64-023..026).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>

#include "riscv64_kvm.h"

#define REG64(type, idx) (KVM_REG_RISCV | KVM_REG_SIZE_U64 | (type) | (uint64_t)(idx))
#define CORE_REG(n) REG64(KVM_REG_RISCV_CORE, n)
#define CSR_REG(name) REG64(KVM_REG_RISCV_CSR, KVM_REG_RISCV_CSR_REG(name))
#define ONE_REG_PC CORE_REG(KVM_REG_RISCV_CORE_REG(regs.pc))
#define ONE_REG_MODE CORE_REG(KVM_REG_RISCV_CORE_REG(mode))
#define ONE_REG_ISA REG64(KVM_REG_RISCV_CONFIG, KVM_REG_RISCV_CONFIG_REG(isa))
#define ONE_REG_TIMEBASE REG64(KVM_REG_RISCV_TIMER, KVM_REG_RISCV_TIMER_REG(frequency))
#define CORE_A0 10u /* x10 */
#define CORE_A1 11u
#define CORE_LAST 31u /* x31, t6 */
/* The device tree goes at the end of RAM, page-aligned, out of the image's
 * way (as on arm64). */
#define DTB_MAX 0x10000ull

_Static_assert(KVM_REG_RISCV_CORE_REG(regs.a0) == CORE_A0 &&
		       KVM_REG_RISCV_CORE_REG(regs.t6) == CORE_LAST,
	       "struct kvm_riscv_core: pc, then x1..x31");

int hcabi__rv64_get_core(struct hcabi__vcpu *v, unsigned n, uint64_t *val)
{
	return hcabi__kvm_get_one_reg(v, CORE_REG(n), val);
}

int hcabi__rv64_set_core(struct hcabi__vcpu *v, unsigned n, uint64_t val)
{
	return hcabi__kvm_set_one_reg(v, CORE_REG(n), val);
}

uint64_t hcabi__rv64_pc(struct hcabi__vcpu *v)
{
	uint64_t pc;
	return hcabi__kvm_get_one_reg(v, ONE_REG_PC, &pc) < 0 ? UINT64_MAX : pc;
}

uint64_t hcabi__rv64_timebase(struct hcabi__vcpu *v)
{
	uint64_t hz;
	return hcabi__kvm_get_one_reg(v, ONE_REG_TIMEBASE, &hz) < 0 ? 0 : hz;
}

int hcabi__arch_vcpu_create(struct hcabi__vcpu *v, char *err, size_t errlen)
{
	uint32_t i = v->index;

	/* vCPU id = index: the hart ID (RV64-027), which KVM's SBI HSM uses */
	if (hcabi__kvm_vcpu_open(v, err, errlen) < 0)
		return -1;
	if (hcabi__kvm_get_one_reg(v, ONE_REG_ISA, &v->arch->own.isa) < 0)
		return hcabi__fail(err, errlen, "reading the ISA of vcpu %u: %s", i, strerror(errno));
	return 0;
}

/* The state SBI hart_start gives a hart (the binding's table): S-mode at
 * pc, a0 = the hart ID, a1 = arg, every other general register zero,
 * satp = 0, sstatus = 0 (SIE clear), the trap CSRs zero. */
static int start_state(struct hcabi__vcpu *v, uint64_t pc, uint64_t a1)
{
	static const uint64_t csrs[] = {
	    CSR_REG(sstatus), CSR_REG(sie),	CSR_REG(stvec), CSR_REG(sscratch),
	    CSR_REG(sepc),    CSR_REG(scause), CSR_REG(stval), CSR_REG(satp),
	};

	for (unsigned n = 1; n <= CORE_LAST; n++)
		if (hcabi__kvm_set_one_reg(v, CORE_REG(n),
					   n == CORE_A0   ? v->index
					   : n == CORE_A1 ? a1
							  : 0) < 0)
			return -1;
	for (size_t i = 0; i < sizeof(csrs) / sizeof(csrs[0]); i++)
		if (hcabi__kvm_set_one_reg(v, csrs[i], 0) < 0)
			return -1;
	if (hcabi__kvm_set_one_reg(v, ONE_REG_MODE, KVM_RISCV_MODE_S) < 0 ||
	    hcabi__kvm_set_one_reg(v, ONE_REG_PC, pc) < 0)
		return -1;
	/* KVM completes the last forwarded SBI call (a0, a1, pc + 4) or MMIO
	 * load at the next KVM_RUN if kvm_run still names that exit: a vCPU
	 * that stopped in VCPU.STOP would have its new a0, a1 and pc changed.
	 * Nothing is left to complete for a vCPU that starts afresh. */
	v->arch->run->exit_reason = KVM_EXIT_UNKNOWN;
	return 0;
}

/* VCPU.START (RV64-023..026): the start state with pc = entry, a1 = arg
 * (the core passes the riscv64 boot state as entry in rip and arg in arg,
 * hcabi_ref.h), then runnable. */
int hcabi__arch_vcpu_reset(struct hcabi__vcpu *v, const struct hcabi_vcpu_boot_state *bs)
{
	struct kvm_mp_state mp = {.mp_state = KVM_MP_STATE_RUNNABLE};

	if (start_state(v, bs->rip, bs->arg) < 0)
		return -1;
	return hcabi__kvm_ioctl(v->arch->fd, KVM_SET_MP_STATE, &mp);
}

/* Has SBI HSM hart_start (KVM's) started v, which waited stopped? */
bool hcabi__arch_vcpu_hw_started(struct hcabi__vcpu *v)
{
	struct kvm_mp_state mp;

	return hcabi__kvm_ioctl(v->arch->fd, KVM_GET_MP_STATE, &mp) == 0 &&
	       mp.mp_state == KVM_MP_STATE_RUNNABLE;
}

/* The Linux riscv64 boot protocol: the Image at RAM base + text_offset,
 * entered in S-mode with a0 = the hart ID (0), a1 = the device tree's
 * address, satp = 0, interrupts off; and the AIA (every vCPU exists now,
 * none has run). */
int hcabi__arch_boot(struct hcabi__vm *vm, const struct hcabi__image *img, const char *cmdline,
		     char *err, size_t errlen)
{
	uint64_t entry, dtb_off;
	size_t n;

	if (vm->ram_size < img->text_offset + img->image_size + DTB_MAX)
		return hcabi__fail(err, errlen,
				   "no room for the device tree after the image in %llu bytes of RAM",
				   (unsigned long long)vm->ram_size);
	entry = hcabi__image_install(img, vm->ram, vm->ram_size, err, errlen);
	if (!entry)
		return -1;
	/* the AIA first: the device tree gives its identity count */
	if (hcabi__rv64_aia_create(vm, err, errlen) < 0)
		return -1;
	dtb_off = vm->ram_size - DTB_MAX;
	n = hcabi__rv64_build_dtb(vm, cmdline, vm->ram + dtb_off, DTB_MAX, err, errlen);
	if (!n)
		return -1;
	vm->arch->own.dtb_gpa = vm->ram_base + dtb_off;
	if (start_state(&vm->vcpus[0], entry, vm->arch->own.dtb_gpa) < 0)
		return hcabi__fail(err, errlen, "setting the boot registers: %s", strerror(errno));
	return 0;
}
