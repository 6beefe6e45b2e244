/* SPDX-License-Identifier: MIT */
/*
 * pcports.h - the PC's legacy I/O ports the x86-64 backend serves itself
 * (pcports.c dispatches; each device has its own file).
 */
#ifndef HCABI_REFVMM_PCPORTS_H
#define HCABI_REFVMM_PCPORTS_H

#include "arch.h"

/* The CMOS RTC at 0x70/0x71 (rtc.c); false when io is not its port. */
bool hcabi__x86_rtc_io(const struct hcabi__io *io);

#endif
