/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Packet-triggered log lines for network functions (nf/log.c): printed on
 * the console and, optionally, written to the log disk (sluice/logsink.h),
 * through a token bucket, so that a flood of logged packets cannot drown
 * either; suppressed lines are counted and reported once logging resumes.
 * Callers pass text built from numbers and their own names only: packet
 * bytes never reach the console as text.
 */
#ifndef SLUICE_NF_LOG_H
#define SLUICE_NF_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "sluice/nf/pipeline.h"

struct nf_log {
	const char *prefix; /* "fw": lines read "fw: ..." */
	struct pl_tbf tbf;
	uint64_t suppressed, lines;
	bool sink; /* the log disk is open */
};

/*
 * @rate lines per second, @burst at once. With @use_sink, the first
 * writable disk that is not the config disk becomes the log disk.
 */
void nf_log_init(struct nf_log *l, const char *prefix, uint64_t rate, uint64_t burst, uint64_t now,
		 bool use_sink);
/*
 * May one line be written at @now? False: it is counted as suppressed.
 * True: the count of lines suppressed so far, if any, is written first.
 */
bool nf_log_take(struct nf_log *l, uint64_t now);
/* Count @n lines lost before they reached us. */
void nf_log_missed(struct nf_log *l, uint64_t n);
/* Write one line (after nf_log_take said yes). */
void nf_log_line(struct nf_log *l, const char *line);

#endif
