/* SPDX-License-Identifier: MIT */
/*
 * hcabi-conf-console.elf: the CONSOLE extension. One vCPU.
 *
 * What reaches the console cannot be read back by the guest: these tests
 * check what the guest can see (statuses, counts, guest memory) and write
 * recognisable text ("hcabi-console-test: ...") so that the boot log shows
 * the output too.
 */
#include "hcabi_test.h"

HCABI_IMAGE(.vcpus = 1, .memory_mib = 64, .ends = HCABI_ENDS_EXIT);
