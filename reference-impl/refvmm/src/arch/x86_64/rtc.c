/* SPDX-License-Identifier: MIT */
/*
 * rtc.c - the PC's CMOS real-time clock (an MC146818 at ports 0x70/0x71),
 * reduced to what a guest reads at boot: the time of day from the host's
 * CLOCK_REALTIME (UTC, BCD, 24-hour), status registers that say "no update
 * in progress, valid", and the 114 bytes of CMOS RAM, which keep what the
 * guest writes (zero at power-on). Writes to the clock registers are
 * ignored: the guest's time of day is the host's. No alarm, no periodic
 * interrupt (IRQ 8 never fires). Linux reads its wall clock here at boot
 * (without it: "Unable to read current time from RTC", after waiting a
 * second for an update that never ends, and the clock starts at 1970).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "pcports.h"

#define RTC_INDEX_PORT 0x70u
#define RTC_DATA_PORT 0x71u
#define REG_A 0x0au /* UIP clear; 32.768 kHz time base, 1024 Hz rate */
#define REG_B 0x0bu /* 24-hour, BCD, no interrupts enabled */
#define REG_C 0x0cu /* no interrupt flags */
#define REG_D 0x0du /* VRT: the battery is good */
#define REG_CENTURY 0x32u
#define CMOS_SIZE 128u

static struct {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t ram[CMOS_SIZE];
} rtc = {.lock = PTHREAD_MUTEX_INITIALIZER};

static uint8_t bcd(int v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static uint8_t rtc_read(uint8_t reg)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	switch (reg) {
	case 0x00:
		return bcd(tm.tm_sec > 59 ? 59 : tm.tm_sec);
	case 0x02:
		return bcd(tm.tm_min);
	case 0x04:
		return bcd(tm.tm_hour);
	case 0x06:
		return bcd(tm.tm_wday + 1);
	case 0x07:
		return bcd(tm.tm_mday);
	case 0x08:
		return bcd(tm.tm_mon + 1);
	case 0x09:
		return bcd(tm.tm_year % 100);
	case REG_CENTURY:
		return bcd(19 + tm.tm_year / 100);
	case 0x01: /* the alarm registers: no alarm */
	case 0x03:
	case 0x05:
		return 0;
	case REG_A:
		return 0x26;
	case REG_B:
		return 0x02;
	case REG_C:
		return 0;
	case REG_D:
		return 0x80;
	default:
		return rtc.ram[reg];
	}
}

bool hcabi__x86_rtc_io(const struct hcabi__io *io)
{
	if (io->bus != HCABI__BUS_PIO || io->size != 1 ||
	    (io->addr != RTC_INDEX_PORT && io->addr != RTC_DATA_PORT))
		return false;
	pthread_mutex_lock(&rtc.lock);
	for (uint32_t i = 0; i < io->count; i++) {
		if (io->addr == RTC_INDEX_PORT) {
			/* bit 7 masks NMIs on a PC: not modelled */
			if (io->write)
				rtc.index = io->data[i] & 0x7f;
			else
				io->data[i] = 0xff; /* the index port is write-only */
		} else if (io->write) {
			if (rtc.index > REG_D && rtc.index != REG_CENTURY)
				rtc.ram[rtc.index] = io->data[i];
		} else {
			io->data[i] = rtc_read(rtc.index);
		}
	}
	pthread_mutex_unlock(&rtc.lock);
	return true;
}
