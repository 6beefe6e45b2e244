/* SPDX-License-Identifier: MIT */
/*
 * devices.c - the few devices of hcabi-refvmm and its output.
 *
 *  - COM1, a 16550 UART at 0x3f8 reduced to what a polling guest needs:
 *    THR writes go to the serial sink, LSR always reads "transmitter empty,
 *    no data received", the other registers read back what was written.
 *    No interrupts.
 *  - isa-debug-exit at 0xf4 (QEMU's): writing v ends refvmm with status
 *    (v << 1) | 1.
 *  - Every other port and MMIO address: reads return all-ones, writes are
 *    ignored.
 *
 * The serial sink is shared by COM1 and CONSOLE.WRITE; it counts what it
 * writes and drops everything past --serial-limit (one note on stderr).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "refvmm.h"

/* ---- stderr ------------------------------------------------------------ */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static bool log_closed;

static void write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

void hcabi__vlog(const char *fmt, va_list ap)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), HCABI__PROG ": ");
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	size_t len;
	if (m < 0)
		m = 0;
	len = (size_t)n + (size_t)m;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	pthread_mutex_lock(&log_lock);
	if (!log_closed)
		write_all(2, line, len);
	pthread_mutex_unlock(&log_lock);
}

void hcabi__log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	hcabi__vlog(fmt, ap);
	va_end(ap);
}

void hcabi__log_final(const char *msg)
{
	hcabi__log("%s", msg);
	pthread_mutex_lock(&log_lock);
	log_closed = true;
	pthread_mutex_unlock(&log_lock);
}

/* ---- serial sink --------------------------------------------------------- */
static struct {
	pthread_mutex_t lock;
	int fd;
	uint64_t limit;
	uint64_t written;
	bool noted;
	uint8_t buf[4096];
	size_t used;
} sink = {.lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1};

int hcabi__serial_open(const char *path, uint64_t limit, const char **err)
{
	if (!path || strcmp(path, "-") == 0) {
		sink.fd = 1;
	} else {
		sink.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (sink.fd < 0) {
			*err = strerror(errno);
			return -1;
		}
	}
	sink.limit = limit;
	return 0;
}

static void sink_flush_locked(void)
{
	if (sink.used && sink.fd >= 0)
		write_all(sink.fd, sink.buf, sink.used);
	sink.used = 0;
}

void hcabi__serial_write(const void *data, size_t len)
{
	const uint8_t *p = data;
	bool note = false;

	pthread_mutex_lock(&sink.lock);
	if (sink.written >= sink.limit) {
		note = len && !sink.noted;
		len = 0;
	} else if (len > sink.limit - sink.written) {
		len = (size_t)(sink.limit - sink.written);
		note = !sink.noted;
	}
	if (note)
		sink.noted = true;
	sink.written += len;
	while (len) {
		size_t n = sizeof(sink.buf) - sink.used;
		bool nl;
		if (n > len)
			n = len;
		memcpy(sink.buf + sink.used, p, n);
		nl = memchr(p, '\n', n) != NULL;
		sink.used += n;
		p += n;
		len -= n;
		if (nl || sink.used == sizeof(sink.buf))
			sink_flush_locked();
	}
	if (note)
		sink_flush_locked();
	pthread_mutex_unlock(&sink.lock);
	if (note)
		hcabi__log("serial output reached --serial-limit (%llu bytes); dropping the rest",
			   (unsigned long long)sink.limit);
}

void hcabi__serial_flush(void)
{
	pthread_mutex_lock(&sink.lock);
	sink_flush_locked();
	pthread_mutex_unlock(&sink.lock);
}

/* ---- console input (--console-input) -------------------------------------
 * The whole file is read at start: CONSOLE.READ returns its bytes in order,
 * as many as asked (CONSOLE-020: never waits), each exactly once, across
 * reboots. Without --console-input there is no input: stdin is not read, so
 * that what a guest reads never depends on how refvmm was started (a pipe or
 * a terminal a test harness happened to leave open). */
static pthread_mutex_t input_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *input_buf;
static size_t input_len, input_pos;

int hcabi__console_input_open(const char *path, const char **err)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (!f) {
		*err = strerror(errno);
		return -1;
	}
	buf = malloc(HCABI__CONSOLE_INPUT_MAX + 1);
	if (!buf) {
		fclose(f);
		*err = "out of memory";
		return -1;
	}
	n = fread(buf, 1, HCABI__CONSOLE_INPUT_MAX + 1, f);
	if (ferror(f)) {
		*err = strerror(errno ? errno : EIO);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	if (n > HCABI__CONSOLE_INPUT_MAX) {
		*err = "larger than 1 MiB";
		free(buf);
		return -1;
	}
	pthread_mutex_lock(&input_lock);
	free(input_buf);
	input_buf = buf;
	input_len = n;
	input_pos = 0;
	pthread_mutex_unlock(&input_lock);
	return 0;
}

