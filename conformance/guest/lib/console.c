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

/* Room before the body for "@hcabi " and a 20-digit sequence number. */
#define PROTO_HEAD 32

void hcabi_proto(const char *fmt, ...)
{
	static uint64_t seq; /* protected by the console lock */
	char line[PROTO_HEAD + LINE_MAX + 32];
	char head[PROTO_HEAD], mac[17];
	char *body = line + PROTO_HEAD, *start;
	size_t n, h;
	uint64_t flags;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = hcabi_vsnprintf(body, LINE_MAX, fmt, ap);
	va_end(ap);
	n = r < 0 ? 0 : (size_t)r;
	if (n > LINE_MAX - 1)
		n = LINE_MAX - 1; /* truncated: still a valid line */
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)body[i];
		if (ch < 0x20 || ch >= 0x7F)
			body[i] = '?';
	}
	while (n > 0 && body[n - 1] == ' ')
		n--; /* the MAC field follows exactly one space */

	hcabi__console_lock(&flags);
	/* The number is taken and the line written under one lock: the
	 * runner sees 0, 1, 2, ... in order, whichever vCPU printed. */
	h = (size_t)hcabi_snprintf(head, sizeof(head), "@hcabi %llu ", (unsigned long long)seq++);
	start = body - h;
	memcpy(start, head, h);
	n += h;
	hcabi__line_mac(start, n, mac);
	n += (size_t)hcabi_snprintf(start + n, 20, " ~%s", mac);
	n += (size_t)hcabi_snprintf(start + n, 12, " #%08x\n", hcabi_crc32(0, start, n));
	hcabi_serial_write(start, n);
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
