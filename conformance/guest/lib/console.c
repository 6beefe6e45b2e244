/* SPDX-License-Identifier: MIT */
/*
 * console.c - log text and protocol lines on COM1, locks, the clock, and
 * the ways an image ends.
 *
 * One console lock serialises whole lines between vCPUs. It is taken with
 * interrupts disabled and is recursive on the vCPU that holds it, so an
 * exception raised while printing can still print its report.
 */
#include "hcabi_guest.h"
#include "hcabi_internal.h"

#define LINE_MAX 1024

static volatile int console_owner = -1;
static int console_depth;

void hcabi_spin_lock(struct hcabi_spinlock *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			hcabi_pause();
}

void hcabi_spin_unlock(struct hcabi_spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

uint64_t hcabi_spin_lock_irqsave(struct hcabi_spinlock *l)
{
	uint64_t f = hcabi_irq_save();
	hcabi_spin_lock(l);
	return f;
}

void hcabi_spin_unlock_irqrestore(struct hcabi_spinlock *l, uint64_t flags)
{
	hcabi_spin_unlock(l);
	hcabi_irq_restore(flags);
}

void hcabi__console_lock(uint64_t *flags)
{
	int me = (int)hcabi_cpu_index();
	*flags = hcabi_irq_save();
	if (__atomic_load_n(&console_owner, __ATOMIC_ACQUIRE) == me) {
		console_depth++;
		return;
	}
	for (;;) {
		int expected = -1;
		if (__atomic_compare_exchange_n(&console_owner, &expected, me, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			break;
		hcabi_pause();
	}
	console_depth = 1;
}

void hcabi__console_unlock(uint64_t flags)
{
	if (--console_depth == 0)
		__atomic_store_n(&console_owner, -1, __ATOMIC_RELEASE);
	hcabi_irq_restore(flags);
}

void hcabi_vprintf(const char *fmt, va_list ap)
{
	char line[LINE_MAX];
	int n = hcabi_vsnprintf(line, sizeof(line) - 1, fmt, ap);
	uint64_t flags;

	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	hcabi__console_lock(&flags);
	hcabi_serial_write(line, (size_t)n);
	hcabi__console_unlock(flags);
}

void hcabi_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	hcabi_vprintf(fmt, ap);
	va_end(ap);
}

void hcabi_proto(const char *fmt, ...)
{
	char line[LINE_MAX + 16];
	static const char prefix[] = "@hcabi ";
	size_t p = sizeof(prefix) - 1;
	uint64_t flags;
	va_list ap;
	int n;

	memcpy(line, prefix, p);
	va_start(ap, fmt);
	n = hcabi_vsnprintf(line + p, LINE_MAX - p, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > LINE_MAX - p - 1)
		n = (int)(LINE_MAX - p - 1); /* truncated: still a valid line */
	p += (size_t)n;
	for (size_t i = 0; i < p; i++) {
		unsigned char ch = (unsigned char)line[i];
		if (ch < 0x20 || ch >= 0x7F)
			line[i] = '?';
	}
	while (p > sizeof(prefix) - 1 && line[p - 1] == ' ')
		p--; /* the CRC field follows exactly one space */
	p += (size_t)hcabi_snprintf(line + p, 16, " #%08x\n", hcabi_crc32(0, line, p));
	hcabi__console_lock(&flags);
	hcabi_serial_write(line, p);
	hcabi__console_unlock(flags);
}

HCABI_NORETURN void hcabi_exit(uint8_t value)
{
	hcabi_irq_disable();
	hcabi_outb(0xF4, value);
	/* isa-debug-exit did nothing: power off through HCABI if we may */
	if (hcabi_disc.present && hcabi_has_ext(HCABI_EID_SYSTEM))
		hcabi_system_shutdown(value);
	hcabi_printf("hcabi guest: halted (no isa-debug-exit port, no SYSTEM.SHUTDOWN)");
	for (;;)
		__asm__ __volatile__("cli; hlt");
}

HCABI_NORETURN void hcabi_panic(const char *fmt, ...)
{
	va_list ap;
	char msg[512];
	va_start(ap, fmt);
	hcabi_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hcabi_printf("FATAL: %s", msg);
	hcabi_exit(HCABI_EXIT_FATAL);
}

uint64_t hcabi_now_ns(void)
{
	if (hcabi_has_ext(HCABI_EID_TIME)) {
		struct hcabi_ret r = hcabi_time_get_monotonic();
		if (r.status == HCABI_SUCCESS)
			return r.value;
	}
	/* No HCABI clock: the TSC at an assumed 1 GHz, only good enough to
	 * bound waits. */
	return hcabi_rdtsc();
}
