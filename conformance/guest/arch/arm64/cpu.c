/* SPDX-License-Identifier: MIT */
/*
 * cpu.c - the boot of vCPU 0 (after boot.S), what each vCPU sets up for
 * itself (TPIDR_EL1 points at its per-vCPU block, lib/percpu.c) and the
 * start of secondary vCPUs; the device tree is lib/dt.c's.
 */
#include "hcabi_guest.h"
#include "hcabi_internal.h"

static unsigned boot_el;
static struct hcabi_vcpu_boot_state_arm64 boot_states[HCABI_MAX_CPUS] __attribute__((aligned(64)));

unsigned hcabi_boot_el(void)
{
	return boot_el;
}

/* Everything a vCPU sets up for itself: vCPU 0 at boot (its MMU already
 * on), the others when VCPU.START enters hcabi__ap_entry. */
void hcabi__cpu_init(struct hcabi_cpu *c)
{
	hcabi_write_sysreg(tpidr_el1, (uint64_t)(uintptr_t)c);
	hcabi__mmu_enable();
	hcabi_intc_enable();
}

int64_t hcabi_arch_vcpu_start(unsigned cpu, struct hcabi_cpu *c)
{
	/* The binding's boot state: EL1h, MMU off, x0 = arg; hcabi__ap_entry
	 * takes its stack from c and turns the MMU on with vCPU 0's tables
	 * (hcabi__mmu_enable). Untested until a hypervisor with HCABI on
	 * arm64 runs it (docs/arm64.md). */
	struct hcabi_vcpu_boot_state_arm64 *bs = &boot_states[cpu];

	memset(bs, 0, sizeof(*bs));
	bs->entry = (uint64_t)(uintptr_t)hcabi__ap_entry;
	bs->arg = (uint64_t)(uintptr_t)c;
	hcabi__clean_to_poc(bs, sizeof(*bs));
	hcabi__clean_to_poc(c, sizeof(*c));
	hcabi__mmu_clean_tables();
	return hcabi_vcpu_start(cpu, (uint64_t)(uintptr_t)bs).status;
}

int64_t hcabi_arm64_cpu_on(unsigned cpu, void (*fn)(void *), void *arg)
{
	int64_t mpidr = cpu > 0 && cpu < HCABI_MAX_CPUS ? hcabi_dt_cpu_mpidr(cpu) : -1;
	struct hcabi_cpu *c;

	if (mpidr < 0)
		return -2; /* PSCI INVALID_PARAMETERS */
	c = hcabi__task_prepare(cpu, fn, arg);
	hcabi__clean_to_poc(c, sizeof(*c));
	hcabi__mmu_clean_tables();
	return hcabi_psci_cpu_on((uint64_t)mpidr, (uint64_t)(uintptr_t)hcabi__ap_entry,
				 (uint64_t)(uintptr_t)c);
}

bool hcabi_arm64_cpu_wait(unsigned cpu, uint64_t timeout_ns)
{
	return hcabi__task_wait_done(cpu, timeout_ns);
}

void hcabi__boot(uint64_t dtb, uint64_t el)
{
	struct hcabi_cpu *c = hcabi__cpu_prepare(0);
	bool have_fdt;

	boot_el = (unsigned)el;
	hcabi_write_sysreg(tpidr_el1, (uint64_t)(uintptr_t)c);
	/* The MMU is off: every access is device memory, so this code is built
	 * with -mstrict-align and takes no lock until the MMU is on. */
	have_fdt = hcabi__dt_init(dtb);
	hcabi__mmu_init();
	hcabi_serial_init();
	if (!have_fdt)
		hcabi_printf("warning: no usable device tree at x0 = 0x%llx: assuming QEMU virt "
			     "(RAM 64 MiB at 0x40000000, PL011 at 0x9000000)",
			     (unsigned long long)dtb);
	/* CurrentEL: 1 after boot.S's drop from EL2 */
	hcabi_printf("arm64: entered at EL%u, running at EL%u; device tree at 0x%llx; RAM up to "
		     "0x%llx",
		     boot_el, (unsigned)(hcabi_read_sysreg(CurrentEL) >> 2) & 3,
		     (unsigned long long)dtb, (unsigned long long)hcabi_ram_end());
	hcabi__cpu_init(c);
	hcabi__start();
}
