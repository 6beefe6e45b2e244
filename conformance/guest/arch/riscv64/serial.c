/* SPDX-License-Identifier: MIT */
/*
 * serial.c - the console: the ns16550a UART that the device tree's /chosen
 * stdout-path names (else the first "ns16550a" node; without a device tree
 * QEMU virt's 0x10000000), polled, its registers reg-shift apart. It needs
 * no interrupt and no set-up: QEMU's and refvmm's take bytes as they come.
 */
#include "hcabi_dt.h"
#include "hcabi_guest.h"

#define UART_THR 0
#define UART_LSR 5
#define LSR_THRE (1u << 5)
#define QEMU_VIRT_UART 0x10000000ull

static uint64_t uart;  /* 0: no console */
static unsigned shift; /* reg-shift */

static bool uart_node(const struct hcabi_fdt *f, int node)
{
	uint64_t base, size;
	uint32_t len = 0;
	const void *v;

	if (node == HCABI_FDT_NONE || !hcabi_fdt_compatible(f, node, "ns16550a") ||
	    !hcabi_fdt_reg(f, node, 0, &base, &size))
		return false;
	v = hcabi_fdt_prop(f, node, "reg-shift", &len);
	shift = v && len == 4 && hcabi_fdt32(v) < 4 ? hcabi_fdt32(v) : 0;
	uart = base;
	return true;
}

void hcabi_serial_init(void)
{
	const struct hcabi_fdt *f = hcabi_fdt();
	int d = 0;

	if (!f) {
		uart = QEMU_VIRT_UART;
		return;
	}
	if (uart_node(f, hcabi_fdt_stdout(f)))
		return;
	for (int n = hcabi_fdt_root(f); n != HCABI_FDT_NONE; n = hcabi_fdt_next_node(f, n, &d))
		if (uart_node(f, n))
			return;
	/* no console: output is dropped */
}

uint64_t hcabi_riscv64_uart_reg(unsigned reg)
{
	return uart ? uart + ((uint64_t)reg << shift) : 0;
}

void hcabi_serial_write(const char *s, size_t len)
{
	if (!uart)
		return;
	for (size_t i = 0; i < len; i++) {
		/* bounded: a stuck UART must not hang the guest */
		for (unsigned n = 0;
		     n < 100000 && !(hcabi_mmio_read8(uart + (UART_LSR << shift)) & LSR_THRE); n++)
			hcabi_pause();
		hcabi_mmio_write8(uart + (UART_THR << shift), (uint8_t)s[i]);
	}
}
