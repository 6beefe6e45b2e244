/* SPDX-License-Identifier: MIT */
/*
 * hcabi-conf-ipi.elf: the IPI extension. Four vCPUs, so that a send can name
 * a proper subset of the VM's vCPUs and the test can see that exactly that
 * subset got the interrupt (IPI-002), and so that stopped vCPUs can be
 * named (IPI-003).
 */
#include "hcabi_test.h"

HCABI_IMAGE(.vcpus = 4, .memory_mib = 64, .ends = HCABI_ENDS_EXIT);
