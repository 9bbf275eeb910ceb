/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Config disk: a tar archive on a block device, indexed at mount by
 * kernel/lib/ustar.c and read through a small sector cache.
 *
 * Trust: the disk (contents and size) comes from whoever started the VM.
 * The archive is validated as a whole before it is mounted, every read is
 * bounded by the member's validated extent (itself inside the capacity the
 * device reported), and the blkdev layer checks each request against the
 * device again. A backend that changes the bytes after mount can change
 * file contents only, which were untrusted input anyway.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sluice/configdisk.h"
#include "sluice/kernel.h"
#include "sluice/ustar.h"

/*
 * Reads go through one cached chunk: headers are read block by block while
 * indexing and would otherwise each cost a request. 64 KiB keeps sequential
 * file reads efficient too.
 */
#define CHUNK_MAX (64 * 1024)

static struct {
	struct blkdev *dev;
	struct ustar *ar;
	uint8_t *cache;
	size_t chunk;	    /* bytes per device read: sector aligned, <= max request */
	uint64_t cache_off; /* byte offset of the cached chunk */
	size_t cache_len;   /* 0: nothing cached */
	bool mounted;
} cd;

/*
 * Capacity in bytes. The sector count comes from the device (untrusted): a
 * value whose byte count overflows is clamped rather than wrapped.
 */
static uint64_t disk_bytes(const struct blkdev *dev)
{
	return dev->sectors > UINT64_MAX / BLKDEV_SECTOR ? UINT64_MAX
							 : dev->sectors * BLKDEV_SECTOR;
}

/* Fill the cache with the chunk holding byte @off of the device. */
static int cache_fill(struct blkdev *dev, uint64_t off)
{
	uint64_t cap = disk_bytes(dev);
	uint64_t start = ALIGN_DOWN(off, (uint64_t)dev->sector_size);
	size_t len = cd.chunk;
	int rc;

	if (off >= cap)
		return -EIO;
	if (len > cap - start)
		len = (size_t)ALIGN_DOWN(cap - start, (uint64_t)dev->sector_size);
	if (len == 0)
		return -EIO; /* a partial last sector cannot be read on its own */
	cd.cache_len = 0;
	rc = blkdev_read_sync(dev, start / BLKDEV_SECTOR, cd.cache,
			      (uint32_t)(len / BLKDEV_SECTOR));
	if (rc < 0)
		return rc;
	cd.cache_off = start;
	cd.cache_len = len;
	return 0;
}

/* ustar_read_fn: any byte range of the device. */
static int dev_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct blkdev *dev = ctx;
	uint8_t *out = buf;
	int rc;

	while (len > 0) {
		size_t n;

		if (cd.cache_len == 0 || off < cd.cache_off || off - cd.cache_off >= cd.cache_len) {
			if ((rc = cache_fill(dev, off)) < 0)
				return rc;
		}
		n = MIN(len, (size_t)(cd.cache_off + cd.cache_len - off));
		memcpy(out, cd.cache + (off - cd.cache_off), n);
		out += n;
		off += n;
		len -= n;
	}
	return 0;
}

/* Chunk size for @dev: whole sectors, within the driver's request limit. */
static size_t chunk_for(const struct blkdev *dev)
{
	size_t chunk = CHUNK_MAX;

	if ((uint64_t)dev->max_sectors * BLKDEV_SECTOR < chunk)
		chunk = (size_t)dev->max_sectors * BLKDEV_SECTOR;
	return ALIGN_DOWN(chunk, (size_t)dev->sector_size);
}

/* Set the cache up for @dev (0 or -errno); the buffer is kept across devices. */
static int use_device(struct blkdev *dev)
{
	if (!cd.cache && !(cd.cache = aligned_alloc(4096, CHUNK_MAX)))
		return -ENOMEM;
	cd.chunk = chunk_for(dev);
	cd.cache_len = 0;
	return cd.chunk ? 0 : -EINVAL;
}

/* A candidate for auto-detection: read-only, and sector 0 carries a tar magic. */
static bool looks_like_tar(struct blkdev *dev)
{
	uint8_t magic[6];

	if (!dev->readonly || dev->broken || use_device(dev) < 0)
		return false;
	if (dev_read(dev, 257, magic, sizeof(magic)) < 0)
		return false;
	return memcmp(magic, "ustar", 5) == 0 && (magic[5] == '\0' || magic[5] == ' ');
}

