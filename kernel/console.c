/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Console: the platform's console (COM1 and the debugcon port 0xE9 on QEMU,
 * the PV console ring on Xen), picolibc's stdout/stderr, and kprintf.
 */
#include <stdarg.h>
#include <stdio.h>

#include "sluice/console.h"
#include "sluice/kernel.h"
#include "sluice/plat.h"
#include "sluice/x86.h"

#define COM1 0x3f8
#define DEBUGCON 0xe9

static bool com1_present, debugcon_present;

/*
 * Port 0xE9 reads back 0xE9 when QEMU's isa-debugcon or Xen's HVM debug
 * port is behind it; elsewhere reads return 0xff.
 */
void console_early_init(void)
{
	debugcon_present = inb(DEBUGCON) == DEBUGCON;
	serial_init();
}

/*
 * Xen has port 0xE9 for every HVM/PVH guest but answers reads with 0xff
 * before Xen 4.21: the Xen platform enables it on the CPUID signature.
 */
void debugcon_enable(void)
{
	debugcon_present = true;
}

void debugcon_write(const char *s, size_t len)
{
	if (!debugcon_present)
		return;
	for (size_t i = 0; i < len; i++)
		outb(DEBUGCON, (uint8_t)s[i]);
}

/* 16550 on COM1: 115200 8N1, FIFOs on, no interrupts (we poll). */
void serial_init(void)
{
	outb(COM1 + 7, 0x5a); /* scratch register: absent UARTs read back 0xff */
	if (inb(COM1 + 7) != 0x5a)
		return;
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* DLAB */
	outb(COM1 + 0, 0x01); /* divisor 1 = 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0x07); /* enable and clear FIFOs */
	com1_present = true;
}

static void serial_putc(char c)
{
	/* Bounded wait for the transmitter: a wedged UART must not hang a fault report. */
	for (int spin = 0; spin < 100000 && !(inb(COM1 + 5) & 0x20); spin++)
		cpu_relax();
	outb(COM1, (uint8_t)c);
}

void serial_write(const char *s, size_t len)
{
	if (!com1_present)
		return;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n') /* terminals want CR LF */
			serial_putc('\r');
		serial_putc(s[i]);
	}
}

static void raw_write(const char *s, size_t len)
{
	if (plat && plat->console_write)
		plat->console_write(s, len);
	else
		debugcon_write(s, len);
}

/*
 * stdout is line-buffered: on Xen every console write is a ring update and
 * an event-channel hypercall, and picolibc hands us one character at a
 * time. A line goes out whole; kprintf (faults, panics, drivers) writes at
 * once and first sends any partial line, so the order is kept. @busy marks
 * the buffer being changed: an NMI's kprintf arriving then leaves it alone
 * (its line may come out before the partial one; nothing is torn).
 */
#define LINE_MAX_ 256
static char line[LINE_MAX_];
static size_t line_len;
static volatile bool line_busy;

static void line_flush(void)
{
	if (line_len && !line_busy) {
		raw_write(line, line_len);
		line_len = 0;
	}
}

void console_write(const char *s, size_t len)
{
	line_flush();
	raw_write(s, len);
}

int kprintf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return n;
	console_write(buf, (size_t)MIN(n, (int)sizeof(buf) - 1));
	return n;
}

/* picolibc tinystdio: stdout and stderr are one line-buffered stream to the console. */
static int stdio_putc(char c, FILE *f)
{
	uint64_t fl = irq_save(); /* interrupt handlers may kprintf */

	(void)f;
	line_busy = true;
	line[line_len++] = c;
	line_busy = false;
	if (c == '\n' || line_len == sizeof(line))
		line_flush();
	irq_restore(fl);
	return (unsigned char)c;
}

void console_flush_line(void)
{
	uint64_t fl = irq_save();

	line_flush();
	irq_restore(fl);
}

static FILE console_stream = FDEV_SETUP_STREAM(stdio_putc, NULL, NULL, _FDEV_SETUP_WRITE);
FILE *const stdin = &console_stream;
FILE *const stdout = &console_stream;
FILE *const stderr = &console_stream;
