/* SPDX-License-Identifier: MIT */
/*
 * console.c - where guest output goes and where console input comes from.
 *
 * The serial sink is shared by the UART (devices.c) and CONSOLE.WRITE; it
 * counts what it writes and drops everything past --serial-limit (one note
 * on stderr). It lives across reboots.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "refvmm.h"

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
		hcabi__write_all(sink.fd, sink.buf, sink.used);
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
