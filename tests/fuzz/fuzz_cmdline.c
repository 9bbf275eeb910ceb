// SPDX-License-Identifier: BSD-2-Clause
/*
 * The kernel command line (kernel/lib/cmdline.c): tokenize arbitrary text
 * (the boot loader's, so the host's) and apply it to a table with one key
 * of each type, as the kernel and the appliances do.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "sluice/cmdline.h"

static int func_opt(const char *value, void *ctx, char *err, size_t errlen)
{
	(void)ctx;
	if (value[0] == 'x') {
		snprintf(err, errlen, "refused");
		return -EINVAL;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;
	struct cmdline_kv kv[CMDLINE_MAX_KV];
	unsigned int n = 0;
	char err[128] = "", str[16];
	uint64_t num = 0;
	bool flag = false;
	const struct cmdline_opt opts[] = {
		{.key = "greeting", .type = CMDLINE_STR, .dst = str, .dst_size = sizeof(str)},
		{.key = "ticks", .type = CMDLINE_U64, .dst = &num, .min = 1, .max = 1000},
		{.key = "net0.dhcp", .type = CMDLINE_BOOL, .dst = &flag},
		{.key = "virtio_mmio.device", .type = CMDLINE_FUNC, .fn = func_opt, .repeat = true},
		{.key = NULL},
	};
	const struct cmdline_opt *const tables[] = {opts, NULL};
	uint64_t v;

	/* The kernel refuses longer lines before tokenizing (CMDLINE_MAX). */
	if (size >= CMDLINE_MAX)
		return 0;
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (cmdline_tokenize(buf, kv, CMDLINE_MAX_KV, &n, err, sizeof(err)) == 0) {
		if (n > CMDLINE_MAX_KV)
			abort();
		cmdline_apply(kv, n, tables, err, sizeof(err));
		for (unsigned int i = 0; i < n; i++)
			cmdline_parse_u64(kv[i].value, &v);
	}
	if (memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	free(buf);
	return 0;
}
