// SPDX-License-Identifier: BSD-2-Clause
/*
 * libarchive, loaded when a TLS terminator's push first needs it
 * (tools/ctl_tls.c), not linked: every other command of sluice-ctl then
 * runs where libarchive is absent. That matters in a minimal dom0 (the
 * Xen test rig's has only what the toolstack needs): Debian's libarchive
 * pulls in libxml2 and ICU, tens of megabytes that sluice-ctl's other
 * commands never use. Only the writer calls a ustar push uses are looked
 * up; the soname is the one Debian 12's libarchive13 ships, which
 * configure's version check (libarchive >= 3.4) pairs with the headers.
 */
#include <dlfcn.h>
#include <stdio.h>

#include "ctl_archive.h"

#define LIBARCHIVE_SONAME "libarchive.so.13"

static struct ctl_archive_api api;
static int loaded; /* 0: not tried, 1: usable, -1: failed (reported once per call) */

/* Each symbol by its name, into the matching member. */
#define SYM(member, name)                                                                          \
	{                                                                                          \
		(void **)&api.member, name                                                         \
	}

const struct ctl_archive_api *ctl_archive(void)
{
	const struct {
		void **slot;
		const char *name;
	} syms[] = {
		SYM(write_new, "archive_write_new"),
		SYM(write_set_format_ustar, "archive_write_set_format_ustar"),
		SYM(write_add_filter_none, "archive_write_add_filter_none"),
		SYM(write_set_bytes_in_last_block, "archive_write_set_bytes_in_last_block"),
		SYM(write_open_memory, "archive_write_open_memory"),
		SYM(write_header, "archive_write_header"),
		SYM(write_data, "archive_write_data"),
		SYM(write_close, "archive_write_close"),
		SYM(write_free, "archive_write_free"),
		SYM(error_string, "archive_error_string"),
		SYM(entry_new, "archive_entry_new"),
		SYM(entry_free, "archive_entry_free"),
		SYM(entry_set_pathname, "archive_entry_set_pathname"),
		SYM(entry_set_filetype, "archive_entry_set_filetype"),
		SYM(entry_set_perm, "archive_entry_set_perm"),
		SYM(entry_set_size, "archive_entry_set_size"),
	};
	void *h;

	if (loaded)
		goto out;
	loaded = -1;
	h = dlopen(LIBARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr,
			"sluice-ctl: pushing to a TLS terminator needs libarchive (%s): %s "
			"(Debian: libarchive13)\n",
			LIBARCHIVE_SONAME, dlerror());
		return NULL;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		*syms[i].slot = dlsym(h, syms[i].name);
		if (!*syms[i].slot) {
			fprintf(stderr, "sluice-ctl: %s lacks %s\n", LIBARCHIVE_SONAME,
				syms[i].name);
			dlclose(h);
			return NULL;
		}
	}
	loaded = 1; /* the handle stays open for the process's lifetime */
out:
	if (loaded < 0)
		fprintf(stderr, "sluice-ctl: libarchive (%s) is not usable\n", LIBARCHIVE_SONAME);
	return loaded > 0 ? &api : NULL;
}
