/* SPDX-License-Identifier: MIT */
/*
 * dtb.c - the device tree refvmm gives a riscv64 guest in a1 (the Linux
 * riscv64 boot protocol), shaped like QEMU virt's with
 * aia=aplic-imsic, so that the same images and kernels read it (the
 * contract of the guest runtime and refvmm; docs/refvmm.md, "The riscv64
 * backend"):
 *   /memory@80000000   the guest RAM
 *   /chosen            bootargs (--cmdline), stdout-path (the UART)
 *   /cpus/cpu@N        one per vCPU, reg = N, the hart ID = the vCPU index
 *                      (RV64-027), with its "riscv,cpu-intc"
 *   /soc/interrupt-controller@28000000
 *                      the S-level IMSIC files, one page per hart, external
 *                      interrupt 9 of each hart's intc (RV64-020)
 *   /soc/serial@10000000  the ns16550a console (devices.c), polled
 */
#include <stdio.h>
#include <string.h>

#include "fdt_write.h"
#include "riscv64_kvm.h"

#define PHANDLE_IMSIC 1u
#define PHANDLE_INTC(i) (2u + (i))
#define IRQ_S_EXT 9u /* supervisor external interrupt */

static void reg(struct hcabi__fdtw *w, uint64_t a, uint64_t s)
{
	uint32_t c[4] = {(uint32_t)(a >> 32), (uint32_t)a, (uint32_t)(s >> 32), (uint32_t)s};
	hcabi__fdtw_cells(w, "reg", c, 4);
}

/* "rv64" and the single-letter extensions of KVM's ISA bitmap. */
static void isa_string(const struct hcabi__vm *vm, char *buf, size_t cap)
{
	uint64_t isa = vm->vcpus[0].arch->own.isa;
	size_t n = (size_t)snprintf(buf, cap, "rv64");

	for (unsigned b = 0; b < 26 && n + 1 < cap; b++)
		if (isa & (1ull << b))
			buf[n++] = (char)('a' + b);
	buf[n] = '\0';
}

static void cpus(struct hcabi__fdtw *w, const struct hcabi__vm *vm)
{
	uint64_t tb = hcabi__rv64_timebase(&vm->vcpus[0]);
	char name[32], isa[40];

	isa_string(vm, isa, sizeof(isa));
	hcabi__fdtw_begin(w, "cpus");
	hcabi__fdtw_u32(w, "#address-cells", 1);
	hcabi__fdtw_u32(w, "#size-cells", 0);
	if (tb)
		hcabi__fdtw_u32(w, "timebase-frequency", (uint32_t)tb);
	for (uint32_t i = 0; i < vm->nvcpus; i++) {
		snprintf(name, sizeof(name), "cpu@%x", i);
		hcabi__fdtw_begin(w, name);
		hcabi__fdtw_str(w, "device_type", "cpu");
		hcabi__fdtw_u32(w, "reg", i); /* RV64-027 */
		hcabi__fdtw_str(w, "status", "okay");
		hcabi__fdtw_str(w, "compatible", "riscv");
		hcabi__fdtw_str(w, "riscv,isa", isa);
		hcabi__fdtw_str(w, "mmu-type", "riscv,sv39");
		hcabi__fdtw_begin(w, "interrupt-controller");
		hcabi__fdtw_u32(w, "#interrupt-cells", 1);
		hcabi__fdtw_prop(w, "interrupt-controller", NULL, 0);
		hcabi__fdtw_str(w, "compatible", "riscv,cpu-intc");
		hcabi__fdtw_u32(w, "phandle", PHANDLE_INTC(i));
		hcabi__fdtw_end(w);
		hcabi__fdtw_end(w);
	}
	hcabi__fdtw_end(w);
}

static void soc(struct hcabi__fdtw *w, const struct hcabi__vm *vm)
{
	/* <intc phandle, 9> per hart, big-endian: more cells than
	 * hcabi__fdtw_cells takes */
	static uint8_t irqs[8 * HCABI__MAX_VCPUS];

	hcabi__fdtw_begin(w, "soc");
	hcabi__fdtw_u32(w, "#address-cells", 2);
	hcabi__fdtw_u32(w, "#size-cells", 2);
	hcabi__fdtw_str(w, "compatible", "simple-bus");
	hcabi__fdtw_prop(w, "ranges", NULL, 0);

	hcabi__fdtw_begin(w, "interrupt-controller@28000000");
	hcabi__fdtw_str(w, "compatible", "riscv,imsics");
	reg(w, HCABI__RV64_IMSIC_BASE, HCABI__RV64_IMSIC_STRIDE * vm->nvcpus);
	for (uint32_t i = 0; i < vm->nvcpus; i++)
		for (unsigned b = 0; b < 4; b++) {
			irqs[8 * i + b] = (uint8_t)(PHANDLE_INTC(i) >> (24 - 8 * b));
			irqs[8 * i + 4 + b] = (uint8_t)(IRQ_S_EXT >> (24 - 8 * b));
		}
	hcabi__fdtw_prop(w, "interrupts-extended", irqs, 8 * (size_t)vm->nvcpus);
	hcabi__fdtw_u32(w, "riscv,num-ids", vm->arch->own.nr_ids);
	hcabi__fdtw_u32(w, "#interrupt-cells", 0);
	hcabi__fdtw_prop(w, "interrupt-controller", NULL, 0);
	hcabi__fdtw_prop(w, "msi-controller", NULL, 0);
	hcabi__fdtw_u32(w, "phandle", PHANDLE_IMSIC);
	hcabi__fdtw_end(w);

	hcabi__fdtw_begin(w, "serial@10000000");
	hcabi__fdtw_str(w, "compatible", "ns16550a");
	reg(w, HCABI__ARCH_UART_BASE, HCABI__RV64_UART_SIZE);
	hcabi__fdtw_u32(w, "clock-frequency", HCABI__RV64_UART_CLOCK);
	hcabi__fdtw_end(w);

	hcabi__fdtw_end(w);
}

size_t hcabi__rv64_build_dtb(const struct hcabi__vm *vm, const char *cmdline, uint8_t *buf,
			     size_t cap, char *err, size_t errlen)
{
	static struct hcabi__fdtw w; /* 33 KiB: not on a thread's stack; one boot at a time */
	size_t n;

	hcabi__fdtw_init(&w);
	hcabi__fdtw_begin(&w, "");
	hcabi__fdtw_u32(&w, "#address-cells", 2);
	hcabi__fdtw_u32(&w, "#size-cells", 2);
	hcabi__fdtw_str(&w, "compatible", "riscv-virtio");
	hcabi__fdtw_str(&w, "model", "hcabi-refvmm riscv64");

	hcabi__fdtw_begin(&w, "chosen");
	hcabi__fdtw_str(&w, "bootargs", cmdline ? cmdline : "");
	hcabi__fdtw_str(&w, "stdout-path", "/soc/serial@10000000");
	hcabi__fdtw_end(&w);

	hcabi__fdtw_begin(&w, "memory@80000000");
	hcabi__fdtw_str(&w, "device_type", "memory");
	reg(&w, vm->ram_base, vm->ram_size);
	hcabi__fdtw_end(&w);

	cpus(&w, vm);
	soc(&w, vm);
	hcabi__fdtw_end(&w);
	n = hcabi__fdtw_finish(&w, buf, cap);
	if (!n)
		hcabi__fail(err, errlen, "the device tree does not fit in %zu bytes", cap);
	return n;
}
