// SPDX-License-Identifier: BSD-2-Clause
/*
 * Rate-limited log lines on the console and the log disk (sluice/nf/log.h).
 */
#include <stdio.h>

#include "sluice/blkdev.h"
#include "sluice/configdisk.h"
#include "sluice/logsink.h"
#include "sluice/nf/log.h"

/* The log disk: the first writable disk (the config disk is read-only). */
static bool open_sink(void)
{
	for (unsigned int i = 0; i < blkdev_count(); i++) {
		struct blkdev *dev = blkdev_get(i);

		if (dev->readonly || dev == configdisk_device())
			continue;
		/* logsink_open prints the outcome; it never overwrites a foreign disk. */
		return logsink_open(dev) == 0;
	}
	return false;
}

void nf_log_init(struct nf_log *l, const char *prefix, uint64_t rate, uint64_t burst, uint64_t now,
		 bool use_sink)
{
	*l = (struct nf_log){.prefix = prefix};
	pl_tbf_init(&l->tbf, rate, burst, now);
	if (use_sink)
		l->sink = open_sink();
}

void nf_log_line(struct nf_log *l, const char *line)
{
	printf("%s: %s\n", l->prefix, line);
	if (l->sink)
		logsink_printf("%s: %s", l->prefix, line);
	l->lines++;
}

void nf_log_missed(struct nf_log *l, uint64_t n)
{
	l->suppressed += n;
}

bool nf_log_take(struct nf_log *l, uint64_t now)
{
	char line[80];

	if (!pl_tbf_take(&l->tbf, now)) {
		l->suppressed++;
		return false;
	}
	if (l->suppressed) {
		snprintf(line, sizeof(line), "%llu log messages suppressed (log-rate)",
			 (unsigned long long)l->suppressed);
		l->suppressed = 0;
		nf_log_line(l, line);
	}
	return true;
}
