/* SPDX-License-Identifier: MIT */
/*
 * fz_decode.c - fuzz bytes into values: the decoders of function IDs,
 * arguments and guest addresses that aim at the interesting values (limits,
 * the edges of RAM, reserved IDs). The byte reader is fz_input.c's.
 */

#include "fz_model.h"

uint64_t fz_decode_gpa(struct fz_in *in, uint8_t sel)
{
	static const uint64_t mis[8] = {0, 1, 2, 4, 7, 8, 36, 63};
	uint8_t r = fz_u8(in);
	uint64_t d = fz_u16(in), g;
	const struct hcabi_ref_ram_range *R = &fz.cfg[r % fz.ncfg];
	uint64_t end = R->base + R->size;

	switch (sel & 7) {
	case 0:
		g = R->base + d;
		break;
	case 1:
		g = end - d;
		break;
	case 2:
		g = end + d;
		break; /* the hole, or beyond RAM */
	case 3:
		g = 0 - d;
		break; /* just below 2^64 */
	case 4:
		g = R->base + d * 64;
		break;
	case 5:
		g = R->base + d * HCABI_PAGE_SIZE;
		break;
	case 6:
		g = end - d * 8;
		break;
	default:
		g = fz_slot(r);
		break;
	}
	return g + mis[(sel >> 3) & 7];
}

uint64_t fz_decode_arg(struct fz_in *in)
{
	uint8_t s = fz_u8(in);
	const uint64_t consts[32] = {
	    HCABI_VECTOR_MIN,
	    HCABI_VECTOR_MIN - 1,
	    0xFF,
	    0x100,
	    0x120,
	    0x1FF,
	    HCABI_CONSOLE_MAX_XFER,
	    HCABI_CONSOLE_MAX_XFER + 1,
	    HCABI_BATCH_MAX_ENTRIES,
	    HCABI_BATCH_MAX_ENTRIES + 1,
	    UINT32_MAX,
	    UINT64_C(1) << 32,
	    UINT64_C(1) << 63,
	    UINT64_MAX,
	    UINT64_MAX - 1,
	    INT64_MAX,
	    UINT64_C(0x0000800000000000),
	    UINT64_C(0xFFFF800000000000),
	    UINT64_C(0x00007FFFFFFFF000),
	    UINT64_C(0xFFFFFFFFFFFFF000),
	    UINT64_MAX / HCABI_PAGE_SIZE,
	    UINT64_MAX / HCABI_PAGE_SIZE + 1,
	    99999,
	    100000,
	    1000000000,
	    fz.mono,
	    fz.mono + 1000,
	    0xFFFF,
	    0x8000,
	    0xC000,
	    0x10000,
	    HCABI_PAGE_SIZE,
	};

	if (s < 0x40)
		return s;
	if (s < 0x80)
		return fz_decode_gpa(in, s);
	if (s < 0xA0)
		return (uint64_t)fz.nvcpus + (uint64_t)(int64_t)(s - 0x90);
	if (s < 0xC0)
		return consts[s & 0x1F];
	if (s < 0xE0)
		return (uint64_t)fz_u8(in) << ((s & 0x1F) * 2);
	if (s < 0xE8)
		return fz_fns[fz_u8(in) % FZ_NFNS].id;
	if (s < 0xF0)
		return fz_u16(in);
	if (s < 0xF8)
		return fz_u32(in);
	return fz_u64(in);
}

uint64_t fz_decode_fid(struct fz_in *in)
{
	uint8_t s = fz_u8(in);
	uint32_t max_eid = 0;

	if (s < 0xC0)
		return fz_fns[s % FZ_NFNS].id;
	if (s < 0xC8)
		return fz_reserved_fns[fz_u8(in) % FZ_NRESERVED];
	if (s < 0xD0) {
		uint32_t eid = fz_exts[fz_u8(in) % FZ_NEXTS].eid;
		return HCABI_FUNCTION_ID(eid, fz_u16(in));
	}
	if (s < 0xD8) {
		uint32_t u = fz_u16(in), eid;
		for (size_t i = 0; i < FZ_NEXTS; i++)
			if (fz_exts[i].eid > max_eid)
				max_eid = fz_exts[i].eid;
		switch (s & 3) {
		case 0:
			eid = u % HCABI_EID_EXPERIMENTAL_FIRST;
			break;
		case 1:
			eid = HCABI_EID_EXPERIMENTAL_FIRST + u % 0x4000u;
			break;
		case 2:
			eid = HCABI_EID_VENDOR_FIRST + u % 0x4000u;
			break;
		default:
			eid = max_eid + 1 + u % 16u;
			break;
		}
		return HCABI_FUNCTION_ID(eid, fz_u16(in));
	}
	if (s < 0xE0) {
		uint64_t id = fz_fns[fz_u8(in) % FZ_NFNS].id;
		uint32_t hi = fz_u32(in);
		return id | (uint64_t)(hi ? hi : 1u) << 32;
	}
	if (s < 0xF0)
		return fz_u32(in);
	return fz_u64(in);
}
