/* SPDX-License-Identifier: MIT */
/*
 * pcports.c - the x86-64 backend's own devices (arch.h
 * hcabi__arch_device_io): the CMOS RTC (rtc.c) and the reset line of the
 * keyboard controller.
 *
 * refvmm has no i8042: its ports read all-ones, so Linux's i8042 driver
 * finds no controller (devices.c). A PC's chipset still resets the machine
 * when command 0xFE ("pulse output port bit 0", the CPU reset line) is
 * written to port 0x64, and that is the reset Linux tries first when it
 * reboots without ACPI (after waiting for the controller's input buffer,
 * which here never says empty: a bounded wait). Without it, a Linux that
 * panics with panic=N, or reboots without hcabi.ko, would cycle through its
 * other reset methods for minutes. Every other write to 0x64 is ignored.
 */
#define _GNU_SOURCE
#include <stdio.h>

#include "pcports.h"
#include "refvmm.h"

#define I8042_COMMAND_PORT 0x64u
#define I8042_CMD_PULSE_RESET 0xfeu

static bool i8042_reset_io(const struct hcabi__io *io, struct hcabi__end *req)
{
	const struct hcabi__vcpu *self = hcabi__current_vcpu();

	if (io->bus != HCABI__BUS_PIO || io->addr != I8042_COMMAND_PORT || !io->write ||
	    io->size != 1)
		return false;
	for (uint32_t i = 0; i < io->count; i++) {
		if (io->data[i] != I8042_CMD_PULSE_RESET)
			continue;
		req->ended = true;
		if (self && self->vm->opts->no_reboot) {
			req->reboot = false;
			req->status = HCABI__EXIT_REBOOT;
			snprintf(req->msg, sizeof(req->msg),
				 "reset through the keyboard controller (port 0x64, command 0xfe) "
				 "on vcpu %u (--no-reboot)", self->index);
		} else {
			req->reboot = true;
			req->status = -1;
			snprintf(req->msg, sizeof(req->msg),
				 "reset through the keyboard controller (port 0x64, command 0xfe)");
		}
		break;
	}
	return true;
}

bool hcabi__arch_device_io(const struct hcabi__io *io, struct hcabi__end *req)
{
	return hcabi__x86_rtc_io(io) || i8042_reset_io(io, req);
}
