/* SPDX-License-Identifier: MIT */
/*
 * dtb.c - the device tree refvmm gives an arm64 guest in x0 (the Linux
 * arm64 boot protocol), shaped like QEMU virt's so that the same images and
 * kernels read it (docs/arm64.md, "What the device tree gives"):
 *   /memory@40000000   the guest RAM
 *   /chosen            bootargs (--cmdline), stdout-path (the PL011)
 *   /cpus/cpu@N        one per vCPU, in index order, reg = MPIDR_EL1's
 *                      affinity (ARM64-031), enable-method psci
 *   /psci              method "hvc": KVM's in-kernel PSCI 0.2
 *   /intc@8000000      the GICv3 (ARM64-023): distributor, one
 *                      redistributor region covering every vCPU
 *   /timer             the architected timer's PPIs
 *   /pl011@9000000     the console, with the fixed clock Linux's driver wants
 */
#include <stdio.h>
#include <string.h>

#include "arm64_kvm.h"
#include "fdt_write.h"

#define PHANDLE_GIC 1u
#define PHANDLE_CLK 2u
#define GIC_SPI 0u
#define GIC_PPI 1u
#define IRQ_LEVEL_HIGH 4u

static void reg2(struct hcabi__fdtw *w, uint64_t a, uint64_t s, uint64_t b, uint64_t t,
		 unsigned n)
{
	uint32_t c[8] = {(uint32_t)(a >> 32), (uint32_t)a, (uint32_t)(s >> 32), (uint32_t)s,
			 (uint32_t)(b >> 32), (uint32_t)b, (uint32_t)(t >> 32), (uint32_t)t};
	hcabi__fdtw_cells(w, "reg", c, 4 * n);
}

static void strings(struct hcabi__fdtw *w, const char *name, const char *a, const char *b,
		    const char *c)
{
	char buf[96];
	size_t n = 0;
	const char *list[3] = {a, b, c};
	for (unsigned i = 0; i < 3 && list[i]; i++) {
		size_t l = strlen(list[i]) + 1;
		memcpy(buf + n, list[i], l);
		n += l;
	}
	hcabi__fdtw_prop(w, name, buf, n);
}

static void cpus(struct hcabi__fdtw *w, const struct hcabi__vm *vm)
{
	char name[32];

	hcabi__fdtw_begin(w, "cpus");
	hcabi__fdtw_u32(w, "#address-cells", 1);
	hcabi__fdtw_u32(w, "#size-cells", 0);
	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		/* ARM64-031: the i-th node is vCPU i; reg = Aff2.Aff1.Aff0
		 * (Aff3 is 0 for KVM's MPIDRs up to 4096 vCPUs) */
		uint32_t aff = (uint32_t)(vm->vcpus[i].arch->own.mpidr & 0xffffffu);
		snprintf(name, sizeof(name), "cpu@%x", aff);
		hcabi__fdtw_begin(w, name);
		hcabi__fdtw_str(w, "device_type", "cpu");
		hcabi__fdtw_str(w, "compatible", "arm,armv8");
		hcabi__fdtw_u32(w, "reg", aff);
		hcabi__fdtw_str(w, "enable-method", "psci");
		hcabi__fdtw_end(w);
	}
	hcabi__fdtw_end(w);
}