static struct blkdev *detect(void)
{
	for (unsigned int i = 0; i < blkdev_count(); i++) {
		struct blkdev *dev = blkdev_get(i);

		if (dev && looks_like_tar(dev))
			return dev;
	}
	return NULL;
}

int configdisk_mount(struct blkdev *dev)
{
	char err[160];
	uint64_t size;
	int rc;

	if (cd.mounted)
		return -EBUSY;
	if (!dev && !(dev = detect())) {
		kprintf("config: no config disk (no read-only disk holding a tar archive)\n");
		return -ENODEV;
	}
	if (!cd.ar && !(cd.ar = malloc(sizeof(*cd.ar)))) {
		kprintf("config disk: %s (%s): out of memory\n", dev->name, dev->id);
		return -ENOMEM;
	}
	if ((rc = use_device(dev)) < 0) {
		kprintf("config disk: %s (%s): cannot read it (%d)\n", dev->name, dev->id, rc);
		return rc;
	}
	/* A partial last sector cannot be read: the archive ends before it. */
	size = ALIGN_DOWN(disk_bytes(dev), (uint64_t)dev->sector_size);
	rc = ustar_index(cd.ar, dev_read, dev, size, err, sizeof(err));
	if (rc < 0) {
		kprintf("config disk: %s (%s): %s\n", dev->name, dev->id, err);
		if (dev->sector_size > BLKDEV_SECTOR && strstr(err, "truncated"))
			kprintf("config disk: %s: with %u-byte sectors, pad the image to "
				"a multiple of %u bytes (truncate -s %%%u config.tar)\n",
				dev->name, dev->sector_size, dev->sector_size, dev->sector_size);
		return rc;
	}
	cd.dev = dev;
	cd.mounted = true;
	kprintf("config: %s (%s): %u files, %llu bytes\n", dev->name, dev->id, cd.ar->nfiles,
		(unsigned long long)cd.ar->file_bytes);
	return 0;
}

bool configdisk_mounted(void)
{
	return cd.mounted;
}

struct blkdev *configdisk_device(void)
{
	return cd.mounted ? cd.dev : NULL;
}

static const struct ustar_member *member(int fd)
{
	if (!cd.mounted || fd < 0)
		return NULL;
	return ustar_member(cd.ar, (unsigned int)fd);
}

int configdisk_open(const char *path)
{
	const struct ustar_member *m;

	if (!cd.mounted)
		return -ENODEV;
	if (!(m = ustar_lookup(cd.ar, path)))
		return -ENOENT;
	if (m->dir)
		return -EISDIR;
	return (int)(m - cd.ar->m);
}

int64_t configdisk_size(int fd)
{
	const struct ustar_member *m = member(fd);

	if (!m || m->dir)
		return -EBADF;
	return (int64_t)m->size; /* <= USTAR_FILE_MAX */
}

ssize_t configdisk_read(int fd, uint64_t off, void *buf, size_t len)
{
	const struct ustar_member *m = member(fd);
	ssize_t n;

	if (!m || m->dir)
		return -EBADF;
	n = ustar_read(cd.ar, m, off, buf, len);
	return n < 0 ? -EIO : n;
}

int configdisk_load(const char *path, size_t max, char **data, size_t *len)
{
	int fd = configdisk_open(path);
	int64_t size;
	ssize_t n;
	char *buf;

	if (fd < 0)
		return fd;
	size = configdisk_size(fd);
	if (size < 0)
		return (int)size;
	if ((uint64_t)size > max)
		return -EFBIG;
	if (!(buf = malloc((size_t)size + 1)))
		return -ENOMEM;
	n = configdisk_read(fd, 0, buf, (size_t)size);
	if (n != (ssize_t)size) {
		free(buf);
		return n < 0 ? (int)n : -EIO;
	}
	buf[size] = '\0';
	*data = buf;
	*len = (size_t)size;
	return 0;
}

int configdisk_list(int (*fn)(void *arg, const char *path, uint64_t size, bool dir), void *arg)
{
	const struct ustar_member *m;
	int rc;

	if (!cd.mounted)
		return -ENODEV;
	for (unsigned int i = 0; (m = ustar_member(cd.ar, i)); i++)
		if ((rc = fn(arg, m->path, m->size, m->dir)) != 0)
			return rc;
	return 0;
}
