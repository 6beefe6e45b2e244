/* SPDX-License-Identifier: MIT */
/*
 * dt.c - the device tree the boot protocol passed in (arm64: x0, riscv64:
 * a1; the VMM's description of the machine): kept once, read through
 * fdt.c, with what the runtime asks of it here (the command line, the
 * CPUs); each architecture's files read their own nodes through hcabi_fdt().
 */
#include "hcabi_dt.h"
#include "hcabi_guest.h"
#include "hcabi_internal.h"

static struct hcabi_fdt fdt;

/* dtb, the address the boot protocol passed: a device tree if it is 8-byte
 * aligned and its header holds. */
bool hcabi__dt_init(uint64_t dtb)
{
	return dtb && !(dtb & 7) && hcabi_fdt_init(&fdt, (const void *)(uintptr_t)dtb);
}

const struct hcabi_fdt *hcabi_fdt(void)
{
	return fdt.blob ? &fdt : 0;
}

/* /chosen's bootargs: QEMU's -append, where the runner puts the nonce. */
const char *hcabi_command_line(void)
{
	const char *s = 0;
	if (fdt.blob)
		s = hcabi_fdt_prop_str(&fdt, hcabi_fdt_path(&fdt, "/chosen", 7), "bootargs");
	return s ? s : "";
}

/* The index-th node of /cpus whose device_type is "cpu". */
static int dt_cpu(unsigned index)
{
	int cpus = fdt.blob ? hcabi_fdt_path(&fdt, "/cpus", 5) : HCABI_FDT_NONE, d = 0;
	unsigned n = 0;

	for (int node = cpus == HCABI_FDT_NONE ? HCABI_FDT_NONE
					       : hcabi_fdt_next_node(&fdt, cpus, &d);
	     node != HCABI_FDT_NONE && d > 0; node = hcabi_fdt_next_node(&fdt, node, &d)) {
		const char *type = hcabi_fdt_prop_str(&fdt, node, "device_type");
		if (d == 1 && type && !strcmp(type, "cpu") && n++ == index)
			return node;
	}
	return HCABI_FDT_NONE;
}

unsigned hcabi_dt_cpu_count(void)
{
	unsigned n = 0;
	while (n < HCABI_MAX_CPUS && dt_cpu(n) != HCABI_FDT_NONE)
		n++;
	return n;
}

int64_t hcabi_dt_cpu_reg(unsigned cpu)
{
	uint64_t reg, size;
	int node = dt_cpu(cpu);
	return node != HCABI_FDT_NONE && hcabi_fdt_reg(&fdt, node, 0, &reg, &size) ? (int64_t)reg
										   : -1;
}
