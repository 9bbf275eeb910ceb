// SPDX-License-Identifier: BSD-2-Clause
/*
 * The config disk's tar reader (kernel/lib/ustar.c): the input is the
 * disk. Beyond memory safety, the reader must never ask for bytes outside
 * the disk, and what it indexes must lie inside it and be readable back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "sluice/ustar.h"

struct disk {
	const uint8_t *data;
	size_t len;
};

static int disk_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct disk *d = ctx;

	if (off > d->len || len > d->len - off) {
		fprintf(stderr, "read outside the disk: off %llu len %zu size %zu\n",
			(unsigned long long)off, len, d->len);
		abort();
	}
	memcpy(buf, d->data + off, len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ustar u; /* ~70 KiB: not on the stack */
	struct disk d = {data, size};
	char err[128], buf[1024], norm[USTAR_PATH_MAX + 1];
	const char *why;

	if (ustar_index(&u, disk_read, &d, size, err, sizeof(err)) < 0) {
		if (u.n != 0 || err[0] == '\0')
			abort();
		return 0;
	}
	if (u.end > size || u.n > USTAR_MAX_MEMBERS)
		abort();
	for (unsigned int i = 0; i < u.n; i++) {
		const struct ustar_member *m = ustar_member(&u, i);
		uint64_t got = 0;
		ssize_t k;

		if (!m || m->offset > size || m->size > size - m->offset)
			abort();
		if (ustar_lookup(&u, m->path) == NULL)
			abort();
		/* Normalised names are fixed points of the normalisation. */
		if (m->path[0] &&
		    (ustar_normalize(m->path, m->dir, norm, sizeof(norm), &why) != 0 ||
		     strcmp(norm, m->path) != 0))
			abort();
		while ((k = ustar_read(&u, m, got, buf, sizeof(buf))) > 0)
			got += (uint64_t)k;
		if (k < 0 || got != (m->dir ? 0 : m->size))
			abort();
	}
	if (ustar_member(&u, u.n) != NULL)
		abort();
	return 0;
}
