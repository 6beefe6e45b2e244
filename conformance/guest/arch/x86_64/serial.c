/* SPDX-License-Identifier: MIT */
/*
 * serial.c - COM1 (0x3f8), a polled 16550 at 115200 8N1 with its FIFO on,
 * and the isa-debug-exit port.
 *
 * Each port access is a VM exit, which costs about 45 us on the nested
 * path, so the line status register is read once per 16 bytes (THRE means
 * the 16-byte transmit FIFO is empty) instead of once per byte.
 */
#include "hcabi_guest.h"

#define COM1 0x3F8
#define UART_THR 0
#define UART_IER 1
#define UART_DLL 0
#define UART_DLM 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_THRE 0x20
#define FIFO_SIZE 16

void hcabi_serial_init(void)
{
	hcabi_outb(COM1 + UART_IER, 0x00);
	hcabi_outb(COM1 + UART_LCR, 0x80); /* DLAB */
	hcabi_outb(COM1 + UART_DLL, 0x01); /* 115200 */
	hcabi_outb(COM1 + UART_DLM, 0x00);
	hcabi_outb(COM1 + UART_LCR, 0x03); /* 8N1 */
	hcabi_outb(COM1 + UART_FCR, 0x07); /* FIFO on, both cleared */
	hcabi_outb(COM1 + UART_MCR, 0x03); /* DTR, RTS; OUT2 off: no IRQ */
}

static void wait_thre(void)
{
	/* Bounded: a missing UART must not hang the guest. */
	for (unsigned i = 0; i < 100000; i++) {
		if (hcabi_inb(COM1 + UART_LSR) & LSR_THRE)
			return;
		hcabi_pause();
	}
}

void hcabi_serial_write(const char *s, size_t len)
{
	while (len) {
		size_t n = len < FIFO_SIZE ? len : FIFO_SIZE;
		wait_thre();
		for (size_t i = 0; i < n; i++)
			hcabi_outb(COM1 + UART_THR, (uint8_t)s[i]);
		s += n;
		len -= n;
	}
}
