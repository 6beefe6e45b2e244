/* SPDX-License-Identifier: MIT */
/*
 * clock.h - CLOCK_MONOTONIC in nanoseconds, the clock of every deadline in
 * hcabi-refvmm (its condition variables wait on it), and the conversion to
 * the struct timespec that pthread_cond_timedwait takes.
 */
#ifndef HCABI_REFVMM_CLOCK_H
#define HCABI_REFVMM_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t hcabi__now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline struct timespec hcabi__to_ts(uint64_t ns)
{
	struct timespec ts;
	ts.tv_sec = (time_t)(ns / 1000000000ull);
	ts.tv_nsec = (long)(ns % 1000000000ull);
	return ts;
}

#endif
