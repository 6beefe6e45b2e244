/* SPDX-License-Identifier: MIT */
/* time_common.c - the TIME tests' interrupt handler (time_common.h). */
#include "time_common.h"

struct time_hits time_hits[HCABI_MAX_CPUS][3];

void time_handler(struct hcabi_frame *f, unsigned vector)
{
	struct time_hits *h;
	uint64_t t = hcabi_time_get_monotonic().value;

	(void)f;
	if (vector < TV_A || vector > TV_C)
		return;
	h = hits(hcabi_cpu_index(), vector);
	if (!h->count)
		h->first_at = t;
	h->at = t;
	hcabi_atomic_add(&h->count, 1);
}
