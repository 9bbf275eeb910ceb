/* SPDX-License-Identifier: BSD-2-Clause */
/* The CMOS real-time clock (MC146818), for the wall clock on plain QEMU. */
#include <errno.h>

#include "sluice/hw.h"
#include "sluice/x86.h"

#define CMOS_ADDR 0x70
#define CMOS_DATA 0x71

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_ADDR, reg | 0x80); /* bit 7 keeps NMIs disabled while we talk */
	return inb(CMOS_DATA);
}

static int bcd(uint8_t v)
{
	return (v & 0x0f) + (v >> 4) * 10;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned int m, unsigned int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned int yoe = (unsigned int)(y - era * 400);
	unsigned int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

static void read_regs(uint8_t r[7])
{
	static const uint8_t regs[7] = {0x00, 0x02, 0x04, 0x07, 0x08, 0x09, 0x32};

	for (int i = 0; i < 7; i++)
		r[i] = cmos_read(regs[i]);
}

int rtc_read(int64_t *epoch_sec)
{
	uint8_t a[7], b[7], status_b;
	int sec, min, hour, day, mon, year, tries = 0;
	bool pm;

	/* Read until two consecutive reads agree outside an update cycle. */
	do {
		if (++tries > 1000)
			return -ETIMEDOUT;
		while (cmos_read(0x0a) & 0x80)
			cpu_relax();
		read_regs(a);
		read_regs(b);
	} while (__builtin_memcmp(a, b, sizeof(a)) != 0);

	if (a[0] == 0xff && a[3] == 0xff)
		return -ENODEV; /* nothing behind the ports */
	status_b = cmos_read(0x0b);
	pm = !(status_b & 0x02) && (a[2] & 0x80);
	a[2] &= 0x7f;
	if (!(status_b & 0x04)) { /* BCD mode */
		for (int i = 0; i < 7; i++)
			a[i] = (uint8_t)bcd(a[i]);
	}
	sec = a[0], min = a[1], hour = a[2], day = a[3], mon = a[4];
	year = a[5] + (a[6] >= 19 && a[6] <= 30 ? a[6] * 100 : 2000);
	if (pm)
		hour = (hour % 12) + 12;
	if (sec > 59 || min > 59 || hour > 23 || day < 1 || day > 31 || mon < 1 || mon > 12)
		return -EINVAL; /* the RTC is not a trusted source of sane values */
	*epoch_sec = days_from_civil(year, (unsigned int)mon, (unsigned int)day) * 86400 +
		     hour * 3600 + min * 60 + sec;
	return 0;
}
