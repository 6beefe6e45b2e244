/* SPDX-License-Identifier: MIT */
/*
 * pl011.c - the arm64 console: an Arm PL011 UART reduced to what a polling
 * guest needs, at QEMU virt's address (arm64_kvm.h). Data register writes go
 * to the serial sink (console.c); the flag register always reads "transmit
 * FIFO empty, receive FIFO empty"; the identification registers read as a
 * PL011's (Linux's AMBA bus checks them); the control registers read back
 * what was written. No interrupts, no input.
 */
#include <string.h>

#include "arm64_kvm.h"

#define UART_DR 0x000u
#define UART_FR 0x018u
#define UART_FR_RXFE (1u << 4)
#define UART_FR_TXFE (1u << 7)
#define UART_REGS 0x50u	   /* DR .. DMACR: read back */
#define UART_ID_BASE 0xfe0u /* PeriphID0..3, PCellID0..3 */

static const uint8_t uart_id[8] = {0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

static struct {
	pthread_mutex_t lock;
	uint32_t regs[UART_REGS / 4];
} uart = {.lock = PTHREAD_MUTEX_INITIALIZER};

static uint32_t uart_read(uint32_t off)
{
	uint32_t v = 0;
	if (off == UART_FR)
		return UART_FR_TXFE | UART_FR_RXFE;
	if (off == UART_DR)
		return 0; /* nothing received */
	if (off >= UART_ID_BASE && off < UART_ID_BASE + 32)
		return uart_id[(off - UART_ID_BASE) / 4];
	if (off < UART_REGS) {
		pthread_mutex_lock(&uart.lock);
		v = uart.regs[off / 4];
		pthread_mutex_unlock(&uart.lock);
	}
	return v;
}

bool hcabi__a64_pl011(uint64_t addr, uint8_t *data, uint32_t len, bool write)
{
	uint32_t off, v = 0;

	if (addr < HCABI__A64_UART_BASE || addr >= HCABI__A64_UART_BASE + HCABI__A64_UART_SIZE)
		return false;
	off = (uint32_t)(addr - HCABI__A64_UART_BASE);
	if (len > 4)
		len = 4;
	if (!write) {
		v = uart_read(off & ~3u) >> (8 * (off & 3u));
		for (uint32_t i = 0; i < len; i++)
			data[i] = (uint8_t)(v >> (8 * i));
		return true;
	}
	if (off == UART_DR) {
		hcabi__serial_write(data, 1); /* the character is bits 7:0 */
		return true;
	}
	for (uint32_t i = 0; i < len; i++)
		v |= (uint32_t)data[i] << (8 * i);
	if (off < UART_REGS && (off & 3u) == 0) {
		pthread_mutex_lock(&uart.lock);
		uart.regs[off / 4] = v;
		pthread_mutex_unlock(&uart.lock);
	}
	return true;
}
