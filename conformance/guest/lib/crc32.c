/* SPDX-License-Identifier: MIT */
/*
 * crc32.c - CRC-32 as zlib computes it (IEEE 802.3, reflected polynomial
 * 0xEDB88320, initial and final XOR 0xFFFFFFFF): the protocol line checksum.
 * hcabi_crc32(0, "123456789", 9) == 0xCBF43926.
 */
#include "hcabi_guest.h"

uint32_t hcabi_crc32(uint32_t crc, const void *data, size_t len)
{
	static uint32_t table[256];
	static volatile bool ready;
	const uint8_t *p = data;

	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
		ready = true;
	}
	crc = ~crc;
	while (len--)
		crc = table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
	return ~crc;
}
