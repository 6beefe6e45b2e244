/* SPDX-License-Identifier: MIT */
/*
 * console.c - log text and protocol lines on the serial console, each
 * written whole under the console lock (lock.c).
 */
#include "hcabi_guest.h"
#include "hcabi_internal.h"

#define LINE_MAX 1024

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

void hcabi_hello(const char *image)
{
	hcabi_proto("hello image=%s protocol=2 nonce=%s", image, hcabi_nonce());
}
