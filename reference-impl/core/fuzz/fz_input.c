/* SPDX-License-Identifier: MIT */
/*
 * fz_input.c - the fuzz input as a stream of little-endian integers, 0 past
 * its end. It reads nothing else: the VM (fz_vm.c) and the decoders
 * (fz_decode.c) both take their bytes from here.
 */

#include "fz_model.h"

uint8_t fz_u8(struct fz_in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}
uint16_t fz_u16(struct fz_in *in)
{
	uint16_t v = fz_u8(in);
	return (uint16_t)(v | (uint16_t)fz_u8(in) << 8);
}
uint32_t fz_u32(struct fz_in *in)
{
	uint32_t v = fz_u16(in);
	return v | (uint32_t)fz_u16(in) << 16;
}
uint64_t fz_u64(struct fz_in *in)
{
	uint64_t v = fz_u32(in);
	return v | (uint64_t)fz_u32(in) << 32;
}
