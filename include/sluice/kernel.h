/* SPDX-License-Identifier: BSD-2-Clause */
/* Kernel-wide definitions: exit statuses, panics, logging, boot information. */
#ifndef SLUICE_KERNEL_H
#define SLUICE_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Exit statuses. Under QEMU with isa-debug-exit the process exit code is
 * (status << 1) | 1, so these become 1, 3, 5, 7, 9. On Xen anything but
 * SUCCESS is reported as a crash so that on_crash policies apply.
 */
enum sluice_exit {
	SLUICE_EXIT_SUCCESS = 0,
	SLUICE_EXIT_FAILURE = 1, /* the appliance reported failure */
	SLUICE_EXIT_CONFIG = 2,	 /* bad command line or configuration at boot */
	SLUICE_EXIT_FAULT = 3,	 /* CPU exception */
	SLUICE_EXIT_PANIC = 4,	 /* fatal kernel error (no entropy, stack smash, ...) */
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))
#define ALIGN_UP(x, a) (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Console output that works from any context, including fault handlers. */
void console_write(const char *s, size_t len);
/* Send a partial stdout line now (stdout is line-buffered; kprintf is not). */
void console_flush_line(void);
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "PANIC: ...", a backtrace, and stop with SLUICE_EXIT_PANIC. */
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

/* Flush consoles and stop the VM with @status (never returns). */
__attribute__((noreturn)) void kernel_shutdown(int status);

/*
 * Print a symbolized backtrace from @rip and the frame chain at @rbp; @rsp
 * (or 0) lets a frameless leaf function's caller be found too.
 */
void backtrace_print(uint64_t rip, uint64_t rbp, uint64_t rsp);

/* Boot timestamps (TSC) for bench/boot: entry, C main, ready. */
extern uint64_t boot_tsc_entry;
void kernel_mark_ready(void);
/*
 * Record a step of the boot timeline (@label: a string constant). Cheap
 * enough to leave in: a TSC read and a store, at most BOOT_MARKS_MAX steps
 * (later ones are dropped). With `bootlog=1` on the command line the
 * timeline is printed when the appliance is ready, one line per step with
 * the time since the PVH entry and since the previous step, so that a slow
 * boot shows where its time goes (bench/boot, docs/boot.md §7).
 */
#define BOOT_MARKS_MAX 32
void boot_mark(const char *label);
/*
 * Print the kernel's counters (uptime, memory, every NIC's packets and
 * drops) on the console: for an NMI or a sysrq request. It only reads,
 * so it may run from an NMI that interrupted anything.
 */
void kernel_state_dump(void);

#endif
