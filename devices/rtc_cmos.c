// SPDX-License-Identifier: GPL-2.0
/*
 * MC146818-compatible CMOS clock: index at 0x70 (bit 7 masks NMI), data at
 * 0x71.  Time registers read the host's UTC clock in BCD, 24-hour mode;
 * the update-in-progress bit is never set, so readers never wait.  Writes
 * to the clock are ignored (the guest cannot set the host's time); the
 * other CMOS bytes are plain RAM.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "legacy.h"
#include "vm.h"

#define RTC_PORT	0x70
#define RTC_SECONDS	0x00
#define RTC_MINUTES	0x02
#define RTC_HOURS	0x04
#define RTC_DAY_OF_WEEK 0x06
#define RTC_DAY		0x07
#define RTC_MONTH	0x08
#define RTC_YEAR	0x09
#define RTC_REG_A	0x0a
#define RTC_REG_B	0x0b
#define RTC_REG_C	0x0c
#define RTC_REG_D	0x0d
#define RTC_CENTURY	0x32

#define REG_A_DIVIDER 0x26 /* 32.768 kHz base, 1024 Hz rate */
#define REG_B_24H     0x02
#define REG_B_BINARY  0x04 /* data mode: binary instead of BCD */
#define REG_D_VALID   0x80

struct rtc_cmos {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t ram[128];
};

static uint8_t bcd(int v)
{
	return (uint8_t)((v / 10) << 4 | (v % 10));
}

static int clock_reg(uint8_t reg, uint8_t *out)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	switch (reg) {
	case RTC_SECONDS: *out = bcd(tm.tm_sec); break;
	case RTC_MINUTES: *out = bcd(tm.tm_min); break;
	case RTC_HOURS: *out = bcd(tm.tm_hour); break;
	case RTC_DAY_OF_WEEK: *out = bcd(tm.tm_wday + 1); break;
	case RTC_DAY: *out = bcd(tm.tm_mday); break;
	case RTC_MONTH: *out = bcd(tm.tm_mon + 1); break;
	case RTC_YEAR: *out = bcd(tm.tm_year % 100); break;
	case RTC_CENTURY: *out = bcd(19 + tm.tm_year / 100); break;
	default: return 0;
	}
	return 1;
}

static uint64_t rtc_read(void *opaque, uint64_t off, unsigned int size)
{
	struct rtc_cmos *rtc = opaque;
	uint8_t v;

	if (off == 0)
		return 0xff; /* the index register is write-only */
	pthread_mutex_lock(&rtc->lock);
	if (!clock_reg(rtc->index, &v))
		v = rtc->ram[rtc->index];
	else if (rtc->ram[RTC_REG_B] & REG_B_BINARY)
		v = (v >> 4) * 10 + (v & 0xf);
	pthread_mutex_unlock(&rtc->lock);
	return v;
}

static void rtc_write(void *opaque, uint64_t off, unsigned int size,
		      uint64_t val)
{
	struct rtc_cmos *rtc = opaque;
	uint8_t ignored;

	pthread_mutex_lock(&rtc->lock);
	if (off == 0)
		rtc->index = val & 0x7f;
	else if (!clock_reg(rtc->index, &ignored) && rtc->index != RTC_REG_C &&
		 rtc->index != RTC_REG_D)
		rtc->ram[rtc->index] = val & 0xff;
	pthread_mutex_unlock(&rtc->lock);
}

static const struct io_ops rtc_ops = {
	.read = rtc_read,
	.write = rtc_write,
};

int rtc_cmos_create(struct vm *vm)
{
	struct rtc_cmos *rtc = calloc(1, sizeof(*rtc));

	if (!rtc)
		return -1;
	pthread_mutex_init(&rtc->lock, NULL);
	rtc->ram[RTC_REG_A] = REG_A_DIVIDER;
	rtc->ram[RTC_REG_B] = REG_B_24H;
	rtc->ram[RTC_REG_D] = REG_D_VALID;
	if (bus_register(&vm->pio, RTC_PORT, 2, "rtc-cmos", &rtc_ops, rtc)) {
		free(rtc);
		return -1;
	}
	vm_own_device(vm, rtc);
	return 0;
}
