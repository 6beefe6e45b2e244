/* SPDX-License-Identifier: MIT */
/*
 * devices.c - the few devices of hcabi-refvmm, at the addresses the
 * backend's platform gives them (arch_defs.h):
 *
 *  - a 16550A UART reduced to what a transmit-only guest needs: THR writes
 *    go to the serial sink, LSR always reads "transmitter empty, no data
 *    received", the THRE interrupt (IER.THRI) on the UART's IRQ line (what
 *    Linux's 8250 driver waits for before it writes more than its console's
 *    polled output), MSR's loopback, the other registers read back what was
 *    written. Nothing is ever received: console input is HCABI's
 *    CONSOLE.READ. (COM1 on IRQ 4 on x86-64.) While its THRE interrupt is
 *    off, the platform collects THR writes without an exit where it can
 *    (below, "coalesced THR writes"), and they are replayed here in order.
 *  - QEMU's isa-debug-exit: writing v ends refvmm with status (v << 1) | 1.
 *    The device asks for the end; the vCPU loop ends the VM.
 *  - Every other port: reads return all-ones, writes are ignored. That is
 *    the clear "absent" answer of a PC bus with nothing there: the i8042
 *    keyboard controller (0x60/0x64: a status of all-ones never drains, so
 *    Linux's i8042 driver says "no controller"), PCI configuration (0xcf8/
 *    0xcfc: the address does not read back, so there is no PCI), POST
 *    port 0x80.
 *  - The backend's own devices (hcabi__arch_device_io; x86-64: the CMOS
 *    RTC at 0x70/0x71, the reset line behind the absent i8042).
 *  - MMIO outside RAM and outside the in-kernel devices (local APIC, I/O
 *    APIC): nothing is there; the access ends the VM as a guest fault
 *    (status 6) naming the address, rather than returning made-up values a
 *    driver might poll forever.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch.h"
#include "refvmm.h"

/* ---- the UART ---------------------------------------------------------------- */
#define IER_THRI 0x02u	/* transmitter holding register empty interrupt */
#define IIR_NO_INT 0x01u
#define IIR_THRI 0x02u
#define IIR_FIFO 0xc0u	/* FIFOs enabled (a 16550A) */
#define MCR_LOOP 0x10u
#define MSR_IDLE 0xb0u	/* DCD DSR CTS: a terminal is attached */

static struct {
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thr_ipending; /* THRE interrupt pending (until IIR reports it or THR is written) */
	bool line;	   /* the level last driven on the interrupt line */
} uart = {.lock = PTHREAD_MUTEX_INITIALIZER, .dll = 1};

/* The UART's interrupt output: THRE, when enabled (IER.THRI) and not yet
 * acknowledged; nothing is ever received, so no receive or line-status
 * interrupt. Driven into the PIC and I/O APIC (edge: the 8250 driver's
 * handler sees a new edge at each THR write it makes). uart.lock held. */
static void uart_update_irq(void)
{
	bool level = (uart.ier & IER_THRI) && uart.thr_ipending;
	struct hcabi__vcpu *self = hcabi__current_vcpu();

	if (level == uart.line || !self)
		return;
	if (hcabi__arch_irq_line(self->vm, HCABI__ARCH_UART_IRQ, level) < 0) {
		hcabi__log("warning: cannot drive the UART's IRQ %u: %s", HCABI__ARCH_UART_IRQ,
			   strerror(errno));
		return;
	}
	uart.line = level;
}

/* A byte leaves through THR at once: the interrupt drops, then comes back
 * as the transmitter is empty again (a new edge). uart.lock held. */
