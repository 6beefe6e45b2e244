/* SPDX-License-Identifier: MIT */
/*
 * log.c - hcabi-refvmm's stderr: one line per message, "hcabi-refvmm: "
 * first, nothing after the line that says how the VM ended.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "refvmm.h"

/* ---- stderr ------------------------------------------------------------ */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static bool log_closed;

void hcabi__write_all(int fd, const void *buf, size_t len)
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
		hcabi__write_all(2, line, len);
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

int hcabi__fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}
