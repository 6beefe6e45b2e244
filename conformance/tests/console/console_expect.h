/* SPDX-License-Identifier: MIT */
/*
 * console_expect.h - announce a console region for the runner's byte-for-byte
 * comparison (docs/internals.md, "Console data paths"): console_expect()
 * before the bytes go out through CONSOLE, console_expect_end() after. No
 * protocol line (no check) may come between the two. Used by the console
 * image (output.c) and by tests of other images whose evidence is what
 * reached the console (batch/results_order.c).
 */
#ifndef CONSOLE_EXPECT_H
#define CONSOLE_EXPECT_H

#include "hcabi_test.h"

/* Announce a region: the runner derives the same bytes from `label` (the
 * first n bytes of the stream, console_data.c) and checks p's SHA-256
 * against them. `how`: write, pieces, bytes or rejected; `req`: the
 * requirement a difference fails. */
static inline void console_expect(const char *label, const uint8_t *p, size_t n, const char *how,
				  const char *req)
{
	static const char hex[] = "0123456789abcdef";
	char sum[65];
	uint8_t d[32];

	hcabi_sha256(p, n, d);
	for (int i = 0; i < 32; i++) {
		sum[2 * i] = hex[d[i] >> 4];
		sum[2 * i + 1] = hex[d[i] & 15];
	}
	sum[64] = 0;
	hcabi_proto("console-expect label=%s len=%llu sha256=%s how=%s req=%s", label,
		    (unsigned long long)n, sum, how, req);
}

/* Close a region: one newline through COM1 first, so the closing line
 * starts a line whatever the payload's last byte was (the runner drops it). */
static inline void console_expect_end(const char *label)
{
	hcabi_serial_write("\n", 1);
	hcabi_proto("console-end label=%s", label);
}

#endif /* CONSOLE_EXPECT_H */