static void uart_transmitted(void)
{
	uart.thr_ipending = false;
	uart_update_irq();
	uart.thr_ipending = true;
	uart_update_irq();
}

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
	case 2: /* IIR: reading it acknowledges the THRE interrupt it reports */
		v = (uart.fcr & 1) ? IIR_FIFO : 0;
		if ((uart.ier & IER_THRI) && uart.thr_ipending) {
			v |= IIR_THRI;
			uart.thr_ipending = false;
			uart_update_irq();
		} else {
			v |= IIR_NO_INT;
		}
		break;
	case 3:
		v = uart.lcr;
		break;
	case 4:
		v = uart.mcr;
		break;
	case 5:
		v = 0x60;
		break; /* LSR: THRE | TEMT */
	case 6: /* MSR: in loopback, the modem outputs DTR RTS OUT1 OUT2 */
		if (uart.mcr & MCR_LOOP)
			v = (uint8_t)(((uart.mcr & 0x01) << 5) | ((uart.mcr & 0x02) << 3) |
				      ((uart.mcr & 0x04) << 4) | ((uart.mcr & 0x08) << 4));
		else
			v = MSR_IDLE;
		break;
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
		if (dlab) {
			uart.dll = v;
		} else {
			hcabi__serial_write(&v, 1);
			uart_transmitted();
		}
		break;
	case 1:
		if (dlab) {
			uart.dlm = v;
		} else {
			/* enabling THRI with the transmitter empty raises it */
			if ((v & IER_THRI) && !(uart.ier & IER_THRI))
				uart.thr_ipending = true;
			uart.ier = v & 0x0f;
			uart_update_irq();
		}
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
	pthread_mutex_lock(&uart.lock);
	if (io->write && off == 0 && !(uart.lcr & 0x80)) {
		/* THR writes, possibly a string of them (rep outsb) */
		hcabi__serial_write(io->data, io->count);
		uart_transmitted();
		pthread_mutex_unlock(&uart.lock);
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

/* ---- coalesced THR writes ----------------------------------------------------
 * A byte written to THR is one exit to refvmm, ~37 us nested: most of what
 * the guests' polled console costs. Where the platform can collect writes
 * without an exit (arch.h; x86-64: KVM's coalesced port I/O), THR writes
 * go to its ring and are replayed through uart_access, the path an exit
 * takes, in the order the guest made them:
 *  - before any exit of any vCPU is handled (vcpu.c: an LSR read, an LCR or
 *    IER write, isa-debug-exit, a hypercall that writes CONSOLE output or
 *    ends the VM, a fault) and when the VM ends (lifecycle.c: also every
 *    100 ms meanwhile, for a guest that writes and then only computes or
 *    halts). So a byte never overtakes one written before it by the same
 *    vCPU, or by another vCPU before that one's exit: one ring holds every
 *    vCPU's writes in the order KVM took them.
 *  - replay_lock is held from taking a write until it is replayed, and the
 *    platform drops it only after: a vCPU that finds the ring empty knows
 *    that every write taken before has reached the sink.
 *  - DLAB: with LCR.DLAB set, THR's port is DLL. A write collected then is
 *    replayed before the LCR write that clears DLAB is handled (that is an
 *    exit), so uart_access sees the LCR it was written under.
 *  - The rule: collect only while IER.THRI is clear. With THRI set (Linux's
 *    8250 driver outside its polled console), each THR write must drop and
 *    raise the THRE interrupt as it happens, which only an exit can do. An
 *    IER write that sets THRI replays the ring, stops collection, then
 *    replays what other vCPUs wrote meanwhile; one that clears it starts
 *    collection again. Linux's console write clears IER around each
 *    message and restores it after: two more ioctls per message.
 * Without the platform's support every write exits, as before; the
 * serial output limit and console input are not involved. */
static struct {
	pthread_mutex_t replay_lock; /* before uart.lock */
	bool on;		     /* THR writes collected (replay_lock) */
	bool unable;		     /* the platform cannot (replay_lock) */
} thr_ring = {.replay_lock = PTHREAD_MUTEX_INITIALIZER};

/* replay_lock held */
static void replay_locked(struct hcabi__vm *vm)
{
	struct hcabi__io io;

	while (hcabi__arch_coalesced_next(vm, &io)) {
		/* only THR's port is ever registered */
		if (io.bus == HCABI__ARCH_UART_BUS && io.addr == HCABI__ARCH_UART_BASE &&
		    io.size == 1)
			uart_access(&io, 0);
		hcabi__arch_coalesced_done(vm);
	}
}

void hcabi__devices_replay(struct hcabi__vm *vm)
{
	struct hcabi__io io;

	/* the usual case, lock-free: nothing collected, or all of it replayed */
	if (!hcabi__arch_coalesced_next(vm, &io))
		return;
	pthread_mutex_lock(&thr_ring.replay_lock);
	replay_locked(vm);
	pthread_mutex_unlock(&thr_ring.replay_lock);
}

/* Collect THR writes exactly while IER.THRI is clear (the rule above). */
static void thr_ring_follow_ier(struct hcabi__vm *vm)
{
	bool want;

	pthread_mutex_lock(&thr_ring.replay_lock);
	pthread_mutex_lock(&uart.lock);
	want = !(uart.ier & IER_THRI);
	pthread_mutex_unlock(&uart.lock);
	if (want != thr_ring.on && !thr_ring.unable) {
		if (hcabi__arch_coalesce(vm, HCABI__ARCH_UART_BUS, HCABI__ARCH_UART_BASE, 1,
					 want))
			thr_ring.on = want;
		else if (want)
			thr_ring.unable = true; /* not on this host: every write exits */
		else
			hcabi__log("warning: cannot stop collecting COM1 THR writes: %s",
				   strerror(errno));
		if (!want) /* what other vCPUs wrote until the zone went */
			replay_locked(vm);
	}
	pthread_mutex_unlock(&thr_ring.replay_lock);
}

void hcabi__devices_reset(void)
{
	pthread_mutex_lock(&uart.lock);
	uart.ier = uart.lcr = uart.mcr = uart.scr = uart.dlm = uart.fcr = 0;
	uart.dll = 1;
	uart.thr_ipending = false;
	uart.line = false; /* a new VM's interrupt controllers start with every line low */
	pthread_mutex_unlock(&uart.lock);
	pthread_mutex_lock(&thr_ring.replay_lock);
	thr_ring.on = thr_ring.unable = false; /* a new VM collects nothing yet */
	pthread_mutex_unlock(&thr_ring.replay_lock);
}

void hcabi__devices_start(struct hcabi__vm *vm)
{
	thr_ring_follow_ier(vm);
}

/* ---- the address map ------------------------------------------------------ */
void hcabi__device_io(const struct hcabi__io *io, struct hcabi__end *req)
{
	req->ended = false;
	if (io->bus == HCABI__ARCH_UART_BUS && io->addr >= HCABI__ARCH_UART_BASE &&
	    io->addr < HCABI__ARCH_UART_BASE + 8 && io->size == 1) {
		struct hcabi__vcpu *self = hcabi__current_vcpu();
		unsigned off = (unsigned)(io->addr - HCABI__ARCH_UART_BASE);
		uart_access(io, off);
		if (off == 1 && io->write && self)
			thr_ring_follow_ier(self->vm);
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
	if (hcabi__arch_device_io(io, req))
		return;
	if (io->bus == HCABI__BUS_MMIO) {
		struct hcabi__vcpu *self = hcabi__current_vcpu();
		req->ended = true;
		req->reboot = false;
		req->status = HCABI__EXIT_GUEST_FAULT;
		snprintf(req->msg, sizeof(req->msg),
			 "guest fault: MMIO %s of %u bytes at 0x%llx on vcpu %u: no device there "
			 "(refvmm models no MMIO device)",
			 io->write ? "write" : "read", io->size, (unsigned long long)io->addr,
			 self ? self->index : 0);
		return;
	}
	if (!io->write)
		memset(io->data, 0xff, (size_t)io->size * io->count);
}
