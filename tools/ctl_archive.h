/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The libarchive calls sluice-ctl makes, loaded on first use
 * (tools/ctl_archive.c explains why it is not linked). Each member has the
 * type of the libarchive function it stands for, taken from libarchive's
 * own headers, so a mismatch is a compile error.
 */
#ifndef SLUICE_CTL_ARCHIVE_H
#define SLUICE_CTL_ARCHIVE_H

#include <archive.h>
#include <archive_entry.h>

struct ctl_archive_api {
	__typeof__(archive_write_new) *write_new;
	__typeof__(archive_write_set_format_ustar) *write_set_format_ustar;
	__typeof__(archive_write_add_filter_none) *write_add_filter_none;
	__typeof__(archive_write_set_bytes_in_last_block) *write_set_bytes_in_last_block;
	__typeof__(archive_write_open_memory) *write_open_memory;
	__typeof__(archive_write_header) *write_header;
	__typeof__(archive_write_data) *write_data;
	__typeof__(archive_write_close) *write_close;
	__typeof__(archive_write_free) *write_free;
	__typeof__(archive_error_string) *error_string;
	__typeof__(archive_entry_new) *entry_new;
	__typeof__(archive_entry_free) *entry_free;
	__typeof__(archive_entry_set_pathname) *entry_set_pathname;
	__typeof__(archive_entry_set_filetype) *entry_set_filetype;
	__typeof__(archive_entry_set_perm) *entry_set_perm;
	__typeof__(archive_entry_set_size) *entry_set_size;
};

/* libarchive's writer, or NULL with the reason in @why (not installed, too old). */
const struct ctl_archive_api *ctl_archive(char *why, size_t len);

/*
 * The fallback: members written under a private temporary directory
 * (mode 0700, files 0400), packed by the system's `tar` program in the
 * order added, trimmed to end right after the two end-of-archive blocks.
 * Names must be relative, without "..", at most 99 bytes (one ustar name
 * field). Each returns 0 or -errno; close removes the directory.
 */
struct ctl_tardir;
int ctl_tardir_open(struct ctl_tardir **d);
int ctl_tardir_add(struct ctl_tardir *d, const char *name, const void *data, size_t n);
int ctl_tardir_pack(struct ctl_tardir *d, unsigned char *out, size_t cap, size_t *used);
void ctl_tardir_close(struct ctl_tardir *d);

#endif
