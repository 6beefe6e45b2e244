/* SPDX-License-Identifier: MIT */
/*
 * hcabi-conf-console.elf: the CONSOLE extension. One vCPU.
 *
 * What reaches the console cannot be read back by the guest: output.c
 * announces key-derived bytes that the runner compares with what reached the
 * VMM's console, and input.c reads key-derived input the runner supplies
 * (docs/internals.md, "Console data paths"); the other tests check what the
 * guest can see (statuses, counts, guest memory) and write recognisable text
 * ("hcabi-console-test: ...") to the log. input.c sorts before read.c: its
 * test reads all the input before read.c's tests expect none pending.
 */
#include "hcabi_test.h"

HCABI_IMAGE(.vcpus = 1, .memory_mib = 64, .ends = HCABI_ENDS_EXIT);
