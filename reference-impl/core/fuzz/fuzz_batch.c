/* SPDX-License-Identifier: MIT */
/*
 * fuzz_batch.c - libFuzzer harness of BATCH.EXECUTE: the input's bytes are
 * the table itself, as the guest lays it out in RAM (raw 72-byte struct
 * hcabi_batch_entry, every field fuzzed: RAX with any upper bits, reserved
 * argument bits, the status and value slots), executed by a BATCH.EXECUTE
 * call with a fuzzed count and table address. The same invariants as
 * fuzz_dispatch (oracle/, fz_call.c) check every entry and the call.
 *
 * Input format (any byte string is valid; reads past the end give 0):
 *   header, 4 bytes: as fuzz_dispatch.c (version, vCPUs, RAM layout, CPUID)
 *   then up to FZ_BATCH_ROUNDS rounds:
 *     u8 ctl      bits 3:0: caller (k-th running vCPU); bit 4: a host
 *                 failure follows (u8 kind, u8 skip); bit 5: VCPU.START
 *                 every vCPU first (boot state at slot 0), so that IPI,
 *                 TLB and KICK entries have running targets
 *     u8 count    the count argument (0..255: > 64 is INVALID_PARAM)
 *     ARG gpa     the table address (fuzz_dispatch.c's ARG encoding)
 *     bytes       min(count, 65) * 72 bytes of table, written at gpa (the
 *                 parts that are RAM)
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"

#define FZ_BATCH_ROUNDS 8u
#define ENTRY_SIZE sizeof(struct hcabi_batch_entry)

static void start_all(void)
{
	uint8_t b[64];
	uint64_t cr3 = fz_slot(5) & ~UINT64_C(0xFFF), rip = fz_slot(0);
	uint64_t args[6] = {0};

	memset(b, 0, sizeof(b));
	for (int i = 0; i < 8; i++) {
		b[0 + i] = (uint8_t)(rip >> (8 * i));
		b[16 + i] = (uint8_t)(cr3 >> (8 * i));
	}
	b[52] = 0x08;
	b[54] = 0x10;
	fz_poke(fz_slot(0), b, sizeof(b));
	for (uint32_t v = 1; v < fz_nvcpus() && v < 70; v++) {
		args[0] = v;
		args[1] = fz_slot(0);
		fz_call(0, 0, HCABI_FID_VCPU_START, args);
	}
}

void fz_run(struct fz_in *in)
{
	for (unsigned round = 0; round < FZ_BATCH_ROUNDS && fz_more(in); round++) {
		uint8_t ctl = fz_u8(in), count = fz_u8(in);
		uint64_t gpa, args[6] = {0};
		uint8_t table[(HCABI_BATCH_MAX_ENTRIES + 1) * ENTRY_SIZE];
		size_t n =
		    (count < HCABI_BATCH_MAX_ENTRIES + 1 ? count : HCABI_BATCH_MAX_ENTRIES + 1) *
		    ENTRY_SIZE;
		uint8_t kind = 0, skip = 0;

		if (ctl & 0x10) {
			kind = fz_u8(in);
			skip = fz_u8(in);
		}
		gpa = fz_decode_arg(in);
		for (size_t i = 0; i < n; i++)
			table[i] = fz_u8(in);
		if ((ctl & 0x20) && round == 0)
			start_all();
		fz_poke(gpa, table, n);
		args[0] = gpa;
		args[1] = count;
		if (ctl & 0x10)
			fz_set_failure(kind, skip);
		fz_call(fz_running_vcpu((ctl & 0x0F) % fz_nrunning()), 0, HCABI_FID_BATCH_EXECUTE,
			args);
	}
}
