/* SPDX-License-Identifier: BSD-2-Clause */
/* Console back ends (kernel-internal; appliances use printf). */
#ifndef SLUICE_CONSOLE_H
#define SLUICE_CONSOLE_H

#include <stddef.h>

void console_early_init(void);
void debugcon_enable(void);
void debugcon_write(const char *s, size_t len);
void serial_init(void);
void serial_write(const char *s, size_t len);

#endif
