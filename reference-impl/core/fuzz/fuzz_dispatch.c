/* SPDX-License-Identifier: MIT */
/*
 * fuzz_dispatch.c - libFuzzer harness of hcabi_ref_dispatch(): the input is
 * a VM configuration and a program of hypercalls, guest memory writes and
 * platform events; every call is checked by the harness's invariants (oracle/, fz_call.c).
 *
 * Input format (make_corpus.py writes the same; every read past the end
 * gives 0, so any byte string is a valid input):
 *
 *   header, 4 bytes
 *     [0] version pin: i % (number of versions + 1); 0 = newest, i = the
 *         i-th of HCABI_FOREACH_VERSION. When (b / (number of versions + 1))
 *         % 4 == 3, the embedder withholds optional extensions (profiles):
 *         extension k of HCABI_FOREACH_EXTENSION (BASE excepted) when bit
 *         k % 12 of ([1] >> 4) | ([3] << 4) is set
 *     [1] vCPU count: {1,2,2,3,3,4,4,4,5,8,16,63,64,65,128,256}[b % 16]
 *     [2] RAM layout: b % 5 (fz_vm.c's layouts[]: 0 = [0,64K) +
 *         [128K,160K) with a hole, 1 = two touching ranges, 2 = one range
 *         from 4K, 3 = a range ending one page below 2^64, 4 = four ranges)
 *     [3] CPUID base: 0x40000000 + b * 0x100 (0: the default)
 *   then operations, until the input ends, the VM ends (SHUTDOWN, CRASH)
 *   or FZ_MAX_OPS; the top 3 bits of the opcode byte select:
 *     0-3  CALL  ctl FID ARG*6
 *     4    WRITE (opcode bit 4 clear) ARG:gpa u8:len bytes
 *                (opcode bit 4 set) ARG:gpa, then (opcode & 7) + 1 u64 LE
 *     5    OBJECT  opcode & 0x18: 0x00 boot state: ARG:gpa u8:variant u8:arg
 *                                 0x08 batch table: ARG:gpa u8:count
 *                                      then count * (FID ARG*6)
 *                                 0x10 fill: ARG:gpa u8:len u8:byte (len * 8 bytes)
 *                                 0x18 nothing
 *     6    PLATFORM  fz_platform_op(opcode & 0x1F) (clock, steal, console
 *                    input, VMM start/park, interrupt, reset, CPUID, ...)
 *     7    FAILING CALL  u8:kind u8:skip, then as CALL: one host callback
 *                    of that kind fails (after `skip` that succeed)
 *   ctl: 0xFF = vCPU index = count (the VMM's bug), 0xFE = 0xFFFFFFFF;
 *        else CPL = 3 if ctl >> 4 == 0xF, 1 if 0xE, else 0; the caller is
 *        the k-th running vCPU, k = ctl & 0xF (0xF: k = next byte).
 *   FID (first byte s): s < 0xC0: the (s % n)-th function of
 *        HCABI_FOREACH_FUNCTION; 0xC0-C7 u8: a reserved function;
 *        0xC8-CF u8 u16: unknown FID of an extension; 0xD0-D7 u16 u16: an
 *        unknown EID (s & 3: standard, experimental, vendor, just after the
 *        last extension) and FID; 0xD8-DF u8 u32: a function with
 *        RAX[63:32] != 0; 0xE0-EF u32, 0xF0-FF u64: raw RAX.
 *   ARG (first byte s): < 0x40: s; 0x40-7F u8 u16: a GPA (fz_decode_gpa:
 *        kind s & 7 = range base + d, range end - d, range end + d (hole),
 *        2^64 - d, base + 64 d, base + 4096 d, end - 8 d, slot[u8]; plus a
 *        misalignment {0,1,2,4,7,8,36,63}[(s >> 3) & 7]); 0x80-9F: vCPU
 *        count + (s - 0x90); 0xA0-BF: interesting constants; 0xC0-DF u8:
 *        u8 << 2 (s & 0x1F); 0xE0-E7 u8: a function ID; 0xE8-EF u16;
 *        0xF0-F7 u32; 0xF8-FF u64.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"

#define FZ_MAX_OPS 512u

static void do_call(struct fz_in *in)
{
	uint8_t ctl = fz_u8(in), cpl = 0;
	uint64_t fid, args[6];
	uint32_t vcpu;

	fid = fz_decode_fid(in);
	for (unsigned i = 0; i < 6; i++)
		args[i] = fz_decode_arg(in);
	if (ctl == 0xFF) {
		vcpu = fz_nvcpus();
	} else if (ctl == 0xFE) {
		vcpu = UINT32_MAX;
	} else {
		uint32_t k = ctl & 0x0F;
		if (k == 0x0F)
			k = fz_u8(in);
		vcpu = fz_running_vcpu(k % fz_nrunning());
		cpl = (ctl >> 4) == 0xF ? 3 : (ctl >> 4) == 0xE ? 1 : 0;
	}
	fz_call(vcpu, cpl, fid, args);
}

static void boot_state(struct fz_in *in)
{
	uint64_t gpa = fz_decode_arg(in);
	uint8_t v = fz_u8(in), b[64];
	uint64_t rip, cr3, arg = fz_u8(in);

	rip = (v & 0x80) ? UINT64_C(0xFFFF800000001000) : fz_slot(0);
	if (v & 1)
		rip = UINT64_C(0x0000800000000000); /* not canonical */
	cr3 = fz_slot(5) & ~UINT64_C(0xFFF);
	if (v & 2)
		cr3 += 8; /* misaligned */
	if (v & 4)
		cr3 = UINT64_C(0xFFFFFFFFFFFFF000); /* never RAM */
	memset(b, 0, sizeof(b));
	for (int i = 0; i < 8; i++) {
		b[0 + i] = (uint8_t)(rip >> (8 * i));
		b[8 + i] = (uint8_t)(UINT64_C(0x9000) >> (8 * i));
		b[16 + i] = (uint8_t)(cr3 >> (8 * i));
		b[24 + i] = (uint8_t)(arg >> (8 * i));
	}
	b[48] = 0x17;
	b[50] = 0xFF;
	b[52] = (v & 8) ? 0x0B : 0x08;	/* cs: RPL 3 */
	b[54] = (v & 16) ? 0x00 : 0x10; /* ds: null */
	b[56] = (v & 32) ? 1 : 0;	/* flags */
	b[63] = (v & 64) ? 0x80 : 0;	/* reserved0 */
	fz_poke(gpa, b, sizeof(b));
}

