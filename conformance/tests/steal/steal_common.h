/* SPDX-License-Identifier: MIT */
/*
 * steal_common.h - helpers of the STEAL tests: records, poisoning, and
 * reading a record as the sequence-count protocol says.
 */
#ifndef STEAL_COMMON_H
#define STEAL_COMMON_H

#include "hcabi_test.h"
#include "hcabi_ram.h"

#define STEAL_POISON 0xA5u
#define STEAL_POISON_NS 0xA5A5A5A5A5A5A5A5ull

/* Records for the tests: 64-byte aligned, each in its own cache line, in a
 * page of their own so that poisoning one never touches anything else. */
struct steal_records {
	struct hcabi_steal_time rec[8];
} __attribute__((aligned(4096)));

static inline volatile struct hcabi_steal_time *steal_rec(struct steal_records *r, unsigned i)
{
	return (volatile struct hcabi_steal_time *)&r->rec[i];
}

static inline void steal_poison(volatile struct hcabi_steal_time *rec)
{
	hcabi_fill((void *)rec, STEAL_POISON, sizeof(*rec));
	hcabi_mb();
}

static inline bool steal_is_poison(volatile struct hcabi_steal_time *rec)
{
	return hcabi_find_not((const void *)rec, STEAL_POISON, sizeof(*rec)) < 0;
}

/* Whether flags and every reserved field read as zero. */
static inline bool steal_reserved_zero(volatile struct hcabi_steal_time *rec)
{
	if (rec->flags)
		return false;
	for (unsigned i = 0; i < 6; i++)
		if (rec->reserved[i])
			return false;
	return true;
}

/* (b - a) as the sequence counts it (modulo 2^32). */
static inline uint32_t steal_seq_delta(uint32_t a, uint32_t b)
{
	return b - a;
}

/* Make sure nothing is registered on this vCPU (at the start and end of a
 * test, whatever an earlier one left). */
static inline void steal_unregister(void)
{
	(void)hcabi_steal_set_shmem(HCABI_STEAL_DISABLE);
}

#endif /* STEAL_COMMON_H */
