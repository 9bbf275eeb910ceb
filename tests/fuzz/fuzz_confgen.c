// SPDX-License-Identifier: BSD-2-Clause
/*
 * The configuration channel's generation parser (nf/confchan.c
 * nf_conf_generation) on values a hostile host writes, and the sanitizer
 * that makes the host's text printable. The input is: 8 bytes of the last
 * generation handled, then the value (exactly its bytes, no NUL).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "sluice/hostcfg.h"
#include "sluice/nf/confchan.h"

/* The channel's transport is not exercised here: the parser is pure. */
int hc_submit(struct hc_batch *b)
{
	(void)b;
	return -ENOSYS;
}

int hc_run(struct hc_batch *b)
{
	(void)b;
	return -ENOSYS;
}

int hc_watch(struct hc_watch *w)
{
	(void)w;
	return -ENOSYS;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	uint64_t last = (uint64_t)fz_u32(&f) | (uint64_t)fz_u32(&f) << 32;
	uint64_t gen = 0;
	char err[96] = "", clean[64];
	char *val = malloc(f.n ? f.n : 1);
	int rc;

	if (!val)
		return 0;
	memcpy(val, f.p, f.n);
	rc = nf_conf_generation(val, f.n, last, &gen, err, sizeof(err));
	switch (rc) {
	case 0:
		if (gen <= last)
			abort();
		break;
	case 1:
		if (gen != last)
			abort();
		break;
	case -EINVAL:
	case -ESTALE:
		if (err[0] == '\0')
			abort();
		break;
	default:
		abort();
	}
	nf_sanitize(val, f.n, clean, sizeof(clean));
	for (const char *c = clean; *c; c++)
		if (*c < 0x20 || *c >= 0x7f)
			abort();
	free(val);
	return 0;
}