int64_t hcabi__console_read(void *buf, size_t len)
{
	size_t n;

	pthread_mutex_lock(&input_lock);
	n = input_len - input_pos < len ? input_len - input_pos : len;
	if (n)
		memcpy(buf, input_buf + input_pos, n);
	input_pos += n;
	pthread_mutex_unlock(&input_lock);
	return (int64_t)n;
}

/* ---- COM1 ----------------------------------------------------------------- */
#define COM1_BASE 0x3f8
#define DEBUG_EXIT_PORT 0xf4

static struct {
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
} com1 = {.lock = PTHREAD_MUTEX_INITIALIZER, .dll = 1};

static uint8_t com1_read(unsigned off)
{
	uint8_t v = 0xff;
	bool dlab = com1.lcr & 0x80;
	switch (off) {
	case 0:
		v = dlab ? com1.dll : 0x00;
		break; /* RBR: nothing received */
	case 1:
		v = dlab ? com1.dlm : com1.ier;
		break;
	case 2:
		v = (com1.fcr & 1) ? 0xc1 : 0x01;
		break; /* IIR: no interrupt */
	case 3:
		v = com1.lcr;
		break;
	case 4:
		v = com1.mcr;
		break;
	case 5:
		v = 0x60;
		break; /* LSR: THRE | TEMT */
	case 6:
		v = 0xb0;
		break; /* MSR: DCD DSR CTS */
	case 7:
		v = com1.scr;
		break;
	}
	return v;
}

static void com1_write(unsigned off, uint8_t v)
{
	bool dlab = com1.lcr & 0x80;
	switch (off) {
	case 0:
		if (dlab)
			com1.dll = v;
		else
			hcabi__serial_write(&v, 1);
		break;
	case 1:
		if (dlab)
			com1.dlm = v;
		else
			com1.ier = v & 0x0f;
		break;
	case 2:
		com1.fcr = v;
		break;
	case 3:
		com1.lcr = v;
		break;
	case 4:
		com1.mcr = v & 0x1f;
		break;
	case 7:
		com1.scr = v;
		break;
	default:
		break;
	}
}

void hcabi__handle_io(struct hcabi__vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned size = run->io.size;
	uint32_t count = run->io.count;
	uint16_t port = run->io.port;

	/* KVM guarantees data_offset + size * count fits in the run page
	 * (at most one page of string I/O). Be defensive anyway. */
	if (size != 1 && size != 2 && size != 4)
		return;
	if (run->io.data_offset >= v->vm->run_size ||
	    (uint64_t)size * count > v->vm->run_size - run->io.data_offset)
		return;

	if (port >= COM1_BASE && port < COM1_BASE + 8 && size == 1) {
		unsigned off = port - COM1_BASE;
		bool dlab;
		pthread_mutex_lock(&com1.lock);
		dlab = com1.lcr & 0x80;
		if (run->io.direction == KVM_EXIT_IO_OUT && off == 0 && !dlab) {
			/* THR writes, possibly a string of them (rep outsb) */
			pthread_mutex_unlock(&com1.lock);
			hcabi__serial_write(data, count);
			return;
		}
		for (uint32_t i = 0; i < count; i++) {
			if (run->io.direction == KVM_EXIT_IO_OUT)
				com1_write(off, data[i]);
			else
				data[i] = com1_read(off);
		}
		pthread_mutex_unlock(&com1.lock);
		return;
	}
	if (port == DEBUG_EXIT_PORT && run->io.direction == KVM_EXIT_IO_OUT) {
		uint32_t val = 0;
		memcpy(&val, data, size);
		hcabi__serial_flush();
		hcabi__vm_end(v->vm, (int)((((uint64_t)val << 1) | 1) & 0xff), false,
			      "isa-debug-exit value=0x%x status=%d", val,
			      (int)((((uint64_t)val << 1) | 1) & 0xff));
		return;
	}
	if (run->io.direction == KVM_EXIT_IO_IN)
		memset(data, 0xff, (size_t)size * count);
}

void hcabi__handle_mmio(struct hcabi__vcpu *v)
{
	struct kvm_run *run = v->run;
	if (!run->mmio.is_write) {
		size_t len = run->mmio.len <= sizeof(run->mmio.data) ? run->mmio.len
								     : sizeof(run->mmio.data);
		memset(run->mmio.data, 0xff, len);
	}
}
