/* SPDX-License-Identifier: MIT */
/*
 * devices.c - the few devices of hcabi-refvmm, at the addresses the
 * backend's platform gives them (arch_defs.h):
 *
 *  - a 16550 UART reduced to what a polling guest needs: THR writes go to
 *    the serial sink, LSR always reads "transmitter empty, no data
 *    received", the other registers read back what was written. No
 *    interrupts. (COM1 on x86-64.)
 *  - QEMU's isa-debug-exit: writing v ends refvmm with status (v << 1) | 1.
 *    The device asks for the end; the vCPU loop ends the VM.
 *  - Every other address: reads return all-ones, writes are ignored.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "refvmm.h"

/* ---- the UART ---------------------------------------------------------------- */
static struct {
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
} uart = {.lock = PTHREAD_MUTEX_INITIALIZER, .dll = 1};

static uint8_t uart_read(unsigned off)
{
	uint8_t v = 0xff;
	bool dlab = uart.lcr & 0x80;
	switch (off) {
	case 0:
		v = dlab ? uart.dll : 0x00;
		break; /* RBR: nothing received */
	case 1:
		v = dlab ? uart.dlm : uart.ier;
		break;
	case 2:
		v = (uart.fcr & 1) ? 0xc1 : 0x01;
		break; /* IIR: no interrupt */
	case 3:
		v = uart.lcr;
		break;
	case 4:
		v = uart.mcr;
		break;
	case 5:
		v = 0x60;
		break; /* LSR: THRE | TEMT */
	case 6:
		v = 0xb0;
		break; /* MSR: DCD DSR CTS */
	case 7:
		v = uart.scr;
		break;
	}
	return v;
}

static void uart_write(unsigned off, uint8_t v)
{
	bool dlab = uart.lcr & 0x80;
	switch (off) {
	case 0:
		if (dlab)
			uart.dll = v;
		else
			hcabi__serial_write(&v, 1);
		break;
	case 1:
		if (dlab)
			uart.dlm = v;
		else
			uart.ier = v & 0x0f;
		break;
	case 2:
		uart.fcr = v;
		break;
	case 3:
		uart.lcr = v;
		break;
	case 4:
		uart.mcr = v & 0x1f;
		break;
	case 7:
		uart.scr = v;
		break;
	default:
		break;
	}
}

static void uart_access(const struct hcabi__io *io, unsigned off)
{
	bool dlab;

	pthread_mutex_lock(&uart.lock);
	dlab = uart.lcr & 0x80;
	if (io->write && off == 0 && !dlab) {
		/* THR writes, possibly a string of them (rep outsb) */
		pthread_mutex_unlock(&uart.lock);
		hcabi__serial_write(io->data, io->count);
		return;
	}
	for (uint32_t i = 0; i < io->count; i++) {
		if (io->write)
			uart_write(off, io->data[i]);
		else
			io->data[i] = uart_read(off);
	}
	pthread_mutex_unlock(&uart.lock);
}

/* ---- the address map ------------------------------------------------------ */
void hcabi__device_io(const struct hcabi__io *io, struct hcabi__end *req)
{
	req->ended = false;
	if (io->bus == HCABI__ARCH_UART_BUS && io->addr >= HCABI__ARCH_UART_BASE &&
	    io->addr < HCABI__ARCH_UART_BASE + 8 && io->size == 1) {
		uart_access(io, (unsigned)(io->addr - HCABI__ARCH_UART_BASE));
		return;
	}
	if (io->bus == HCABI__ARCH_DEBUG_EXIT_BUS && io->addr == HCABI__ARCH_DEBUG_EXIT_ADDR &&
	    io->write) {
		uint32_t val = 0;
		int status;
		memcpy(&val, io->data, io->size < 4 ? io->size : 4);
		status = (int)((((uint64_t)val << 1) | 1) & 0xff);
		req->ended = true;
		req->reboot = false;
		req->status = status;
		snprintf(req->msg, sizeof(req->msg), "isa-debug-exit value=0x%x status=%d", val,
			 status);
		return;
	}
	if (!io->write)
		memset(io->data, 0xff, (size_t)io->size * io->count);
}
