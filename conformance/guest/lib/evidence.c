/* SPDX-License-Identifier: MIT */
/*
 * evidence.c - what binds every protocol line to one boot of this build's
 * image (docs/internals.md, "The serial result protocol"):
 *
 * - the nonce: `hcabi.nonce=<32 lower-case hex>` on the PVH command line,
 *   fresh for every boot (the runner makes it); "" when none was given;
 * - the image key: 32 random bytes of the build, compiled in after a fixed
 *   16-byte magic (evidence_key.c, generated at configure time), so the
 *   runner can read it back from the image file;
 * - K = SHA-256(image key || nonce as its ASCII hex), and each line's MAC,
 *   the first 8 bytes of HMAC-SHA256(K, line), as 16 lower-case hex digits.
 *
 * A VMM that runs the image faithfully produces these; one that prints or
 * replays lines cannot, unless its author pulls the key out of this file's
 * blob in the image binary.
 */
#include "hcabi_guest.h"
#include "hcabi_internal.h"

#define NONCE_OPT "hcabi.nonce"
#define NONCE_LEN 32

/* evidence_key.c: 16 bytes of magic, then the 32-byte key */
extern const uint8_t hcabi__evidence_blob[48];

static char nonce[NONCE_LEN + 1];
static struct hcabi_hmac line_key;

const char *hcabi_nonce(void)
{
	return nonce[0] ? nonce : "-";
}

/* The value of the first `hcabi.nonce=` word, if it is exactly 32 lower-case
 * hex digits; anything else counts as no nonce (the hello says nonce=-). */
static void parse_nonce(void)
{
	const char *v = hcabi_cmdline_value(NONCE_OPT);
	size_t n = 0;

	if (!v)
		return;
	while (n <= NONCE_LEN && ((v[n] >= '0' && v[n] <= '9') || (v[n] >= 'a' && v[n] <= 'f')))
		n++;
	if (n == NONCE_LEN && (v[n] == 0 || v[n] == ' '))
		memcpy(nonce, v, NONCE_LEN);
}

bool hcabi__evidence_init(void)
{
	struct hcabi_sha256 s;
	uint8_t k[32];

	nonce[0] = 0;
	parse_nonce();
	hcabi_sha256_init(&s);
	hcabi_sha256_update(&s, hcabi__evidence_blob + 16, 32);
	hcabi_sha256_update(&s, nonce, strlen(nonce));
	hcabi_sha256_final(&s, k);
	hcabi_hmac_sha256_key(&line_key, k, sizeof(k));
	return hcabi_sha256_self_check();
}

void hcabi__line_mac(const char *line, size_t len, char out[17])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t mac[32];

	hcabi_hmac_sha256(&line_key, line, len, mac);
	for (int i = 0; i < 8; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[16] = 0;
}
