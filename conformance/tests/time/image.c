/* SPDX-License-Identifier: MIT */
/*
 * hcabi-conf-time.elf: the TIME extension. Two vCPUs, for the monotonic
 * clock across vCPUs (TIME-002) and for timers that must fire on their own
 * vCPU only (TIME-021).
 *
 * Every wait is generous (the nested path is 20-40 times slower than
 * hardware): a test waits up to TIME_WAIT of monotonic time for an
 * interrupt and never asserts an upper bound on latency; only the rules
 * (not before the deadline, exactly once, on the right vCPU) are checked.
 */
#include "hcabi_test.h"

HCABI_IMAGE(.vcpus = 2, .memory_mib = 64, .ends = HCABI_ENDS_EXIT);
