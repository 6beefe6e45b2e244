/* SPDX-License-Identifier: MIT */
/*
 * serial.c - the console: the PL011 UART that the device tree's
 * /chosen stdout-path names (else the first "arm,pl011" node; without a
 * device tree QEMU virt's 0x09000000), polled.
 */
#include "hcabi_fdt.h"
#include "hcabi_guest.h"

#define UARTDR 0x000
#define UARTFR 0x018
#define UARTCR 0x030
#define FR_TXFF (1u << 5)
#define CR_UARTEN (1u << 0)
#define CR_TXE (1u << 8)
#define CR_RXE (1u << 9)
#define QEMU_VIRT_PL011 0x09000000ull

static uint64_t uart; /* 0: no console */

/* hcabi_mmio_*: accesses a hypervisor can emulate (hcabi_arm64.h) */
static uint32_t rd(unsigned off)
{
	return hcabi_mmio_read32(uart + off);
}

static void wr(unsigned off, uint32_t v)
{
	hcabi_mmio_write32(uart + off, v);
}

/* The PL011 that is the console, 0 when there is none. */
static uint64_t find_pl011(const struct hcabi_fdt *f)
{
	uint64_t base, size;
	int node, d = 0;

	if (!f)
		return QEMU_VIRT_PL011;
	node = hcabi_fdt_stdout(f);
	if (node != HCABI_FDT_NONE && hcabi_fdt_compatible(f, node, "arm,pl011") &&
	    hcabi_fdt_reg(f, node, 0, &base, &size))
		return base;
	for (node = hcabi_fdt_root(f); node != HCABI_FDT_NONE; node = hcabi_fdt_next_node(f, node, &d))
		if (hcabi_fdt_compatible(f, node, "arm,pl011") && hcabi_fdt_reg(f, node, 0, &base, &size))
			return base;
	return 0;
}

void hcabi_serial_init(void)
{
	uint64_t base = find_pl011(hcabi_fdt());

	if (!base)
		return; /* no console: output is dropped */
	uart = base;
	if ((rd(UARTCR) & (CR_UARTEN | CR_TXE)) != (CR_UARTEN | CR_TXE))
		wr(UARTCR, CR_UARTEN | CR_TXE | CR_RXE);
}

void hcabi_serial_write(const char *s, size_t len)
{
	if (!uart)
		return;
	for (size_t i = 0; i < len; i++) {
		/* bounded: a stuck UART must not hang the guest */
		for (unsigned n = 0; n < 100000 && (rd(UARTFR) & FR_TXFF); n++)
			hcabi_pause();
		wr(UARTDR, (uint8_t)s[i]);
	}
}
