/* SPDX-License-Identifier: MIT */
/*
 * console_data.c - the bytes of the console data-path checks
 * (docs/internals.md, "Console data paths"): what a test writes through
 * CONSOLE for the runner to compare, and the input the runner feeds to
 * CONSOLE.READ. Both are derived from this boot's line key
 * K = SHA-256(image key || nonce), so a VMM cannot print a canned answer,
 * and the guest knows the input it must read without trusting the VMM:
 *
 *   raw = HMAC-SHA256(K, "LABEL:0") || HMAC-SHA256(K, "LABEL:1") || ...
 *   byte i = '\n' if i % 48 == 47, else ALPHABET[raw[i] % 32]
 *
 * (runners/hcabi_conform/evidence.py `console_bytes` computes the same.)
 * The alphabet has no '@', so no line of it can look like a protocol line.
 */
#include "hcabi_guest.h"
#include "hcabi_internal.h"

#define LINE 48

static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

/* evidence_key.c: 16 bytes of magic, then the 32-byte key */
extern const uint8_t hcabi__evidence_blob[48];

void hcabi_console_bytes(const char *label, uint8_t *out, size_t n)
{
	struct hcabi_sha256 s;
	struct hcabi_hmac h;
	const char *nonce = hcabi_nonce();
	uint8_t k[32], block[32];
	char msg[80];

	hcabi_sha256_init(&s);
	hcabi_sha256_update(&s, hcabi__evidence_blob + 16, 32);
	if (strcmp(nonce, "-"))
		hcabi_sha256_update(&s, nonce, strlen(nonce));
	hcabi_sha256_final(&s, k);
	hcabi_hmac_sha256_key(&h, k, sizeof(k));
	for (size_t i = 0; i < n; i++) {
		if (i % 32 == 0) {
			int len = hcabi_snprintf(msg, sizeof(msg), "%s:%llu", label,
						 (unsigned long long)(i / 32));
			hcabi_hmac_sha256(&h, msg, (size_t)len, block);
		}
		out[i] = i % LINE == LINE - 1 ? '\n' : (uint8_t)alphabet[block[i % 32] % 32];
	}
}