static void batch_table(struct fz_in *in)
{
	uint64_t gpa = fz_decode_arg(in);
	unsigned count = fz_u8(in) % (HCABI_BATCH_MAX_ENTRIES + 2);

	for (unsigned i = 0; i < count; i++) {
		uint64_t e = gpa + i * sizeof(struct hcabi_batch_entry);
		fz_poke64(e, fz_decode_fid(in));
		for (unsigned a = 0; a < 6; a++)
			fz_poke64(e + 8 + 8 * a, fz_decode_arg(in));
		fz_poke64(e + 56, UINT64_C(0x5151515151515151)); /* status sentinel */
		fz_poke64(e + 64, UINT64_C(0x6161616161616161)); /* value sentinel */
	}
}

void fz_run(struct fz_in *in)
{
	for (unsigned n = 0; n < FZ_MAX_OPS && fz_more(in); n++) {
		uint8_t op = fz_u8(in);
		switch (op >> 5) {
		case 4:
			if (op & 0x10) {
				uint64_t gpa = fz_decode_arg(in);
				for (unsigned i = 0; i <= (op & 7u); i++)
					fz_poke64(gpa + 8 * i, fz_u64(in));
			} else {
				uint64_t gpa = fz_decode_arg(in);
				uint8_t buf[255];
				unsigned len = fz_u8(in);
				for (unsigned i = 0; i < len; i++)
					buf[i] = fz_u8(in);
				fz_poke(gpa, buf, len);
			}
			break;
		case 5:
			switch (op & 0x18) {
			case 0x00:
				boot_state(in);
				break;
			case 0x08:
				batch_table(in);
				break;
			case 0x10: {
				uint64_t gpa = fz_decode_arg(in);
				uint8_t buf[255 * 8];
				unsigned len = fz_u8(in) * 8u;
				memset(buf, fz_u8(in), len);
				fz_poke(gpa, buf, len);
				break;
			}
			default:
				break;
			}
			break;
		case 6:
			fz_platform_op(op & 0x1F, in);
			break;
		case 7: {
			uint8_t kind = fz_u8(in), skip = fz_u8(in);
			fz_set_failure(kind, skip);
			do_call(in);
			break;
		}
		default:
			do_call(in);
			break;
		}
	}
}