static void devices(struct hcabi__fdtw *w, const struct hcabi__vm *vm)
{
	uint32_t timer[12] = {GIC_PPI, 13, IRQ_LEVEL_HIGH, GIC_PPI, 14, IRQ_LEVEL_HIGH,
			      GIC_PPI, 11, IRQ_LEVEL_HIGH, GIC_PPI, 10, IRQ_LEVEL_HIGH};
	uint32_t uart_irq[3] = {GIC_SPI, HCABI__A64_UART_SPI, IRQ_LEVEL_HIGH};
	uint32_t clocks[2] = {PHANDLE_CLK, PHANDLE_CLK};

	hcabi__fdtw_begin(w, "psci");
	strings(w, "compatible", "arm,psci-1.0", "arm,psci-0.2", "arm,psci");
	hcabi__fdtw_str(w, "method", "hvc");
	hcabi__fdtw_end(w);

	hcabi__fdtw_begin(w, "intc@8000000");
	hcabi__fdtw_str(w, "compatible", "arm,gic-v3");
	hcabi__fdtw_u32(w, "#interrupt-cells", 3);
	hcabi__fdtw_prop(w, "interrupt-controller", NULL, 0);
	hcabi__fdtw_u32(w, "#redistributor-regions", 1);
	reg2(w, HCABI__A64_GICD_BASE, HCABI__A64_GICD_SIZE, HCABI__A64_GICR_BASE,
	     HCABI__A64_GICR_STRIDE * vm->nvcpus, 2);
	hcabi__fdtw_u32(w, "phandle", PHANDLE_GIC);
	hcabi__fdtw_end(w);

	hcabi__fdtw_begin(w, "timer");
	hcabi__fdtw_str(w, "compatible", "arm,armv8-timer");
	hcabi__fdtw_cells(w, "interrupts", timer, 12);
	hcabi__fdtw_prop(w, "always-on", NULL, 0);
	hcabi__fdtw_end(w);

	hcabi__fdtw_begin(w, "apb-pclk");
	hcabi__fdtw_str(w, "compatible", "fixed-clock");
	hcabi__fdtw_u32(w, "#clock-cells", 0);
	hcabi__fdtw_u32(w, "clock-frequency", 24000000);
	hcabi__fdtw_str(w, "clock-output-names", "clk24mhz");
	hcabi__fdtw_u32(w, "phandle", PHANDLE_CLK);
	hcabi__fdtw_end(w);

	hcabi__fdtw_begin(w, "pl011@9000000");
	strings(w, "compatible", "arm,pl011", "arm,primecell", NULL);
	reg2(w, HCABI__A64_UART_BASE, HCABI__A64_UART_SIZE, 0, 0, 1);
	hcabi__fdtw_cells(w, "interrupts", uart_irq, 3);
	hcabi__fdtw_cells(w, "clocks", clocks, 2);
	strings(w, "clock-names", "uartclk", "apb_pclk", NULL);
	hcabi__fdtw_end(w);
}

size_t hcabi__a64_build_dtb(const struct hcabi__vm *vm, const char *cmdline, uint8_t *buf,
			    size_t cap, char *err, size_t errlen)
{
	static struct hcabi__fdtw w; /* 33 KiB: not on a thread's stack; one boot at a time */
	size_t n;

	hcabi__fdtw_init(&w);
	hcabi__fdtw_begin(&w, "");
	hcabi__fdtw_u32(&w, "#address-cells", 2);
	hcabi__fdtw_u32(&w, "#size-cells", 2);
	hcabi__fdtw_str(&w, "compatible", "linux,dummy-virt");
	hcabi__fdtw_str(&w, "model", "hcabi-refvmm arm64");
	hcabi__fdtw_u32(&w, "interrupt-parent", PHANDLE_GIC);

	hcabi__fdtw_begin(&w, "chosen");
	hcabi__fdtw_str(&w, "bootargs", cmdline ? cmdline : "");
	hcabi__fdtw_str(&w, "stdout-path", "/pl011@9000000");
	hcabi__fdtw_end(&w);

	hcabi__fdtw_begin(&w, "memory@40000000");
	hcabi__fdtw_str(&w, "device_type", "memory");
	reg2(&w, vm->ram_base, vm->ram_size, 0, 0, 1);
	hcabi__fdtw_end(&w);

	cpus(&w, vm);
	devices(&w, vm);
	hcabi__fdtw_end(&w);
	n = hcabi__fdtw_finish(&w, buf, cap);
	if (!n)
		hcabi__fail(err, errlen, "the device tree does not fit in %zu bytes", cap);
	return n;
}
