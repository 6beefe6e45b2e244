/* SPDX-License-Identifier: MIT */
/*
 * cpu.c - the boot of vCPU 0 (after boot.S), what each hart sets up for
 * itself (sscratch points at its per-vCPU block, lib/percpu.c; its IMSIC
 * interrupt file), the clock, and the start of secondary harts: by
 * VCPU.START (the binding's boot state) or, in the self-test, by SBI HSM.
 */
#include "hcabi_dt.h"
#include "hcabi_guest.h"
#include "hcabi_internal.h"

static struct hcabi_vcpu_boot_state_riscv64 boot_states[HCABI_MAX_CPUS]
    __attribute__((aligned(64)));
uint64_t hcabi__timebase_hz;
static uint64_t boot_hart;

void hcabi__cpu_init(struct hcabi_cpu *c)
{
	hcabi_csr_write(sscratch, (uint64_t)(uintptr_t)c);
	hcabi_intc_enable();
}

int64_t hcabi_riscv64_hart_of(unsigned cpu)
{
	int64_t id = hcabi_dt_cpu_reg(cpu);

	if (cpu == 0)
		return (int64_t)boot_hart;
	if (id == (int64_t)boot_hart)
		return 0;
	return id;
}

int64_t hcabi_arch_vcpu_start(unsigned cpu, struct hcabi_cpu *c)
{
	/* The binding's boot state: S-mode, satp 0, SIE 0, a0 = the hart ID,
	 * a1 = arg (the per-vCPU block, whose stack hcabi__ap_entry takes). */
	struct hcabi_vcpu_boot_state_riscv64 *bs = &boot_states[cpu];

	memset(bs, 0, sizeof(*bs));
	bs->entry = (uint64_t)(uintptr_t)hcabi__ap_entry;
	bs->arg = (uint64_t)(uintptr_t)c;
	hcabi_mb();
	return hcabi_vcpu_start(cpu, (uint64_t)(uintptr_t)bs).status;
}

int64_t hcabi_riscv64_hart_start(unsigned cpu, void (*fn)(void *), void *arg)
{
	int64_t hart = cpu > 0 && cpu < HCABI_MAX_CPUS && cpu < hcabi_dt_cpu_count()
			   ? hcabi_riscv64_hart_of(cpu)
			   : -1;
	struct hcabi_cpu *c;

	if (hart < 0)
		return HCABI_ERR_INVALID_PARAM; /* SBI_ERR_INVALID_PARAM: the same number */
	c = hcabi__task_prepare(cpu, fn, arg);
	hcabi_mb();
	return hcabi_sbi_call(HCABI_SBI_EXT_HSM, HCABI_SBI_HSM_HART_START, (uint64_t)hart,
			      (uint64_t)(uintptr_t)hcabi__ap_entry, (uint64_t)(uintptr_t)c)
	    .status;
}

bool hcabi_riscv64_hart_wait(unsigned cpu, uint64_t timeout_ns)
{
	return hcabi__task_wait_done(cpu, timeout_ns);
}

/* /cpus timebase-frequency (one or two cells). */
static uint64_t read_timebase(void)
{
	const struct hcabi_fdt *f = hcabi_fdt();
	uint32_t len = 0;
	const uint8_t *v =
	    f ? hcabi_fdt_prop(f, hcabi_fdt_path(f, "/cpus", 5), "timebase-frequency", &len) : 0;

	if (v && len == 4)
		return hcabi_fdt32(v);
	if (v && len == 8)
		return (uint64_t)hcabi_fdt32(v) << 32 | hcabi_fdt32(v + 4);
	return 0;
}

void hcabi__boot(uint64_t hartid, uint64_t dtb)
{
	struct hcabi_cpu *c = hcabi__cpu_prepare(0);
	bool have_fdt;

	boot_hart = hartid;
	c->hartid = hartid;
	hcabi_csr_write(sscratch, (uint64_t)(uintptr_t)c);
	have_fdt = hcabi__dt_init(dtb);
	hcabi__timebase_hz = read_timebase();
	hcabi__mem_init();
	hcabi_serial_init();
	if (!have_fdt)
		hcabi_printf("warning: no usable device tree at a1 = 0x%llx: assuming QEMU virt "
			     "(RAM 64 MiB at 0x80000000, ns16550a at 0x10000000)",
			     (unsigned long long)dtb);
	hcabi_printf("riscv64: entered on hart %llu in S-mode; device tree at 0x%llx; RAM up to "
		     "0x%llx; timebase %llu Hz",
		     (unsigned long long)hartid, (unsigned long long)dtb,
		     (unsigned long long)hcabi_ram_end(), (unsigned long long)hcabi__timebase_hz);
	if (hartid != 0)
		hcabi_printf(
		    "warning: the boot hart is %llu, not 0: vCPU 0 and hart 0 trade places "
		    "(the binding's hart ID is the vCPU index)",
		    (unsigned long long)hartid);
	hcabi__cpu_init(c);
	hcabi__start();
}
