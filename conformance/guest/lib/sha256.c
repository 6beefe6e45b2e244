/* SPDX-License-Identifier: MIT */
/*
 * sha256.c - SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), freestanding:
 * the MAC of every protocol line (docs/internals.md, "The serial result
 * protocol"). Small on purpose: the 64 round constants are the only table,
 * and HMAC keeps its keyed inner and outer states so a line costs its own
 * blocks plus one.
 */
#include "hcabi_guest.h"

static const uint32_t k256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

static inline uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static void compress(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) +
			      k256[i] + w[i];
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

void hcabi_sha256_init(struct hcabi_sha256 *s)
{
	static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memcpy(s->h, iv, sizeof(iv));
	s->len = 0;
	s->fill = 0;
}

void hcabi_sha256_update(struct hcabi_sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	s->len += len;
	while (len) {
		size_t n = 64 - s->fill;
		if (n > len)
			n = len;
		memcpy(s->buf + s->fill, p, n);
		s->fill += n, p += n, len -= n;
		if (s->fill == 64) {
			compress(s->h, s->buf);
			s->fill = 0;
		}
	}
}

void hcabi_sha256_final(struct hcabi_sha256 *s, uint8_t out[32])
{
	uint64_t bits = s->len * 8;
	uint8_t pad = 0x80, zero = 0, be[8];

	hcabi_sha256_update(s, &pad, 1);
	while (s->fill != 56)
		hcabi_sha256_update(s, &zero, 1);
	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t)(bits >> (56 - 8 * i));
	hcabi_sha256_update(s, be, 8);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
}

void hcabi_sha256(const void *data, size_t len, uint8_t out[32])
{
	struct hcabi_sha256 s;
	hcabi_sha256_init(&s);
	hcabi_sha256_update(&s, data, len);
	hcabi_sha256_final(&s, out);
}

void hcabi_hmac_sha256_key(struct hcabi_hmac *h, const void *key, size_t len)
{
	uint8_t k[64], pad[64];

	memset(k, 0, sizeof(k));
	if (len > 64)
		hcabi_sha256(key, len, k);
	else
		memcpy(k, key, len);
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	hcabi_sha256_init(&h->inner);
	hcabi_sha256_update(&h->inner, pad, 64);
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	hcabi_sha256_init(&h->outer);
	hcabi_sha256_update(&h->outer, pad, 64);
}

void hcabi_hmac_sha256(const struct hcabi_hmac *h, const void *data, size_t len, uint8_t out[32])
{
	struct hcabi_sha256 s = h->inner;
	uint8_t inner[32];

	hcabi_sha256_update(&s, data, len);
	hcabi_sha256_final(&s, inner);
	s = h->outer;
	hcabi_sha256_update(&s, inner, sizeof(inner));
	hcabi_sha256_final(&s, out);
}

bool hcabi_sha256_self_check(void)
{
	/* FIPS 180-2, appendix B.1: SHA-256("abc") */
	static const uint8_t abc[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
					0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
					0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
					0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
	uint8_t out[32];
	hcabi_sha256("abc", 3, out);
	return memcmp(out, abc, sizeof(out)) == 0;
}
