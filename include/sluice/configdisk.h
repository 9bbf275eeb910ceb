/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The appliance config disk: a block device holding a tar archive, made on
 * the host with `tar -cf config.tar -C dir .` and attached read-only (QEMU
 * `-drive file=config.tar,format=raw,readonly=on,...`, Xen
 * `disk = ['config.tar,raw,xvdb,r']`). Appliances read its files by path;
 * nothing is ever written to it. For a disk with 4096-byte sectors, pad the
 * image to a multiple of 4096 bytes (`truncate -s %4096 config.tar`; tar
 * pads to 10240): a partial last sector is cut off by QEMU, and with it,
 * possibly, the end of the archive.
 *
 * The archive is validated as a whole at mount time (see sluice/ustar.h
 * for what is accepted); a disk that fails is not mounted at all, with one
 * console line saying why, and the appliance carries on without it. Only
 * the index (paths, offsets, sizes) is kept in memory, about 75 KiB; file
 * data is read from the disk when asked for.
 *
 * Use from the event loop or start-up code (reads wait for the disk, in the
 * event loop), never from interrupt handlers. One config disk at a time.
 */
#ifndef SLUICE_CONFIGDISK_H
#define SLUICE_CONFIGDISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sluice/blkdev.h"

/*
 * Mount @dev, or with @dev NULL the first read-only block device whose
 * first sector looks like a tar header (ustar magic; the full validation
 * then decides). Prints "config: blk0 (xvda): 3 files, 12345 bytes", or
 * "config disk: blk0 (xvda): <reason>" on failure (e.g. "member
 * 'etc/../x': path traversal"). Returns 0, -ENODEV (no candidate disk),
 * -EBUSY (already mounted), -ENOMEM, or the archive's or the disk's
 * -errno.
 */
int configdisk_mount(struct blkdev *dev);

bool configdisk_mounted(void);

/* The mounted device, or NULL. */
struct blkdev *configdisk_device(void);

/*
 * A handle (>= 0) for the regular file at @path ("etc/rules", "/etc/rules"
 * and "./etc/rules" are the same file), or -ENODEV (nothing mounted),
 * -ENOENT, -EISDIR. Handles need no closing; they stay valid while the
 * disk is mounted.
 */
int configdisk_open(const char *path);

/* Size in bytes of the file behind @fd, or -EBADF. */
int64_t configdisk_size(int fd);

/*
 * Copy up to @len bytes from offset @off of the file into @buf. Returns
 * the bytes copied (0 at the end of the file) or -EBADF / -EIO.
 */
ssize_t configdisk_read(int fd, uint64_t off, void *buf, size_t len);

/*
 * Read a whole file of at most @max bytes into a new NUL-terminated heap
 * buffer (free() it); *@len gets its size. -EFBIG for a larger file, plus
 * the errors of configdisk_open() and configdisk_read().
 */
int configdisk_load(const char *path, size_t max, char **data, size_t *len);

/*
 * Call @fn for every file and directory in archive order; a nonzero return
 * stops the walk and is returned. Returns 0 or -ENODEV.
 */
int configdisk_list(int (*fn)(void *arg, const char *path, uint64_t size, bool dir), void *arg);

#endif
