/* SPDX-License-Identifier: MIT */
/*
 * fz_entry.c - libFuzzer's entry point, the same for every harness: one
 * input is one VM (fz_open, from the header), the harness's program
 * (fz_run: fuzz_dispatch.c or fuzz_batch.c) on it, then fz_close.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = {data, size};

	if (size < FZ_HEADER_SIZE)
		return 0;
	fz_open(&in);
	fz_run(&in);
	fz_close();
	return 0;
}
